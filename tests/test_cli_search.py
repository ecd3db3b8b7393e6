"""`crm search`, `crm lookup`, `crm export`, `crm view` and the list options, from the shell."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from crm_calls import search_ids
from hypothesis import given
from hypothesis import strategies as st
from search_builders import build_base
from typer.testing import Result

from crmkit import CRM
from crmkit.cli import entry
from crmkit.cli.output import render_table

Invoke = Callable[..., Result]


def raw(result: Result) -> str:
    """stdout exactly as written (Result.stdout turns CRLF into LF)."""
    return result.stdout_bytes.decode("utf-8")


@pytest.fixture()
def base(ref_crm: CRM) -> CRM:
    build_base(ref_crm)
    return ref_crm


def test_search_table(base: CRM, cli: Invoke) -> None:
    result = cli("search", "now")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["id", "kind", "name", "phones", "emails", "city", "organization",
                                "tags"]  # fmt: skip
    assert lines[1].startswith("----")
    assert "Anna Nowak" in lines[2] and "+48601234567" in lines[2]
    assert "Jan Nowakowski" in lines[3]
    assert len(lines) == 4


def test_search_words_filters_columns_and_limit(base: CRM, cli: Invoke) -> None:
    result = cli("search", "anna", "gliwice", "--columns", "name,city", "--format", "csv")
    assert raw(result) == "name,city\r\nAnna Nowak,Gliwice\r\n"
    result = cli("search", "--filter", "city=Gliwice | Łódź", "--filter", "kind=person",
                 "--sort", "-name", "--limit", "2", "-c", "name", "-f", "csv")  # fmt: skip
    assert raw(result) == "name\r\nJan Nowakowski\r\nEwa Kowalska\r\n"


def test_search_json_records(base: CRM, cli: Invoke) -> None:
    records = json.loads(raw(cli("search", "zolc", "--format", "json")))
    assert [r["name"] for r in records] == ["Żółć Sp. z o.o.", "Anna Nowak"]
    assert records[1]["phones"][0]["number"] == "+48601234567"
    lines = raw(cli("search", "--filter", "tag=VIP", "-f", "jsonl")).splitlines()
    assert [json.loads(line)["name"] for line in lines] == ["Anna Nowak", "Żółć Sp. z o.o."]


def test_search_hidden_and_nothing_found(base: CRM, cli: Invoke) -> None:
    assert cli("search", "lukasz").stderr == "No contacts match.\n"
    assert "Łukasz Żółć" in raw(cli("search", "lukasz", "--include-hidden"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--filter", "colour=red"], "Error: unknown filter field 'colour'; valid fields are: id"),
        (["--filter", "city"], "must look like FIELD OP VALUE"),
        (["--columns", "name,shoe"], "unknown column 'shoe'"),
        (["--sort", "tags"], "cannot sort by 'tags'"),
        (["--view", "nope"], "has no view named 'nope'"),
        (["?!"], "has no letters or digits"),
    ],
)
def test_search_errors_exit_1(base: CRM, cli: Invoke, args: list[str], message: str) -> None:
    result = cli("search", *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert result.stdout == ""


def test_injection_through_the_cli(base: CRM, cli: Invoke) -> None:
    result = cli("search", "--filter", "name=x' OR 1=1 --", "--include-hidden")
    assert result.exit_code == 0
    assert result.stderr == "No contacts match.\n"
    assert len(search_ids(base, include_hidden=True)) == 6


@pytest.mark.parametrize("typed", ["601234567", "+48 601 234 567", "0048-601-234-567"])
def test_lookup_finds_the_caller(base: CRM, cli: Invoke, typed: str) -> None:
    result = cli("lookup", typed, "--columns", "id,name,organization")
    assert result.exit_code == 0
    cells = [cell.strip() for cell in re.split(r"\s{2,}", result.stdout.splitlines()[2])]
    assert cells == ["2", "Anna Nowak", "Żółć Sp. z o.o."]


def test_lookup_misses_and_mistakes(base: CRM, cli: Invoke) -> None:
    miss = cli("lookup", "602 000 000")
    assert (miss.exit_code, miss.stdout, miss.stderr) == (1, "", "no contact has +48602000000\n")
    wrong = cli("lookup", "12")
    assert (wrong.exit_code, wrong.stderr) == (1, "Error: '12' is not a valid phone number\n")


def test_lookup_region_and_formats(base: CRM, cli: Invoke) -> None:
    assert raw(cli("lookup", "030 1234567", "--region", "DE", "-c", "name", "-f", "csv")) == (
        "name\r\nFirma Berlin GmbH\r\n"
    )
    record = json.loads(raw(cli("lookup", "22 113 14 15", "-f", "jsonl")))
    assert record["name"] == "Jan Nowakowski"


def test_export_csv_to_stdout_and_file(base: CRM, cli: Invoke, tmp_path: Path) -> None:
    out = cli("export", "--filter", "name~ewa", "--columns", "name,note,position")
    assert raw(out) == "name,note,position\r\nEwa Kowalska,'=SUM(A1:A9),'-\r\n"
    plain = cli("export", "--filter", "name~ewa", "--columns", "name,note", "--no-escape")
    assert raw(plain) == "name,note\r\nEwa Kowalska,=SUM(A1:A9)\r\n"
    target = tmp_path / "all.csv"
    result = cli("export", "-o", str(target), "--bom")
    assert result.stderr == f"Exported 5 contacts to {target}.\n"
    assert target.read_bytes().startswith(b"\xef\xbb\xbfid,kind,")
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 5 and rows[0]["kind"] == "organization"


def test_export_formats_and_mistakes(base: CRM, cli: Invoke, tmp_path: Path) -> None:
    lines = raw(cli("export", "-f", "jsonl", "--text", "now", "--include-hidden")).splitlines()
    assert [json.loads(line)["name"] for line in lines] == ["Anna Nowak", "Jan Nowakowski"]
    assert json.loads(raw(cli("export", "--format", "json", "--limit", "1")))[0]["id"] == 1
    bad = cli("export", "--format", "json", "--bom")
    assert (bad.exit_code, bad.stderr) == (
        1,
        "Error: --bom is for CSV files (it tells Excel the file is UTF-8)\n",
    )
    usage = cli("export", "--format", "table")
    assert usage.exit_code == 2
    missing = cli("export", "-o", str(tmp_path / "no" / "x.csv"))
    assert missing.exit_code == 1 and "does not exist" in missing.stderr


def test_exported_csv_imports_back(base: CRM, cli: Invoke, tmp_path: Path) -> None:
    target = tmp_path / "all.csv"
    cli("export", "-o", str(target))
    again = tmp_path / "again.db"
    import crmkit

    crm = crmkit.open(again)
    for tag in ("VIP", "Newsletter", "Lead", "Klient"):
        crm.tags.add(tag)
    for user in ("Jan Kowalski", "Piotr Maj"):
        crm.users.add(user)
    from search_builders import base_reference_data

    base_reference_data(crm)
    crm.fields.add("industry", type="multiselect", options=["IT", "Handel", "Produkcja"])
    crm.fields.add("consent", type="checkbox")
    report = crm.imports.run(str(target))
    assert (report.created, report.rejected, report.warnings) == (5, 0, 0)
    assert crm.contacts[5].note == "=SUM(A1:A9)"


def test_views_from_the_shell(base: CRM, cli: Invoke) -> None:
    saved = cli("--as", "Jan Kowalski", "view", "save", "vip", "--columns", "name,tags",
                "--filter", "tag=VIP", "--sort", "-name")  # fmt: skip
    assert saved.stdout == "View 'vip' saved for Jan Kowalski.\n"
    again = cli("--as", "Jan Kowalski", "view", "save", "vip", "--columns", "name")
    assert again.stdout == "View 'vip' updated for Jan Kowalski.\n"
    cli("--as", "Jan Kowalski", "view", "save", "vip", "--columns", "name,tags",
        "--filter", "tag=VIP", "--sort", "-name")  # fmt: skip
    listed = json.loads(raw(cli("--as", "Jan Kowalski", "view", "list", "-f", "json")))
    assert listed == [{"name": "vip", "columns": ["name", "tags"], "filters": ["tag=VIP"],
                       "sort": ["-name"]}]  # fmt: skip
    assert cli("view", "list").stderr.startswith("No views saved yet")
    shown = cli("--as", "Jan Kowalski", "search", "--view", "vip", "-f", "csv")
    assert raw(shown) == "name,tags\r\nŻółć Sp. z o.o.,VIP\r\nAnna Nowak,Newsletter | VIP\r\n"
    exported = cli("--as", "Jan Kowalski", "export", "--view", "vip", "--filter", "kind=person")
    assert raw(exported) == "name,tags\r\nAnna Nowak,Newsletter | VIP\r\n"
    other = cli("--as", "Piotr Maj", "search", "--view", "vip")
    assert other.exit_code == 1 and "'Piotr Maj' has no view named 'vip'" in other.stderr
    assert raw(cli("--as", "Jan Kowalski", "view", "delete", "vip")) == "View 'vip' deleted.\n"
    assert cli("--as", "Jan Kowalski", "view", "delete", "vip").exit_code == 1


def test_list_commands_take_columns_sort_and_limit(ref_crm: CRM, cli: Invoke) -> None:
    assert raw(cli("tag", "list", "-c", "name", "--sort", "-name", "-n", "2", "-f", "csv")) == (
        "name\r\nVIP\r\nNewsletter\r\n"
    )
    assert raw(cli("user", "list", "--columns", "full_name", "-f", "csv")) == (
        "full_name\r\nJan Kowalski\r\nPiotr Maj\r\n"
    )
    fields = cli("field", "list", "--columns", "key,type", "--sort", "key")
    assert [line.split() for line in fields.stdout.splitlines()[2:]] == [
        ["consent", "checkbox"],
        ["industry", "multiselect"],
    ]
    bad = cli("tag", "list", "--columns", "colour")
    assert bad.exit_code == 1 and "unknown column 'colour'" in bad.stderr


def test_imports_list_columns(ref_crm: CRM, cli: Invoke, tmp_path: Path) -> None:
    source = tmp_path / "x.csv"
    source.write_text("first_name\nAla\n", encoding="utf-8")
    cli("import", str(source))
    result = cli("imports", "--columns", "id,created,status", "-f", "csv")
    assert raw(result) == "id,created,status\r\n1,1,finished\r\n"


# -- the quick entry point ----------------------------------------------------------------
# Only `crm lookup` has a quick path (crmkit.cli.entry); search, export and timeline are
# Typer commands, to which the console script hands every other command line.


def run_entry(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        entry.main(argv)
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err


def run_console(argv: list[str], **env: str) -> tuple[int, str, str]:
    """Run the console script (`python -m crmkit`) in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-m", "crmkit", *argv],
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8", **env},
    )
    return done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")


@pytest.mark.parametrize(
    "args",
    [
        ["lookup", "601 234 567"],
        ["lookup", "+48601234567", "--format", "json"],
        ["lookup", "601234567", "-c", "name,phones", "-f", "csv"],
        ["lookup", "602 000 000"],
        ["lookup", "12"],
        ["lookup", "--include-hidden", "--region=PL", "601234567", "--sort", "-name", "-n", "1"],
    ],
)
def test_the_quick_path_prints_what_typer_prints(
    base: CRM, cli: Invoke, db_path: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    assert entry.read_lookup(["--db", str(db_path), *args]) is not None
    typer_result = cli(*args)
    code, out, err = run_entry(["--db", str(db_path), *args], capsys)
    assert (code, out, err) == (typer_result.exit_code, raw(typer_result), typer_result.stderr)


@pytest.mark.parametrize(
    "args",
    [
        ["search", "now"],
        ["search", "anna", "gliwice", "--limit", "1"],
        ["search", "--filter", "city=Gliwice", "--filter=tag=VIP", "-f", "csv"],
        ["search", "--filter", "colour=red"],
        ["search", "zolc", "--include-hidden", "--columns", "name,organization", "--sort", "name"],
        ["search", "lukasz"],
        ["search", "--", "-now"],
        ["export"],
        ["export", "--filter", "name~ewa", "-c", "name,note", "--no-escape", "--bom"],
        ["export", "-f", "jsonl", "--text", "now", "--include-hidden"],
        ["export", "--format=json", "--view", "nope"],
        ["export", "--sort", "-name", "--limit", "2", "-c", "name"],
    ],
)
def test_the_console_script_prints_what_typer_prints(
    base: CRM, cli: Invoke, db_path: Path, args: list[str]
) -> None:
    assert entry.read_lookup(["--db", str(db_path), *args]) is None
    typer_result = cli(*args)
    code, out, err = run_console(["--db", str(db_path), *args])
    assert (code, out, err) == (typer_result.exit_code, raw(typer_result), typer_result.stderr)


def test_export_to_a_file(base: CRM, cli: Invoke, tmp_path: Path) -> None:
    target = tmp_path / "x.jsonl"
    result = cli("export", "-f", "jsonl", "-o", str(target))
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "",
        f"Exported 5 contacts to {target}.\n",
    )
    assert len(target.read_text(encoding="utf-8").splitlines()) == 5


def test_console_script_reads_global_options_and_environment(
    base: CRM, db_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    base.views.save("mine", columns="name")
    code, out, _ = run_console(
        ["search", "now", "--view", "mine", "-f", "csv"], CRM_DB=str(db_path), CRM_USER=""
    )
    assert (code, out) == (0, "name\r\nAnna Nowak\r\nJan Nowakowski\r\n")
    code, out, _ = run_entry(
        [f"--db={db_path}", "--as=", "lookup", "601234567", "-c", "id"], capsys
    )
    assert (code, out.split()) == (0, ["id", "----", "2"])


@pytest.mark.parametrize(
    "args",
    [
        ["lookup", "--help"],
        ["search", "--help"],
        ["lookup"],
        ["lookup", "1", "2"],
        ["search", "--limit", "x"],
        ["search", "--format", "xml"],
        ["search", "--bogus"],
        ["--db"],
        ["tag", "list"],
        ["export", "--format", "table"],
        ["export", "extra"],
        ["export", "-o"],
    ],
)
def test_anything_else_goes_to_typer(
    base: CRM, db_path: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    assert entry.read_lookup(["--db", str(db_path), *args]) is None


# `crmkit.crm` is not among them: it is what `import crmkit` loads, and it imports its
# implementation modules only when a call needs them.
HEAVY = ("typer", "click", "rich", "pydantic", "tabulate", "phonenumbers", "dateutil")
# What only an export needs (its helper processes, its atomic file): a search does without.
EXPORT_ONLY = ("multiprocessing", "tempfile")


def heavy_modules_after(argv: list[str]) -> tuple[str, list[str]]:
    """Run the entry point in a fresh interpreter: its output, and the heavy modules loaded.

    Modules the interpreter had loaded before crmkit (a site hook may load tempfile,
    say) are not counted: the entry point did not cost them. Nor are those the
    PostgreSQL driver loads itself (psycopg imports tempfile), for a base there.
    """
    driver = "import psycopg\n" if "postgresql://" in " ".join(argv) else ""
    code = (
        "import sys\n"
        f"{driver}"
        "before = set(sys.modules)\n"
        "from crmkit.cli import entry\n"
        "try:\n"
        f"    entry.main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(name for name in {HEAVY + EXPORT_ONLY!r}"
        " if name in sys.modules and name not in before), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout, eval(done.stderr.splitlines()[-1])


def test_quick_lookup_and_search_load_nothing_heavy(base: CRM, db_path: Path) -> None:
    out, loaded = heavy_modules_after(["--db", str(db_path), "lookup", "601 234 567"])
    assert "Anna Nowak" in out and loaded == []
    # A number nobody has needs the full normalizer to say whether it is valid at all.
    _, loaded = heavy_modules_after(["--db", str(db_path), "lookup", "602 000 000"])
    assert loaded == ["phonenumbers"]


def test_the_console_script_answers_search_and_timeline(base: CRM, db_path: Path) -> None:
    base.events.add(1, kind="call", at="2024-03-05 14:30", subject="Reklamacja")
    code, out, _ = run_console(["--db", str(db_path), "search", "now", "--limit", "20"])
    assert code == 0 and "Jan Nowakowski" in out
    code, out, _ = run_console(["--db", str(db_path), "timeline", "1"])
    assert code == 0 and "Reklamacja" in out


# -- tables ------------------------------------------------------------------------------------

table_text = st.text(
    alphabet=st.sampled_from(list(" abcXYZ019+-|.,'\"łŁżŻąé\u00a0\u00ad\t\n中")), max_size=8
)


@given(st.integers(1, 4).flatmap(lambda width: st.tuples(
    st.lists(table_text, min_size=width, max_size=width),
    st.lists(st.lists(table_text, min_size=width, max_size=width), max_size=4),
)))  # fmt: skip
def test_tables_are_what_tabulate_draws(table: tuple[list[str], list[list[str]]]) -> None:
    from tabulate import tabulate

    headers, rows = table
    assert render_table(headers, rows) == tabulate(rows, headers=headers, disable_numparse=True)


def test_phone_numbers_stay_as_written_in_tables() -> None:
    assert render_table(["phone"], [["+48601234567"]]) == "phone\n------------\n+48601234567"

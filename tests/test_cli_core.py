"""The core commands through the CLI: exit codes, sentences, and JSON output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from stored_rows import store_rows, stored_rows

DATA = Path(__file__).parent / "data"


def setup_reference(cli) -> None:
    assert cli("init").exit_code == 0
    assert cli("tag", "add", "VIP", "Newsletter", "Lead", "Klient").exit_code == 0
    assert cli("user", "add", "Jan Kowalski", "--email", "jan@firma.pl").exit_code == 0
    assert cli("user", "add", "Piotr Maj").exit_code == 0
    assert (
        cli(
            "field",
            "add",
            "industry",
            "--type",
            "multiselect",
            "--option",
            "IT",
            "--option",
            "Handel",
            "--option",
            "Produkcja",
        ).exit_code
        == 0
    )
    assert cli("field", "add", "consent", "--type", "checkbox", "--label", "Zgoda").exit_code == 0


def import_basic(cli, *options: str):
    """`crm import` of the basic fixture with its mapping, and any further options."""
    return cli(
        "import", str(DATA / "basic.csv"), "--mapping", str(DATA / "basic_map.yaml"), *options
    )


def snapshot(db_path: Path) -> list[tuple]:
    return stored_rows(db_path, "SELECT * FROM contacts ORDER BY id") + stored_rows(
        db_path, "SELECT count(*) FROM imports"
    )


def test_init_is_idempotent(cli) -> None:
    first = cli("init")
    assert first.exit_code == 0 and "Created" in first.stdout
    again = cli("init")
    assert again.exit_code == 0 and "up to date" in again.stdout


def test_newer_schema_is_refused(cli, db_path: Path) -> None:
    cli("init")
    if isinstance(db_path, Path):
        store_rows(db_path, "PRAGMA user_version = 99")
    else:
        store_rows(db_path, "UPDATE crm_schema SET version = 99")
    result = cli("tag", "list")
    assert result.exit_code == 1
    assert "newer than this crmkit understands" in result.stderr


def test_reference_lists_in_every_format(cli) -> None:
    setup_reference(cli)
    assert "Newsletter" in cli("tag", "list").stdout
    users = json.loads(cli("user", "list", "--format", "json").stdout)
    assert users[0] == {
        "id": 1,
        "full_name": "Jan Kowalski",
        "email": "jan@firma.pl",
        "active": True,
    }
    fields = [
        json.loads(line) for line in cli("field", "list", "--format", "jsonl").stdout.splitlines()
    ]
    assert fields[1]["options"] == ["IT", "Handel", "Produkcja"]
    assert cli("tag", "list", "--format", "csv").stdout.splitlines()[0] == "id,name"


def test_duplicate_tag_is_an_error(cli) -> None:
    setup_reference(cli)
    result = cli("tag", "add", " vip ")
    assert result.exit_code == 1 and "already exists" in result.stderr


def test_add_edit_delete_and_link(cli) -> None:
    setup_reference(cli)
    added = cli(
        "add",
        "person",
        "--set",
        "first_name=Anna",
        "--set",
        "last_name=Nowak",
        "--set",
        "phone.mobile=601-234-567",
        "--set",
        "tags=vip | Newsletter",
        "--set",
        "custom.industry=IT",
        "--set",
        "guardians=jan kowalski",
    )
    assert added.exit_code == 0, added.output
    org = cli("add", "organization", "--set", "name=ACME Sp. z o.o.", "--set", "nip=123-456-32-18")
    assert org.exit_code == 0
    assert cli("link", "1", "2", "--since", "2024-01-01", "--until", "2024-06-30").exit_code == 0
    edited = cli("edit", "1", "--set", "stage=klient", "--set", "tags=", "--format", "json")
    record = json.loads(edited.stdout)
    assert record["stage"] == "klient" and record["tags"] == []
    assert record["phones"] == [{"number": "+48601234567", "type": "mobile", "label": None}]
    assert record["guardians"] == ["Jan Kowalski"]
    assert record["organizations"] == [
        {
            "id": 2,
            "name": "ACME Sp. z o.o.",
            "since": "2024-01-01T00:00:00Z",
            "until": "2024-06-30T00:00:00Z",
        }
    ]
    deleted = cli("delete", "1")
    assert deleted.exit_code == 0 and "Anna Nowak" in deleted.stdout
    assert cli("delete", "1").exit_code == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add", "person", "--set", "phone.mobile=123"), "not a valid phone number"),
        (("add", "person", "--set", "tags=Nieznany"), "unknown tag 'Nieznany'"),
        (("add", "person", "--set", "colour=red"), "unknown target 'colour'"),
        (("add", "person", "--set", "nip=1234563218"), "nip is not a field of persons"),
        (
            ("add", "organization", "--set", "pesel=44051401359"),
            "pesel is not a field of organizations",
        ),
        (("add", "person", "--set", "noequals"), "must look like FIELD=VALUE"),
        (("add", "robot", "--set", "name=R2"), "kind must be person or organization"),
        (("link", "1", "1"), "no contact with id 1"),
        (("edit", "9", "--set", "stage=x"), "no contact with id 9"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_1(
    cli, db_path: Path, args: tuple[str, ...], message: str
) -> None:
    setup_reference(cli)
    before = snapshot(db_path)
    result = cli(*args)
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert snapshot(db_path) == before


def test_import_prints_summary_and_exits_3(cli) -> None:
    setup_reference(cli)
    result = import_basic(cli)
    assert result.exit_code == 3
    assert "rows read 6, created 2, updated 0, skipped 0, rejected 4, warnings 2" in result.stdout
    assert "row 4, column 'Telefon': value '123': not a valid phone number" in result.stdout


def test_import_json_summary(cli) -> None:
    setup_reference(cli)
    result = import_basic(cli, "--format", "json")
    report = json.loads(result.stdout)
    assert report["import_id"] == 1 and report["status"] == "finished with rejected rows"
    assert report["rows_read"] == 6 and report["created"] == 2 and report["rejected"] == 4
    assert {
        "row": 4,
        "column": "Telefon",
        "value": "123",
        "reason": "not a valid phone number",
        "level": "error",
    } in report["errors"]


def test_dry_run_same_exit_code_and_nothing_written(cli, db_path: Path) -> None:
    setup_reference(cli)
    before = snapshot(db_path)
    result = import_basic(cli, "--dry-run")
    assert result.exit_code == 3 and "Dry run" in result.stdout
    assert snapshot(db_path) == before


def test_all_or_nothing_writes_no_contact_and_exits_3(cli, db_path: Path) -> None:
    setup_reference(cli)
    result = import_basic(cli, "--all-or-nothing")
    assert result.exit_code == 3, result.output
    assert stored_rows(db_path, "SELECT count(*) FROM contacts") == [(0,)]


def test_delimiter_option_overrides_sniffing(cli, tmp_path: Path, db_path: Path) -> None:
    setup_reference(cli)
    # The header has more semicolons than pipes, so sniffing alone would split on `;`.
    path = tmp_path / "pipes.csv"
    path.write_text("first_name|last_name;;\nAnna|Nowak;;\nJan|Maj;;\n", "utf-8")
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "target: contacts\ncolumns:\n  first_name: first_name\n  'last_name;;': last_name\n"
    )
    result = cli("import", str(path), "--mapping", str(mapping), "--delimiter", "|")
    assert result.exit_code == 0, result.output
    names = stored_rows(db_path, "SELECT first_name, last_name FROM contacts ORDER BY id")
    assert names == [("Anna", "Nowak;;"), ("Jan", "Maj;;")]


@pytest.mark.parametrize(
    ("file", "extra", "message"),
    [
        ("missing.csv", (), "does not exist"),
        ("empty.csv", (), "is empty"),
        ("binary.csv", (), "not a text file"),
        ("invalid_text.csv", (), "not valid text in any supported encoding"),
        ("dup_columns.csv", (), "twice"),
        ("not_array.json", (), "not a JSON array of objects"),
        ("basic.csv", ("--mapping", str(DATA / "broken_map.yaml")), "not valid YAML"),
        (
            "basic.csv",
            ("--mapping", str(DATA / "unknown_target_map.yaml")),
            "unknown target 'surname'",
        ),
        (
            "basic.csv",
            ("--mapping", str(DATA / "missing_column_map.yaml")),
            "column 'PESEL' is not in the file",
        ),
        ("basic.csv", ("--encoding", "klingon"), "unknown encoding"),
        ("basic.csv", ("--strict", "--create-missing"), "cannot be used together"),
    ],
)
def test_import_file_errors_exit_1_and_change_nothing(
    cli, db_path: Path, file: str, extra: tuple[str, ...], message: str
) -> None:
    setup_reference(cli)
    before = snapshot(db_path)
    result = cli("import", str(DATA / file), *extra)
    assert result.exit_code == 1, result.output
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert snapshot(db_path) == before


def test_header_only_says_so_and_exits_0(cli) -> None:
    setup_reference(cli)
    result = cli("import", str(DATA / "header_only.csv"))
    assert result.exit_code == 0 and "nothing imported" in result.stdout


def test_import_from_stdin(cli) -> None:
    setup_reference(cli)
    result = cli("import", "-", input="first_name;last_name;phone.work\nAnna;Nowak;22 113 14 15\n")
    assert result.exit_code == 0, result.output
    assert "created 1" in result.stdout


def test_imports_history_and_show(cli) -> None:
    setup_reference(cli)
    import_basic(cli)
    listing = json.loads(cli("imports", "--format", "json").stdout)
    assert listing[0]["rejected"] == 4 and listing[0]["file"].endswith("basic.csv")
    shown = cli("imports", "show", "1")
    assert shown.exit_code == 0 and "31.02.2024" in shown.stdout
    assert cli("imports", "show", "7").exit_code == 1


REPORT_KEYS = [
    "import_id", "target", "file", "status", "dry_run", "rows_read", "created",
    "organizations_created", "updated", "skipped", "rejected", "warnings", "ignored_columns",
    "errors", "started_at", "finished_at", "warning_details",
]  # fmt: skip
HISTORY_KEYS = [
    "id", "target", "file", "sha256", "user", "started_at", "finished_at", "status",
    "rows_read", "created", "updated", "skipped", "rejected", "warnings",
]  # fmt: skip


def test_import_json_keys_and_history_in_file_order(cli, tmp_path: Path) -> None:
    setup_reference(cli)
    report = json.loads(import_basic(cli, "--format", "json").stdout)
    assert list(report) == REPORT_KEYS
    assert list(report["errors"][0]) == ["level", "row", "column", "value", "reason"]
    listing = json.loads(cli("imports", "--format", "json").stdout)
    assert list(listing[0]) == HISTORY_KEYS
    # A row with a warning (an unknown tag), then one with an error (a bad phone).
    source = tmp_path / "mixed.csv"
    source.write_text("tags,first_name,phone.mobile\nNowy,Jan,\n,Ola,123\n", encoding="utf-8")
    cli("import", str(source))
    shown = json.loads(cli("imports", "show", "2", "--format", "json").stdout)
    assert list(shown) == [*HISTORY_KEYS[:4], "mapping", *HISTORY_KEYS[4:], "problems"]
    assert [list(problem) for problem in shown["problems"]] == [
        ["row", "column", "value", "reason", "level"]
    ] * 2
    assert [p["level"] for p in shown["problems"]] == ["warning", "error"]
    table = cli("imports", "show", "2").stdout.splitlines()
    assert [line.split()[1] for line in table[3:]] == ["warning", "error"]


def test_progress_bar_only_on_a_terminal_and_never_with_json(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from crmkit.cli import imports
    from crmkit.cli.output import OutputFormat

    monkeypatch.setattr(imports.sys.stderr, "isatty", lambda: True)
    assert imports._progress(OutputFormat.table).enabled
    assert not imports._progress(OutputFormat.json).enabled
    monkeypatch.setattr(imports.sys.stderr, "isatty", lambda: False)
    assert not imports._progress(OutputFormat.table).enabled


def test_crm_db_environment_variable_selects_the_file(tmp_path: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from crmkit.cli.app import app

    target = tmp_path / "z-env.db"
    monkeypatch.setenv("CRM_DB", str(target))
    result = CliRunner().invoke(app, ["tag", "add", "VIP"])
    assert result.exit_code == 0 and target.exists()

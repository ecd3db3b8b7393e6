"""Failures are sentences: a busy database, a missing one, a wrong encoding, a forgotten mapping."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from stored_rows import stored_rows
from typer.testing import CliRunner, Result

import crmkit
from crmkit import CRM
from crmkit.cli.app import app

Invoke = Callable[..., Result]


@pytest.fixture()
def locked(crm: CRM, db_path: Path) -> Iterator[None]:
    """Another process's write in progress: a second connection holding the write lock.

    On PostgreSQL, which has no lock of the whole base, the tables the tests write.
    """
    if not isinstance(db_path, Path):
        import psycopg

        with psycopg.connect(str(db_path)) as server:
            server.execute("LOCK TABLE tags, users IN EXCLUSIVE MODE")
            yield
            server.rollback()
        return
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    yield
    other.execute("ROLLBACK")
    other.close()


def test_a_busy_database_is_a_sentence_after_the_timeout(db_path: Path, locked: None) -> None:
    with crmkit.open(db_path, busy_timeout=0.2) as crm:
        started = time.monotonic()
        with pytest.raises(crmkit.CrmError, match="is busy .* try again"):
            crm.tags.add("VIP")
        assert time.monotonic() - started >= 0.2
        assert crm.tags.list() == []  # reads do not wait for the writer (WAL)


def test_the_cli_waits_as_long_as_told(
    cli: Invoke, locked: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = cli("--busy-timeout", "0.1", "tag", "add", "VIP")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: the database ") and "is busy" in result.stderr
    assert "Traceback" not in result.output
    monkeypatch.setenv("CRM_BUSY_TIMEOUT", "0.1")
    assert cli("user", "add", "Jan Kowalski").exit_code == 1
    assert cli("tag", "list").exit_code == 0


def test_a_bad_busy_timeout_is_named(cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_BUSY_TIMEOUT", "soon")
    result = cli("tag", "add", "VIP")
    assert result.exit_code == 1 and "CRM_BUSY_TIMEOUT must be a number" in result.stderr


def test_a_read_command_never_creates_a_database(cli: Invoke, db_path: Path) -> None:
    for args in (["search", "x"], ["lookup", "601234567"], ["show", "1"], ["export"],
                 ["timeline", "1"], ["tag", "list"], ["imports"]):  # fmt: skip
        result = cli(*args)
        assert result.exit_code == 1, args
        assert f"no crmkit database at {db_path} (run `crm init` to create one)" in result.stderr
        if isinstance(db_path, Path):
            assert not db_path.exists()
        else:
            assert stored_rows(db_path, "SELECT to_regclass('crm_schema')") == [(None,)]


def test_a_wrong_encoding_is_a_sentence(cli: Invoke) -> None:
    data = Path(__file__).parent / "data"
    cli("init")
    result = cli(
        "import", str(data / "basic.csv"), "--mapping", str(data / "basic_map.yaml"),
        "--encoding", "utf-16",
    )  # fmt: skip
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "is not valid utf-16 text; give the file's encoding with --encoding" in result.stderr
    assert "Import" not in cli("imports").stdout


def test_forgetting_the_mapping_is_one_error(cli: Invoke) -> None:
    examples = Path(__file__).parent.parent / "examples"
    cli("init")
    result = cli("import", str(examples / "kontakty.csv"))
    assert result.exit_code == 1
    assert "no column is a target name (the file has: ID w starym CRM, Typ," in result.stderr
    assert result.stderr.rstrip().endswith("give a mapping with --mapping")
    assert cli("imports", "--format", "json").stdout.strip() == "[]"


def test_a_huge_cell_is_cut_in_reports(cli: Invoke, tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    big.write_text("first_name,phone.mobile\nAnna," + "1" * 1_000_000 + "\n", encoding="utf-8")
    cli("init")
    report = cli("import", str(big))
    assert report.exit_code == 3 and len(report.stdout) < 1000
    assert "… (1,000,000 characters)': not a valid phone number" in report.stdout
    shown = cli("imports", "show", "1")
    assert len(shown.stdout) < 1000 and "(1,000,000 characters)" in shown.stdout


def test_an_import_summary_is_a_table_or_json(cli: Invoke) -> None:
    cli("init")
    data = Path(__file__).parent / "data"
    result = cli("import", str(data / "header_only.csv"), "--format", "csv")
    assert result.exit_code == 2 and "'csv' is not one of" in result.output


def test_empty_reference_lists_say_so(cli: Invoke) -> None:
    cli("init")
    for group, words in (("tag", "No tags yet"), ("user", "No users yet"),
                         ("field", "No custom fields yet")):  # fmt: skip
        result = cli(group, "list")
        assert result.exit_code == 0 and result.stdout == "" and words in result.stderr
        assert cli(group, "list", "--format", "json").stdout.strip() == "[]"


def test_an_import_piped_into_head_keeps_its_exit_code(tmp_path: Path) -> None:
    import subprocess
    import sys

    rows = tmp_path / "bad.csv"  # a report longer than a pipe holds: 500 rejected rows shown
    rows.write_text(
        "first_name,phone.mobile\n" + "".join(f"Anna,{'9' * 70}\n" for _ in range(600)),
        encoding="utf-8",
    )
    db = tmp_path / "crm.db"
    script = (
        f"{sys.executable} -m crmkit --db {db} import {rows} | head -1; exit ${{PIPESTATUS[0]}}"
    )
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True)
    assert done.stdout.startswith("Import 1 of ") and "Traceback" not in done.stderr
    assert done.returncode == 3


def test_an_unclosed_quote_is_pointed_at(cli: Invoke, tmp_path: Path, db_path: Path) -> None:
    examples = Path(__file__).parent.parent / "examples"
    lines = (examples / "kontakty.csv").read_text(encoding="utf-8").split("\n")
    cells = lines[2].split(",")
    cells[6] = '"' + cells[6]  # line 3: a quote opened and never closed
    broken = tmp_path / "broken.csv"
    broken.write_text("\n".join([*lines[:2], ",".join(cells), *lines[3:]]), encoding="utf-8")
    with crmkit.open(db_path) as crm:
        crm.fields.add("industry", type="multiselect", options=["IT"])
        crm.fields.add("marketing_consent", type="checkbox")
    result = cli("import", str(broken), "--mapping", str(examples / "map.yaml"), "--create-missing")
    assert result.exit_code == 3
    assert (
        "rejected row 3: the row has 7 cells but the header has 24; a quoted cell runs over"
        " the next 10 lines of the file: is a quote left open?"
    ) in result.stdout


def test_an_unforeseen_failure_is_one_sentence_unless_debugging(
    cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    cli("init")
    monkeypatch.setattr(CRM, "timeline", broken)
    result = cli("timeline", "1")
    assert result.exit_code == 1 and result.exception is not None
    assert result.stderr == (
        "Error: unexpected failure (RuntimeError: disk on fire);"
        " run again with CRM_DEBUG=1 to see where it happened\n"
    )
    monkeypatch.setenv("CRM_DEBUG", "1")
    shown = cli("timeline", "1")
    assert isinstance(shown.exception, RuntimeError)
    assert cli("timeline", "--colour").exit_code == 2  # usage errors stay Typer's


def _read_only_everywhere(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Make the files of `folder` (and the folder) look read-only, as for another user."""
    real = os.access

    def access(path: object, mode: int, *args: object, **kwargs: object) -> bool:
        if mode & os.W_OK and str(path).startswith(str(folder)):
            return False
        return real(path, mode, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "access", access)


def test_a_read_only_base_reads_and_refuses_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    db = folder / "crm.db"
    with crmkit.open(db) as crm:
        crm.tags.add("VIP")
        anna = crm.contacts.add("person", first_name="Anna", phones=["601 234 567"]).id
    before = db.read_bytes()
    _read_only_everywhere(monkeypatch, folder)
    runner = CliRunner()

    def crm_cli(*args: str) -> Result:
        return runner.invoke(app, ["--db", str(db), *args])

    assert crm_cli("search", "anna").exit_code == 0
    assert "Anna" in crm_cli("lookup", "601234567").output
    for args in (
        ("tag", "add", "Lead"),
        ("edit", str(anna), "--set", "stage=klient"),
        ("note", "add", str(anna), "hello"),
        ("file", "add", str(anna), str(db)),
    ):
        result = crm_cli(*args)
        assert result.exit_code == 1, (args, result.output)
        assert "is read-only" in result.output and "Traceback" not in result.output
    assert db.read_bytes() == before
    assert not (folder / "crm.files").exists()


def _command_paths(command: object, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, sub in getattr(command, "commands", {}).items():
        yield (*prefix, name)
        yield from _command_paths(sub, (*prefix, name))


def test_help_names_values_not_python_types() -> None:
    import re

    import typer

    runner = CliRunner()
    paths = list(_command_paths(typer.main.get_command(app)))
    assert ("undo", "import") in paths and ("search",) in paths
    for path in paths:
        shown = runner.invoke(app, [*path, "--help"]).output
        assert not re.search(r"<(str|int|float|list|path)", shown), (path, shown)
        assert "list[" not in shown, path

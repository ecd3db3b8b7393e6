"""The quick path of `crm lookup` (crmkit.cli.entry): the same options and output as Typer's."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from search_builders import build_base
from stored_rows import stored_rows
from typer.testing import CliRunner

from crmkit import CRM
from crmkit.cli.app import app
from crmkit.cli.entry import LOOKUP_OPTIONS, main, read_lookup


@pytest.fixture()
def base(ref_crm: CRM) -> CRM:
    build_base(ref_crm)
    return ref_crm


def test_quick_lookup_reads_the_options_of_the_typer_command() -> None:
    lookup = typer.main.get_command(app).commands["lookup"]  # type: ignore[attr-defined]
    typer_options = {
        name: (param.name, not param.is_flag)
        for param in lookup.params
        if param.param_type_name == "option"
        for name in param.opts
    }
    assert typer_options == LOOKUP_OPTIONS


@pytest.mark.parametrize(
    "options",
    [
        [],
        ["-f", "json"],
        ["--format=csv", "--columns", "name,phones"],
        ["--format", "jsonl", "--include-hidden"],
        ["--sort", "-name", "-n", "1"],
        ["--region", "pl"],
    ],
)
def test_quick_lookup_prints_what_typer_prints(
    base: CRM, db_path: Path, capsys: pytest.CaptureFixture[str], options: list[str]
) -> None:
    argv = ["--db", str(db_path), "lookup", "601 234 567", *options]
    assert read_lookup(argv) is not None
    expected = CliRunner().invoke(app, argv)
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == expected.exit_code == 0
    assert capsys.readouterr().out.replace("\r\n", "\n") == expected.stdout


def test_quick_lookup_fails_as_typer_does(
    base: CRM, db_path: Path, capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest
) -> None:
    for number, message in (("602 000 000", "no contact has +48602000000\n"),):
        with pytest.raises(SystemExit) as done:
            main(["--db", str(db_path), "lookup", number])
        assert done.value.code == 1 and capsys.readouterr().err == message
    # A name given by mistake: a file that is not there, or a database without crmkit's tables.
    if isinstance(db_path, Path):
        typo: Path | str = db_path.parent / "typo.db"
    else:
        typo = request.getfixturevalue("postgres_server").new_database("typo")
    with pytest.raises(SystemExit) as done:
        main(["--db", str(typo), "lookup", "601 234 567"])
    assert done.value.code == 1 and "no crmkit database at" in capsys.readouterr().err
    if isinstance(typo, Path):
        assert not typo.exists()
    else:
        assert stored_rows(typo, "SELECT to_regclass('crm_schema')") == [(None,)]


@pytest.mark.parametrize(
    "argv",
    [
        ["lookup", "--help"],
        ["lookup", "-h"],
        ["lookup"],
        ["lookup", "1", "2"],
        ["lookup", "601234567", "--colour"],
        ["lookup", "601234567", "--limit"],
        ["lookup", "601234567", "--limit", "x"],
        ["lookup", "601234567", "--format", "xml"],
        ["lookup", "601234567", "--include-hidden=yes"],
        ["search", "now"],
        ["timeline", "1"],
        ["--db"],
        ["--version"],
        [],
    ],
)
def test_anything_else_goes_to_typer(argv: list[str]) -> None:
    assert read_lookup(argv) is None


def test_global_options_before_lookup() -> None:
    call = read_lookup(["--db=x.db", "--as", "Jan", "lookup", "601234567", "-n", "2"])
    assert call is not None
    assert (call["db"], call["user"], call["phone"]) == ("x.db", "Jan", "601234567")
    assert call["limit"] == 2


def test_version_and_short_help() -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["--version"]).stdout.startswith("crmkit ")
    helped = runner.invoke(app, ["-h"])
    assert helped.exit_code == 0 and "lookup" in helped.stdout
    assert "--region" in runner.invoke(app, ["lookup", "-h"]).stdout

"""`crm campaign ...` and `crm campaigns`, and the quick path of `crm campaign list`."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from crmkit import CRM
from crmkit.cli.app import app
from crmkit.cli.entry import CAMPAIGN_LIST_OPTIONS, main, read_campaign_list, read_lookup

CLI = Callable[..., Result]
NAME = "Jesień 2025"


@pytest.fixture()
def base(ref_crm: CRM, cli: CLI) -> list[int]:
    """Four people in Gliwice, two of them Leads, and an empty campaign."""
    ids = [
        ref_crm.contacts.add(
            kind="person",
            first_name=f"Osoba{index}",
            last_name="Nowak",
            phones=[f"60100010{index}"],
            tags=["Lead"] if index % 2 else [],
            address={"city": "Gliwice"},
        ).id
        for index in range(4)
    ]
    assert cli("campaign", "add", NAME).exit_code == 0
    return ids


def test_add_enroll_set_list_and_remove(cli: CLI, base: list[int]) -> None:
    added = cli(
        "campaign", "add", "Ankieta", "--status-option", "Nowa", "--status-option", "Zrobiona"
    )
    assert added.exit_code == 0
    assert added.stdout == "Campaign 'Ankieta' added; statuses: Nowa, Zrobiona.\n"
    enrolled = cli("campaign", "enroll", NAME, "--filter", "tag=Lead")
    assert enrolled.exit_code == 0
    assert enrolled.stdout == f"Enrolled 2 contacts in {NAME!r}.\n"
    again = cli("campaign", "enroll", NAME, str(base[0]), "--filter", "city=Gliwice", "-f", "json")
    assert json.loads(again.stdout) == [
        {"campaign": NAME, "selected": 4, "enrolled": 2, "already": 2}
    ]
    done = cli(
        "campaign", "set", NAME, str(base[1]), "--status", "oddzwonić",
        "--agent", "Piotr Maj", "--callback", "2024-05-01 09:00", "--note", "Po 9",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert done.stdout == (
        "Osoba1 Nowak (#2): Oddzwonić, agent Piotr Maj, call-back 2024-05-01T09:00:00Z.\n"
    )
    due = cli("campaign", "list", NAME, "--due", "--format", "csv")
    assert list(csv.reader(io.StringIO(due.stdout))) == [
        ["id", "name", "phone", "status", "agent", "callback", "note"],
        [str(base[1]), "Osoba1 Nowak", "+48601000101", "Oddzwonić", "Piotr Maj",
         "2024-05-01T09:00:00Z", "Po 9"],
    ]  # fmt: skip
    table = cli("campaign", "list", NAME, "--status", "Nowy", "-c", "id,name,status")
    assert [line.split()[0] for line in table.stdout.splitlines()[2:]] == [
        str(base[0]),
        str(base[2]),
        str(base[3]),
    ]
    listed = json.loads(cli("campaigns", "--format", "json").stdout)
    assert [(c["name"], c["enrolled"], c["due"]) for c in listed] == [
        ("Ankieta", 0, 0),
        (NAME, 4, 1),
    ]
    removed = cli("campaign", "remove", NAME, str(base[3]))
    assert removed.stdout == "Osoba3 Nowak (#4) is no longer in the campaign.\n"
    shown = cli("show", str(base[1]))
    assert "Campaigns" in shown.stdout and "Oddzwonić" in shown.stdout
    history = json.loads(cli("history", str(base[1]), "--format", "json").stdout)
    assert [entry["action"] for entry in history][:2] == ["campaign set", "campaign enroll"]
    assert history[0]["source"] == "cli"
    timeline = json.loads(cli("timeline", str(base[1]), "--kind", "campaign", "-f", "json").stdout)
    assert [item["subject"] for item in timeline] == [
        "Nowy → Oddzwonić (call-back 2024-05-01T09:00:00Z)"
    ]


def test_mistakes_exit_1_with_a_sentence_and_change_nothing(cli: CLI, base: list[int]) -> None:
    cli("campaign", "enroll", NAME, str(base[0]))
    before = cli("campaign", "list", NAME, "-f", "json").stdout
    for args, message in (
        (("campaign", "set", NAME, str(base[0]), "--status", "Może"), "is not one of campaign"),
        (("campaign", "set", NAME, str(base[0]), "--callback", "jutro o 5"), "--callback"),
        (("campaign", "set", NAME, str(base[1]), "--status", "Nowy"), "is not in campaign"),
        (("campaign", "enroll", NAME, "999"), "no contact with id 999"),
        (("campaign", "enroll", NAME), "name the contacts to enroll"),
        (("campaign", "list", "Lato"), "no campaign named 'Lato'"),
        (("campaign", "add", NAME), "exists already"),
    ):
        result = cli(*args)
        assert result.exit_code == 1, args
        assert result.stderr.startswith("Error: ") and message in result.stderr, result.stderr
    assert cli("campaign", "list", NAME, "-f", "json").stdout == before


def test_callbacks_typed_in_crm_timezone_are_stored_in_utc(
    cli: CLI, base: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_TIMEZONE", "Europe/Warsaw")
    cli("campaign", "enroll", NAME, str(base[0]))
    result = cli(
        "campaign", "set", NAME, str(base[0]), "--status", "Oddzwonić",
        "--callback", "2025-07-10 16:30", "-f", "json",
    )  # fmt: skip
    assert json.loads(result.stdout)[0]["callback"] == "2025-07-10T14:30:00Z"


def test_quick_list_reads_the_options_of_the_typer_command() -> None:
    group = typer.main.get_command(app).commands["campaign"]  # type: ignore[attr-defined]
    command = group.commands["list"]
    typer_options = {
        name: (param.name, not param.is_flag)
        for param in command.params
        if param.param_type_name == "option"
        for name in param.opts
    }
    assert typer_options == CAMPAIGN_LIST_OPTIONS


@pytest.mark.parametrize(
    "options",
    [
        [],
        ["--due"],
        ["--due", "-n", "1", "--format", "json"],
        ["--status=Oddzwonić", "-f", "csv", "-c", "id,phones"],
        ["--agent", "Piotr Maj", "--format", "jsonl"],
    ],
)
def test_quick_list_prints_what_typer_prints(
    cli: CLI,
    base: list[int],
    db_path: Path,
    capsys: pytest.CaptureFixture[str],
    options: list[str],
) -> None:
    cli("campaign", "enroll", NAME, "--all")
    for contact, when in ((base[1], "2024-05-02 09:00"), (base[2], "2024-05-01 09:00")):
        cli("campaign", "set", NAME, str(contact), "--status", "Oddzwonić",
            "--callback", when, "--agent", "Piotr Maj")  # fmt: skip
    argv = ["--db", str(db_path), "campaign", "list", NAME, *options]
    assert read_campaign_list(argv) is not None and read_lookup(argv) is None
    expected = CliRunner().invoke(app, argv)
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == expected.exit_code == 0
    assert capsys.readouterr().out.replace("\r\n", "\n") == expected.stdout


def test_quick_list_fails_as_typer_does(
    base: list[int], db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--db", str(db_path), "campaign", "list", "Lato"])
    assert done.value.code == 1 and capsys.readouterr().err.startswith("Error: no campaign named")
    for argv in (
        ["campaign", "list"],
        ["campaign", "list", "A", "B"],
        ["campaign", "list", "A", "--due=yes"],
        ["campaign", "list", "A", "--colour", "red"],
        ["campaign", "set", "A", "1"],
        ["campaigns"],
    ):
        assert read_campaign_list(argv) is None, argv

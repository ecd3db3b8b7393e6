"""The number blacklist (`crm.blacklist`, `crm blacklist`), what `crm lookup` says of a
listed number, the filter `blacklisted=yes|no`, and the vip and hidden flags."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from crmkit import CRM, CrmError, NotFound
from crmkit.cli.app import app
from crmkit.cli.entry import main

Invoke = Callable[..., Result]


@pytest.fixture()
def owned(crm: CRM) -> int:
    """A person owning +48601234567, and one owning +48602000111."""
    crm.contacts.add(first_name="Czysty", phones=["602 000 111"])
    return crm.contacts.add(first_name="Anna", last_name="Nowak", phones=["601 234 567"]).id


def lines(result: Result) -> list[str]:
    return result.stdout.splitlines()


# -- the library ----------------------------------------------------------------------------


def test_numbers_are_listed_in_e164_whatever_the_spelling(crm: CRM) -> None:
    entry = crm.blacklist.add("601 234 567", reason=" spam ")
    assert (entry.number, entry.reason, entry.listed_before) == ("+48601234567", "spam", False)
    assert "+48 601-234-567" in crm.blacklist and "0048601234567" in crm.blacklist
    assert "602 000 000" not in crm.blacklist and "not a number" not in crm.blacklist
    again = crm.blacklist.add("48601234567", reason="telemarketing")
    assert (again.reason, again.listed_before, again.added_at) == (
        "telemarketing",
        True,
        entry.added_at,
    )
    assert crm.blacklist.add("+48601234567").reason == "telemarketing"
    crm.blacklist.add("22 113 14 15")
    assert [e.number for e in crm.blacklist.list()] == ["+48221131415", "+48601234567"]
    assert len(crm.blacklist) == 2
    removed = crm.blacklist.remove("(60) 123-45-67")
    assert removed.number == "+48601234567" and "601234567" not in crm.blacklist
    with pytest.raises(NotFound, match=r"\+48601234567 is not on the blacklist"):
        crm.blacklist.remove("601234567")
    with pytest.raises(CrmError, match="'abc' is not"):
        crm.blacklist.add("abc")
    assert [e.to_record()["number"] for e in crm.blacklist] == ["+48221131415"]


def test_the_acting_user_is_recorded(db_path: Path) -> None:
    import crmkit

    with crmkit.open(db_path, user="Jan Kowalski") as crm:
        assert crm.blacklist.add("601234567").user == "Jan Kowalski"


def test_a_lookup_selection_says_whether_the_number_is_listed(crm: CRM, owned: int) -> None:
    assert not crm.contacts.owners("601 234 567").blacklisted
    crm.blacklist.add("601234567", reason="spam")
    owners = crm.contacts.owners("601 234 567")
    assert (owners.blacklisted, owners.blacklist_reason, list(owners.ids())) == (
        True,
        "spam",
        [owned],
    )
    assert [c.id for c in crm.contacts.lookup("601234567")] == [owned]


# -- the commands ---------------------------------------------------------------------------


def test_blacklist_commands(cli: Invoke) -> None:
    added = cli("blacklist", "add", "601 234 567", "--reason", "spam")
    assert added.exit_code == 0 and added.stdout == "Blacklisted +48601234567 (spam).\n"
    again = cli("blacklist", "add", "+48 601 234 567", "--reason", "oszust")
    assert again.stdout == "+48601234567 was blacklisted already; its reason is now 'oszust'.\n"
    assert cli("blacklist", "add", "221131415").stdout == "Blacklisted +48221131415.\n"
    wrong = cli("blacklist", "add", "12")
    assert wrong.exit_code == 1 and wrong.stderr.startswith("Error: '12' is not")
    listed = json.loads(cli("blacklist", "list", "--format", "json").stdout)
    assert [(e["number"], e["reason"]) for e in listed] == [
        ("+48221131415", None),
        ("+48601234567", "oszust"),
    ]
    csv = cli("blacklist", "list", "-f", "csv", "-c", "number,reason").stdout
    assert csv.splitlines() == ["number,reason", "+48221131415,", "+48601234567,oszust"]
    assert cli("blacklist", "remove", "0048 601 234 567").stdout == (
        "+48601234567 is no longer blacklisted.\n"
    )
    absent = cli("blacklist", "remove", "601234567")
    assert absent.exit_code == 1
    assert absent.stderr == "Error: +48601234567 is not on the blacklist\n"


def test_an_empty_blacklist_says_so(cli: Invoke) -> None:
    cli("init")
    empty = cli("blacklist", "list")
    assert empty.exit_code == 0 and "No numbers are blacklisted" in empty.stderr
    assert cli("blacklist", "list", "-f", "json").stdout == "[]\n"


# -- crm lookup ------------------------------------------------------------------------------


def test_lookup_of_a_listed_number_with_an_owner(crm: CRM, owned: int, cli: Invoke) -> None:
    crm.blacklist.add("601234567", reason="spam")
    table = cli("lookup", "601 234 567", "-c", "id,name")
    assert table.exit_code == 0
    assert lines(table)[0] == "BLACKLISTED: +48601234567 (spam)"
    assert "Anna Nowak" in lines(table)[-1]
    records = json.loads(cli("lookup", "601234567", "-f", "json").stdout)
    assert [(r["id"], r["blacklisted"], r["blacklist_reason"]) for r in records] == [
        (owned, True, "spam")
    ]
    jsonl = cli("lookup", "601234567", "-f", "jsonl").stdout
    assert json.loads(jsonl)["blacklisted"] is True
    csv = cli("lookup", "601234567", "-f", "csv", "-c", "name")
    assert csv.stdout.splitlines() == ["name", "Anna Nowak"]
    assert csv.stderr == "BLACKLISTED: +48601234567 (spam)\n"
    clean = json.loads(cli("lookup", "602000111", "-f", "json").stdout)
    assert "blacklisted" not in clean[0]


def test_lookup_of_a_listed_number_nobody_owns(crm: CRM, owned: int, cli: Invoke) -> None:
    crm.blacklist.add("500 100 200")
    table = cli("lookup", "500100200")
    assert (table.exit_code, table.stdout) == (0, "BLACKLISTED: +48500100200\n")
    assert table.stderr == "no contact has +48500100200\n"
    for fmt in ("json", "jsonl"):
        found = cli("lookup", "+48 500 100 200", "-f", fmt)
        assert found.exit_code == 0
        assert json.loads(found.stdout) == {
            "number": "+48500100200",
            "blacklisted": True,
            "blacklist_reason": None,
        }
    unlisted = cli("lookup", "500100201", "-f", "json")
    assert (unlisted.exit_code, unlisted.stdout) == (1, "[]\n")


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
@pytest.mark.parametrize("number", ["601 234 567", "500 100 200"])
def test_the_quick_lookup_says_the_same(
    crm: CRM,
    owned: int,
    db_path: Path,
    capsys: pytest.CaptureFixture[str],
    number: str,
    fmt: str,
) -> None:
    crm.blacklist.add("601234567", reason="spam")
    crm.blacklist.add("500100200", reason="oszust")
    argv = ["--db", str(db_path), "lookup", number, "-f", fmt]
    expected = CliRunner().invoke(app, argv)
    with pytest.raises(SystemExit) as done:
        main(argv)
    out = capsys.readouterr()
    assert done.value.code == expected.exit_code == 0
    assert out.out.replace("\r\n", "\n") == expected.stdout
    said = '"blacklisted": true' if fmt == "json" else "BLACKLISTED: +48"
    assert said in out.out + out.err


# -- the filter ------------------------------------------------------------------------------


def test_filter_blacklisted(crm: CRM, owned: int, cli: Invoke) -> None:
    def names(*filters: str) -> list[str]:
        return [c.first_name or "" for c in crm.contacts.search(filters=list(filters))]

    assert names("blacklisted=yes") == []
    assert names("blacklisted=no") == ["Anna", "Czysty"]
    crm.blacklist.add("601234567")
    crm.contacts.add(first_name="Bez telefonu")
    assert names("blacklisted=yes") == ["Anna"]
    assert names("blacklisted=tak") == ["Anna"]
    assert names("blacklisted=no") == ["Bez telefonu", "Czysty"]
    assert names("blacklisted!=yes") == ["Bez telefonu", "Czysty"]
    assert names("blacklisted=yes", "phone=601234567") == ["Anna"]
    with pytest.raises(CrmError, match="'maybe' is not yes or no"):
        names("blacklisted=maybe")
    with pytest.raises(CrmError, match="operator ~ does not apply"):
        names("blacklisted~y")
    found = cli("search", "--filter", "blacklisted=yes", "-c", "name", "-f", "csv")
    assert found.stdout.splitlines() == ["name", "Anna Nowak"]


# -- vip and hidden ------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["vip", "hidden"])
def test_edit_sets_and_clears_the_flags(crm: CRM, cli: Invoke, flag: str) -> None:
    contact = crm.contacts.add(first_name="Ewa", phones=["601234567"])
    assert cli("edit", str(contact.id), "--set", f"{flag}=yes").exit_code == 0
    assert getattr(crm.contacts[contact.id], flag) is True
    assert crm.contacts.history(contact.id)[0].changes[0].field == flag
    assert [c.id for c in crm.contacts.search(filters=f"{flag}=yes", include_hidden=True)] == [
        contact.id
    ]
    assert cli("edit", str(contact.id), "--set", f"{flag}=nie").exit_code == 0
    assert getattr(crm.contacts[contact.id], flag) is False
    wrong = cli("edit", str(contact.id), "--set", f"{flag}=perhaps")
    assert wrong.exit_code == 1 and flag in wrong.stderr
    assert getattr(crm.contacts[contact.id], flag) is False


def test_a_hidden_contact_is_left_out_of_search_and_lookup(crm: CRM, cli: Invoke) -> None:
    contact = crm.contacts.add(first_name="Ewa", phones=["601234567"])
    cli("edit", str(contact.id), "--set", "hidden=yes")
    assert list(crm.contacts.select().ids()) == []
    missed = cli("lookup", "601234567")
    assert missed.exit_code == 1 and "1 hidden contact does" in missed.stderr
    assert cli("lookup", "601234567", "--include-hidden").exit_code == 0

"""Fixing reference data: tags renamed, deleted and merged; users renamed and deactivated;
options and fields renamed and deleted, with each affected contact's history."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

import crmkit
from crmkit import CRM, CrmError, NotFound
from crmkit.store.sqlite import reference_fixes

Invoke = Callable[..., Result]
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def last_change(crm: CRM, contact_id: int) -> tuple[str, str | None, str, list[list[Any]]]:
    """The newest history entry of a contact: action, user, source and changes."""
    entry = crm.contacts.history(contact_id)[0]
    changes = [[c.field, c.old, c.new] for c in entry.changes]
    return entry.action, entry.user, entry.source, changes


@pytest.fixture()
def acting(db_path: Path) -> CRM:
    """The base of `ref_crm`, opened as Jan Kowalski."""
    handle = crmkit.open(db_path, user="Jan Kowalski")
    yield handle  # type: ignore[misc]
    handle.close()


@pytest.fixture()
def people(ref_crm: CRM) -> dict[str, int]:
    """Three persons with tags, users and industries."""
    add = ref_crm.contacts.add
    ewa = add(
        first_name="Ewa",
        tags=["VIP", "Lead"],
        guardians=["Piotr Maj"],
        custom={"industry": ["IT", "Handel"]},
    )
    jan = add(first_name="Jan", tags=["Lead"], observers=["Piotr Maj"], custom={"industry": "IT"})
    ola = add(first_name="Ola", tags=["Klient"])
    return {"ewa": ewa.id, "jan": jan.id, "ola": ola.id}


# -- tags ---------------------------------------------------------------------------------


def test_tag_rename_changes_every_holder_and_its_history(
    ref_crm: CRM, people: dict[str, int], acting: CRM
) -> None:
    before = ref_crm.contacts[people["ewa"]].updated_at
    fix = acting.tags.rename(" lead ", "Prospect")
    assert (fix.old, fix.new, fix.contacts) == ("Lead", "Prospect", 2)
    assert acting.contacts[people["ewa"]].tags == ["Prospect", "VIP"]
    assert acting.contacts[people["jan"]].tags == ["Prospect"]
    assert last_change(acting, people["ewa"]) == (
        "tag rename",
        "Jan Kowalski",
        "api",
        [["tags", ["Lead", "VIP"], ["Prospect", "VIP"]]],
    )
    assert acting.contacts.history(people["ola"])[0].action == "add"
    assert acting.contacts[people["ewa"]].updated_at >= before
    assert [tag.name for tag in acting.tags] == ["Klient", "Newsletter", "Prospect", "VIP"]


def test_tag_rename_may_change_only_the_case(ref_crm: CRM, people: dict[str, int]) -> None:
    assert ref_crm.tags.rename("vip", "Vip").new == "Vip"
    assert ref_crm.contacts[people["ewa"]].tags == ["Lead", "Vip"]


def test_tag_rename_refuses_a_name_taken_and_an_unknown_tag(
    ref_crm: CRM, people: dict[str, int]
) -> None:
    with pytest.raises(CrmError, match="tag 'VIP' already exists.*crm tag merge Lead VIP"):
        ref_crm.tags.rename("Lead", "vip")
    with pytest.raises(NotFound, match="no tag named 'Gold'"):
        ref_crm.tags.rename("Gold", "Platinum")
    with pytest.raises(CrmError, match="cannot contain"):
        ref_crm.tags.rename("Lead", "A | B")
    assert ref_crm.contacts[people["ewa"]].tags == ["Lead", "VIP"]
    assert ref_crm.contacts.history(people["ewa"])[0].action == "add"


def test_tag_delete_takes_it_off_contacts(ref_crm: CRM, people: dict[str, int]) -> None:
    fix = ref_crm.tags.delete("LEAD")
    assert (fix.old, fix.new, fix.contacts) == ("Lead", None, 2)
    assert ref_crm.contacts[people["jan"]].tags == []
    assert last_change(ref_crm, people["ewa"])[::3] == (
        "tag delete",
        [["tags", ["Lead", "VIP"], ["VIP"]]],
    )
    assert "Lead" not in [tag.name for tag in ref_crm.tags]
    with pytest.raises(NotFound):
        ref_crm.tags.delete("Lead")


def test_tag_merge_moves_contacts_and_deletes_the_merged_tag(
    ref_crm: CRM, people: dict[str, int]
) -> None:
    ref_crm.contacts.edit(people["jan"], tags=["Lead", "VIP"])
    fix = ref_crm.tags.merge("Lead", "VIP")
    assert (fix.old, fix.new, fix.contacts) == ("Lead", "VIP", 2)
    assert ref_crm.contacts[people["ewa"]].tags == ["VIP"]
    assert ref_crm.contacts[people["jan"]].tags == ["VIP"]
    assert last_change(ref_crm, people["jan"])[::3] == (
        "tag merge",
        [["tags", ["Lead", "VIP"], ["VIP"]]],
    )
    assert [tag.name for tag in ref_crm.tags] == ["Klient", "Newsletter", "VIP"]
    with pytest.raises(CrmError, match="into itself"):
        ref_crm.tags.merge("vip", "VIP")
    with pytest.raises(NotFound):
        ref_crm.tags.merge("Lead", "VIP")


def test_fixes_work_a_chunk_at_a_time(ref_crm: CRM, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = [ref_crm.contacts.add(first_name=f"P{n}", tags=["Lead"]).id for n in range(5)]
    monkeypatch.setattr(reference_fixes, "_CHUNK", 2)
    assert ref_crm.tags.rename("Lead", "Prospect").contacts == 5
    assert ref_crm.tags.merge("Prospect", "VIP").contacts == 5
    for contact_id in ids:
        assert ref_crm.contacts[contact_id].tags == ["VIP"]
        actions = [entry.action for entry in ref_crm.contacts.history(contact_id)]
        assert actions == ["tag merge", "tag rename", "add"]


def test_tag_commands(cli: Invoke, ref_crm: CRM, people: dict[str, int]) -> None:
    done = cli("tag", "rename", "Lead", "Prospect")
    assert done.exit_code == 0, done.stderr
    assert done.stdout == "Tag 'Lead' renamed to 'Prospect' (2 contacts).\n"
    clash = cli("tag", "rename", "Prospect", "VIP")
    assert clash.exit_code == 1
    assert "already exists" in clash.stderr and "crm tag merge Prospect VIP" in clash.stderr
    assert cli("tag", "merge", "Prospect", "Klient").stdout == (
        "Tag 'Prospect' merged into 'Klient' (2 contacts).\n"
    )
    assert cli("tag", "delete", "klient").stdout == "Tag 'Klient' deleted; 3 contacts lost it.\n"
    missing = cli("tag", "delete", "Klient")
    assert missing.exit_code == 1 and "no tag named 'Klient'" in missing.stderr
    history = json.loads(cli("history", str(people["ola"]), "--format", "json").stdout)
    assert [(h["action"], h["source"]) for h in history[:1]] == [("tag delete", "cli")]
    assert history[0]["changes"] == [{"field": "tags", "old": ["Klient"], "new": None}]


# -- users --------------------------------------------------------------------------------


def test_user_rename_follows_everywhere(ref_crm: CRM, people: dict[str, int]) -> None:
    event = ref_crm.events.add(people["ewa"], kind="call", at="2024-05-05 10:00", agent="Piotr Maj")
    with crmkit.open(ref_crm.path, user="piotr maj") as piotr:
        piotr.notes.add(people["ewa"], "Oddzwonić")
    fix = ref_crm.users.rename("PIOTR MAJ", "Piotr Majewski")
    assert (fix.old, fix.new, fix.contacts) == ("Piotr Maj", "Piotr Majewski", 2)
    assert ref_crm.contacts[people["ewa"]].guardians == ["Piotr Majewski"]
    assert ref_crm.contacts[people["jan"]].observers == ["Piotr Majewski"]
    items = {item.type: item for item in ref_crm.timeline(people["ewa"])}
    assert items["event"].agent == "Piotr Majewski" and items["event"].id == event.id
    assert items["note"].author == "Piotr Majewski"
    assert last_change(ref_crm, people["jan"])[::3] == (
        "user rename",
        [["observers", ["Piotr Maj"], ["Piotr Majewski"]]],
    )
    with pytest.raises(CrmError, match="user 'Jan Kowalski' already exists"):
        ref_crm.users.rename("Piotr Majewski", "jan kowalski")
    with pytest.raises(NotFound, match="no user named 'Piotr Maj'"):
        ref_crm.users.rename("Piotr Maj", "Piotr M.")


def test_a_deactivated_user_stays_but_is_not_assigned(
    ref_crm: CRM, people: dict[str, int], tmp_path: Path
) -> None:
    user = ref_crm.users.deactivate("piotr maj")
    assert (user.full_name, user.active) == ("Piotr Maj", False)
    assert {u.full_name: u.active for u in ref_crm.users} == {
        "Jan Kowalski": True,
        "Piotr Maj": False,
    }
    assert ref_crm.contacts[people["ewa"]].guardians == ["Piotr Maj"]
    with pytest.raises(CrmError, match="user 'Piotr Maj' is deactivated"):
        ref_crm.contacts.edit(people["jan"], guardians=["Piotr Maj"])
    with pytest.raises(CrmError, match="user 'Piotr Maj' is deactivated"):
        ref_crm.contacts.add(first_name="Nowy", observers=["Piotr Maj"])
    with pytest.raises(CrmError, match="user 'Piotr Maj' is deactivated"):
        ref_crm.events.add(people["ewa"], kind="call", at="2024-05-05", agent="Piotr Maj")
    with (
        crmkit.open(ref_crm.path, user="Piotr Maj") as piotr,
        pytest.raises(CrmError, match="deactivated"),
    ):
        piotr.notes.add(people["ewa"], "Jeszcze jedno")
    with pytest.raises(CrmError, match="already deactivated"):
        ref_crm.users.deactivate("Piotr Maj")
    assert ref_crm.users.activate("Piotr Maj").active
    ref_crm.contacts.edit(people["jan"], guardians=["Piotr Maj"])
    assert ref_crm.contacts[people["jan"]].guardians == ["Piotr Maj"]


def test_imports_warn_about_a_deactivated_user(ref_crm: CRM, tmp_path: Path) -> None:
    ref_crm.users.deactivate("Piotr Maj")
    contacts = tmp_path / "in.csv"
    contacts.write_text("first_name,guardians\nAnna,Piotr Maj | Jan Kowalski\n", "utf-8")
    for create_missing in (False, True):
        report = ref_crm.imports.run(contacts, dry_run=True, create_missing=create_missing)
        assert [p.reason for p in report.problems] == ["user 'Piotr Maj' is deactivated; left out"]
    strict = ref_crm.imports.run(contacts, dry_run=True, strict=True)
    assert strict.rejected == 1 and "is deactivated" in strict.problems[0].reason
    anna = ref_crm.imports.run(contacts)
    assert anna.created == 1
    assert [c.guardians for c in ref_crm.contacts] == [["Jan Kowalski"]]
    events = tmp_path / "calls.csv"
    events.write_text("contact.id,occurred_at,agent\n1,2024-05-05 10:00,Piotr Maj\n", "utf-8")
    mapping = tmp_path / "calls.yaml"
    mapping.write_text(
        "target: events\ncolumns:\n  contact.id: contact.id\n  occurred_at: occurred_at\n"
        "  agent: agent\n",
        "utf-8",
    )
    report = ref_crm.imports.run(events, mapping=mapping)
    assert report.created == 1
    assert report.problems[0].reason == (
        "the user is deactivated; the event is stored without an agent"
    )


def test_user_commands(cli: Invoke, ref_crm: CRM, people: dict[str, int]) -> None:
    renamed = cli("user", "rename", "Piotr Maj", "Piotr Majewski")
    assert renamed.stdout == (
        "User 'Piotr Maj' renamed to 'Piotr Majewski' (guardian or observer of 2 contacts).\n"
    )
    assert cli("user", "deactivate", "piotr majewski").stdout == (
        "User 'Piotr Majewski' deactivated.\n"
    )
    listed = cli("user", "list", "--format", "csv", "--columns", "full_name,active").stdout
    assert listed.replace("\r\n", "\n") == (
        "full_name,active\nJan Kowalski,yes\nPiotr Majewski,no\n"
    )
    refused = cli("edit", str(people["ola"]), "--set", "guardians=Piotr Majewski")
    assert refused.exit_code == 1 and "user 'Piotr Majewski' is deactivated" in refused.stderr
    agent = cli(
        "event", "add", str(people["ola"]), "--kind", "call", "--at", "2024-05-05",
        "--agent", "Piotr Majewski",
    )  # fmt: skip
    assert agent.exit_code == 1 and "is deactivated" in agent.stderr
    again = cli("user", "deactivate", "Piotr Majewski")
    assert again.exit_code == 1 and "already deactivated" in again.stderr
    assert cli("user", "activate", "Piotr Majewski").exit_code == 0
    assert cli("edit", str(people["ola"]), "--set", "guardians=Piotr Majewski").exit_code == 0
    missing = cli("user", "rename", "Nikt", "Ktoś")
    assert missing.exit_code == 1 and "no user named 'Nikt'" in missing.stderr


# -- custom fields ------------------------------------------------------------------------


@pytest.fixture()
def sized(ref_crm: CRM, people: dict[str, int]) -> dict[str, int]:
    """A select field `size` with S and M, held by Ewa (S) and Jan (M)."""
    ref_crm.fields.add("size", type="select", options=["S", "M"])
    ref_crm.contacts.edit(people["ewa"], custom={"size": "S"})
    ref_crm.contacts.edit(people["jan"], custom={"size": "m"})
    return people


def test_option_add(ref_crm: CRM) -> None:
    field = ref_crm.fields.add_options("industry", " Budownictwo ", "Usługi")
    assert field.options == ["IT", "Handel", "Produkcja", "Budownictwo", "Usługi"]
    assert ref_crm.fields["industry"].options == field.options
    with pytest.raises(CrmError, match="'IT' is already an option of 'industry'"):
        ref_crm.fields.add_options("industry", "Logistyka", "it")
    assert "Logistyka" not in ref_crm.fields["industry"].options
    with pytest.raises(CrmError, match="only select and multiselect"):
        ref_crm.fields.add_options("consent", "maybe")
    with pytest.raises(NotFound, match="no custom field 'colour'"):
        ref_crm.fields.add_options("colour", "red")


def test_option_rename_rewrites_values(ref_crm: CRM, sized: dict[str, int]) -> None:
    fix = ref_crm.fields.rename_option("industry", "it", "Informatyka")
    assert (fix.old, fix.new, fix.contacts) == ("IT", "Informatyka", 2)
    assert ref_crm.fields["industry"].options == ["Informatyka", "Handel", "Produkcja"]
    assert ref_crm.contacts[sized["ewa"]].custom["industry"] == ["Informatyka", "Handel"]
    assert ref_crm.contacts[sized["jan"]].custom["industry"] == ["Informatyka"]
    assert last_change(ref_crm, sized["ewa"])[::3] == (
        "field option rename",
        [["custom.industry", ["IT", "Handel"], ["Informatyka", "Handel"]]],
    )
    assert ref_crm.fields.rename_option("size", "M", "Medium").contacts == 1
    assert ref_crm.contacts[sized["jan"]].custom["size"] == "Medium"
    assert ref_crm.contacts[sized["ewa"]].custom["size"] == "S"
    with pytest.raises(CrmError, match="'Handel' is already an option"):
        ref_crm.fields.rename_option("industry", "Informatyka", "handel")
    with pytest.raises(NotFound, match="'XL' is not an option of 'size'"):
        ref_crm.fields.rename_option("size", "XL", "XXL")


def test_option_delete_removes_values(ref_crm: CRM, sized: dict[str, int]) -> None:
    fix = ref_crm.fields.delete_option("industry", "IT")
    assert (fix.old, fix.new, fix.contacts) == ("IT", None, 2)
    assert ref_crm.contacts[sized["ewa"]].custom["industry"] == ["Handel"]
    assert "industry" not in ref_crm.contacts[sized["jan"]].custom
    assert last_change(ref_crm, sized["jan"])[::3] == (
        "field option delete",
        [["custom.industry", ["IT"], None]],
    )
    assert ref_crm.fields.delete_option("size", "S").contacts == 1
    assert "size" not in ref_crm.contacts[sized["ewa"]].custom
    with pytest.raises(CrmError, match="the only option of 'size'"):
        ref_crm.fields.delete_option("size", "M")
    assert ref_crm.contacts[sized["jan"]].custom["size"] == "M"


def test_field_rename_and_delete(ref_crm: CRM, sized: dict[str, int]) -> None:
    assert ref_crm.fields.rename("size", label="Wielkość").label == "Wielkość"
    assert ref_crm.fields["size"].label == "Wielkość"
    with pytest.raises(CrmError, match="2 contacts hold a value of 'size'.*--yes"):
        ref_crm.fields.delete("size")
    assert ref_crm.contacts[sized["ewa"]].custom["size"] == "S"
    fix = ref_crm.fields.delete("size", force=True)
    assert (fix.old, fix.contacts) == ("size", 2)
    assert "size" not in ref_crm.contacts[sized["ewa"]].custom
    assert last_change(ref_crm, sized["jan"])[::3] == (
        "field delete",
        [["custom.size", "M", None]],
    )
    with pytest.raises(NotFound):
        ref_crm.fields["size"]
    assert ref_crm.fields.delete("consent").contacts == 0


def test_field_commands(cli: Invoke, ref_crm: CRM, sized: dict[str, int]) -> None:
    added = cli("field", "option", "add", "size", "L", "XL")
    assert added.stdout == "Field 'size' options: S, M, L, XL.\n"
    assert cli("field", "option", "add", "size", "l").exit_code == 1
    assert cli("field", "option", "rename", "size", "s", "Small").stdout == (
        "Option 'S' renamed to 'Small' (1 contact).\n"
    )
    assert cli("field", "option", "delete", "size", "XL").stdout == (
        "Option 'XL' deleted; 0 contacts lost it.\n"
    )
    unknown = cli("field", "option", "delete", "size", "XXL")
    assert unknown.exit_code == 1 and "'XXL' is not an option of 'size'" in unknown.stderr
    relabelled = cli("field", "rename", "size", "--label", "Wielkość")
    assert relabelled.stdout == "Field 'size' is now labelled 'Wielkość'.\n"
    refused = cli("field", "delete", "size")
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: 2 contacts hold a value of 'size'; repeat with --yes to delete the field"
        " and those values\n"
    )
    assert ref_crm.contacts[sized["jan"]].custom["size"] == "M"
    deleted = cli("field", "delete", "size", "--yes")
    assert deleted.stdout == "Field 'size' deleted; 2 contacts lost its value.\n"
    history = json.loads(cli("history", str(sized["ewa"]), "-f", "json").stdout)
    assert history[0]["action"] == "field delete" and history[0]["source"] == "cli"
    assert history[0]["changes"] == [{"field": "custom.size", "old": "Small", "new": None}]
    assert cli("field", "delete", "size", "--yes").exit_code == 1


# -- the README's walkthrough ---------------------------------------------------------------


def test_the_readme_warning_about_an_option_is_fixed_by_a_command(cli: Invoke) -> None:
    """examples/setup.sh, then the import the README shows warns that 'Budownictwo' is not
    an option of 'industry'; `crm field option add` fixes it, and importing again does not
    warn any more and stores the value."""
    setup = (EXAMPLES / "setup.sh").read_text("utf-8").replace("\\\n", " ")
    commands = [line for line in setup.splitlines() if line.startswith("crm ")]
    for command in commands:
        args = shlex.split(command)[3:]  # after `crm --db "$DB"`
        assert cli(*args).exit_code == 0, command

    def run_import() -> dict[str, Any]:
        csv, mapping = str(EXAMPLES / "kontakty.csv"), str(EXAMPLES / "map.yaml")
        done = cli("import", csv, "--mapping", mapping, "--format", "json")
        assert done.exit_code == 3, done.stderr
        return json.loads(done.stdout)  # type: ignore[no-any-return]

    warned = [w["value"] for w in run_import()["warning_details"]]
    assert "Budownictwo" in warned
    assert cli("field", "option", "add", "industry", "Budownictwo").exit_code == 0
    again = run_import()
    assert "Budownictwo" not in [w["value"] for w in again["warning_details"]]
    found = cli("search", "--filter", "custom.industry=Budownictwo", "-c", "name", "-f", "csv")
    assert found.stdout.replace("\r\n", "\n") == "name\nIlona Baran\n"

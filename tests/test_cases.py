"""Cases: open, close, list; events and notes joining them; a case's own timeline."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from typer.testing import Result

from crmkit import CRM, CrmError, NotFound

CLI = Callable[..., Result]


@pytest.fixture()
def firm(ref_crm: CRM) -> dict[str, int]:
    """An organization, Ala (a member since 2024), Ola (a member in 2023 only), Ewa (none)."""
    ids = {
        "org": ref_crm.contacts.add(kind="organization", name="Firma Sp. z o.o.").id,
        "ala": ref_crm.contacts.add(kind="person", first_name="Ala", last_name="Kot").id,
        "ola": ref_crm.contacts.add(kind="person", first_name="Ola", last_name="Kot").id,
        "ewa": ref_crm.contacts.add(kind="person", first_name="Ewa", last_name="Bąk").id,
    }
    ref_crm.contacts.link(ids["ala"], ids["org"], since="2024-01-01")
    ref_crm.contacts.link(ids["ola"], ids["org"], since="2023-01-01", until="2024-01-01")
    return ids


def test_a_case_gathers_its_events_and_notes(ref_crm: CRM, firm: dict[str, int]) -> None:
    case = ref_crm.cases.open(firm["org"], "  Reklamacja   2024/05 ", guardian="piotr maj")
    assert (case.title, case.status, case.guardian) == ("Reklamacja 2024/05", "open", "Piotr Maj")
    own = ref_crm.events.add(firm["org"], kind="call", at="2024-05-07 10:00", case=case.id)
    member = ref_crm.events.add(
        firm["ala"], kind="ticket", at="2024-05-06 10:00", subject="Zgłoszenie", case=case.id
    )
    earlier = ref_crm.events.add(firm["ola"], kind="call", at="2023-06-01 10:00", case=case.id)
    note = ref_crm.notes.add(firm["ala"], "Zdjęcia przysłane", case=case.id)
    other = ref_crm.events.add(firm["org"], kind="call", at="2024-05-08 10:00")
    items = ref_crm.timeline(firm["org"], case=case.id)
    assert [(item.type, item.id) for item in items] == [
        ("note", note.id),
        ("event", own.id),
        ("event", member.id),
        ("event", earlier.id),
    ]
    assert other.id in [item.id for item in ref_crm.timeline(firm["org"])]
    assert [item.id for item in ref_crm.timeline(firm["ala"], case=case.id)] == [note.id, member.id]
    assert [item.id for item in ref_crm.timeline(firm["org"], case=case.id, kinds=["call"])] == [
        own.id,
        earlier.id,
    ]
    listed = ref_crm.cases[case.id]
    assert (listed.events, listed.notes) == (3, 1)
    with pytest.raises(NotFound, match="no case with id 99"):
        ref_crm.timeline(firm["org"], case=99)


def test_only_the_timeline_of_the_case_contact_may_join(ref_crm: CRM, firm: dict[str, int]) -> None:
    case = ref_crm.cases.open(firm["org"], "Reklamacja")
    for contact, at in ((firm["ewa"], "2024-05-06"), (firm["ala"], "2023-05-06"),
                        (firm["ola"], "2024-05-06")):  # fmt: skip
        with pytest.raises(CrmError, match="whose timeline does not hold"):
            ref_crm.events.add(contact, kind="call", at=at, case=case.id)
        assert [item.kind for item in ref_crm.timeline(contact)] == []
    with pytest.raises(CrmError, match="whose timeline does not hold"):
        ref_crm.notes.add(firm["ewa"], "Nie ta sprawa", case=case.id)
    assert ref_crm.timeline(firm["ewa"]) == []
    with pytest.raises(NotFound, match="no case with id 42"):
        ref_crm.events.add(firm["org"], kind="call", case=42)
    ref_crm.cases.close(case.id)
    with pytest.raises(CrmError, match="case .* is closed"):
        ref_crm.notes.add(firm["org"], "Za późno", case=case.id)
    with pytest.raises(CrmError, match="closed already"):
        ref_crm.cases.close(case.id)


def test_listing_the_record_the_card_and_the_history(ref_crm: CRM, firm: dict[str, int]) -> None:
    first = ref_crm.cases.open(firm["org"], "Reklamacja")
    second = ref_crm.cases.open(firm["org"], "Umowa serwisowa", guardian="Jan Kowalski")
    mine = ref_crm.cases.open(firm["ala"], "Zwrot")
    ref_crm.cases.close(first.id)
    assert [c.id for c in ref_crm.cases.list(firm["org"])] == [second.id, first.id]
    assert [c.id for c in ref_crm.cases.list(firm["org"], open_only=True)] == [second.id]
    assert [c.id for c in ref_crm.cases.list()] == [mine.id, second.id, first.id]
    record = ref_crm.contacts[firm["org"]].to_record()
    assert [(c["id"], c["status"], c["guardian"]) for c in record["cases"]] == [
        (first.id, "closed", None),
        (second.id, "open", "Jan Kowalski"),
    ]
    assert ref_crm.contacts[firm["ewa"]].to_record()["cases"] == []
    text = ref_crm.card_text(firm["org"], width=120)
    assert "Cases" in text and "Umowa serwisowa" in text and "closed" in text
    assert "<h2>Cases</h2>" in ref_crm.card_html(firm["org"])
    assert [entry.action for entry in ref_crm.contacts.history(firm["org"])][:3] == [
        "case close",
        "case open",
        "case open",
    ]
    with pytest.raises(NotFound, match="no user named 'Nikt'"):
        ref_crm.cases.open(firm["org"], "X", guardian="Nikt")
    with pytest.raises(CrmError, match="needs a title"):
        ref_crm.cases.open(firm["org"], "  ")


def test_a_merge_brings_the_cases_and_group_records_along(ref_crm: CRM) -> None:
    keep = ref_crm.contacts.add(kind="person", first_name="Ewa", external_id="A").id
    other = ref_crm.contacts.add(kind="person", first_name="Ewa", external_id="B").id
    case = ref_crm.cases.open(other, "Reklamacja")
    ref_crm.groups.add("orders", fields=["amount:number"])
    ref_crm.records.add(other, "orders", {"amount": 5})
    merge = ref_crm.contacts.merge(keep, other)
    assert ref_crm.cases[case.id].contact_id == keep
    assert [r.contact_id for r in ref_crm.records.list(keep)] == [keep]
    ref_crm.merges.undo(merge.id or 0)
    assert ref_crm.cases[case.id].contact_id == other
    assert ref_crm.records.list(keep) == []


def test_cases_from_the_command_line(cli: CLI, ref_crm: CRM, firm: dict[str, int]) -> None:
    opened = cli("case", "open", str(firm["org"]), "Reklamacja 2024/05", "--guardian", "Piotr Maj")
    assert opened.exit_code == 0
    assert opened.stdout == "Case 1 opened for Firma Sp. z o.o.: Reklamacja 2024/05.\n"
    logged = cli("event", "add", str(firm["ala"]), "--kind", "ticket", "--at", "2024-05-06 10:00",
                 "--case", "1")  # fmt: skip
    assert logged.exit_code == 0, logged.output
    assert cli("note", "add", str(firm["org"]), "Przyjęta", "--case", "1").exit_code == 0
    wrong = cli("note", "add", str(firm["ewa"]), "Nie ta", "--case", "1")
    assert wrong.exit_code == 1 and "does not hold" in wrong.stderr
    timeline = json.loads(cli("timeline", str(firm["org"]), "--case", "1", "-f", "json").stdout)
    assert [(item["type"], item["contact_id"]) for item in timeline] == [
        ("note", firm["org"]),
        ("event", firm["ala"]),
    ]
    listed = json.loads(cli("case", "list", str(firm["org"]), "--open", "-f", "json").stdout)
    assert [(c["id"], c["guardian"], c["events"], c["notes"]) for c in listed] == [
        (1, "Piotr Maj", 1, 1)
    ]
    assert cli("case", "close", "1").stdout == "Case 1 (Reklamacja 2024/05) closed.\n"
    assert cli("case", "list", "--open").stderr == "No cases.\n"
    assert cli("case", "close", "1").exit_code == 1

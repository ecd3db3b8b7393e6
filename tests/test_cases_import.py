"""Events imported into cases: the `case` target of an events mapping."""

from __future__ import annotations

from crmkit import CRM
from tests.conftest import DATA

TICKETS = DATA / "cases" / "tickets.csv"
MAPPING = DATA / "cases" / "tickets_map.yaml"


def test_an_events_file_puts_each_event_in_the_case_its_row_names(ref_crm: CRM) -> None:
    crm = ref_crm
    org = crm.contacts.add(kind="organization", name="Firma Sp. z o.o.", external_id="K-ORG").id
    ala = crm.contacts.add(kind="person", first_name="Ala", external_id="K-ALA").id
    ewa = crm.contacts.add(kind="person", first_name="Ewa", external_id="K-EWA").id
    crm.contacts.link(ala, org, since="2024-01-01")
    case = crm.cases.open(org, "Reklamacja")
    closed = crm.cases.open(org, "Stara sprawa")
    crm.cases.close(closed.id)
    report = crm.imports.run(TICKETS, mapping=MAPPING)
    assert (report.created, report.rejected) == (3, 4)
    assert [(p.row, p.column, p.value, p.reason) for p in report.errors] == [
        (5, "Sprawa", "1", f"case {case.id} is a case of contact {org}, not of contact {ewa}"),
        (6, "Sprawa", "7", "no case with id 7"),
        (7, "Sprawa", "2", f"case {closed.id} is closed"),
        (8, "Sprawa", "dwa", "not a case id (a whole number)"),
    ]
    # The organization's case gathers its own event and its member's.
    in_case = crm.timeline(org, case=case.id)
    assert [item.subject for item in in_case] == [
        "Telefon firmy",
        "Zgłoszenie przez członka firmy",
    ]
    assert crm.cases[case.id].events == 2
    assert [item.subject for item in crm.timeline(ewa)] == ["Bez sprawy"]
    crm.imports.undo(report.import_id or 0)
    assert crm.cases[case.id].events == 0

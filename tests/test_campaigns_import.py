"""Campaigns meet imports and merges: `campaign:` in a mapping, undo, and a merge's moves."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from crmkit import CRM, CrmError
from tests.conftest import DATA

NAME = "Jesień 2025"
CALLERS = DATA / "campaigns" / "callers.csv"
MAPPING = DATA / "campaigns" / "callers_map.yaml"


def places(crm: CRM) -> dict[str, str]:
    """{external id: status} of the contacts in the campaign."""
    return {
        crm.contacts[row.id].external_id or "": row.status for row in crm.campaigns.contacts(NAME)
    }


def actions(crm: CRM, contact_id: int) -> list[tuple[str, str]]:
    return [(entry.source, entry.action) for entry in crm.contacts.history(contact_id)]


def test_an_import_enrolls_its_contacts_with_the_status_of_each_row(ref_crm: CRM) -> None:
    ref_crm.campaigns.add(NAME)
    report = ref_crm.imports.run(CALLERS, mapping=MAPPING)
    assert (report.created, report.rejected, report.campaign, report.enrolled) == (
        3,
        1,
        NAME,
        3,
    )
    [problem] = report.errors
    assert (problem.row, problem.column, problem.value) == (4, "Wynik", "Może jutro")
    assert problem.reason.startswith(f"not a status of campaign {NAME!r}: Nowy, Dzwonić")
    # Statuses are matched in any case; an empty cell gives the campaign's first status.
    assert places(ref_crm) == {"K-1": "Dzwonić", "K-2": "Nowy", "K-4": "Umówiony"}
    anna = ref_crm.contacts.search("Anna")[0]
    assert actions(ref_crm, anna.id) == [
        (f"import {report.import_id}", "campaign enroll"),
        (f"import {report.import_id}", "add"),
    ]
    summary = report.to_record()
    assert (summary["campaign"], summary["enrolled"], summary["statuses_set"]) == (NAME, 3, 0)


def test_a_reimport_enrolls_nobody_twice_and_sets_only_new_statuses(
    ref_crm: CRM, tmp_path: Path
) -> None:
    ref_crm.campaigns.add(NAME)
    ref_crm.imports.run(CALLERS, mapping=MAPPING)
    jan = ref_crm.contacts.search("Jan")[0]
    ref_crm.campaigns.set(NAME, jan.id, status="Oddzwonić", callback="2030-01-01 10:00")
    again = ref_crm.imports.run(CALLERS, mapping=MAPPING)
    assert (again.enrolled, again.statuses_set) == (0, 0)
    assert len(list(ref_crm.campaigns.contacts(NAME))) == 3
    # Jan's empty cell leaves the status an agent gave him.
    assert places(ref_crm)["K-2"] == "Oddzwonić"
    changed = tmp_path / "changed.csv"
    changed.write_text(
        CALLERS.read_text(encoding="utf-8").replace("601 234 568,", "601 234 568,Sprzedaż"),
        encoding="utf-8",
    )
    third = ref_crm.imports.run(changed, mapping=MAPPING)
    assert (third.enrolled, third.statuses_set) == (0, 1)
    [row] = [row for row in ref_crm.campaigns.contacts(NAME) if row.id == jan.id]
    # A new status clears the call-back, as `crm campaign set` does.
    assert (row.status, row.callback) == ("Sprzedaż", None)
    latest = ref_crm.contacts.history(jan.id)[0]
    assert (latest.source, latest.action) == (f"import {third.import_id}", "campaign set")
    assert [(c.field, c.old, c.new) for c in latest.changes] == [
        (f"campaign.{NAME}.status", "Oddzwonić", "Sprzedaż"),
        (f"campaign.{NAME}.callback", "2030-01-01T10:00:00Z", None),
    ]
    undone = ref_crm.imports.undo(third.import_id or 0)
    assert undone.restored == [jan.id]
    [row] = [row for row in ref_crm.campaigns.contacts(NAME) if row.id == jan.id]
    assert (row.status, row.callback) == ("Oddzwonić", "2030-01-01T10:00:00Z")


def test_undoing_the_import_takes_its_enrollments_back(ref_crm: CRM) -> None:
    ref_crm.campaigns.add(NAME)
    olga = ref_crm.contacts.add(kind="person", first_name="Olga", external_id="K-4").id
    ref_crm.campaigns.enroll(NAME, ids=[olga])
    report = ref_crm.imports.run(CALLERS, mapping=MAPPING)
    assert (report.enrolled, report.statuses_set) == (2, 1)
    undone = ref_crm.imports.undo(report.import_id or 0)
    # The contacts it created go, with their places; Olga, enrolled before the import,
    # gets back the status it changed.
    assert (len(undone.removed), undone.enrollments, undone.restored) == (2, 2, [olga])
    assert places(ref_crm) == {"K-4": "Nowy"}
    assert actions(ref_crm, olga)[0] == ("undo", f"undo import {report.import_id}")


def test_an_enrollment_of_a_matched_contact_is_taken_out_on_undo(ref_crm: CRM) -> None:
    ref_crm.campaigns.add(NAME)
    anna = ref_crm.contacts.add(kind="person", first_name="Anna", external_id="K-1").id
    report = ref_crm.imports.run(CALLERS, mapping=MAPPING)
    assert places(ref_crm)["K-1"] == "Dzwonić"
    undone = ref_crm.imports.undo(report.import_id or 0)
    # Anna stays, out of the campaign; the two it created go, with their places.
    assert (undone.enrollments, len(undone.removed)) == (3, 2) and anna not in undone.removed
    assert places(ref_crm) == {}
    assert "Removed 3 campaign enrollments." in undone.summary
    assert [c.new for c in ref_crm.contacts.history(anna)[0].changes] == [None]


def test_a_mapping_naming_no_campaign_or_a_missing_one_is_refused(
    ref_crm: CRM, tmp_path: Path
) -> None:
    with pytest.raises(CrmError, match=f"campaign: no campaign named '{NAME}'"):
        ref_crm.imports.run(CALLERS, mapping=MAPPING)
    without = tmp_path / "map.yaml"
    without.write_text(
        MAPPING.read_text(encoding="utf-8").replace(f"campaign: {NAME}\n", ""), encoding="utf-8"
    )
    ref_crm.campaigns.add(NAME)
    with pytest.raises(CrmError, match="column 'Wynik': target 'campaign.status' needs the"):
        ref_crm.imports.run(CALLERS, mapping=without)
    assert ref_crm.contacts.search("") == [] and ref_crm.imports.list() == []
    events = tmp_path / "events.yaml"
    events.write_text(
        f"target: events\ncampaign: {NAME}\ncolumns:\n  ID: contact.external_id\n",
        encoding="utf-8",
    )
    with pytest.raises(CrmError, match="campaign is a setting of target contacts, not events"):
        ref_crm.imports.run(CALLERS, mapping=events)


def test_a_dry_run_or_a_rolled_back_import_enrolls_nobody(ref_crm: CRM) -> None:
    ref_crm.campaigns.add(NAME)
    dry = ref_crm.imports.run(CALLERS, mapping=MAPPING, dry_run=True)
    assert dry.enrolled == 3
    whole = ref_crm.imports.run(CALLERS, mapping=MAPPING, all_or_nothing=True)
    assert whole.enrolled == 0 and whole.rejected == 1
    assert places(ref_crm) == {}


def test_enrolling_from_the_command_line(cli: Callable[..., Result], ref_crm: CRM) -> None:
    ref_crm.campaigns.add(NAME)
    result = cli("import", str(CALLERS), "--mapping", str(MAPPING))
    assert result.exit_code == 3
    assert f"  campaign '{NAME}': enrolled 3, status changed 0\n" in result.stdout
    listed = cli("campaign", "list", NAME, "--format", "json")
    assert [row["status"] for row in json.loads(listed.stdout)] == ["Dzwonić", "Nowy", "Umówiony"]


def test_a_merge_moves_enrollments_records_and_cases_and_undo_puts_them_back(
    ref_crm: CRM,
) -> None:
    crm = ref_crm
    crm.campaigns.add(NAME)
    crm.campaigns.add("Wiosna")
    crm.groups.add("orders", fields=["product:text"])
    keep = crm.contacts.add(kind="person", first_name="Ewa", external_id="A").id
    other = crm.contacts.add(kind="person", first_name="Ewa", external_id="B").id
    crm.campaigns.enroll(NAME, ids=[keep, other])
    crm.campaigns.set(NAME, other, status="Umówiony", note="Jej wpis")
    crm.campaigns.enroll("Wiosna", ids=[other])
    crm.campaigns.set("Wiosna", other, status="Oddzwonić", callback="2030-02-01 09:00")
    record = crm.records.add(other, "orders", {"product": "Laptop"})
    case = crm.cases.open(other, "Reklamacja")
    merge = crm.contacts.merge(keep, other)
    assert merge.moved["campaign_contacts.contact_id"] == 1
    # KEEP keeps its own place in the campaign both were in, and takes the other's place
    # in the campaign only the other was in.
    assert [(r.id, r.status) for r in crm.campaigns.contacts(NAME)] == [(keep, "Nowy")]
    [spring] = crm.campaigns.contacts("Wiosna")
    assert (spring.id, spring.status) == (keep, "Oddzwonić")
    assert spring.callback == "2030-02-01T09:00:00Z"
    assert crm.records[record.id].contact_id == keep
    assert crm.cases[case.id].contact_id == keep
    crm.merges.undo(merge.id or 0)
    assert {(r.id, r.status, r.note) for r in crm.campaigns.contacts(NAME)} == {
        (keep, "Nowy", None),
        (other, "Umówiony", "Jej wpis"),
    }
    [spring] = crm.campaigns.contacts("Wiosna")
    assert (spring.id, spring.status, spring.callback) == (
        other,
        "Oddzwonić",
        "2030-02-01T09:00:00Z",
    )
    assert crm.records[record.id].contact_id == other
    assert crm.cases[case.id].contact_id == other
    assert crm.contacts[other].to_record()["campaigns"][0]["name"] == NAME


def test_statuses_an_import_gives_or_changes_are_campaign_events_undone_with_it(
    ref_crm: CRM, tmp_path: Path
) -> None:
    ref_crm.campaigns.add(NAME)
    first = ref_crm.imports.run(CALLERS, mapping=MAPPING)
    anna = ref_crm.contacts.search("Anna")[0]
    jan = ref_crm.contacts.search("Jan")[0]

    def campaign_events(contact_id: int) -> list[tuple[str | None, str | None]]:
        return [
            (item.subject, item.channel)
            for item in ref_crm.timeline(contact_id, kinds=["campaign"])
        ]

    # A status from the file is an event; an empty cell (the first status) is none.
    assert campaign_events(anna.id) == [("Dzwonić", NAME)]
    assert campaign_events(jan.id) == []
    changed = tmp_path / "changed.csv"
    changed.write_text(
        CALLERS.read_text(encoding="utf-8").replace("601 234 568,", "601 234 568,Sprzedaż"),
        encoding="utf-8",
    )
    third = ref_crm.imports.run(changed, mapping=MAPPING)
    assert campaign_events(jan.id) == [("Nowy → Sprzedaż", NAME)]
    ref_crm.imports.undo(third.import_id)
    assert campaign_events(jan.id) == []
    ref_crm.imports.undo(first.import_id)
    assert list(ref_crm.campaigns.contacts(NAME)) == []

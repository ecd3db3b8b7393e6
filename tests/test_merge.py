"""`crm merge`, `crm merges` and `crm undo merge`: one contact of duplicates, and back exactly."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from crmkit import CRM, CrmError, NotFound
from crmkit.errors import MergedContact


def export(crm: CRM) -> str:
    out = io.StringIO()
    crm.export(out, format="jsonl")
    return out.getvalue()


def timelines(crm: CRM, *ids: int) -> list[list[dict]]:
    return [[item.to_record() for item in crm.timeline(contact_id)] for contact_id in ids]


@pytest.fixture()
def twins(ref_crm: CRM) -> tuple[CRM, int, int, int]:
    """Anna twice (from two sources), with events, notes and a company each."""
    crm = ref_crm
    firm = crm.contacts.add("organization", name="Firma Sp. z o.o.").id
    keep = crm.contacts.add(
        "person",
        first_name="Anna",
        last_name="Nowak",
        phones=["601 234 567"],
        emails=["anna@example.pl"],
        tags=["VIP"],
        custom={"industry": ["IT"]},
        external_id="CRM-1",
    ).id
    other = crm.contacts.add(
        "person",
        first_name="Anna",
        last_name="Nowak",
        phones=["+48 22 113 14 15"],
        emails=["ANNA@example.pl", "a.nowak@firma.pl"],
        tags=["Lead"],
        stage="klient",
        address={"city": "Gliwice"},
        custom={"industry": ["Handel"], "consent": True},
        external_id="OLD-7",
    ).id
    crm.contacts.link(other, firm, since="2024-01-01")
    crm.events.add(keep, kind="call", at="2024-05-05 11:15")
    crm.events.add(other, kind="email", at="2024-05-06 09:00", subject="Oferta")
    crm.notes.add(other, "Oddzwonić")
    return crm, keep, other, firm


def test_merge_unites_values_and_moves_rows(twins: tuple[CRM, int, int, int]) -> None:
    crm, keep, other, firm = twins
    merge = crm.contacts.merge(keep, other)
    anna = crm.contacts[keep]
    assert merge.contact == anna and merge.id == 1
    assert [p.number for p in anna.phones] == ["+48601234567", "+48221131415"]
    assert [e.address for e in anna.emails] == ["anna@example.pl", "a.nowak@firma.pl"]
    assert anna.tags == ["Lead", "VIP"]
    assert anna.stage == "klient" and anna.address.city == "Gliwice"
    assert anna.custom == {"industry": ["IT", "Handel"], "consent": True}
    assert anna.external_id == "CRM-1"
    assert [m.id for m in anna.organizations] == [firm]
    assert [item.type for item in crm.timeline(keep)] == ["note", "event", "event"]
    assert [c.id for c in crm.contacts.lookup("22 113 14 15")] == [keep]


def test_a_merged_contact_says_where_it_went(twins: tuple[CRM, int, int, int]) -> None:
    crm, keep, other, _ = twins
    crm.contacts.merge(keep, other)
    with pytest.raises(MergedContact, match=f"merged into {keep}") as raised:
        crm.contacts[other]
    assert raised.value.into == keep and isinstance(raised.value, NotFound)
    assert crm.contacts.merged_into(other) == keep


def test_take_picks_a_field_from_one_contact(twins: tuple[CRM, int, int, int]) -> None:
    crm, keep, other, _ = twins
    crm.contacts.edit(keep, stage="lead")
    crm.contacts.merge(keep, other, take={"stage": other})
    assert crm.contacts[keep].stage == "klient"


def test_take_of_a_contact_outside_the_merge_is_refused(twins: tuple[CRM, int, int, int]) -> None:
    crm, keep, other, firm = twins
    with pytest.raises(CrmError, match="not in this merge"):
        crm.contacts.merge(keep, other, take={"stage": firm})


def test_persons_and_organizations_do_not_merge(twins: tuple[CRM, int, int, int]) -> None:
    crm, keep, _, firm = twins
    before = export(crm)
    with pytest.raises(CrmError, match="persons and organizations do not merge"):
        crm.contacts.merge(keep, firm)
    assert export(crm) == before


def test_dry_run_shows_the_result_and_changes_nothing(twins: tuple[CRM, int, int, int]) -> None:
    crm, keep, other, _ = twins
    before = export(crm)
    merge = crm.contacts.merge(keep, other, dry_run=True)
    assert merge.id is None and merge.contact is not None
    assert merge.contact.tags == ["Lead", "VIP"]
    assert merge.moved["events.contact_id"] == 1
    assert export(crm) == before and crm.merges.list() == []


def test_a_reimport_by_external_id_updates_keep(
    twins: tuple[CRM, int, int, int], tmp_path: Path
) -> None:
    crm, keep, other, _ = twins
    crm.contacts.merge(keep, other)
    report = crm.imports.run(_csv(tmp_path, "external_id,segment\nOLD-7,B2B\n"))
    assert (report.created, report.updated) == (0, 1)
    assert crm.contacts[keep].segment == "B2B"
    assert crm.contacts[keep].external_id == "CRM-1"


def test_undo_merge_gives_back_export_and_timelines(twins: tuple[CRM, int, int, int]) -> None:
    crm, keep, other, firm = twins
    before, lines = export(crm), timelines(crm, keep, other, firm)
    merge = crm.contacts.merge(keep, other)
    report = crm.merges.undo(merge.id or 0)
    assert report.restored == [other]
    assert export(crm) == before
    assert timelines(crm, keep, other, firm) == lines
    assert [m.status for m in crm.merges.list()] == ["undone"]
    assert crm.contacts.merged_into(other) is None
    assert [c.id for c in crm.contacts.lookup("22 113 14 15")] == [other]


def test_undo_merge_refuses_when_keep_changed(twins: tuple[CRM, int, int, int]) -> None:
    crm, keep, other, _ = twins
    merge = crm.contacts.merge(keep, other)
    crm.contacts.edit(keep, segment="B2B")
    with pytest.raises(CrmError, match=f"contact {keep} changed after it"):
        crm.merges.undo(merge.id or 0)
    report = crm.merges.undo(merge.id or 0, force=True)
    assert crm.contacts[other].tags == ["Lead"]
    assert crm.contacts[keep].segment == "B2B"
    assert report.skipped_fields == []


def test_chained_merges_undo_in_reverse(ref_crm: CRM) -> None:
    crm = ref_crm
    a, b, c = (crm.contacts.add("person", first_name=name).id for name in ("A", "B", "C"))
    before = export(crm)
    first = crm.contacts.merge(b, c).id or 0
    second = crm.contacts.merge(a, b).id or 0
    assert crm.contacts.merged_into(c) == a
    with pytest.raises(CrmError, match="undo that merge first"):
        crm.merges.undo(first)
    crm.merges.undo(second)
    crm.merges.undo(first)
    assert export(crm) == before


def test_history_of_a_merge(twins: tuple[CRM, int, int, int]) -> None:
    crm, keep, other, _ = twins
    merge = crm.contacts.merge(keep, other)
    latest = crm.contacts.history(keep)[0]
    assert (latest.source, latest.action) == (f"merge {merge.id}", "merge")
    assert {"field": "tags", "old": ["VIP"], "new": ["Lead", "VIP"]} in [
        change.to_record() for change in latest.changes
    ]
    gone = crm.contacts.history(other)[0]
    assert gone.action == f"merged into {keep}"


def test_cli_merge_show_merges_and_undo(cli: Callable[..., Result]) -> None:
    cli("add", "person", "--set", "first_name=Anna", "--set", "phone.mobile=601234567")
    cli("add", "person", "--set", "first_name=Anna", "--set", "phone.work=221131415")
    before = cli("export", "--format", "jsonl").output
    merged = cli("merge", "1", "2")
    assert merged.exit_code == 0, merged.output
    assert merged.output.startswith("Merge 1: 2 into 1")
    shown = cli("show", "2")
    assert shown.exit_code == 0 and "merged into 1" in shown.output
    assert json.loads(cli("show", "2", "--format", "json").output) == {"id": 2, "merged_into": 1}
    listed = json.loads(cli("merges", "--format", "json").output)
    assert [(m["id"], m["keep"], m["merged"], m["status"]) for m in listed] == [(1, 1, [2], "done")]
    assert cli("history", "1").output.count("merge 1") == 1
    undone = cli("undo", "merge", "1")
    assert undone.exit_code == 0 and "brought back contacts 2" in undone.output
    assert cli("export", "--format", "jsonl").output == before


def test_cli_merge_refusals(cli: Callable[..., Result]) -> None:
    cli("add", "person", "--set", "first_name=Anna")
    cli("add", "organization", "--set", "name=Firma")
    mixed = cli("merge", "1", "2")
    assert mixed.exit_code == 1 and "do not merge" in mixed.output
    missing = cli("merge", "1", "99")
    assert missing.exit_code == 1 and "no contact with id 99" in missing.output
    bad = cli("merge", "1", "2", "--take", "stage")
    assert bad.exit_code == 2
    assert cli("merges").output.strip() == "No merges yet."


def _csv(folder: Path, text: str) -> str:
    path = folder / "again.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)

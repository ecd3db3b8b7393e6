"""Notes on profiles and on events: author, nesting, and where a note may go."""

from __future__ import annotations

import pytest
from crm_calls import timeline_records
from timeline_builders import content_stored, event, organization, person

import crmkit
from crmkit import CRM, CrmError, NotFound
from crmkit.store.sqlite.notes import add_note, get_note


def test_profile_note_records_the_acting_user_as_spelled_in_users(ref_crm: CRM) -> None:
    anna = person(ref_crm, "Anna", "Nowak")
    with crmkit.open(ref_crm.path, user="  piotr MAJ ") as piotr:
        note = piotr.notes.add(anna, "  Woli kontakt mailowy.  ").to_record()
    assert note["body"] == "Woli kontakt mailowy."
    assert note["author"] == "Piotr Maj"
    assert note["event_id"] is None and note["contact_id"] == anna
    assert note["created_at"].endswith("Z")


def test_an_author_must_be_a_user(crm: CRM) -> None:
    anna = person(crm, "Anna", "Nowak")
    with pytest.raises(NotFound, match="no user named 'Konsultant 7' to write the note as"):
        add_note(crm.store, anna, "x", author="Konsultant  7")
    assert add_note(crm.store, anna, "y", author=None)["author"] is None
    crm.users.add("Konsultant 7")
    assert add_note(crm.store, anna, "z", author="konsultant  7")["author"] == "Konsultant 7"
    assert [item.body for item in crm.timeline(anna)] == ["z", "y"]


def test_note_on_an_event_is_nested_under_it(ref_crm: CRM) -> None:
    anna = person(ref_crm, "Anna", "Nowak")
    call = event(ref_crm, anna, "2024-03-05 14:30")
    with crmkit.open(ref_crm.path, user="Jan Kowalski") as jan:
        first = jan.notes.add(anna, "Oddzwonić jutro", event_id=call).to_record()
        second = jan.notes.add(anna, "Oddzwoniono", event_id=call).to_record()
        profile = jan.notes.add(anna, "Profil").to_record()
    items = timeline_records(ref_crm, anna)
    assert [item["type"] for item in items] == ["note", "event"]
    assert items[0]["id"] == profile["id"]
    nested = items[1]["notes"]
    assert [n["id"] for n in nested] == [first["id"], second["id"]]
    assert nested[0] == {
        "id": first["id"],
        "body": "Oddzwonić jutro",
        "author": "Jan Kowalski",
        "created_at": first["created_at"],
    }


def test_note_on_a_members_event_through_the_organization(crm: CRM) -> None:
    acme = organization(crm, "Acme")
    anna = person(crm, "Anna", "Nowak")
    crm.contacts.link(anna, acme, since="2024-01-01", until="2024-06-01")
    during = event(crm, anna, "2024-03-05 14:30")
    before = event(crm, anna, "2023-03-05 14:30")
    note = crm.notes.add(acme, "Ustalenia z prezesem", event_id=during).to_record()
    assert note["contact_id"] == anna  # it belongs to the event's contact
    assert get_note(crm.store, note["id"])["event_id"] == during
    with pytest.raises(CrmError, match=f"event {before} is not on the timeline of contact {acme}"):
        crm.notes.add(acme, "za wcześnie", event_id=before)


def test_note_on_someone_elses_event_is_refused(crm: CRM) -> None:
    anna = person(crm, "Anna", "Nowak")
    jan = person(crm, "Jan", "Nowak")
    call = event(crm, anna, "2024-03-05 14:30")
    with pytest.raises(CrmError, match="not on the timeline"):
        crm.notes.add(jan, "cudza", event_id=call)
    assert crm.store.one("SELECT count(*) FROM notes") == 0


def test_bad_notes_are_refused(crm: CRM) -> None:
    anna = person(crm, "Anna", "Nowak")
    with pytest.raises(CrmError, match="cannot be empty"):
        crm.notes.add(anna, "   ")
    with pytest.raises(NotFound, match="no contact with id 42"):
        crm.notes.add(42, "x")
    with pytest.raises(NotFound, match="no event with id 7"):
        crm.notes.add(anna, "x", event_id=7)
    with pytest.raises(NotFound, match="no note with id 3"):
        crm.notes.delete(3)


def test_delete_note_removes_it_and_its_files(crm: CRM) -> None:
    anna = person(crm, "Anna", "Nowak")
    note = crm.notes.add(anna, "Skan umowy w załączniku").to_record()
    attached = crm.files.add(
        anna, data=b"%PDF-1.4 umowa", name="umowa.pdf", note_id=note["id"]
    ).to_record()
    kept = crm.files.add(anna, data=b"other", name="inne.txt").to_record()
    assert content_stored(crm, attached["sha256"])
    deleted = crm.notes.delete(note["id"]).to_record()
    assert deleted["body"] == "Skan umowy w załączniku"
    assert [f.id for f in crm.files.list(anna)] == [kept["id"]]
    assert not content_stored(crm, attached["sha256"])
    assert crm.timeline(anna) == []

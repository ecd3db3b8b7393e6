"""The Python API: the same operations as the CLI, usable from a script."""

from __future__ import annotations

import pytest

import crmkit
from crmkit import CRM
from crmkit.errors import CrmError, InvalidValue, NotFound
from crmkit.store.sqlite.search_index import indexed_ids


def test_open_crm_uses_crm_db_env(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_DB", str(tmp_path / "env.db"))
    with crmkit.open() as crm:
        crm.tags.add("VIP")
    assert (tmp_path / "env.db").exists()


def test_add_get_edit_delete(ref_crm: CRM) -> None:
    contact = ref_crm.contacts.add(
        "person",
        {
            "first_name": "Anna",
            "last_name": "Nowak",
            "tags": "VIP",
            "email.work": "anna@firma.pl",
            "custom.consent": "tak",
        },
    )
    assert isinstance(contact, crmkit.Contact)
    assert (
        contact.name == "Anna Nowak"
        and contact.tags == ["VIP"]
        and contact.custom == {"consent": True}
    )
    edited = ref_crm.contacts.edit(contact.id, [("email.work", ""), ("position", "CEO")])
    assert edited.emails == [] and edited.position == "CEO"
    ref_crm.contacts.delete(contact.id)
    with pytest.raises(NotFound):
        ref_crm.contacts[contact.id]


def test_record_drops_fields_of_the_other_kind(ref_crm: CRM) -> None:
    org = ref_crm.contacts.add(
        "organization", {"name": "ACME", "nip": "1234563218", "krs": "0000123456"}
    )
    record = org.to_record()
    assert record["nip"] == "1234563218" and record["krs"] == "0000123456"
    assert "pesel" not in record and "first_name" not in record and record["members"] == []
    person = ref_crm.contacts.add(
        "person", {"first_name": "Jan", "pesel": "44051401359"}
    ).to_record()
    assert person["pesel"] == "44051401359" and "nip" not in person and "organizations" in person


def test_external_id_is_unique(ref_crm: CRM) -> None:
    ref_crm.contacts.add("person", {"first_name": "A", "external_id": "X-1"})
    with pytest.raises(CrmError, match="already used by contact 1"):
        ref_crm.contacts.add("person", {"first_name": "B", "external_id": "X-1"})
    other = ref_crm.contacts.add("person", {"first_name": "C"})
    with pytest.raises(CrmError, match="already used"):
        ref_crm.contacts.edit(other.id, {"external_id": "X-1"})


def test_kind_cannot_change_and_link_checks_kinds(ref_crm: CRM) -> None:
    person = ref_crm.contacts.add("person", {"first_name": "A"})
    org = ref_crm.contacts.add("organization", {"name": "B"})
    with pytest.raises(CrmError, match="cannot change"):
        ref_crm.contacts.edit(person.id, {"kind": "organization"})
    with pytest.raises(CrmError, match="only a person can be linked"):
        ref_crm.contacts.link(org.id, person.id)
    with pytest.raises(CrmError, match="later than --since"):
        ref_crm.contacts.link(person.id, org.id, since="2024-05-01", until="2024-01-01")
    ref_crm.contacts.link(person.id, org.id, since="01.02.2024")
    assert ref_crm.contacts[org.id].members[0].since == "2024-02-01T00:00:00Z"


def test_required_field_cannot_be_emptied(crm: CRM) -> None:
    crm.fields.add("contract", type="text", required=True)
    with pytest.raises(CrmError, match="required field 'contract' is empty"):
        crm.contacts.add("person", {"first_name": "A"})
    contact = crm.contacts.add("person", {"first_name": "A", "custom.contract": "K-1"})
    with pytest.raises(CrmError, match="cannot be emptied"):
        crm.contacts.edit(contact.id, {"custom.contract": ""})


def test_changes_are_recorded_with_the_acting_user(ref_crm: CRM) -> None:
    with crmkit.open(ref_crm.path, user="Jan Kowalski") as jan:
        contact = jan.contacts.add("person", {"first_name": "A"})
        jan.contacts.edit(contact.id, {"stage": "lead"})
    entries = ref_crm.contacts.history(contact.id)
    assert [(e.action, e.user, e.source) for e in entries] == [
        ("edit", "Jan Kowalski", "api"),
        ("add", "Jan Kowalski", "api"),
    ]
    assert [c.to_record() for c in entries[0].changes] == [
        {"field": "stage", "old": None, "new": "lead"}
    ]


def test_renaming_an_organization_reindexes_its_members(ref_crm: CRM) -> None:
    org = ref_crm.contacts.add("organization", {"name": "Stara Nazwa"})
    person = ref_crm.contacts.add("person", {"first_name": "Jan", "organization": "Stara Nazwa"})
    assert ref_crm.contacts[person.id].organizations[0].id == org.id
    ref_crm.contacts.edit(org.id, {"name": "Zupełnie Nowa"})
    assert indexed_ids(ref_crm.store, "zupelnie") == [org.id, person.id]


def test_deleting_a_contact_removes_its_stored_files(ref_crm: CRM, tmp_path) -> None:
    contact = ref_crm.contacts.add("person", {"first_name": "A"})
    other = ref_crm.contacts.add("person", {"first_name": "B"})
    source = tmp_path / "umowa.txt"
    source.write_bytes(b"only A has this")
    shared = tmp_path / "wspolny.txt"
    shared.write_bytes(b"both have this")
    ref_crm.files.add(contact.id, source)
    ref_crm.files.add(contact.id, shared)
    ref_crm.files.add(other.id, shared)
    assert _stored_contents(ref_crm) == 2
    ref_crm.contacts.delete(contact.id)
    assert _stored_contents(ref_crm) == 1


def _stored_contents(crm: CRM) -> int:
    """How many contents are stored: files in `crm.files/` beside a SQLite file, or rows."""
    if getattr(crm.store, "dialect", "sqlite") == "postgresql":
        return int(crm.store.one("SELECT count(*) FROM file_contents"))
    blobs = crm.store.path.parent / "crm.files"
    return len([p for p in blobs.rglob("*") if p.is_file()])


def test_a_value_error_names_the_field_and_its_value(ref_crm: CRM) -> None:
    with pytest.raises(InvalidValue) as bad_phone:
        ref_crm.contacts.add("person", {"first_name": "Jan", "phone.mobile": "123"})
    assert str(bad_phone.value) == "phone.mobile = '123': not a valid phone number"
    assert (bad_phone.value.field, bad_phone.value.value) == ("phone.mobile", "123")
    ref_crm.contacts.add("organization", {"name": "ACME"})
    with pytest.raises(InvalidValue) as no_value:
        ref_crm.contacts.add("organization", {"name": "B", "organization": "ACME"})
    assert str(no_value.value) == "organization: an organization cannot belong to another"
    assert (no_value.value.field, no_value.value.value) == ("organization", None)

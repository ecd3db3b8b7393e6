"""The write path: ids, child rows, updates that change only what is given, organizations."""

from __future__ import annotations

from crmkit import CRM
from crmkit.store.sqlite.search_index import indexed_ids
from crmkit.store.sqlite.writer import ContactWriter
from crmkit.targets import ContactDraft


def write(crm: CRM, *drafts: tuple[ContactDraft, str]) -> list[int]:
    with crm.store.transaction():
        writer = ContactWriter(crm.store, now="2025-01-01T00:00:00Z", batch_size=2)
        ids = []
        for draft, kind in drafts:
            ids.append(writer.create(draft, kind))
            writer.maybe_flush()
        writer.flush()
    return ids


def test_batches_assign_consecutive_ids_and_children(crm: CRM) -> None:
    drafts = [
        (
            ContactDraft(
                scalars={"first_name": f"P{i}"}, phones=[(f"+4860123456{i}", "mobile", None)]
            ),
            "person",
        )
        for i in range(5)
    ]
    assert write(crm, *drafts) == [1, 2, 3, 4, 5]
    assert crm.store.one("SELECT count(*) FROM phones") == 5
    assert crm.contacts[5].phones[0].number == "+48601234564"
    assert crm.contacts[5].created_at == "2025-01-01T00:00:00Z"


def test_organizations_are_reused_by_name_and_nip(crm: CRM) -> None:
    org = ContactDraft(scalars={"name": "ACME Sp. z o.o.", "nip": "1234563218"})
    by_name = ContactDraft(
        scalars={"first_name": "A"}, organizations=[("acme sp. z o.o.", None, None)]
    )
    by_nip = ContactDraft(
        scalars={"first_name": "B"}, organizations=[("123-456-32-18", None, None)]
    )
    new = ContactDraft(scalars={"first_name": "C"}, organizations=[("Inna Firma", None, None)])
    write(crm, (org, "organization"), (by_name, "person"), (by_nip, "person"), (new, "person"))
    members = crm.contacts[1].to_record()["members"]
    assert [m["name"] for m in members] == ["A", "B"]
    assert crm.contacts[5].kind == "organization" and crm.contacts[5].name == "Inna Firma"


def test_update_changes_only_given_parts(crm: CRM) -> None:
    first = ContactDraft(
        scalars={"first_name": "Anna", "last_name": "Nowak", "city": "Gliwice"},
        phones=[("+48601234567", "mobile", None), ("+48221131415", "work", None)],
        emails=[("a@b.pl", "work")],
        custom={"industry": ["IT"], "consent": True},
    )
    write(crm, (first, "person"))
    change = ContactDraft(
        scalars={"last_name": "Kowalska"},
        phones=[("+48601000000", "mobile", None)],
        phone_types={"mobile"},
        custom={"consent": None},
    )
    with crm.store.transaction():
        writer = ContactWriter(crm.store, now="2025-02-02T00:00:00Z")
        writer.update(1, change)
        writer.flush()
    record = crm.contacts[1].to_record()
    assert record["name"] == "Anna Kowalska" and record["address"]["city"] == "Gliwice"
    assert [(p["number"], p["type"]) for p in record["phones"]] == [
        ("+48221131415", "work"),
        ("+48601000000", "mobile"),
    ]
    assert record["emails"] == [{"address": "a@b.pl", "label": "work"}]
    assert record["custom"] == {"industry": ["IT"]}
    assert record["updated_at"] == "2025-02-02T00:00:00Z"
    assert record["created_at"] == "2025-01-01T00:00:00Z"


def test_find_by_match_keys_sees_unflushed_rows(crm: CRM) -> None:
    with crm.store.transaction():
        writer = ContactWriter(crm.store, now="2025-01-01T00:00:00Z")
        writer.create(
            ContactDraft(scalars={"first_name": "A"}, emails=[("A@B.pl", None)]), "person"
        )
        probe = ContactDraft(emails=[("a@b.PL", None)])
        assert writer.find(probe, ["email"]) == [1]
        writer.flush()
        assert writer.find(probe, ["phone", "email"]) == [1]
        assert writer.find(ContactDraft(scalars={"external_id": "zz"}), ["external_id"]) == []


def test_search_index_follows_writes(crm: CRM) -> None:
    write(crm, (ContactDraft(scalars={"first_name": "Żaneta", "city": "Łódź"}), "person"))
    assert indexed_ids(crm.store, "lodz") == [1]
    assert indexed_ids(crm.store, "zaneta") == [1]


def person_in(*organizations: str) -> ContactDraft:
    return ContactDraft(
        scalars={"first_name": "P"}, organizations=[(name, None, None) for name in organizations]
    )


def test_updates_link_organizations_once_and_replacing_unlinks_the_rest(crm: CRM) -> None:
    write(crm, (person_in("Alfa"), "person"), (person_in("Alfa", "Beta"), "person"))
    with crm.store.transaction():
        writer = ContactWriter(crm.store, now="2025-02-02T00:00:00Z")
        writer.update(1, person_in("alfa", "Gamma"))
        writer.update(3, person_in("Gamma"), replace_links=True)
        writer.flush()
    names = {
        contact_id: crm.contacts[contact_id].to_record()["organizations"] for contact_id in (1, 3)
    }
    assert [org["name"] for org in names[1]] == ["Alfa", "Gamma"]
    assert [org["name"] for org in names[3]] == ["Gamma"]
    # Ids: persons 1 and 3, Alfa 2, Beta 4, Gamma 5 (found by its own name too).
    assert indexed_ids(crm.store, "beta") == [4]
    assert indexed_ids(crm.store, "gamma") == [1, 3, 5]


def test_a_batch_of_updates_reads_the_stored_memberships_once(crm: CRM) -> None:
    write(crm, *[(person_in("Alfa"), "person") for _ in range(4)])
    statements: list[str] = []
    with crm.store.transaction():
        writer = ContactWriter(crm.store, now="2025-02-02T00:00:00Z")
        crm.store.conn.set_trace_callback(statements.append)
        for contact_id in (1, 3, 4, 5):
            writer.update(contact_id, person_in("Alfa", "Beta"), kind="person")
        writer.flush()
        crm.store.conn.set_trace_callback(None)
    reads = [sql for sql in statements if "FROM memberships WHERE person_id" in sql]
    assert len(reads) == 1
    assert crm.store.one("SELECT count(*) FROM memberships") == 8

"""JSON records (CONTRACT section 6): shape, sorting, memberships, chunked reading."""

from __future__ import annotations

from record_keys import ORGANIZATION_KEYS, PERSON_KEYS

from crmkit import CRM
from crmkit.store.sqlite.records import get_record, iter_records


def test_person_and_organization_records_have_the_contract_keys(ref_crm: CRM) -> None:
    org = ref_crm.contacts.add("organization", {"name": "ACME"})
    person = ref_crm.contacts.add(
        "person",
        {
            "first_name": "Anna",
            "tags": "VIP | Lead | Klient",
            "guardians": "Piotr Maj | Jan Kowalski",
            "organization": "ACME",
        },
    )
    person_record = get_record(ref_crm.store, person.id)
    org_record = get_record(ref_crm.store, org.id)
    assert person_record is not None and org_record is not None
    assert list(person_record) == PERSON_KEYS
    assert list(org_record) == ORGANIZATION_KEYS
    assert person_record["tags"] == ["Klient", "Lead", "VIP"]
    assert person_record["guardians"] == ["Jan Kowalski", "Piotr Maj"]
    assert org_record["members"] == [
        {"id": person.id, "name": "Anna", "since": None, "until": None}
    ]


def test_phones_and_emails_keep_input_order(ref_crm: CRM) -> None:
    contact = ref_crm.contacts.add(
        "person",
        [
            ("first_name", "A"),
            ("phone.work", "22 113 14 15"),
            ("phone.mobile", "601 234 567 | 501 000 111"),
            ("email.work", "z@firma.pl"),
            ("email.home", "a@dom.pl"),
        ],
    )
    record = ref_crm.contacts[contact.id].to_record()
    assert [p["number"] for p in record["phones"]] == [
        "+48221131415",
        "+48601234567",
        "+48501000111",
    ]
    assert [e["address"] for e in record["emails"]] == ["z@firma.pl", "a@dom.pl"]


def test_iter_records_streams_in_the_given_order_across_chunks(ref_crm: CRM) -> None:
    ids = [ref_crm.contacts.add("person", {"first_name": f"P{i}"}).id for i in range(7)]
    wanted = [ids[5], ids[0], 999, ids[3], ids[6]]
    names = [r["name"] for r in iter_records(ref_crm.store, wanted, chunk=2)]
    assert names == ["P5", "P0", "P3", "P6"]

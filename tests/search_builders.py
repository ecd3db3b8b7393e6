"""A small, varied customer base shared by the search, filter, export and CLI tests."""

from __future__ import annotations

from crmkit import CRM

__all__ = ["build_base", "ids_by_name", "base_reference_data"]


def base_reference_data(crm: CRM, *, with_fixture_data: bool = False) -> CRM:
    """The custom fields the base uses beyond `ref_crm`'s (and, if asked, `ref_crm`'s too)."""
    if with_fixture_data:
        for tag in ("VIP", "Newsletter", "Lead", "Klient"):
            crm.tags.add(tag)
        for user in ("Jan Kowalski", "Piotr Maj"):
            crm.users.add(user)
        crm.fields.add(
            "industry", type="multiselect", label="Branża", options=["IT", "Handel", "Produkcja"]
        )
        crm.fields.add("consent", type="checkbox", label="Zgoda")
    crm.fields.add("budget", type="number")
    crm.fields.add("since", type="date")
    crm.fields.add("last_call", type="datetime")
    crm.fields.add("tier", type="select", options=["Gold", "Silver"])
    crm.fields.add("site", type="url")
    crm.fields.add("motto", type="text")
    return crm


def build_base(crm: CRM) -> dict[str, int]:
    """Fill a `ref_crm` database; return contact ids by short name.

    Besides the fixture's reference data it defines custom fields budget (number),
    since (date), last_call (datetime), tier (select), site (url) and motto (text).
    """
    base_reference_data(crm)
    ids: dict[str, int] = {}
    ids["zolc_org"] = crm.contacts.add(
        "organization",
        {"name": "Żółć Sp. z o.o.", "nip": "526-000-12-46", "address.city": "Łódź",
         "tags": "VIP", "custom.industry": "IT", "created_at": "2019-05-01 08:00"},
    ).id  # fmt: skip
    ids["anna"] = crm.contacts.add(
        "person",
        {"first_name": "Anna", "last_name": "Nowak", "phone.mobile": "+48 601 234 567",
         "email.work": "anna.nowak@example.pl", "address.city": "Gliwice",
         "tags": "VIP | Newsletter", "guardians": "Jan Kowalski",
         "organization": "Żółć Sp. z o.o.", "custom.industry": "IT | Handel",
         "custom.budget": "1500", "custom.consent": "tak", "custom.since": "05.03.2024",
         "custom.last_call": "2024-03-05 14:30", "custom.tier": "gold",
         "created_at": "2020-01-01 10:00", "position": "CEO"},
    ).id  # fmt: skip
    ids["jan"] = crm.contacts.add(
        "person",
        {"first_name": "Jan", "last_name": "Nowakowski", "phone.landline": "22 113 14 15",
         "address.city": "Łódź", "tags": "Lead", "observers": "Piotr Maj",
         "custom.budget": "99,5", "custom.consent": "nie", "custom.tier": "Silver",
         "custom.since": "2023-12-31", "created_at": "2021-06-15 12:00"},
    ).id  # fmt: skip
    ids["lukasz"] = crm.contacts.add(
        "person",
        {"first_name": "Łukasz", "last_name": "Żółć", "email": "lukasz@zolc.pl",
         "address.city": "Kraków", "hidden": "yes", "created_at": "2022-02-02 09:00"},
    ).id  # fmt: skip
    ids["ewa"] = crm.contacts.add(
        "person",
        {"first_name": "Ewa", "last_name": "Kowalska", "address.city": "gliwice",
         "tags": "Klient", "guardians": "Jan Kowalski | Piotr Maj", "custom.budget": "-5",
         "note": "=SUM(A1:A9)", "position": "-", "custom.motto": "@home",
         "custom.site": "www.kowalska.pl", "phone.work": "+48 32 230 00 00",
         "created_at": "2023-03-05 23:30"},
    ).id  # fmt: skip
    ids["firma"] = crm.contacts.add(
        "organization",
        {"name": "Firma Berlin GmbH", "phone.main": "+49 30 1234567", "address.country": "Niemcy",
         "created_at": "2018-01-01 00:00"},
    ).id  # fmt: skip
    return ids


def ids_by_name(crm: CRM, ids: list[int]) -> list[str]:
    return [crm.contacts[contact_id].name for contact_id in ids]

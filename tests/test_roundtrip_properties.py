"""Properties: any customer base added through the library comes back whole from an export.

Hypothesis builds small bases from valid canonical values (names with Polish
letters and naughty characters, real Polish phone numbers, e-mails, PESEL, NIP
and REGON with their checksums, tags, users and every type of custom field,
memberships, flags, notes that look like formulas), adds them with
`crm.contacts.add` and `link`, exports them, imports the file into a fresh base
and compares. Ids, times and memberships included: a fresh base numbers the
contacts in the order of the file, which is the order they were added in.

* JSON and JSON Lines go into an empty base with `create_missing`: the records
  are equal.
* CSV goes into a base with the same reference data: the records are equal but
  for what a CSV file cannot hold (a phone's label, a membership's period, and
  the order of phones and e-mails across their columns); into an empty base
  with `create_missing`, the second export is the first.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from stdnum.pl import nip, pesel, regon

import crmkit
from crmkit import CRM
from crmkit.model import PHONE_TYPES
from crmkit.values.multivalues import split_multi
from crmkit.values.names import name_key

TAGS = ["VIP", "Newsletter", "Klient", "Lead", "Zażółć gęślą"]
USERS = ["Jan Kowalski", "Anna Zając", "Piotr Maj"]
TIERS = ["Gold", "Silver", "Brąz"]
INDUSTRIES = ["IT", "Handel", "Produkcja", "Usługi"]
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def define_reference_data(crm: CRM) -> CRM:
    crm.tags.add(*TAGS)
    for user in USERS:
        crm.users.add(user)
    crm.fields.add("motto", type="text")
    crm.fields.add("budget", type="number")
    crm.fields.add("since", type="date")
    crm.fields.add("last_call", type="datetime")
    crm.fields.add("website", type="url")
    crm.fields.add("consent", type="checkbox")
    crm.fields.add("tier", type="select", options=TIERS)
    crm.fields.add("industry", type="multiselect", options=INDUSTRIES)
    return crm


# -- values ---------------------------------------------------------------------------------

POLISH = "aąbcćdeęfghijklłmnńoóprsśtuwyzźżAĄBCĆDEĘFGHIJKLŁMNŃOÓPRSŚTUWYZŹŻ"
NAUGHTY = [
    "'", '"', ",", ";", "|", " | ", "\t", "=", "+", "-", "@", "ß", "\u202e", "\u200b",
    "\u200d", "\ufeff", "👩\u200d💻", "🇵🇱", "田中", "مرحبا", "Z̤͔ͧ", "<script>", "');--",
    "${x}", "\\", "%s", "\u00a0",
]  # fmt: skip
letters = st.sampled_from(list(POLISH))
words = st.lists(letters, min_size=1, max_size=8).map("".join)
names = (
    st.lists(st.one_of(letters, letters, st.sampled_from(NAUGHTY)), min_size=1, max_size=10)
    .map("".join)
    .map(str.strip)
    .filter(bool)
)
# Persons name their organizations by name in one cell, so a name holds a letter (a NIP
# is digits) and no " | " (which separates the names).
organization_names = names.filter(
    lambda name: any(c.isalpha() for c in name) and split_multi(name) == [name]
)
notes = (
    st.lists(
        st.one_of(words, st.sampled_from([*NAUGHTY, "\n", "\r\n", " ", "=SUM(A1:A9)", "+48 601"])),
        min_size=1,
        max_size=12,
    )
    .map(lambda parts: "".join(parts).strip())
    .filter(bool)
)
optional_text = st.none() | names

# Real prefixes: mobile networks and the landline areas of Warsaw, Kraków, Katowice,
# Łódź, Gdańsk, Poznań, Wrocław, Lublin and Szczecin.
PREFIXES = ["50", "51", "53", "57", "60", "66", "69", "72", "73", "78", "79", "88"]
PREFIXES += ["22", "12", "32", "42", "58", "61", "71", "81", "91"]


def valid_phone(number: str) -> bool:
    return phonenumbers.is_valid_number(phonenumbers.parse(number))


phone_numbers = st.builds(
    lambda prefix, rest: f"+48{prefix}{rest:07d}",
    st.sampled_from(PREFIXES),
    st.integers(0, 9_999_999),
).filter(valid_phone)
emails = st.builds(
    lambda local, domain: f"{local}@{domain}",
    st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,10}", fullmatch=True),
    st.sampled_from(["example.pl", "firma.com.pl", "poczta.onet.pl"]),
)
moments = st.datetimes(dt.datetime(1990, 1, 1), dt.datetime(2035, 1, 1)).map(
    lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%SZ")
)


@st.composite
def pesels(draw: st.DrawFn) -> str:
    born = draw(st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31)))
    month = born.month + (20 if born.year >= 2000 else 0)
    first = f"{born.year % 100:02d}{month:02d}{born.day:02d}{draw(st.integers(0, 9999)):04d}"
    number = first + pesel.calc_check_digit(first)
    assert pesel.is_valid(number)
    return number


def nip_check_digit(first: str) -> int:
    return sum(w * int(d) for w, d in zip((6, 5, 7, 2, 3, 4, 5, 6, 7), first, strict=True)) % 11


nips = (
    st.integers(100_000_000, 999_999_999)
    .map(str)
    .filter(lambda first: nip_check_digit(first) < 10)
    .map(lambda first: first + str(nip_check_digit(first)))
    .filter(nip.is_valid)
)
regons = (
    st.integers(0, 99_999_999)
    .map(lambda n: f"{n:08d}")
    .map(lambda first: first + regon.calc_check_digit(first))
)


def some(values: list[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(values), unique=True, max_size=3)


@st.composite
def phone_lists(draw: st.DrawFn, labels: bool) -> list[dict[str, Any]]:
    numbers = draw(st.lists(phone_numbers, max_size=3, unique=True))
    label = st.sampled_from([None, "prywatny", "biuro | 2"]) if labels else st.none()
    return [
        {"number": number, "type": draw(st.sampled_from(PHONE_TYPES)), "label": draw(label)}
        for number in numbers
    ]


@st.composite
def email_lists(draw: st.DrawFn) -> list[dict[str, Any]]:
    addresses = draw(st.lists(emails, max_size=3, unique=True))
    return [
        {"address": address, "label": draw(st.sampled_from([None, "work", "home", "dom"]))}
        for address in addresses
    ]


@st.composite
def custom_values(draw: st.DrawFn) -> dict[str, Any]:
    values = {
        "motto": draw(st.none() | notes),
        "budget": draw(
            st.none()
            | st.integers(-(10**9), 10**9)
            | st.decimals(-(10**6), 10**6, places=2).map(float)
        ),
        "since": draw(st.none() | st.dates(dt.date(1900, 1, 1)).map(dt.date.isoformat)),
        "last_call": draw(st.none() | moments),
        "website": draw(
            st.none()
            | st.builds(lambda host, path: f"https://{host}.pl/{path}", words.map(str.lower), words)
        ),
        "consent": draw(st.none() | st.booleans()),
        "tier": draw(st.none() | st.sampled_from(TIERS)),
        "industry": draw(
            st.none() | st.lists(st.sampled_from(INDUSTRIES), min_size=1, unique=True)
        ),
    }
    return {f"custom.{key}": value for key, value in values.items() if value is not None}


@st.composite
def contact(draw: st.DrawFn, kind: str, labels: bool) -> dict[str, Any]:
    values: dict[str, Any] = {
        "phones": draw(phone_lists(labels)),
        "emails": draw(email_lists()),
        "address.street": draw(optional_text),
        "address.city": draw(optional_text),
        "tags": draw(some(TAGS)),
        "guardians": draw(some(USERS)),
        "observers": draw(some(USERS)),
        "vip": draw(st.booleans()),
        "hidden": draw(st.booleans()),
        "note": draw(st.none() | notes),
        "stage": draw(optional_text),
        "external_id": draw(st.none() | words.map(lambda word: f"X-{word}")),
        **draw(custom_values()),
    }
    if kind == "person":
        values["first_name"] = draw(names)
        values["last_name"] = draw(optional_text)
        values["position"] = draw(optional_text)
        values["pesel"] = draw(st.none() | pesels())
    else:
        values["name"] = draw(organization_names)
        values["nip"] = draw(st.none() | nips)
        values["regon"] = draw(st.none() | regons)
    return {key: value for key, value in values.items() if value is not None}


@st.composite
def customer_bases(draw: st.DrawFn, labels: bool = True) -> dict[str, Any]:
    """Organizations, persons, and the persons' memberships (by index)."""
    # Persons link to organizations by name: those they link to have names of their own.
    organizations = draw(
        st.lists(
            contact("organization", labels),
            max_size=3,
            unique_by=lambda values: name_key(values["name"]),
        )
    )
    persons = draw(st.lists(contact("person", labels), min_size=1, max_size=4))
    seen: set[str] = set()
    for values in organizations + persons:
        # An external_id is unique in a base.
        if values.get("external_id") in seen:
            del values["external_id"]
        seen.add(values.get("external_id", ""))
    links = []
    if organizations:
        for person in range(len(persons)):
            for org in draw(st.sets(st.integers(0, len(organizations) - 1), max_size=2)):
                period = sorted(draw(st.lists(moments, max_size=2, unique=True))) if labels else []
                links.append((person, org, *period, *[None] * (2 - len(period))))
    return {"organizations": organizations, "persons": persons, "links": links}


# -- the round trip ----------------------------------------------------------------------


def build(base: dict[str, Any]) -> CRM:
    """The base, added through the library: organizations first, then persons."""
    crm = define_reference_data(crmkit.open(":memory:"))
    org_ids = [crm.contacts.add("organization", values).id for values in base["organizations"]]
    person_ids = [crm.contacts.add("person", values).id for values in base["persons"]]
    for person, org, since, until in base["links"]:
        crm.contacts.link(person_ids[person], org_ids[org], since=since, until=until)
    return crm


def exported(crm: CRM, fmt: str) -> str:
    out = io.StringIO(newline="")
    crm.export(out, format=fmt, include_hidden=True)
    return out.getvalue()


def records(crm: CRM) -> list[dict[str, Any]]:
    """The contacts as the library reads them (not through the export under test), by id."""
    return list(crm.contacts.records(sorted(contact.id for contact in crm.contacts)))


def imported(text: str, suffix: str, folder: Path, *, reference: bool) -> CRM:
    path = folder / f"export{suffix}"
    path.write_text(text, encoding="utf-8", newline="")
    crm = crmkit.open(":memory:")
    if reference:
        define_reference_data(crm)
    report = crm.imports.run(str(path), create_missing=not reference)
    assert report.rejected == 0, report.errors
    return crm


def as_csv_holds_it(record: dict[str, Any]) -> dict[str, Any]:
    """A record as a CSV file carries it: a column per phone type and e-mail label."""
    record["phones"] = sorted(
        ({**phone, "label": None} for phone in record["phones"]),
        key=lambda phone: PHONE_TYPES.index(phone["type"]),
    )
    record["emails"] = sorted(record["emails"], key=lambda email: email["label"] or "")
    for link in record.get("organizations", []) + record.get("members", []):
        link["since"] = link["until"] = None
    return record


def base_of(*organizations: dict[str, Any]) -> dict[str, Any]:
    """A base of these organizations and a person named "a", for explicit examples."""
    return {"organizations": list(organizations), "persons": [{"first_name": "a"}], "links": []}


# Two organizations of one name were one after an import (the second row updated the
# first), even with different NIPs.
SAME_NAME = base_of({"name": "a"}, {"name": "A"})
SAME_NAME_OTHER_NIP = base_of(
    {"name": "a", "nip": "5260250274"}, {"name": "a", "nip": "1234563218"}
)


@pytest.mark.parametrize(("fmt", "suffix"), [("json", ".json"), ("jsonl", ".jsonl")])
@SETTINGS
@given(base=customer_bases())
@example(base=SAME_NAME)
@example(base=SAME_NAME_OTHER_NIP)
def test_json_export_imports_into_an_empty_base_as_the_same_records(
    tmp_path_factory: pytest.TempPathFactory, fmt: str, suffix: str, base: dict[str, Any]
) -> None:
    with build(base) as crm:
        text = exported(crm, fmt)
        with imported(text, suffix, tmp_path_factory.mktemp(fmt), reference=False) as again:
            assert records(again) == records(crm)


@SETTINGS
@given(base=customer_bases(labels=False))
@example(base=SAME_NAME)
@example(base=SAME_NAME_OTHER_NIP)
# A name with a bar but not the separator " | " stays one name in a person's cell.
@example(base={**base_of({"name": "a|b"}), "links": [(0, 0, None, None)]})
def test_csv_export_imports_as_the_same_records(
    tmp_path_factory: pytest.TempPathFactory, base: dict[str, Any]
) -> None:
    with build(base) as crm:
        text = exported(crm, "csv")
        with imported(text, ".csv", tmp_path_factory.mktemp("csv"), reference=True) as again:
            assert list(map(as_csv_holds_it, records(again))) == list(
                map(as_csv_holds_it, records(crm))
            )


@SETTINGS
@given(base=customer_bases(labels=False))
def test_csv_export_imports_into_an_empty_base_as_the_same_file(
    tmp_path_factory: pytest.TempPathFactory, base: dict[str, Any]
) -> None:
    with build(base) as crm:
        first = exported(crm, "csv")
    with imported(first, ".csv", tmp_path_factory.mktemp("csv"), reference=False) as again:
        assert exported(again, "csv") == first

"""Export: what it writes, and that export -> import -> export gives the same file."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from search_builders import base_reference_data, build_base

import crmkit
from crmkit import CRM
from crmkit.errors import CrmError, InvalidValue
from crmkit.model import PHONE_TYPES
from crmkit.values.phones import normalize_phone

DATA = Path(__file__).parent / "data" / "search"


def prepare(crm: CRM) -> CRM:
    """The reference data every database in these tests has."""
    for tag in ("VIP", "Newsletter", "Lead", "Klient"):
        crm.tags.add(tag)
    for user in ("Jan Kowalski", "Piotr Maj"):
        crm.users.add(user)
    crm.fields.add("industry", type="multiselect", options=["IT", "Handel", "Produkcja"])
    crm.fields.add("consent", type="checkbox")
    crm.fields.add("budget", type="number")
    crm.fields.add("since", type="date")
    crm.fields.add("tier", type="select", options=["Gold", "Silver"])
    crm.fields.add("motto", type="text")
    crm.fields.add("adult", type="checkbox", applies_to="person")
    return crm


def exported(crm: CRM, fmt: str) -> str:
    out = io.StringIO(newline="")
    crm.export(out, format=fmt, include_hidden=True)
    return out.getvalue()


def records(crm: CRM) -> list[dict[str, Any]]:
    return [json.loads(line) for line in exported(crm, "jsonl").splitlines()]


def by_column(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for record in records:
        record["phones"].sort(key=lambda phone: PHONE_TYPES.index(phone["type"]))
        record["emails"].sort(key=lambda email: str(email["label"] or ""))
    return records


def reimported(text: str, suffix: str, folder: Path) -> CRM:
    path = folder / f"again{suffix}"
    path.write_text(text, encoding="utf-8", newline="")
    crm = prepare(crmkit.open(folder / f"again{suffix}.db"))
    report = crm.imports.run(str(path))
    assert report.rejected == 0, report.errors
    assert report.warnings == 0, report.warning_details
    return crm


# -- generated customer bases -------------------------------------------------------------

LETTERS = "aąbcćdeęfghijklłmnńoóprsśtuwyzźżAĄBCĆEĘŁŃÓŚŹŻ"
words = st.text(alphabet=st.sampled_from(list(LETTERS)), min_size=1, max_size=8)
# Free text: commas, quotes, bars, line breaks and spreadsheet formula starters included.
free_text = (
    st.text(alphabet=st.sampled_from(list(LETTERS + " ,;\"'|=+-@\n0123456789.")), max_size=14)
    .map(str.strip)
    .filter(bool)
)
optional = st.none() | free_text


def _valid(number: str) -> bool:
    try:
        return normalize_phone(number) == number
    except InvalidValue:
        return False


phones = st.integers(500_000_000, 899_999_999).map(lambda n: f"+48{n}").filter(_valid)
when = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2030, 1, 1)).map(
    lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%SZ")
)
phone_lists = st.lists(
    st.tuples(phones, st.sampled_from(["mobile", "work", "landline"])),
    max_size=3,
    unique_by=lambda phone: phone[0],
).map(lambda pairs: [{"number": n, "type": t, "label": None} for n, t in pairs])
email_lists = st.lists(
    st.tuples(st.sampled_from([None, "work", "home"]), st.integers(0, 999)),
    max_size=3,
    unique_by=lambda email: email[1],
).map(lambda pairs: [{"address": f"u{n}@example.pl", "label": label} for label, n in pairs])
numbers = st.none() | st.integers(-(10**6), 10**6) | st.decimals(-1000, 1000, places=2).map(float)


def some(*values: str) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(values), unique=True)


@st.composite
def customer_base(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Import rows (mapping targets as keys): organizations first, then people."""
    rows: list[dict[str, Any]] = []
    org_names = [f"{draw(words)} {index}" for index in range(draw(st.integers(0, 3)))]
    for name in org_names:
        rows.append(
            {
                "kind": "organization",
                "name": name,
                "address.city": draw(optional),
                "tags": draw(some("VIP", "Lead")),
                "custom.consent": draw(st.booleans()),
                "created_at": draw(when),
                "updated_at": draw(when),
            }
        )
    for _ in range(draw(st.integers(1, 5))):
        rows.append(
            {
                "kind": "person",
                "first_name": draw(words),
                "last_name": draw(st.none() | words),
                "position": draw(optional),
                "note": draw(optional),
                "address.street": draw(optional),
                "address.city": draw(optional),
                "phones": draw(phone_lists),
                "emails": draw(email_lists),
                "tags": draw(some("VIP", "Newsletter", "Lead", "Klient")),
                "guardians": draw(some("Jan Kowalski", "Piotr Maj")),
                "observers": draw(some("Piotr Maj")),
                "organization": draw(some(*org_names)) if org_names else [],
                "custom.industry": draw(some("IT", "Handel", "Produkcja")),
                "custom.consent": draw(st.booleans()),
                "custom.adult": draw(st.booleans()),
                "custom.budget": draw(numbers),
                "custom.since": draw(st.none() | st.dates().map(dt.date.isoformat)),
                "custom.tier": draw(st.none() | st.sampled_from(["Gold", "Silver"])),
                "custom.motto": draw(optional),
                "vip": draw(st.booleans()),
                "hidden": draw(st.booleans()),
                "created_at": draw(when),
                "updated_at": draw(when),
            }
        )
    return [{key: value for key, value in row.items() if value not in (None, [])} for row in rows]


def original(rows: list[dict[str, Any]], folder: Path) -> CRM:
    source = folder / "original.jsonl"
    source.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    crm = prepare(crmkit.open(folder / "original.db"))
    report = crm.imports.run(str(source))
    assert report.rejected == 0, report.errors
    return crm


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(customer_base())
def test_csv_export_imports_back_as_the_same_contacts(
    tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, Any]]
) -> None:
    folder = tmp_path_factory.mktemp("csv")
    crm = original(rows, folder)
    first = exported(crm, "csv")
    again = reimported(first, ".csv", folder)
    assert exported(again, "csv") == first
    # The same contacts, not only the same file: the records agree too (as values, so
    # a budget stored as 0.0 equals one read back as 0). A CSV file has a column per
    # phone type and e-mail label, so only the order within each one is kept.
    assert by_column(records(again)) == by_column(records(crm))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(customer_base())
def test_jsonl_export_imports_back_as_the_same_contacts(
    tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, Any]]
) -> None:
    folder = tmp_path_factory.mktemp("jsonl")
    crm = original(rows, folder)
    first = exported(crm, "jsonl")
    again = reimported(first, ".jsonl", folder)
    assert exported(again, "jsonl") == first


def test_json_array_imports_back_with_membership_periods(tmp_path: Path) -> None:
    crm = prepare(crmkit.open(tmp_path / "a.db"))
    org = crm.contacts.add("organization", {"name": "Huta", "custom.consent": "no"}).id
    person = crm.contacts.add(
        "person", {"first_name": "Ala", "custom.consent": "1", "custom.adult": "0"}
    ).id
    crm.contacts.link(person, org, since="2020-01-01", until="2021-06-30")
    first = exported(crm, "json")
    assert json.loads(first)[1]["organizations"][0]["since"] == "2020-01-01T00:00:00Z"
    again = reimported(first, ".json", tmp_path)
    assert json.loads(exported(again, "json")) == json.loads(first)


# -- what export writes ---------------------------------------------------------------------


@pytest.fixture()
def base(ref_crm: CRM) -> CRM:
    build_base(ref_crm)
    return ref_crm


def test_default_csv_has_target_headers_and_skips_hidden(base: CRM) -> None:
    rows = list(csv.DictReader(io.StringIO(exported_default(base))))
    assert [row["name"] for row in rows] == [
        "Żółć Sp. z o.o.", "Firma Berlin GmbH", "Anna Nowak", "Jan Nowakowski", "Ewa Kowalska",
    ]  # fmt: skip
    anna = rows[2]
    assert anna["phone.mobile"] == "+48601234567"
    assert anna["email.work"] == "anna.nowak@example.pl"
    assert anna["tags"] == "Newsletter | VIP"
    assert anna["organization"] == "Żółć Sp. z o.o."
    assert anna["custom.industry"] == "IT | Handel"
    assert anna["custom.budget"] == "1500"
    assert rows[3]["custom.budget"] == "99.5"
    assert rows[4]["note"] == "'=SUM(A1:A9)"


def exported_default(crm: CRM, **options: Any) -> str:
    out = io.StringIO(newline="")
    crm.export(out, **options)
    return out.getvalue()


def test_no_escape_and_bom(base: CRM) -> None:
    raw = exported_default(base, escape=False, bom=True, columns="name,note", filters="name~ewa")
    assert raw == "\ufeffname,note\r\nEwa Kowalska,=SUM(A1:A9)\r\n"


def test_filters_text_sort_and_limit(base: CRM) -> None:
    text = exported_default(base, columns=["name"], text="now", sort="-name", limit=1)
    assert text == "name\r\nJan Nowakowski\r\n"
    assert exported_default(base, columns="name", filters=["tag=Lead"]) == (
        "name\r\nJan Nowakowski\r\n"
    )


def test_json_formats_refuse_csv_options(base: CRM) -> None:
    with pytest.raises(CrmError, match="--bom is for CSV"):
        exported_default(base, format="json", bom=True)
    with pytest.raises(CrmError, match="--columns is for CSV"):
        exported_default(base, format="jsonl", columns="name")
    with pytest.raises(CrmError, match="unknown export format 'xml'"):
        exported_default(base, format="xml")


def test_export_to_a_file_is_atomic(base: CRM, tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    assert base.export(target, format="jsonl") == 5
    assert len(target.read_text(encoding="utf-8").splitlines()) == 5
    with pytest.raises(CrmError):
        base.export(target, format="jsonl", filters="colour=red")
    assert len(target.read_text(encoding="utf-8").splitlines()) == 5


def test_exported_file_from_fixture_imports_back(base: CRM, tmp_path: Path) -> None:
    """A checked-in export file (as a user would keep it) still imports cleanly."""
    again = base_reference_data(crmkit.open(tmp_path / "b.db"), with_fixture_data=True)
    report = again.imports.run(str(DATA / "export.csv"))
    assert (report.created, report.rejected, report.warnings) == (5, 0, 0)
    assert exported_default(again).encode("utf-8") == (DATA / "export.csv").read_bytes()

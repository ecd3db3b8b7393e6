"""Caller lookup: any spelling of a number finds its owners, with or without phonenumbers."""

from __future__ import annotations

import phonenumbers
import pytest
from crm_calls import search_ids
from hypothesis import given, settings
from hypothesis import strategies as st
from search_builders import build_base

from crmkit import CRM
from crmkit.errors import CrmError, InvalidValue
from crmkit.store.sqlite.query.lookup import lookup_phone, quick_e164
from crmkit.values.phones import normalize_phone


@pytest.fixture()
def base(ref_crm: CRM) -> CRM:
    build_base(ref_crm)
    return ref_crm


@pytest.mark.parametrize(
    "typed",
    ["+48601234567", "+48 601 234 567", "601 234 567", "601-234-567", "601.234.567",
     "(+48) 60 123 45 67", "0048601234567", "0048 601 234 567", "48601234567", "601234567",
     " +48 601 234 567 ", "+48\u00a0601\u00a0234\u00a0567", "(601) 234-567"],
)  # fmt: skip
def test_many_spellings_find_the_caller(base: CRM, typed: str) -> None:
    found = lookup_phone(base.store.conn, typed)
    assert found.number == "+48601234567"
    assert [base.contacts[i].name for i in found.ids] == ["Anna Nowak"]


@pytest.mark.parametrize("typed", ["22 113 14 15", "(22) 113-14-15", "+48221131415"])
def test_landlines_too(base: CRM, typed: str) -> None:
    assert [c.name for c in base.contacts.lookup(typed)] == ["Jan Nowakowski"]


def test_foreign_numbers_need_their_country_code_or_region(base: CRM) -> None:
    assert [c.name for c in base.contacts.lookup("+49 30 1234567")] == ["Firma Berlin GmbH"]
    assert [c.name for c in base.contacts.lookup("030 1234567", region="DE")] == [
        "Firma Berlin GmbH"
    ]
    assert [c.name for c in base.contacts.lookup("0049 30 1234567")] == ["Firma Berlin GmbH"]


def test_nobody_has_it(base: CRM) -> None:
    found = lookup_phone(base.store.conn, "602 000 000")
    assert (found.number, found.ids, found.hidden) == ("+48602000000", (), 0)
    assert base.contacts.lookup("602 000 000") == []


def test_not_a_number(base: CRM) -> None:
    with pytest.raises(CrmError, match="'12' is not a valid phone number"):
        lookup_phone(base.store.conn, "12")
    with pytest.raises(CrmError, match="not a valid phone number"):
        base.contacts.lookup("call me")


def test_lookup_is_a_probe_of_the_number_index(base: CRM) -> None:
    from crmkit.store.sqlite.query import lookup

    conn = base.store.conn
    if getattr(base.store, "dialect", "sqlite") == "postgresql":
        plan = [row[0] for row in conn.execute("EXPLAIN " + lookup._SQL, ("+48601234567",))]
    else:
        plan = [row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + lookup._SQL, ("x",))]
    assert any("phones_number" in line for line in plan), plan


def test_hidden_owners_are_counted_apart(base: CRM) -> None:
    lukasz = search_ids(base, "lukasz", include_hidden=True)[0]
    base.contacts.edit(lukasz, {"phone.mobile": "+48 500 100 200"})
    found = lookup_phone(base.store.conn, "500100200")
    assert (found.ids, found.hidden) == ((), 1)
    assert lookup_phone(base.store.conn, "500100200", include_hidden=True).ids == (lukasz,)


def test_several_owners_in_id_order(base: CRM) -> None:
    base.contacts.add("person", {"first_name": "Druga", "phone.work": "601234567"})
    assert [c.name for c in base.contacts.lookup("601234567")] == [
        "Anna Nowak",
        "Druga",
    ]


@pytest.mark.parametrize(
    ("typed", "region", "candidate"),
    [
        ("601 234 567", "PL", "+48601234567"),
        ("601 234 567", "DE", None),
        ("+49 30 1234567", "PL", "+49301234567"),
        ("0048601234567", "PL", "+48601234567"),
        ("48601234567", "PL", "+48601234567"),
        ("012345678", "PL", None),
        ("+48 abc", "PL", None),
        ("+123", "PL", None),
    ],
)
def test_quick_candidates(typed: str, region: str, candidate: str | None) -> None:
    assert quick_e164(typed, region) == candidate


def _example_numbers() -> list[str]:
    numbers = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                numbers.append(
                    phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
                )
    return numbers


EXAMPLES = _example_numbers()


def _spellings(e164: str) -> st.SearchStrategy[str]:
    digits = e164[1:]
    national = digits[2:] if digits.startswith("48") else digits
    forms = [e164, "00" + digits, digits, national]
    separator = st.sampled_from(["", " ", "-", ".", "  "])
    return st.sampled_from(forms).flatmap(
        lambda form: st.lists(separator, min_size=len(form), max_size=len(form)).map(
            lambda seps: "".join(char + sep for char, sep in zip(form, seps, strict=True))
        )
    )


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.sampled_from(EXAMPLES).flatmap(_spellings),
        st.from_regex(r"\+?[0-9 ]{6,16}", fullmatch=True),
        st.integers(500_000_000, 899_999_999).map(str).flatmap(lambda n: _spellings("+48" + n)),
    ),
    st.sampled_from(["PL", "DE", "US", "GB"]),
)
def test_the_quick_path_agrees_with_the_normalizer(typed: str, region: str) -> None:
    """Whenever the quick candidate could be a stored number, it is the normalizer's answer."""
    candidate = quick_e164(typed, region)
    if candidate is None:
        return
    try:
        stored = normalize_phone(candidate, region) == candidate
    except InvalidValue:
        stored = False
    if stored:
        assert normalize_phone(typed, region) == candidate

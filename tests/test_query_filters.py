"""The filter language: `FIELD OP VALUE` read into a Comparison, and bad input refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.errors import CrmError
from crmkit.query.filters import Comparison, parse_filter


@pytest.mark.parametrize(
    ("text", "field", "op", "values"),
    [
        ("city=Gliwice", "city", "=", ("Gliwice",)),
        ("  city = Gliwice  ", "city", "=", ("Gliwice",)),
        ("tag=VIP | Lead", "tag", "=", ("VIP", "Lead")),
        ("tag=VIP | | Lead |", "tag", "=", ("VIP", "Lead")),
        ("custom.budget>=1000", "custom.budget", ">=", ("1000",)),
        ("created_at<2024-03-05", "created_at", "<", ("2024-03-05",)),
        ("created_at<=2024", "created_at", "<=", ("2024",)),
        ("name~nowak", "name", "~", ("nowak",)),
        ("stage!=lead", "stage", "!=", ("lead",)),
        ("id>3", "id", ">", ("3",)),
        ("City=Łódź", "city", "=", ("Łódź",)),
        ("note=a=b", "note", "=", ("a=b",)),
        ("note=x|y", "note", "=", ("x|y",)),
        ("email=", "email", "=", ()),
        ("phone.mobile=601 234 567", "phone.mobile", "=", ("601 234 567",)),
        ("city=>x", "city", "=", (">x",)),
        (
            "campaign.Jesień 2025.status = Dzwonić",
            "campaign.jesień 2025.status",
            "=",
            ("Dzwonić",),
        ),
    ],
)
def test_valid_filters(text: str, field: str, op: str, values: tuple[str, ...]) -> None:
    comparison = parse_filter(text)
    assert (comparison.field, comparison.op, comparison.values) == (field, op, values)
    assert comparison.text == text.strip()


def test_negative_operator_is_marked() -> None:
    assert parse_filter("tag!=VIP").is_negative
    assert not parse_filter("tag=VIP").is_negative


@pytest.mark.parametrize(
    "text",
    ["", "city", "Gliwice", "=Gliwice", "city Gliwice", "ci ty=Gliwice", "city;drop=1", "1city=x",
     "custom.=x", "a.b.c.d=1", "campaign.X.=1", "campaign. X.status=1", "(city)=x"],
)  # fmt: skip
def test_malformed_filters_are_refused(text: str) -> None:
    with pytest.raises(CrmError, match="FIELD OP VALUE"):
        parse_filter(text)


@pytest.mark.parametrize("text", ["city==Gliwice", "tag!==VIP", "city= =Gliwice"])
def test_a_doubled_equals_sign_is_refused(text: str) -> None:
    with pytest.raises(CrmError, match="which is no operator"):
        parse_filter(text)
    assert parse_filter("note~=HYPERLINK").values == ("=HYPERLINK",)


def test_injection_text_stays_a_value() -> None:
    comparison = parse_filter("name=x' OR 1=1 --")
    assert comparison == Comparison("name", "=", ("x' OR 1=1 --",), "name=x' OR 1=1 --")


@given(
    st.sampled_from(["city", "name", "custom.motto", "tag"]),
    st.sampled_from(["=", "!=", "~", ">", ">=", "<", "<="]),
    st.lists(st.text(st.characters(blacklist_characters="|\x00", blacklist_categories=("Cs",)),
                     min_size=1).map(str.strip).filter(bool), min_size=1, max_size=3),
)  # fmt: skip
def test_any_values_round_trip_through_the_parser(field: str, op: str, values: list[str]) -> None:
    wanted = tuple(dict.fromkeys(values))
    text = f"{field}{op}{' | '.join(values)}"
    if op in ("=", "!=") and values[0].startswith("="):
        with pytest.raises(CrmError, match="which is no operator"):
            parse_filter(text)
        return
    comparison = parse_filter(text)
    if op in (">", "<") and values[0].startswith("="):
        # `a>=x` is read as the operator `>=`: the longest operator wins.
        return
    assert comparison.field == field
    assert comparison.op == op
    assert comparison.values == wanted

"""Multi-value cells: split and join are inverses for clean values."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.values.multivalues import join_multi, split_multi


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, []),
        ("", []),
        ("   ", []),
        ("VIP", ["VIP"]),
        ("  VIP  ", ["VIP"]),
        ("VIP | Hot lead", ["VIP", "Hot lead"]),
        ("VIP |  Hot lead  | Klient", ["VIP", "Hot lead", "Klient"]),
        ("VIP | ", ["VIP"]),
        ("VIP |", ["VIP"]),
        ("| VIP", ["VIP"]),
        (" | VIP | ", ["VIP"]),
        ("|", []),
        (" | ", []),
        ("VIP |  | Klient", ["VIP", "Klient"]),
        ("VIP | Klient | VIP", ["VIP", "Klient"]),
        ("VIP | vip", ["VIP", "vip"]),
        ("A|B", ["A|B"]),
        ("Sprzedaż, hurt | IT", ["Sprzedaż, hurt", "IT"]),
    ],
)
def test_split_multi_examples(raw: str | None, expected: list[str]) -> None:
    assert split_multi(raw) == expected


def test_custom_separator() -> None:
    assert split_multi("a; b;; a ;", ";") == ["a", "b"]
    assert split_multi("a , b", ", ") == ["a", "b"]


def test_join_multi() -> None:
    assert join_multi(["VIP", "Hot lead"]) == "VIP | Hot lead"
    assert join_multi([]) == ""
    assert join_multi(iter(["a", "b"]), ";") == "a;b"


clean_values = st.text(st.characters(blacklist_characters="|"), min_size=1).filter(
    lambda value: value == value.strip() and value != ""
)


@given(st.lists(clean_values, unique=True))
def test_split_undoes_join(values: list[str]) -> None:
    assert split_multi(join_multi(values)) == values


@given(st.text())
def test_split_output_is_clean_and_stable(raw: str) -> None:
    values = split_multi(raw)
    assert all(value and value == value.strip() for value in values)
    assert len(set(values)) == len(values)
    assert split_multi(join_multi(values)) == values


@given(st.lists(clean_values), st.lists(st.sampled_from(["", " ", "  "])))
def test_duplicates_and_blanks_are_dropped_in_order(values: list[str], blanks: list[str]) -> None:
    raw = join_multi(values + blanks + values)
    assert split_multi(raw) == list(dict.fromkeys(values))

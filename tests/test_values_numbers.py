"""Numbers: Polish and English spellings in, one canonical text out."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from crmkit.errors import InvalidValue
from crmkit.values.numbers import format_number, parse_number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", 12),
        ("-3", -3),
        ("+4", 4),
        ("\u22125", -5),
        ("007", 7),
        ("12.5", 12.5),
        ("12,5", 12.5),
        ("12.0", 12.0),
        ("1,234", 1.234),
        ("1 234", 1234),
        ("1 234,50", 1234.5),
        ("1\u00a0234\u00a0567,25", 1234567.25),
        ("1\u202f234", 1234),
        ("1.234.567", 1234567),
        ("1.234,50", 1234.5),
        ("1,234.50", 1234.5),
        ("1.5E+07", 15000000.0),
        ("  42  ", 42),
        (12, 12),
        (12.5, 12.5),
    ],
)
def test_parse_number_examples(raw: str | int | float, expected: int | float) -> None:
    result = parse_number(raw)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    "raw",
    [
        "abc",
        "nan",
        "NaN",
        "inf",
        "-inf",
        "1.234.50",
        "12 34",
        "1 2345",
        "1,2,3",
        "12.",
        ".5",
        "1e999",
        "--1",
        "١٢",
        "1_000",
        float("nan"),
        float("inf"),
        True,
    ],
)
def test_parse_number_rejects(raw: str | float) -> None:
    with pytest.raises(InvalidValue, match="^not a number$"):
        parse_number(raw)


def test_parse_number_empty() -> None:
    with pytest.raises(InvalidValue, match="^empty number$"):
        parse_number("  ")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12, "12"),
        (-3, "-3"),
        (12.5, "12.5"),
        (12.0, "12"),
        (-0.0, "0"),
        (0.1, "0.1"),
        (1e-05, "0.00001"),
        (1.5e-07, "0.00000015"),
        (1e20, "100000000000000000000"),
        (123456789.125, "123456789.125"),
    ],
)
def test_format_number_examples(value: int | float, expected: str) -> None:
    assert format_number(value) == expected


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_format_number_rejects_non_finite(value: float) -> None:
    with pytest.raises(InvalidValue, match="^not a number$"):
        format_number(value)


finite_floats = st.floats(allow_nan=False, allow_infinity=False)


@given(st.one_of(st.integers(), finite_floats))
def test_format_then_parse_round_trips(value: int | float) -> None:
    text = format_number(value)
    assert "e" not in text.lower()
    assert parse_number(text) == value


@given(finite_floats)
def test_decimal_comma_reads_like_decimal_point(value: float) -> None:
    text = format_number(value)
    assert parse_number(text.replace(".", ",")) == parse_number(text)


@given(st.integers(), st.sampled_from([" ", "\u00a0", "\u202f", "."]))
def test_thousands_groups_are_read(value: int, separator: str) -> None:
    grouped = f"{abs(value):,}".replace(",", separator)
    assume(separator != "." or grouped.count(".") != 1)  # one dot is a decimal mark
    assert parse_number(("-" if value < 0 else "") + grouped) == value


@given(st.integers(min_value=0))
def test_plain_digits_fast_path_equals_regex_path(value: int) -> None:
    """Bare digits skip the regex; a leading "+" forces it and must not change the result."""
    assert parse_number(str(value)) == parse_number("+" + str(value)) == value
    assert type(parse_number(str(value))) is int


@given(finite_floats)
def test_parsed_floats_are_finite(value: float) -> None:
    assert math.isfinite(parse_number(repr(value).replace("e", "E")))

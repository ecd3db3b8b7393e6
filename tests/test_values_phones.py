"""Phone numbers: every spelling of a number gives one E.164 text, exactly as phonenumbers says."""

from __future__ import annotations

import re

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import NumberParseException, PhoneNumberFormat

from crmkit.errors import InvalidValue
from crmkit.values import phones
from crmkit.values.phones import is_phone_like, normalize_phone, phone_search_tokens

# National prefixes of real Polish mobile and landline ranges.
PL_PREFIXES = ["50", "51", "53", "57", "60", "66", "69", "72", "73", "78", "79", "88", "22", "12"]
SEPARATORS = " \t\n\r\u00a0\u2009\u202f-\u2013./()"


def six_styles(national: str) -> list[str]:
    """The spellings the benchmark generator produces."""
    a, b, c = national[:3], national[3:6], national[6:]
    return [
        f"+48{national}",
        f"+48 {a} {b} {c}",
        f"{a}-{b}-{c}",
        f"0048{national}",
        f"(+48) {national[:2]} {national[2:5]} {national[5:7]} {national[7:]}",
        f"48{national}",
    ]


def reference(text: str, region: str) -> str:
    """The rule written out plainly with phonenumbers alone: no caches, no PL shortcut."""
    if not text.strip():
        return "error: empty phone number"
    cleaned = "".join(char for char in text if char not in SEPARATORS)
    if re.fullmatch(r"\+?[0-9]+", cleaned) is None:
        return "error: not a valid phone number"
    if cleaned.startswith("+"):
        candidates = [cleaned]
    elif cleaned.startswith("00"):
        candidates = [cleaned, "+" + cleaned[2:]]
    else:
        candidates = [cleaned, "+" + cleaned]
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, region)
        except NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, PhoneNumberFormat.E164)
    return "error: not a valid phone number"


def outcome(text: str, region: str) -> str:
    try:
        return normalize_phone(text, region)
    except InvalidValue as error:
        return f"error: {error}"


valid_pl_nationals = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(PL_PREFIXES),
    st.text(alphabet="0123456789", min_size=7, max_size=7),
).filter(lambda n: phonenumbers.is_valid_number(phonenumbers.parse(n, "PL")))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+48601234567", "+48601234567"),
        ("+48 601 234 567", "+48601234567"),
        ("601-234-567", "+48601234567"),
        ("0048601234567", "+48601234567"),
        ("(+48) 60 123 45 67", "+48601234567"),
        ("48601234567", "+48601234567"),
        ("(22) 113-14-15", "+48221131415"),
        ("22 113 14 15", "+48221131415"),
        ("  +48.22.113.14.15  ", "+48221131415"),
        ("+48\u00a0601\u00a0234\u00a0567", "+48601234567"),
        ("+1 650 253 0000", "+16502530000"),
        ("+44 20 7946 0000", "+442079460000"),
    ],
)
def test_normalize_phone_examples(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("(650) 253-0000", "US", "+16502530000"),
        ("0048601234567", "US", "+48601234567"),
        ("030 123456", "DE", "+4930123456"),
        ("+48601234567", "DE", "+48601234567"),
    ],
)
def test_normalize_phone_region(raw: str, region: str, expected: str) -> None:
    assert normalize_phone(raw, region) == expected


@pytest.mark.parametrize("raw", ["", "   ", "\t\n"])
def test_empty_phone_is_rejected(raw: str) -> None:
    with pytest.raises(InvalidValue, match="^empty phone number$"):
        normalize_phone(raw)


@pytest.mark.parametrize(
    "raw",
    ["abc", "123", "+4860123456", "601 234 567 ext 12", "60123456a7", "601+234567", "+", "()"],
)
def test_invalid_phone_is_rejected(raw: str) -> None:
    with pytest.raises(InvalidValue, match="^not a valid phone number$"):
        normalize_phone(raw)


def test_invalid_phone_is_rejected_every_time() -> None:
    for _ in range(3):
        with pytest.raises(InvalidValue):
            normalize_phone("+4860123456")


@pytest.mark.parametrize(
    ("e164", "expected"),
    [
        ("+48221131415", ["48221131415", "221131415"]),
        ("+16502530000", ["16502530000", "6502530000"]),
        ("+442079460000", ["442079460000", "2079460000"]),
    ],
)
def test_phone_search_tokens(e164: str, expected: list[str]) -> None:
    assert phone_search_tokens(e164) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+48 601 234 567", True),
        ("(22) 113-14-15", True),
        ("+48.601.234.567", True),
        ("123456", True),
        ("+12345", False),
        ("+SUM(A1:A2)", False),
        ("=1+2", False),
        ("+48\t601234567", False),
        ("", False),
    ],
)
def test_is_phone_like(text: str, expected: bool) -> None:
    assert is_phone_like(text) is expected


@given(valid_pl_nationals)
@settings(deadline=None)
def test_all_six_styles_give_the_same_e164(national: str) -> None:
    assert {normalize_phone(style) for style in six_styles(national)} == {"+48" + national}


@given(valid_pl_nationals)
@settings(deadline=None)
def test_library_reads_the_raw_styles_the_same_way(national: str) -> None:
    """The pre-clean changes nothing the library would have read from the raw text."""
    for style in six_styles(national):
        number = phonenumbers.parse(style, "PL")
        assert phonenumbers.format_number(number, PhoneNumberFormat.E164) == normalize_phone(style)


phone_ish_text = st.builds(
    lambda prefix, body: prefix + body,
    st.sampled_from(["", "+", "+48", "0048", "48", "(+48) ", "+1 ", "00", "0", "(", "+(48)"]),
    st.text(alphabet="0123456789 -.()/", max_size=16),
)


@given(st.one_of(phone_ish_text, st.text(max_size=20)), st.sampled_from(["PL", "US", "DE"]))
@settings(deadline=None, max_examples=300)
def test_fast_path_equals_library(text: str, region: str) -> None:
    assert outcome(text, region) == reference(text, region)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.sampled_from(["PL", "US"]))
@settings(deadline=None, max_examples=300)
def test_fast_path_equals_library_for_nine_digit_numbers(digits: str, region: str) -> None:
    for text in (digits, "+48" + digits, "48" + digits, "0048" + digits):
        assert outcome(text, region) == reference(text, region)


def test_polish_validator_matches_the_library_for_every_four_digit_prefix() -> None:
    for prefix in range(1000, 10000):
        for tail in ("00000", "58149", "99999"):
            national = f"{prefix}{tail}"
            expected = phonenumbers.is_valid_number(phonenumbers.parse(national, "PL"))
            assert (phones._match_polish_nine_digits(national) is not None) is expected, national


def test_cached_library_answer_equals_fresh_answer() -> None:
    for text in ("+1 650 253 0000", "030 123456", "+4860123456"):
        first = outcome(text, "DE")
        phones._normalize_cleaned.cache_clear()
        assert outcome(text, "DE") == first == reference(text, "DE")
        assert outcome(text, "DE") == first


@given(valid_pl_nationals)
@settings(deadline=None)
def test_search_tokens_of_a_normalized_number(national: str) -> None:
    assert phone_search_tokens(normalize_phone(national)) == ["48" + national, national]


@given(valid_pl_nationals)
@settings(deadline=None)
def test_formatted_numbers_are_phone_like(national: str) -> None:
    assert all(is_phone_like(style) for style in six_styles(national))


@given(valid_pl_nationals)
@settings(deadline=None)
def test_search_tokens_of_polish_numbers_are_the_library_s(national: str) -> None:
    number = phonenumbers.parse("+48" + national, None)
    national_part = phonenumbers.national_significant_number(number)
    assert phone_search_tokens("+48" + national) == ["48" + national, national_part]

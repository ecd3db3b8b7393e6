"""Polish registry numbers: separators are dropped, checksums are enforced."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.pl import nip, pesel, regon

from crmkit.errors import InvalidValue
from crmkit.values.identifiers import normalize_krs, normalize_nip, normalize_pesel, normalize_regon

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


def test_known_numbers_agree_with_stdnum() -> None:
    """The fixtures below are only meaningful if stdnum agrees with them."""
    assert pesel_for(dt.date(1944, 5, 14), "0135") == "44051401359"
    assert pesel.is_valid("44051401359") and not pesel.is_valid("44051401358")
    assert nip.is_valid("1234563218") and not nip.is_valid("1234563219")
    assert regon.is_valid("123456785") and regon.is_valid("12345678512347")


@pytest.mark.parametrize("raw", ["44051401359", " 44051401359 ", "440514 01359", "440514-01359"])
def test_valid_pesel(raw: str) -> None:
    assert normalize_pesel(raw) == "44051401359"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("44051401358", "not a valid PESEL (checksum)"),
        ("02381307589", "not a valid PESEL (no such birth date)"),
        ("4405140135", "PESEL must be 11 digits"),
        ("440514013590", "PESEL must be 11 digits"),
        ("4405140135x", "PESEL must be 11 digits"),
        ("", "empty PESEL"),
    ],
)
def test_invalid_pesel(raw: str, reason: str) -> None:
    with pytest.raises(InvalidValue) as error:
        normalize_pesel(raw)
    assert str(error.value) == reason


@pytest.mark.parametrize(
    "raw", ["1234563218", "123-456-32-18", "PL1234563218", "pl 123 456 32 18", "123 456 32 18"]
)
def test_valid_nip(raw: str) -> None:
    assert normalize_nip(raw) == "1234563218"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("1234563219", "not a valid NIP (checksum)"),
        ("123456321", "NIP must be 10 digits"),
        ("PL", "NIP must be 10 digits"),
        ("DE1234563218", "NIP must be 10 digits"),
        (" ", "empty NIP"),
    ],
)
def test_invalid_nip(raw: str, reason: str) -> None:
    with pytest.raises(InvalidValue) as error:
        normalize_nip(raw)
    assert str(error.value) == reason


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("123456785", "123456785"),
        ("123 456 785", "123456785"),
        ("12345678512347", "12345678512347"),
    ],
)
def test_valid_regon(raw: str, expected: str) -> None:
    assert normalize_regon(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("123456786", "not a valid REGON (checksum)"),
        ("12345678512348", "not a valid REGON (checksum)"),
        ("12345678", "REGON must be 9 or 14 digits"),
        ("1234567851", "REGON must be 9 or 14 digits"),
    ],
)
def test_invalid_regon(raw: str, reason: str) -> None:
    with pytest.raises(InvalidValue) as error:
        normalize_regon(raw)
    assert str(error.value) == reason


@pytest.mark.parametrize(
    ("raw", "expected"), [("0000123456", "0000123456"), (" 0000 123 456 ", "0000123456")]
)
def test_valid_krs(raw: str, expected: str) -> None:
    assert normalize_krs(raw) == expected


@pytest.mark.parametrize("raw", ["123456", "00001234567", "000012345x"])
def test_invalid_krs(raw: str) -> None:
    with pytest.raises(InvalidValue, match="^KRS must be 10 digits$"):
        normalize_krs(raw)


def pesel_for(birth: dt.date, serial: str) -> str:
    """A PESEL built the way the registry builds one: date with century code, serial, check."""
    century_code = {18: 80, 19: 0, 20: 20, 21: 40, 22: 60}[birth.year // 100]
    body = f"{birth.year % 100:02d}{birth.month + century_code:02d}{birth.day:02d}{serial}"
    return body + pesel.calc_check_digit(body)


def nip_check_digit(body: str) -> int:
    return sum(w * int(d) for w, d in zip((6, 5, 7, 2, 3, 4, 5, 6, 7), body, strict=True)) % 11


valid_pesels = st.builds(
    pesel_for,
    st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2299, 12, 31)),
    st.text(alphabet="0123456789", min_size=4, max_size=4),
)
valid_nips = (
    st.text(alphabet="0123456789", min_size=9, max_size=9)
    .filter(lambda body: nip_check_digit(body) != 10)
    .map(lambda body: f"{body}{nip_check_digit(body)}")
)
valid_regons = st.text(alphabet="0123456789", min_size=8, max_size=8).map(
    lambda body: body + regon.calc_check_digit(body)
)
SPELLINGS: list[Callable[[str], str]] = [
    lambda n: n,
    lambda n: f" {n} ",
    lambda n: f"{n[:4]} {n[4:]}",
    lambda n: f"{n[:3]}-{n[3:6]}-{n[6:]}",
]
spelled = st.sampled_from(SPELLINGS)


@given(valid_pesels, spelled)
def test_every_valid_pesel_is_accepted(number: str, spell: Callable[[str], str]) -> None:
    assert normalize_pesel(spell(number)) == number


@given(valid_nips, spelled, st.sampled_from(["", "PL", "pl", "PL "]))
def test_every_valid_nip_is_accepted(number: str, spell: Callable[[str], str], prefix: str) -> None:
    assert normalize_nip(prefix + spell(number)) == number


@given(valid_regons, spelled)
def test_every_valid_regon_is_accepted(number: str, spell: Callable[[str], str]) -> None:
    assert normalize_regon(spell(number)) == number


@given(valid_pesels, st.integers(min_value=0, max_value=10), st.integers(min_value=1, max_value=9))
def test_one_wrong_pesel_digit_is_caught(number: str, position: int, change: int) -> None:
    wrong = str((int(number[position]) + change) % 10)
    with pytest.raises(InvalidValue):
        normalize_pesel(number[:position] + wrong + number[position + 1 :])


@given(valid_nips, st.integers(min_value=0, max_value=9), st.integers(min_value=1, max_value=9))
def test_one_wrong_nip_digit_is_caught(number: str, position: int, change: int) -> None:
    wrong = str((int(number[position]) + change) % 10)
    with pytest.raises(InvalidValue):
        normalize_nip(number[:position] + wrong + number[position + 1 :])


@given(st.text(max_size=16))
def test_identifiers_agree_with_stdnum(raw: str) -> None:
    """Whatever the text, an accepted number is one stdnum calls valid."""
    for normalize, module in (
        (normalize_pesel, pesel),
        (normalize_nip, nip),
        (normalize_regon, regon),
    ):
        try:
            result = normalize(raw)
        except InvalidValue:
            continue
        assert module.is_valid(result)

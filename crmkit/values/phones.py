"""Phone numbers, stored as E.164 (`+48221131415`) so one number has exactly one spelling.

`phonenumbers` is the authority on validity, but it costs 10-40 µs per value. Imports run
this on every cell, and phone numbers hardly repeat within a file, so a cache alone does
not help; the work is layered instead, each layer giving the library's answer:

1. a pure-string clean-up, so `+48 601 234 567` and `+48601234567` are one text;
2. for Polish numbers with a 9-digit national part, a validator compiled once from the
   library's own PL metadata (one regex match instead of a parse and a dozen matches);
3. the library itself, behind a cache keyed on the cleaned text, for everything else.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

from crmkit.errors import InvalidValue

__all__ = ["is_phone_like", "normalize_phone", "phone_search_tokens", "phone_type"]

_CACHE_SIZE = 8192

# Characters people put between digits; they carry no meaning, so they are deleted up front.
_SEPARATORS = " \t\n\r\u00a0\u2009\u202f-\u2013./()"
_DELETE_SEPARATORS = str.maketrans("", "", _SEPARATORS)
_ASCII_SEPARATORS = "".join(c for c in _SEPARATORS if c.isascii()).encode("ascii")
_CLEAN_NUMBER = re.compile(r"\+?[0-9]+")
_PHONE_LIKE = re.compile(r"[0-9 +\-.()]*")


def normalize_phone(raw: str, region: str = "PL") -> str:
    """Return the E.164 form of a phone number written in any usual way.

    A number without a country code belongs to `region`; a bare country code
    (`48601234567`) or a `00` prefix is recognised when the national reading is invalid.
    """
    cleaned = _clean_phone_text(raw)
    if cleaned is not None:
        # Common Polish spellings: +48 / 0048 / 48 / nothing, then 9 digits.
        length = len(cleaned)
        national = None
        if length == 12 and cleaned.startswith("+48"):
            national = cleaned[3:]
        elif region == "PL":
            if length == 9:
                national = cleaned
            elif length == 11 and cleaned.startswith("48"):
                national = cleaned[2:]
            elif length == 13 and cleaned.startswith("0048"):
                national = cleaned[4:]
        if national is not None:
            if _match_polish_nine_digits(national) is not None:
                return "+48" + national
            if length != 9:
                # With +48 / 0048 / 48 written, every reading the library tries is this
                # same +48 number; only bare digits may still be a foreign number.
                raise InvalidValue("not a valid phone number")
        result = _normalize_cleaned(cleaned, region)
        if result is not None:
            return result
    if not raw.strip():
        raise InvalidValue("empty phone number")
    raise InvalidValue("not a valid phone number")


def phone_type(e164: str) -> str:
    """Return `mobile` or `landline` for a number of that kind (E.164), else `other`.

    Used where a number comes without a type, such as `phones=["501 000 111"]`.
    """
    kind = phonenumbers.number_type(phonenumbers.parse(e164))
    if kind == phonenumbers.PhoneNumberType.MOBILE:
        return "mobile"
    if kind == phonenumbers.PhoneNumberType.FIXED_LINE:
        return "landline"
    return "other"


def phone_search_tokens(e164: str) -> list[str]:
    """Digit strings under which a stored number should be found by full-text search.

    People search either with the country code or without it, so both are indexed.
    """
    if len(e164) == 12 and e164.startswith("+48") and e164[1:].isdigit():
        # Most stored numbers: no cache lookup, as numbers hardly repeat.
        return [e164[1:], e164[3:]]
    return list(_search_tokens(e164))


def is_phone_like(text: str) -> bool:
    """Whether the text looks like a phone number rather than a formula.

    CSV export escapes cells starting with `+`; phone numbers are left readable.
    """
    if _PHONE_LIKE.fullmatch(text) is None:
        return False
    digits = 0
    for char in text:
        if char.isdigit():
            digits += 1
    return digits >= 6


def _clean_phone_text(raw: str) -> str | None:
    """Drop separators; return `+digits` / `digits`, or None for anything else.

    Letters, extensions and a `+` after the first digit are refused rather than guessed at.
    ASCII text (nearly all of it) takes the bytes route: `bytes.translate` is much faster.
    """
    if raw.isascii():
        data = raw.encode("ascii").translate(None, _ASCII_SEPARATORS)
        if data.isdigit() or (data[:1] == b"+" and data[1:].isdigit()):
            return data.decode("ascii")
        return None
    cleaned = raw.translate(_DELETE_SEPARATORS)
    if _CLEAN_NUMBER.fullmatch(cleaned) is None:
        return None
    return cleaned


@lru_cache(maxsize=_CACHE_SIZE)
def _normalize_cleaned(cleaned: str, region: str) -> str | None:
    return _normalize_with_library(cleaned, region)


def _normalize_with_library(cleaned: str, region: str) -> str | None:
    """The reference answer: ask `phonenumbers` about each reading of a cleaned number."""
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
    return None


def _compile_polish_nine_digit_matcher() -> Callable[[str], object | None]:
    """Build `phonenumbers.is_valid_number` for +48 and 9-digit national numbers.

    The library declares a number valid when it matches the general pattern and at least
    one number-type pattern whose possible lengths allow it; the same rule is compiled here
    from the same metadata, so it follows library updates. Tests pin it to the library.
    The matcher returns None for an invalid number.
    """
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("PL")
    if metadata is None:
        return lambda national: None

    def pattern_for_nine_digits(desc: phonenumbers.PhoneNumberDesc | None) -> str | None:
        if desc is None or not desc.national_number_pattern:
            return None
        if desc.possible_length and 9 not in desc.possible_length:
            return None
        return desc.national_number_pattern

    general = pattern_for_nine_digits(metadata.general_desc)
    # Any one type will do, so the order is free: the most common types go first.
    type_descs = (
        metadata.mobile,
        metadata.fixed_line,
        metadata.premium_rate,
        metadata.toll_free,
        metadata.shared_cost,
        metadata.voip,
        metadata.personal_number,
        metadata.pager,
        metadata.uan,
        metadata.voicemail,
    )
    type_patterns = [p for p in map(pattern_for_nine_digits, type_descs) if p is not None]
    if general is None or not type_patterns:
        return lambda national: None
    # One pass: the lookahead demands the general pattern, the body any type pattern.
    types = "|".join(f"(?:{pattern})" for pattern in type_patterns)
    return re.compile(rf"(?=(?:{general})\Z)(?:{types})\Z").match


_match_polish_nine_digits = _compile_polish_nine_digit_matcher()


@lru_cache(maxsize=_CACHE_SIZE)
def _search_tokens(e164: str) -> tuple[str, ...]:
    digits = e164[1:] if e164.startswith("+") else e164
    if len(e164) == 12 and e164.startswith("+48") and digits.isdigit():
        return (digits, digits[2:])
    try:
        number = phonenumbers.parse(e164 if e164.startswith("+") else "+" + e164, None)
    except NumberParseException:
        return (digits,) if digits else ()
    national = phonenumbers.national_significant_number(number)
    return tuple(dict.fromkeys(token for token in (digits, national) if token))

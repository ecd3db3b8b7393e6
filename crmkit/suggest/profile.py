"""What a sample of a column's values looks like: e-mails, phones, dates, identifiers, words.

Each test is the parser an import would use (phones, dates, checksums), so a column
said to hold phones is one whose values import as phones. Shares are of the non-empty
values sampled.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from crmkit.errors import InvalidValue
from crmkit.values.names import fold_text, name_key

__all__ = ["Profile", "profile_values", "SEPARATORS"]

SEPARATORS = (" | ", " ::: ", "; ", ";", ", ", "|")
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
_POSTAL = re.compile(r"^\d{2}-\d{3}$")
_DURATION = re.compile(r"^\d{1,3}:\d{2}(:\d{2})?$")
_DMY = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})")
_MDY_SLASH = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})")
_URL = re.compile(r"^(https?://|www\.)\S+$", re.IGNORECASE)
_CHECKBOX = {"1", "0", "true", "false", "yes", "no", "y", "n", "tak", "nie", "t", "f", "x", "✓"}
_KINDS = {"osoba", "firma", "person", "organization", "organisation", "organizacja", "company"}
_DIRECTIONS = {"in", "out", "inbound", "outbound", "incoming", "outgoing", "przychodzace",
               "wychodzace", "przychodzacy", "wychodzacy", "przychodzaca", "wychodzaca",
               "przych", "wych", "przych.", "wych."}  # fmt: skip
_SAMPLE = 400
_FIRST_PART = re.compile("|".join(re.escape(separator) for separator in SEPARATORS))


@dataclass
class Profile:
    """Shares of a column's sampled values that read as each kind of value."""

    values: list[str]
    email: float = 0.0
    phone: float = 0.0
    mobile: float = 0.0
    postal: float = 0.0
    datetime: float = 0.0
    with_time: float = 0.0
    pesel: float = 0.0
    nip: float = 0.0
    regon: float = 0.0
    checkbox: float = 0.0
    kind: float = 0.0
    direction: float = 0.0
    duration: float = 0.0
    url: float = 0.0
    number: float = 0.0
    unique: float = 0.0
    dayfirst: bool | None = None
    separators: Counter[str] = field(default_factory=Counter)
    parts: list[str] = field(default_factory=list)

    def known(self, names: set[str]) -> float:
        """The share of the values' parts (split at any separator) that are among `names`."""
        if not self.parts:
            return 0.0
        found = sum(name_key(part) in names or fold_text(part) in names for part in self.parts)
        return found / len(self.parts)

    def samples(self, count: int = 3) -> list[str]:
        seen: list[str] = []
        for value in self.values:
            if value not in seen:
                seen.append(value)
            if len(seen) == count:
                break
        return seen


def profile_values(values: list[str]) -> Profile:
    """The profile of a column from its values (empty ones left out)."""
    from crmkit.values.datetimes import parse_datetime
    from crmkit.values.identifiers import normalize_nip, normalize_pesel, normalize_regon
    from crmkit.values.numbers import parse_number

    present = [value.strip() for value in values if value and value.strip()]
    distinct = list(dict.fromkeys(present))[:_SAMPLE]
    profile = Profile(present)
    if not distinct:
        return profile
    profile.unique = len(set(present)) / len(present)
    profile.email = _share(distinct, lambda value: _EMAIL.match(value) is not None)
    phones = [_phone_kind(value) for value in distinct]
    profile.phone = sum(kind is not None for kind in phones) / len(distinct)
    profile.mobile = sum(kind == "mobile" for kind in phones) / len(distinct)
    profile.postal = _share(distinct, lambda value: _POSTAL.match(value) is not None)
    profile.datetime = _share(distinct, lambda value: _is_date(value, parse_datetime))
    profile.with_time = _share(
        distinct, lambda value: ":" in value and _is_date(value, parse_datetime)
    )
    profile.pesel = _share(distinct, lambda value: _passes(normalize_pesel, value))
    profile.nip = _share(distinct, lambda value: _passes(normalize_nip, value))
    profile.regon = _share(distinct, lambda value: _passes(normalize_regon, value))
    profile.checkbox = _share(distinct, lambda value: fold_text(value) in _CHECKBOX)
    profile.kind = _share(distinct, lambda value: fold_text(value) in _KINDS)
    profile.direction = _share(distinct, lambda value: fold_text(value) in _DIRECTIONS)
    profile.duration = _share(distinct, lambda value: _DURATION.match(value) is not None)
    profile.url = _share(distinct, lambda value: _URL.match(value) is not None)
    profile.number = _share(distinct, lambda value: _passes(parse_number, value))
    profile.dayfirst = _day_order(distinct)
    for value in distinct:
        for separator in SEPARATORS:
            if separator in value:
                profile.separators[separator] += 1
                break
    splitter = re.compile("|".join(re.escape(separator) for separator in SEPARATORS))
    profile.parts = [part.strip() for value in distinct for part in splitter.split(value)]
    profile.parts = [part for part in profile.parts if part]
    return profile


def _share(values: list[str], test: Callable[[str], bool]) -> float:
    return sum(1 for value in values if test(value)) / len(values)


def _passes(parse: Callable[[str], object], value: str) -> bool:
    try:
        parse(value)
    except (InvalidValue, ValueError):
        return False
    return True


def _phone_kind(value: str) -> str | None:
    """`mobile`, `landline` or `other` for a value that reads as a phone number, else None."""
    from crmkit.values.phones import normalize_phone, phone_type

    digits = sum(char.isdigit() for char in value)
    if not 9 <= digits <= 15 or _POSTAL.match(value) or any(c.isalpha() for c in value):
        return None
    if _DMY.match(value) or re.match(r"^\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return phone_type(normalize_phone(_FIRST_PART.split(value)[0]))
    except InvalidValue:
        return None


def _is_date(value: str, parse: Callable[..., str]) -> bool:
    if not any(char in value for char in "-./") or sum(c.isdigit() for c in value) < 6:
        return False
    if _POSTAL.match(value) or any(
        char.isalpha() for char in value.replace("T", "").replace("Z", "")
    ):
        return False
    try:
        parse(value, "UTC", True)
    except InvalidValue:
        try:
            parse(value, "UTC", False)
        except InvalidValue:
            return False
    return True


def _day_order(values: list[str]) -> bool | None:
    """True when some date has a day above 12 first, False when second, None if unsure."""
    first = second = 0
    for value in values:
        match = _DMY.match(value)
        if match is None:
            continue
        day, month = int(match.group(1)), int(match.group(2))
        if day > 12 >= month:
            first += 1
        elif month > 12 >= day:
            second += 1
    if first == second:
        return None
    return first > second

"""Polish registry numbers (PESEL, NIP, REGON, KRS), stored as bare digits.

Checksums come from python-stdnum. The identifiers are nearly unique per row, so a cache
would only cost memory; the fast path is skipping the clean-up for bare digits.
"""

from __future__ import annotations

from stdnum.exceptions import InvalidChecksum, InvalidComponent, ValidationError
from stdnum.pl import nip, pesel, regon

from crmkit.errors import InvalidValue

__all__ = ["normalize_krs", "normalize_nip", "normalize_pesel", "normalize_regon"]

# Separators people type inside registry numbers; deleted before the digits are checked.
_SEPARATORS = str.maketrans("", "", " \t\u00a0\u202f-.")


def normalize_pesel(raw: str) -> str:
    """The 11 digits of a valid PESEL (checksum and birth date are checked)."""
    digits = _digits(raw, "PESEL")
    if len(digits) != 11:
        raise InvalidValue("PESEL must be 11 digits")
    try:
        pesel.validate(digits)
    except InvalidChecksum:
        raise InvalidValue("not a valid PESEL (checksum)") from None
    except InvalidComponent:
        raise InvalidValue("not a valid PESEL (no such birth date)") from None
    except ValidationError:
        raise InvalidValue("not a valid PESEL") from None
    return digits


def normalize_nip(raw: str) -> str:
    """The 10 digits of a valid NIP; `123-456-32-18` and `PL1234563218` are accepted."""
    text = raw.strip()
    if text[:2].upper() == "PL" and len(text) > 2:
        text = text[2:]
    digits = _digits(text, "NIP")
    if len(digits) != 10:
        raise InvalidValue("NIP must be 10 digits")
    try:
        nip.validate(digits)
    except ValidationError:
        raise InvalidValue("not a valid NIP (checksum)") from None
    return digits


def normalize_regon(raw: str) -> str:
    """The 9 or 14 digits of a valid REGON."""
    digits = _digits(raw, "REGON")
    if len(digits) not in (9, 14):
        raise InvalidValue("REGON must be 9 or 14 digits")
    try:
        regon.validate(digits)
    except ValidationError:
        raise InvalidValue("not a valid REGON (checksum)") from None
    return digits


def normalize_krs(raw: str) -> str:
    """The 10 digits of a KRS number (it has no checksum); leading zeros are required."""
    digits = _digits(raw, "KRS")
    if len(digits) != 10:
        raise InvalidValue("KRS must be 10 digits")
    return digits


def _digits(raw: str, name: str) -> str:
    """`raw` without separators if only ASCII digits remain, else "" (a wrong length)."""
    if raw.isdigit() and raw.isascii():
        return raw
    cleaned = raw.translate(_SEPARATORS)
    if cleaned.isdigit() and cleaned.isascii():
        return cleaned
    if not cleaned:
        raise InvalidValue(f"empty {name}")
    return ""

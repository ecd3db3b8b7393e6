"""Number fields: read Polish and English spellings, write one canonical text.

`12,5` is twelve and a half (Polish decimal comma), never twelve thousand five hundred:
a comma or dot is a thousands separator only where it cannot be a decimal mark
(`1.234.567`, `1.234,50`). Plain digits, by far the most common cell, skip the regex.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

from crmkit.errors import InvalidValue

__all__ = ["format_number", "parse_number"]

_NUMBER = re.compile(
    r"(?P<sign>[+\-\u2212]?)"
    r"(?:(?P<plain>[0-9]+)"
    r"|(?P<grouped>[0-9]{1,3}(?P<sep>[ \u00a0\u202f.,'])[0-9]{3}(?:(?P=sep)[0-9]{3})*))"
    r"(?:(?P<mark>[.,])(?P<fraction>[0-9]+))?"
    r"(?:[eE](?P<exponent>[+-]?[0-9]+))?"
)


def parse_number(raw: str | int | float) -> int | float:
    """An int when no decimal part was written, else a float; never NaN or infinity."""
    if isinstance(raw, bool):
        raise InvalidValue("not a number")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise InvalidValue("not a number")
        return raw
    text = raw.strip()
    if text.isdigit() and text.isascii():
        return _to_int(text)
    match = _NUMBER.fullmatch(text)
    if match is None:
        raise InvalidValue("empty number" if not text else "not a number")
    sign = "-" if match["sign"] in ("-", "\u2212") else ""
    separator = match["sep"]
    if separator is not None and separator == match["mark"]:
        raise InvalidValue("not a number")
    digits = match["plain"] or match["grouped"].replace(separator, "")
    fraction, exponent = match["fraction"], match["exponent"]
    if fraction is None and exponent is None:
        return _to_int(sign + digits)
    value = float(f"{sign}{digits}.{fraction or 0}e{exponent or 0}")
    if not math.isfinite(value):
        raise InvalidValue("not a number")
    return value


def format_number(value: int | float) -> str:
    """Canonical text: `12`, `12.5`, `0.00001`; integral floats are written as integers."""
    if isinstance(value, int):
        return str(int(value))
    if not math.isfinite(value):
        raise InvalidValue("not a number")
    if value.is_integer():
        return str(int(value))
    text = repr(value)
    if "e" in text:
        # repr switches to exponent notation outside 1e-4..1e16; spell the same digits out.
        return format(Decimal(text), "f")
    return text


def _to_int(digits: str) -> int:
    try:
        return int(digits)
    except ValueError:  # more digits than Python converts by default
        raise InvalidValue("not a number") from None

"""Checkbox (yes/no) fields, read from the words Polish and English spreadsheets use."""

from __future__ import annotations

from crmkit.errors import InvalidValue

__all__ = ["parse_checkbox"]

_TRUE_WORDS = frozenset({"1", "true", "yes", "y", "tak", "t", "x", "✓", "✔"})
_FALSE_WORDS = frozenset({"", "0", "false", "no", "n", "nie", "f"})
# The exact spellings seen most often, answered without trimming or case folding.
_COMMON = {
    word: value
    for words, value in ((_TRUE_WORDS, True), (_FALSE_WORDS, False))
    for base in words
    for word in (base, base.upper(), base.capitalize())
}


def parse_checkbox(raw: str | bool | int | None) -> bool:
    """True or False for a checkbox cell; an empty cell is an unticked box."""
    if isinstance(raw, str):
        value = _COMMON.get(raw)
        if value is not None:
            return value
        word = raw.strip().casefold()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    elif raw is None or raw is False or raw is True:
        return bool(raw)
    elif isinstance(raw, int) and raw in (0, 1):
        return raw == 1
    raise InvalidValue("not a checkbox value (use tak/nie, yes/no, 1/0)")

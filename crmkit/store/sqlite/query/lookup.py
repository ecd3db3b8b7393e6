"""Caller identification: which contacts own a phone number typed in any format.

A phone system runs `crm lookup` on every incoming call, so the common case
must not load the `phonenumbers` library (about as long again as starting
Python). The number is first put in the one spelling the store could hold
for it — E.164 as typed, or a Polish number with or without +48/0048/48 —
and looked up. Every stored number is the canonical E.164 of a valid number,
so a hit means `normalize_phone` would have produced that same spelling.
Only on a miss is the full normalizer asked, to tell a valid number nobody
has from a number that is not valid at all. The blacklist holds canonical
numbers too, so it is asked with the same spelling: one primary-key read.
"""

from __future__ import annotations

import re
import sqlite3
from typing import NamedTuple

from crmkit.errors import CrmError, InvalidValue

__all__ = ["LookupResult", "lookup_phone", "quick_e164"]

# Characters people put between digits (the same set the normalizer deletes).
_SEPARATORS = str.maketrans("", "", " \t\n\r\u00a0\u2009\u202f-\u2013./()")
_DIGITS = re.compile(r"\+?[0-9]+")
_SQL = (
    "SELECT DISTINCT p.contact_id, c.hidden FROM phones p JOIN contacts c ON c.id = p.contact_id"
    " WHERE p.number = ? ORDER BY p.contact_id"
)
_BLACKLIST_SQL = "SELECT reason FROM blacklist WHERE number = ?"


class LookupResult(NamedTuple):
    """The canonical number and the contacts that have it (hidden ones counted apart),
    and whether the number is blacklisted, with the reason given."""

    number: str
    ids: tuple[int, ...]
    hidden: int = 0
    blacklisted: bool = False
    blacklist_reason: str | None = None


def quick_e164(raw: str, region: str = "PL") -> str | None:
    """The E.164 spelling `raw` must have if it is stored, without `phonenumbers`.

    None when the text is not an obvious spelling; the caller then uses the full
    normalizer. The answer is a candidate, not a validity check.
    """
    cleaned = raw.translate(_SEPARATORS)
    if _DIGITS.fullmatch(cleaned) is None:
        return None
    if cleaned.startswith("+"):
        return cleaned if len(cleaned) >= 8 else None
    if region != "PL":
        return None
    length = len(cleaned)
    if length == 9 and cleaned[0] != "0":
        return "+48" + cleaned
    if length == 11 and cleaned.startswith("48"):
        return "+" + cleaned
    if length == 13 and cleaned.startswith("0048"):
        return "+" + cleaned[2:]
    return None


def lookup_phone(
    conn: sqlite3.Connection, raw: str, region: str = "PL", *, include_hidden: bool = False
) -> LookupResult:
    """The contacts owning the number; CrmError if the text is not a valid phone number."""
    candidate = quick_e164(raw, region)
    if candidate is not None:
        found = _owners(conn, candidate, include_hidden)
        if found.ids or found.hidden or found.blacklisted:
            return found
    from crmkit.values.phones import normalize_phone

    try:
        number = normalize_phone(raw, region)
    except InvalidValue as exc:
        raise CrmError(f"{raw.strip()!r} is {_reason(exc)}") from None
    return _owners(conn, number, include_hidden)


def _owners(conn: sqlite3.Connection, number: str, include_hidden: bool) -> LookupResult:
    ids: list[int] = []
    hidden = 0
    for contact_id, is_hidden in conn.execute(_SQL, (number,)):
        if is_hidden and not include_hidden:
            hidden += 1
        else:
            ids.append(contact_id)
    listed = conn.execute(_BLACKLIST_SQL, (number,)).fetchone()
    if listed is None:
        return LookupResult(number, tuple(ids), hidden)
    return LookupResult(number, tuple(ids), hidden, True, listed[0])


def _reason(exc: Exception) -> str:
    reason = str(exc)
    return reason if reason.startswith("not") else f"not a phone number ({reason})"

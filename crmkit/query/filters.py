"""The filter language: `FIELD OP VALUE` read into a small syntax tree.

This module only reads the text; whether FIELD exists and what VALUE means is
decided by `crmkit.store.sqlite.query.fields` and `crmkit.store.sqlite.query.compiler` against the
database's schema. Nothing here ever becomes SQL text.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from crmkit.errors import CrmError

__all__ = ["OPERATORS", "ALTERNATIVE_SEPARATOR", "Comparison", "parse_filter", "parse_filters"]

# Longest first, so that `>=` is not read as `>` followed by a value starting with `=`.
OPERATORS: tuple[str, ...] = (">=", "<=", "!=", "=", "~", ">", "<")
ALTERNATIVE_SEPARATOR = " | "

# A field is a name, optionally `.part`, optionally `.part` again; a middle part may be a
# name with letters of any language and spaces (`campaign.Jesień 2025.status`).
_FILTER = re.compile(
    r"\s*(?P<field>[A-Za-z_][A-Za-z0-9_]*"
    r"(?:\.[^\s.=<>!~|](?:[^.=<>!~|]*[^\s.=<>!~|])?(?:\.[A-Za-z_][A-Za-z0-9_]*)?)?)\s*"
    r"(?P<op>>=|<=|!=|=|~|>|<)"
    r"(?P<value>.*)",
    re.DOTALL,
)
# A bar with whitespace (or the end of the text) on both sides; `a|b` is one value.
_SEPARATOR = re.compile(r"(?<!\S)\|(?!\S)")


class Comparison(NamedTuple):
    """One `--filter`: a field, an operator and one or more alternative values.

    `values` is empty when the value was left out (`city=` means "has no city").
    """

    field: str
    op: str
    values: tuple[str, ...]
    text: str

    @property
    def is_negative(self) -> bool:
        return self.op == "!="


def parse_filter(text: str) -> Comparison:
    """Read `city=Gliwice`, `tag=VIP | Lead`, `custom.budget>=1000`,
    `campaign.Jesień 2025.status=Dzwonić`; CrmError if malformed."""
    match = _FILTER.fullmatch(text)
    if match is None:
        raise CrmError(
            f"filter {text!r} must look like FIELD OP VALUE, e.g. city=Gliwice"
            f" (operators: {' '.join(OPERATORS)})"
        )
    field = match["field"].lower()
    raw_value = match["value"].strip()
    if match["op"] in ("=", "!=") and raw_value.startswith("="):
        # `city==Gliwice` would look for "=Gliwice": say so instead.
        raise CrmError(
            f"filter {text!r} has {match['op'] + '='!r}, which is no operator;"
            f" the operators are {' '.join(OPERATORS)} (e.g. city=Gliwice)"
        )
    values = tuple(_alternatives(raw_value))
    return Comparison(field=field, op=match["op"], values=values, text=text.strip())


def parse_filters(texts: list[str] | tuple[str, ...]) -> list[Comparison]:
    """Several filters, ANDed by the caller."""
    return [parse_filter(text) for text in texts]


def _alternatives(raw: str) -> list[str]:
    """The values separated by ` | `, trimmed; empty parts are dropped, order kept."""
    values: dict[str, None] = {}
    for part in _SEPARATOR.split(raw):
        value = part.strip()
        if value:
            values.setdefault(value, None)
    return list(values)

"""Filters to SQL: each checked comparison becomes a parameterized predicate on `c`.

User text only ever travels as bound parameters. The SQL text is assembled
from fixed fragments and from column names that `crmkit.store.sqlite.query.fields` has
checked against a closed list, so a filter such as `name=x' OR 1=1 --` is
just a name nobody has.

Semantics (CONTRACT section 5): `=` equals (case-insensitive for text; "has"
for tags, guardians, observers, phones, e-mails, organizations and
multiselect options), `!=` is its negation (a contact with no value counts as
"not equal"), `~` contains, case- and diacritics-insensitive, and the order
operators compare numbers, dates and datetimes. Alternatives are ORed. A year
(`2024`), a month (`2024-03`) or a day given for a date or datetime field means
that whole period, in the time zone of the settings for datetimes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from crmkit.errors import CrmError
from crmkit.query.filters import Comparison
from crmkit.store.sqlite.query.campaign_filters import CAMPAIGN_COMPILERS
from crmkit.store.sqlite.query.custom_filters import compile_custom
from crmkit.store.sqlite.query.fields import FieldSpec, QuerySchema, resolve_filter_field
from crmkit.store.sqlite.query.group_filters import GROUP_COMPILERS
from crmkit.store.sqlite.query.list_filters import IDENTIFIER_SEPARATORS, LIST_COMPILERS
from crmkit.store.sqlite.query.predicates import (
    ORDER_OPS,
    FilterSettings,
    Predicate,
    column,
    compare,
    empty_text,
    moment_predicates,
    number_values,
    placeholders,
    refuse,
    text_predicates,
    value_error,
    with_negation,
    yes_or_no,
)
from crmkit.values.names import fold_text

__all__ = ["Predicate", "FilterSettings", "compile_filter", "prepare_connection"]


def prepare_connection(conn: sqlite3.Connection) -> None:
    """Register the folding functions the compiled SQL calls."""
    conn.create_function("crm_fold", 1, _fold_or_none, deterministic=True)
    conn.create_function("crm_casefold", 1, _casefold_or_none, deterministic=True)


def compile_filter(
    comparison: Comparison, schema: QuerySchema, settings: FilterSettings
) -> Predicate:
    """The predicate for one filter; CrmError when field, operator or value is wrong."""
    spec = resolve_filter_field(comparison.field, schema)
    compiler = _COMPILERS[spec.kind]
    return compiler(spec, comparison, schema, settings)


# -- folding for SQL ----------------------------------------------------------------------


def _fold_or_none(value: Any) -> str | None:
    return None if value is None else fold_text(str(value))


def _casefold_or_none(value: Any) -> str | None:
    return None if value is None else str(value).casefold()


def _text(
    spec: FieldSpec, comparison: Comparison, schema: QuerySchema, settings: FilterSettings
) -> Predicate:
    expr = column(spec.column)
    if comparison.op in ORDER_OPS:
        raise refuse(spec, comparison, "=, != or ~")
    if not comparison.values:
        return empty_text(expr, comparison)
    return with_negation(comparison, text_predicates(expr, comparison, comparison.values))


def _identifier(
    spec: FieldSpec, comparison: Comparison, schema: QuerySchema, settings: FilterSettings
) -> Predicate:
    """PESEL, NIP, REGON and KRS are stored as bare digits; typed separators are dropped."""
    if comparison.op == "~" or not comparison.values:
        return _text(spec, comparison, schema, settings)
    values = []
    for value in comparison.values:
        clean = value.translate(IDENTIFIER_SEPARATORS)
        if spec.column == "nip" and clean[:2].upper() == "PL":
            clean = clean[2:]
        values.append(clean)
    return _text(
        spec,
        Comparison(comparison.field, comparison.op, tuple(values), comparison.text),
        schema,
        settings,
    )


def _kind(
    spec: FieldSpec, comparison: Comparison, schema: QuerySchema, settings: FilterSettings
) -> Predicate:
    if comparison.op not in ("=", "!="):
        raise refuse(spec, comparison, "= or !=")
    kinds = []
    for value in comparison.values:
        kind = value.strip().lower()
        if kind not in ("person", "organization"):
            raise value_error(comparison, value, "not a kind of contact (person or organization)")
        kinds.append(kind)
    if not kinds:
        raise CrmError(f"filter {comparison.text!r} needs person or organization")
    return with_negation(
        comparison, Predicate(f"c.kind IN ({placeholders(len(kinds))})", tuple(kinds))
    )


def _flag(
    spec: FieldSpec, comparison: Comparison, schema: QuerySchema, settings: FilterSettings
) -> Predicate:
    return Predicate(f"c.{spec.column} = ?", (int(yes_or_no(spec, comparison)),))


def _number(
    spec: FieldSpec, comparison: Comparison, schema: QuerySchema, settings: FilterSettings
) -> Predicate:
    if comparison.op == "~":
        raise refuse(spec, comparison, "=, !=, >, >=, < or <=")
    return compare(column(spec.column), comparison.op, number_values(comparison), comparison)


def _datetime(
    spec: FieldSpec, comparison: Comparison, schema: QuerySchema, settings: FilterSettings
) -> Predicate:
    if comparison.op == "~":
        raise refuse(spec, comparison, "=, !=, >, >=, < or <=")
    return moment_predicates(column(spec.column), comparison, settings)


_Compiler = Callable[[FieldSpec, Comparison, QuerySchema, FilterSettings], Predicate]
_COMPILERS: dict[str, _Compiler] = {
    "text": _text,
    "identifier": _identifier,
    "kind": _kind,
    "flag": _flag,
    "number": _number,
    "datetime": _datetime,
    **LIST_COMPILERS,
    **CAMPAIGN_COMPILERS,
    **GROUP_COMPILERS,
    "custom": compile_custom,
}

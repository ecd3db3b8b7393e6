"""Pieces of compiled filters: predicates, settings and the comparisons they share.

A `Predicate` is a WHERE fragment over `contacts c` with its bound parameters.
The filter compilers (`crmkit.store.sqlite.query.compiler` and the modules it dispatches to)
build predicates only from these helpers and fixed SQL text, so user values
always travel as parameters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NamedTuple

from crmkit.errors import CrmError, InvalidValue
from crmkit.query.filters import Comparison
from crmkit.store.sqlite.query.fields import FieldSpec
from crmkit.values.names import fold_text

__all__ = [
    "ORDER_OPS",
    "Predicate",
    "FilterSettings",
    "refuse",
    "any_of",
    "negate",
    "with_negation",
    "placeholders",
    "value_error",
    "column",
    "apply",
    "text_predicates",
    "empty_text",
    "number_values",
    "compare",
    "moment_predicates",
]

ORDER_OPS = (">", ">=", "<", "<=")


class Predicate(NamedTuple):
    """A WHERE fragment over the contacts table aliased `c`, with its parameters."""

    sql: str
    params: tuple[Any, ...] = ()


class FilterSettings(NamedTuple):
    """How filter values are read: phone region and the zone of date-only values."""

    region: str = "PL"
    timezone: str = "UTC"
    dayfirst: bool = True


def refuse(spec: FieldSpec, comparison: Comparison, allowed: str) -> CrmError:
    return CrmError(
        f"filter {comparison.text!r}: operator {comparison.op} does not apply to {spec.name}"
        f" (use {allowed})"
    )


def any_of(parts: Sequence[Predicate]) -> Predicate:
    if len(parts) == 1:
        return parts[0]
    return Predicate(
        "(" + " OR ".join(part.sql for part in parts) + ")",
        tuple(param for part in parts for param in part.params),
    )


def negate(predicate: Predicate) -> Predicate:
    """NOT, where an unknown (NULL) comparison counts as false, so NULL rows qualify."""
    return Predicate(f"NOT coalesce({predicate.sql}, FALSE)", predicate.params)


def with_negation(comparison: Comparison, predicate: Predicate) -> Predicate:
    return negate(predicate) if comparison.op == "!=" else predicate


def placeholders(count: int) -> str:
    return ", ".join("?" * count)


def value_error(comparison: Comparison, value: str, reason: str) -> CrmError:
    return CrmError(f"filter {comparison.text!r}: {value!r} is {reason}")


def column(name: str | None) -> Predicate:
    """A checked column of `contacts` as an expression."""
    return Predicate(f"c.{name}")


def apply(template: str, expr: Predicate, *values: Any) -> Predicate:
    """Fill `{e}` in the template with the expression; its parameters go where it does.

    Every `{e}` comes before the template's own `?` placeholders in `values` order, so
    the template is written with `{e}` first in each comparison.
    """
    pieces = template.split("{e}")
    sql = expr.sql.join(pieces)
    params: list[Any] = []
    remaining = iter(values)
    for index, piece in enumerate(pieces):
        params.extend(next(remaining) for _ in range(piece.count("?")))
        if index < len(pieces) - 1:
            params.extend(expr.params)
    return Predicate(sql, tuple(params))


def text_predicates(expr: Predicate, comparison: Comparison, values: Sequence[str]) -> Predicate:
    """`=` / `~` over a text expression (a column or a JSON value), any of the values."""
    parts: list[Predicate] = []
    for value in values:
        if comparison.op == "~":
            parts.append(apply("instr(crm_fold({e}), ?) > 0", expr, fold_text(value)))
        elif value.isascii():
            # NOCASE folds ASCII only; for an ASCII value that is exactly the match wanted,
            # and it lets SQLite use the NOCASE indexes on name and city.
            parts.append(apply("{e} = ? COLLATE NOCASE", expr, value))
        else:
            parts.append(apply("crm_casefold({e}) = ?", expr, value.casefold()))
    return any_of(parts)


def empty_text(expr: Predicate, comparison: Comparison) -> Predicate:
    """`field=` (no value) means the field is empty; `field!=` that it is not."""
    if comparison.op == "=":
        return apply("coalesce({e}, '') = ''", expr)
    if comparison.op == "!=":
        return apply("coalesce({e}, '') <> ''", expr)
    raise CrmError(f"filter {comparison.text!r} needs a value after {comparison.op}")


def number_values(comparison: Comparison) -> list[int | float]:
    from crmkit.values.numbers import parse_number

    numbers: list[int | float] = []
    for value in comparison.values:
        try:
            numbers.append(parse_number(value))
        except InvalidValue:
            raise value_error(comparison, value, "not a number") from None
    if not numbers:
        raise CrmError(f"filter {comparison.text!r} needs a number")
    return numbers


def compare(expr: Predicate, op: str, values: Sequence[Any], comparison: Comparison) -> Predicate:
    """`expr OP value` for each alternative; `!=` is the negation of `=`."""
    sql_op = "=" if op in ("=", "!=") else op
    predicate = any_of([apply(f"{{e}} {sql_op} ?", expr, value) for value in values])
    return with_negation(comparison, predicate)


_YEAR = re.compile(r"([0-9]{4})")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{1,2})")


def _period(text: str, settings: FilterSettings) -> tuple[str, str] | None:
    """First and following day (`YYYY-MM-DD`) of the year, month or day `text` names.

    None when the text is not a bare year, a year-month or a date (it may be a datetime).
    """
    import datetime as dt

    from crmkit.values.datetimes import parse_date

    clean = text.strip()
    year = _YEAR.fullmatch(clean)
    if year is not None:
        first = int(year[1])
        return f"{first:04d}-01-01", f"{first + 1:04d}-01-01"
    month = _MONTH.fullmatch(clean)
    if month is not None:
        first, number = int(month[1]), int(month[2])
        if not 1 <= number <= 12:
            return None
        following = (first + 1, 1) if number == 12 else (first, number + 1)
        return f"{first:04d}-{number:02d}-01", f"{following[0]:04d}-{following[1]:02d}-01"
    try:
        day = parse_date(clean, settings.dayfirst)
    except InvalidValue:
        return None
    return day, (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()


def _period_predicate(expr: Predicate, op: str, start: Any, end: Any) -> Predicate:
    """`expr OP period`: equal means within it, `>` after its end, `<` before its start."""
    if op in ("=", "!="):
        return apply("({e} >= ? AND {e} < ?)", expr, start, end)
    if op == ">":
        return apply("{e} >= ?", expr, end)
    if op == ">=":
        return apply("{e} >= ?", expr, start)
    if op == "<":
        return apply("{e} < ?", expr, start)
    return apply("{e} < ?", expr, end)


def moment_predicates(
    expr: Predicate, comparison: Comparison, settings: FilterSettings, *, dates: bool = False
) -> Predicate:
    """Comparisons with datetimes (or, with `dates`, `YYYY-MM-DD` dates).

    A year, a month or a day stands for that whole period, in the settings' time zone.
    """
    from crmkit.values.datetimes import parse_datetime

    if not comparison.values:
        raise CrmError(f"filter {comparison.text!r} needs a date or datetime")
    parts: list[Predicate] = []
    op = comparison.op
    for value in comparison.values:
        period = _period(value, settings)
        if period is not None:
            start, end = period
            if not dates:
                start = parse_datetime(start, settings.timezone)
                end = parse_datetime(end, settings.timezone)
            parts.append(_period_predicate(expr, op, start, end))
            continue
        if dates:
            raise value_error(comparison, value, "not a date (YYYY-MM-DD, a month or a year)")
        try:
            moment = parse_datetime(value, settings.timezone, settings.dayfirst)
        except InvalidValue:
            raise value_error(comparison, value, "not a date or datetime") from None
        parts.append(apply(f"{{e}} {'=' if op == '!=' else op} ?", expr, moment))
    return with_negation(comparison, any_of(parts))


def yes_or_no(spec: FieldSpec, comparison: Comparison) -> bool:
    """Return what a yes/no filter (`vip=yes`, `blacklisted!=no`) asks for, `!=` applied."""
    from crmkit.values.checkbox import parse_checkbox

    if comparison.op not in ("=", "!="):
        raise refuse(spec, comparison, "= or !=")
    if len(comparison.values) != 1:
        raise CrmError(f"filter {comparison.text!r} needs one value: yes or no")
    try:
        wanted = parse_checkbox(comparison.values[0])
    except InvalidValue:
        raise value_error(comparison, comparison.values[0], "not yes or no") from None
    return wanted != (comparison.op == "!=")

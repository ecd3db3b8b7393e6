"""Filters to SQL: each checked comparison becomes a parameterized predicate on `c`.

User text only ever travels as bound parameters. The SQL text is assembled
from fixed fragments and from column names that `crmkit.query.fields` has
checked against a closed list, so a filter such as `name=x' OR 1=1 --` is
just a name nobody has.

Semantics (CONTRACT section 5): `=` equals (case-insensitive for text; "has"
for tags, guardians, observers, phones, e-mails, organizations and
multiselect options), `!=` is its negation (a contact with no value counts as
"not equal"), `~` contains, case- and diacritics-insensitive, and the order
operators compare numbers, dates and datetimes. Alternatives are ORed. A date
given for a datetime field means that whole calendar day in the time zone of
the settings.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from crmkit.errors import CrmError, InvalidValue
from crmkit.query.fields import FieldSpec, QuerySchema, resolve_filter_field
from crmkit.query.filters import Comparison
from crmkit.values.names import fold_text, name_key

__all__ = ["Predicate", "FilterSettings", "compile_filter", "prepare_connection"]

_ORDER_OPS = (">", ">=", "<", "<=")
_IDENTIFIER_SEPARATORS = str.maketrans("", "", " \t-.")


class Predicate(NamedTuple):
    """A WHERE fragment over the contacts table aliased `c`, with its parameters."""

    sql: str
    params: tuple[Any, ...] = ()


class FilterSettings(NamedTuple):
    """How filter values are read: phone region and the zone of date-only values."""

    region: str = "PL"
    timezone: str = "UTC"
    dayfirst: bool = True


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


# -- helpers ----------------------------------------------------------------------


def _fold_or_none(value: Any) -> str | None:
    return None if value is None else fold_text(str(value))


def _casefold_or_none(value: Any) -> str | None:
    return None if value is None else str(value).casefold()


def _refuse(spec: FieldSpec, comparison: Comparison, allowed: str) -> CrmError:
    return CrmError(
        f"filter {comparison.text!r}: operator {comparison.op} does not apply to {spec.name}"
        f" (use {allowed})"
    )


def _any_of(parts: Sequence[Predicate]) -> Predicate:
    if len(parts) == 1:
        return parts[0]
    return Predicate(
        "(" + " OR ".join(part.sql for part in parts) + ")",
        tuple(param for part in parts for param in part.params),
    )


def _negate(predicate: Predicate) -> Predicate:
    """NOT, where an unknown (NULL) comparison counts as false, so NULL rows qualify."""
    return Predicate(f"NOT coalesce({predicate.sql}, 0)", predicate.params)


def _with_negation(comparison: Comparison, predicate: Predicate) -> Predicate:
    return _negate(predicate) if comparison.op == "!=" else predicate


def _placeholders(count: int) -> str:
    return ", ".join("?" * count)


def _value_error(comparison: Comparison, value: str, reason: str) -> CrmError:
    return CrmError(f"filter {comparison.text!r}: {value!r} is {reason}")


# -- text-like expressions -----------------------------------------------------------


def _column(name: str | None) -> Predicate:
    """A checked column of `contacts` as an expression."""
    return Predicate(f"c.{name}")


def _apply(template: str, expr: Predicate, *values: Any) -> Predicate:
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


def _text_predicates(expr: Predicate, comparison: Comparison, values: Sequence[str]) -> Predicate:
    """`=` / `~` over a text expression (a column or a JSON value), any of the values."""
    parts: list[Predicate] = []
    for value in values:
        if comparison.op == "~":
            parts.append(_apply("instr(crm_fold({e}), ?) > 0", expr, fold_text(value)))
        elif value.isascii():
            # NOCASE folds ASCII only; for an ASCII value that is exactly the match wanted,
            # and it lets SQLite use the NOCASE indexes on name and city.
            parts.append(_apply("{e} = ? COLLATE NOCASE", expr, value))
        else:
            parts.append(_apply("crm_casefold({e}) = ?", expr, value.casefold()))
    return _any_of(parts)


def _empty_text(expr: Predicate, comparison: Comparison) -> Predicate:
    """`field=` (no value) means the field is empty; `field!=` that it is not."""
    if comparison.op == "=":
        return _apply("coalesce({e}, '') = ''", expr)
    if comparison.op == "!=":
        return _apply("coalesce({e}, '') <> ''", expr)
    raise CrmError(f"filter {comparison.text!r} needs a value after {comparison.op}")


def _text(
    spec: FieldSpec, comparison: Comparison, schema: QuerySchema, settings: FilterSettings
) -> Predicate:
    expr = _column(spec.column)
    if comparison.op in _ORDER_OPS:
        raise _refuse(spec, comparison, "=, != or ~")
    if not comparison.values:
        return _empty_text(expr, comparison)
    return _with_negation(comparison, _text_predicates(expr, comparison, comparison.values))


def _identifier(
    spec: FieldSpec, comparison: Comparison, schema: QuerySchema, settings: FilterSettings
) -> Predicate:
    """PESEL, NIP, REGON and KRS are stored as bare digits; typed separators are dropped."""
    if comparison.op == "~" or not comparison.values:
        return _text(spec, comparison, schema, settings)
    values = []
    for value in comparison.values:
        clean = value.translate(_IDENTIFIER_SEPARATORS)
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
        raise _refuse(spec, comparison, "= or !=")
    kinds = []
    for value in comparison.values:
        kind = value.strip().lower()
        if kind not in ("person", "organization"):
            raise _value_error(comparison, value, "not a kind of contact (person or organization)")
        kinds.append(kind)
    if not kinds:
        raise CrmError(f"filter {comparison.text!r} needs person or organization")
    return _with_negation(
        comparison, Predicate(f"c.kind IN ({_placeholders(len(kinds))})", tuple(kinds))
    )


def _flag(
    spec: FieldSpec, comparison: Comparison, schema: QuerySchema, settings: FilterSettings
) -> Predicate:
    from crmkit.values.checkbox import parse_checkbox

    if comparison.op not in ("=", "!="):
        raise _refuse(spec, comparison, "= or !=")
    if len(comparison.values) != 1:
        raise CrmError(f"filter {comparison.text!r} needs one value: yes or no")
    try:
        wanted = parse_checkbox(comparison.values[0])
    except InvalidValue:
        raise _value_error(comparison, comparison.values[0], "not yes or no") from None
    if comparison.op == "!=":
        wanted = not wanted
    return Predicate(f"c.{spec.column} = ?", (int(wanted),))


def _number_values(comparison: Comparison) -> list[int | float]:
    from crmkit.values.numbers import parse_number

    numbers: list[int | float] = []
    for value in comparison.values:
        try:
            numbers.append(parse_number(value))
        except InvalidValue:
            raise _value_error(comparison, value, "not a number") from None
    if not numbers:
        raise CrmError(f"filter {comparison.text!r} needs a number")
    return numbers


def _compare(expr: Predicate, op: str, values: Sequence[Any], comparison: Comparison) -> Predicate:
    """`expr OP value` for each alternative; `!=` is the negation of `=`."""
    sql_op = "=" if op in ("=", "!=") else op
    predicate = _any_of([_apply(f"{{e}} {sql_op} ?", expr, value) for value in values])
    return _with_negation(comparison, predicate)


def _number(
    spec: FieldSpec, comparison: Comparison, schema: QuerySchema, settings: FilterSettings
) -> Predicate:
    if comparison.op == "~":
        raise _refuse(spec, comparison, "=, !=, >, >=, < or <=")
    return _compare(_column(spec.column), comparison.op, _number_values(comparison), comparison)


def _day_bounds(text: str, settings: FilterSettings) -> tuple[str, str] | None:
    """Start and end (UTC text) of the calendar day `text` names, or None if it has a time."""
    import datetime as dt

    from crmkit.values.datetimes import parse_date, parse_datetime

    try:
        day = parse_date(text, settings.dayfirst)
    except InvalidValue:
        return None
    following = (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()
    return parse_datetime(day, settings.timezone), parse_datetime(following, settings.timezone)


def _moment_predicates(
    expr: Predicate, comparison: Comparison, settings: FilterSettings
) -> Predicate:
    from crmkit.values.datetimes import parse_datetime

    if not comparison.values:
        raise CrmError(f"filter {comparison.text!r} needs a date or datetime")
    parts: list[Predicate] = []
    op = comparison.op
    for value in comparison.values:
        bounds = _day_bounds(value, settings)
        if bounds is not None:
            start, end = bounds
            if op in ("=", "!="):
                parts.append(_apply("({e} >= ? AND {e} < ?)", expr, start, end))
            elif op == ">":
                parts.append(_apply("{e} >= ?", expr, end))
            elif op == ">=":
                parts.append(_apply("{e} >= ?", expr, start))
            elif op == "<":
                parts.append(_apply("{e} < ?", expr, start))
            else:
                parts.append(_apply("{e} < ?", expr, end))
            continue
        try:
            moment = parse_datetime(value, settings.timezone, settings.dayfirst)
        except InvalidValue:
            raise _value_error(comparison, value, "not a date or datetime") from None
        parts.append(_apply(f"{{e}} {'=' if op == '!=' else op} ?", expr, moment))
    return _with_negation(comparison, _any_of(parts))


def _datetime(
    spec: FieldSpec, comparison: Comparison, schema: QuerySchema, settings: FilterSettings
) -> Predicate:
    if comparison.op == "~":
        raise _refuse(spec, comparison, "=, !=, >, >=, < or <=")
    return _moment_predicates(_column(spec.column), comparison, settings)


# -- lists a contact has ---------------------------------------------------------------


def _membership(subquery: str, params: tuple[Any, ...], negative: bool) -> Predicate:
    return Predicate(f"c.id {'NOT IN' if negative else 'IN'} ({subquery})", params)


def _named_ids(
    spec: FieldSpec,
    comparison: Comparison,
    known: dict[str, tuple[int, str]],
    what: str,
) -> list[int]:
    """Ids of tags or users named (`=`) or partly named (`~`) by the values."""
    ids: list[int] = []
    if comparison.op == "~":
        for value in comparison.values:
            needle = fold_text(value)
            ids += [ident for ident, name in known.values() if needle in fold_text(name)]
        return sorted(set(ids))
    for value in comparison.values:
        found = known.get(name_key(value))
        if found is None:
            names = ", ".join(sorted((name for _, name in known.values()), key=str.casefold))
            raise CrmError(
                f"filter {comparison.text!r}: no {what} named {value!r}"
                f" ({what}s: {names or 'none yet'})"
            )
        ids.append(found[0])
    return ids


def _tag(
    spec: FieldSpec, comparison: Comparison, schema: QuerySchema, settings: FilterSettings
) -> Predicate:
    if comparison.op in _ORDER_OPS:
        raise _refuse(spec, comparison, "=, != or ~")
    if not comparison.values:
        return _membership("SELECT contact_id FROM contact_tags", (), comparison.op == "=")
    ids = _named_ids(spec, comparison, schema.tags, "tag")
    return _membership(
        f"SELECT contact_id FROM contact_tags WHERE tag_id IN ({_placeholders(len(ids))})",
        tuple(ids),
        comparison.op == "!=",
    )


def _user(
    spec: FieldSpec, comparison: Comparison, schema: QuerySchema, settings: FilterSettings
) -> Predicate:
    if comparison.op in _ORDER_OPS:
        raise _refuse(spec, comparison, "=, != or ~")
    role = spec.kind
    if not comparison.values:
        return _membership(
            "SELECT contact_id FROM contact_users WHERE role = ?", (role,), comparison.op == "="
        )
    ids = _named_ids(spec, comparison, schema.users, "user")
    return _membership(
        "SELECT contact_id FROM contact_users"
        f" WHERE role = ? AND user_id IN ({_placeholders(len(ids))})",
        (role, *ids),
        comparison.op == "!=",
    )


def _phone(
    spec: FieldSpec, comparison: Comparison, schema: QuerySchema, settings: FilterSettings
) -> Predicate:
    if comparison.op in _ORDER_OPS:
        raise _refuse(spec, comparison, "=, != or ~")
    type_sql, type_params = (" AND type = ?", (spec.sub,)) if spec.sub else ("", ())
    if not comparison.values:
        where = f" WHERE {type_sql[5:]}" if type_sql else ""
        return _membership(
            f"SELECT contact_id FROM phones{where}", type_params, comparison.op == "="
        )
    if comparison.op == "~":
        parts = []
        for value in comparison.values:
            digits = "".join(char for char in value if char.isdigit())
            if not digits:
                raise _value_error(comparison, value, "not a part of a phone number (no digits)")
            parts.append(Predicate("instr(number, ?) > 0", (digits,)))
        inner = _any_of(parts)
        return _membership(
            f"SELECT contact_id FROM phones WHERE {inner.sql}{type_sql}",
            (*inner.params, *type_params),
            False,
        )
    from crmkit.values.phones import normalize_phone

    numbers = []
    for value in comparison.values:
        try:
            numbers.append(normalize_phone(value, settings.region))
        except InvalidValue:
            raise _value_error(comparison, value, "not a valid phone number") from None
    return _membership(
        f"SELECT contact_id FROM phones WHERE number IN ({_placeholders(len(numbers))}){type_sql}",
        (*numbers, *type_params),
        comparison.op == "!=",
    )


def _email(
    spec: FieldSpec, comparison: Comparison, schema: QuerySchema, settings: FilterSettings
) -> Predicate:
    if comparison.op in _ORDER_OPS:
        raise _refuse(spec, comparison, "=, != or ~")
    label_sql, label_params = (" AND label = ?", (spec.sub,)) if spec.sub else ("", ())
    if not comparison.values:
        where = f" WHERE {label_sql[5:]}" if label_sql else ""
        return _membership(
            f"SELECT contact_id FROM emails{where}", label_params, comparison.op == "="
        )
    inner = _text_predicates(Predicate("address"), comparison, comparison.values)
    return _membership(
        f"SELECT contact_id FROM emails WHERE {inner.sql}{label_sql}",
        (*inner.params, *label_params),
        comparison.op == "!=",
    )


def _linked(
    spec: FieldSpec, comparison: Comparison, schema: QuerySchema, settings: FilterSettings
) -> Predicate:
    """`organization` (a person's organizations) and `member` (an organization's people)."""
    if comparison.op in _ORDER_OPS:
        raise _refuse(spec, comparison, "=, != or ~")
    mine, theirs = (
        ("person_id", "organization_id")
        if spec.kind == "organization"
        else (
            "organization_id",
            "person_id",
        )
    )
    if not comparison.values:
        return _membership(f"SELECT {mine} FROM memberships", (), comparison.op == "=")
    inner = _text_predicates(Predicate("o.name"), comparison, comparison.values)
    if spec.kind == "organization" and comparison.op != "~":
        nips = [v.translate(_IDENTIFIER_SEPARATORS).removeprefix("PL") for v in comparison.values]
        nips = [nip for nip in nips if nip.isdigit() and len(nip) == 10]
        if nips:
            inner = _any_of(
                [inner, Predicate(f"o.nip IN ({_placeholders(len(nips))})", tuple(nips))]
            )
    return _membership(
        f"SELECT m.{mine} FROM memberships m JOIN contacts o ON o.id = m.{theirs}"
        f" WHERE {inner.sql}",
        inner.params,
        comparison.op == "!=",
    )


# -- custom fields -------------------------------------------------------------------------


def _custom(
    spec: FieldSpec, comparison: Comparison, schema: QuerySchema, settings: FilterSettings
) -> Predicate:
    definition = spec.custom
    assert definition is not None
    path = f"$.{definition.key}"
    expr = Predicate("json_extract(c.custom, ?)", (path,))
    kind = definition.type
    op = comparison.op
    if kind == "checkbox":
        return _custom_checkbox(spec, comparison, expr)
    if kind == "multiselect":
        return _multiselect(spec, comparison, path)
    if not comparison.values:
        return _empty_text(expr, comparison)
    if kind in ("number", "date", "datetime"):
        if op == "~":
            raise _refuse(spec, comparison, "=, !=, >, >=, < or <=")
        if kind == "number":
            return _compare(expr, op, _number_values(comparison), comparison)
        if kind == "datetime":
            return _moment_predicates(expr, comparison, settings)
        return _compare(expr, op, _date_values(comparison, settings), comparison)
    if op in _ORDER_OPS:
        raise _refuse(spec, comparison, "=, != or ~")
    if kind == "select" and op != "~":
        return _compare(expr, op, _options(spec, comparison), comparison)
    return _with_negation(comparison, _text_predicates(expr, comparison, comparison.values))


def _custom_checkbox(spec: FieldSpec, comparison: Comparison, expr: Predicate) -> Predicate:
    """A missing checkbox value is an unticked box."""
    from crmkit.values.checkbox import parse_checkbox

    if comparison.op not in ("=", "!="):
        raise _refuse(spec, comparison, "= or !=")
    if len(comparison.values) != 1:
        raise CrmError(f"filter {comparison.text!r} needs one value: yes or no")
    try:
        wanted = parse_checkbox(comparison.values[0]) != (comparison.op == "!=")
    except InvalidValue:
        raise _value_error(comparison, comparison.values[0], "not yes or no") from None
    return _apply("coalesce({e}, 0) = ?", expr, int(wanted))


def _date_values(comparison: Comparison, settings: FilterSettings) -> list[str]:
    from crmkit.values.datetimes import parse_date

    days = []
    for value in comparison.values:
        try:
            days.append(parse_date(value, settings.dayfirst))
        except InvalidValue:
            raise _value_error(comparison, value, "not a date") from None
    return days


def _options(spec: FieldSpec, comparison: Comparison) -> list[str]:
    """The field's own spelling of each option the values name."""
    definition = spec.custom
    assert definition is not None
    by_key = {name_key(option): option for option in definition.options}
    found = []
    for value in comparison.values:
        option = by_key.get(name_key(value))
        if option is None:
            raise CrmError(
                f"filter {comparison.text!r}: {value!r} is not an option of {definition.key}"
                f" (options: {', '.join(definition.options)})"
            )
        found.append(option)
    return found


def _multiselect(spec: FieldSpec, comparison: Comparison, path: str) -> Predicate:
    op = comparison.op
    if op in _ORDER_OPS:
        raise _refuse(spec, comparison, "=, != or ~")
    if not comparison.values:
        if op == "~":
            raise CrmError(f"filter {comparison.text!r} needs a value after ~")
        has_any = Predicate(
            "EXISTS (SELECT 1 FROM json_each(c.custom, ?) WHERE json_each.type <> 'null')", (path,)
        )
        return has_any if op == "!=" else _negate(has_any)
    if op == "~":
        inner = _any_of(
            [Predicate("instr(crm_fold(value), ?) > 0", (fold_text(v),)) for v in comparison.values]
        )
    else:
        options = _options(spec, comparison)
        inner = Predicate(f"value IN ({_placeholders(len(options))})", tuple(options))
    has = Predicate(
        f"EXISTS (SELECT 1 FROM json_each(c.custom, ?) WHERE {inner.sql})", (path, *inner.params)
    )
    return _negate(has) if op == "!=" else has


_Compiler = Callable[[FieldSpec, Comparison, QuerySchema, FilterSettings], Predicate]
_COMPILERS: dict[str, _Compiler] = {
    "text": _text,
    "identifier": _identifier,
    "kind": _kind,
    "flag": _flag,
    "number": _number,
    "datetime": _datetime,
    "tag": _tag,
    "guardian": _user,
    "observer": _user,
    "phone": _phone,
    "email": _email,
    "organization": _linked,
    "member": _linked,
    "custom": _custom,
}

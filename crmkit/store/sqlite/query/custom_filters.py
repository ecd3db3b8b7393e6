"""Filters on custom fields, each compared by its own type.

Numbers compare as numbers, dates and datetimes as periods or moments, a
checkbox left empty is unticked, a select option is named like the field names
it (case-insensitively), and a multiselect field "has" an option.
"""

from __future__ import annotations

from crmkit.errors import CrmError, InvalidValue
from crmkit.query.filters import Comparison
from crmkit.store.sqlite.query.fields import FieldSpec, QuerySchema
from crmkit.store.sqlite.query.predicates import (
    ORDER_OPS,
    FilterSettings,
    Predicate,
    any_of,
    apply,
    compare,
    empty_text,
    moment_predicates,
    negate,
    number_values,
    placeholders,
    refuse,
    text_predicates,
    value_error,
    with_negation,
)
from crmkit.values.names import fold_text, name_key

__all__ = ["compile_custom"]


def compile_custom(
    spec: FieldSpec,
    comparison: Comparison,
    schema: QuerySchema,
    settings: FilterSettings,
    source: str = "c.custom",
) -> Predicate:
    """The predicate on a custom field, whose values are the JSON object `source`
    (a contact's custom values; a group's record, for `GROUP.FIELD` filters)."""
    definition = spec.custom
    assert definition is not None
    path = f"$.{definition.key}"
    expr = Predicate(f"json_extract({source}, ?)", (path,))
    kind = definition.type
    op = comparison.op
    if kind == "checkbox":
        return _custom_checkbox(spec, comparison, expr)
    if kind == "multiselect":
        return _multiselect(spec, comparison, path, source)
    if not comparison.values:
        return empty_text(expr, comparison)
    if kind in ("number", "date", "datetime"):
        if op == "~":
            raise refuse(spec, comparison, "=, !=, >, >=, < or <=")
        if kind == "number":
            # A number as a number on either backend (PostgreSQL reads JSON values as text).
            number = Predicate(f"CAST(json_extract({source}, ?) AS REAL)", (path,))
            return compare(number, op, number_values(comparison), comparison)
        if kind == "datetime":
            return moment_predicates(expr, comparison, settings)
        return moment_predicates(expr, comparison, settings, dates=True)
    if op in ORDER_OPS:
        raise refuse(spec, comparison, "=, != or ~")
    if kind == "select" and op != "~":
        return compare(expr, op, _options(spec, comparison), comparison)
    return with_negation(comparison, text_predicates(expr, comparison, comparison.values))


def _custom_checkbox(spec: FieldSpec, comparison: Comparison, expr: Predicate) -> Predicate:
    """A missing checkbox value is an unticked box."""
    from crmkit.values.checkbox import parse_checkbox

    if comparison.op not in ("=", "!="):
        raise refuse(spec, comparison, "= or !=")
    if len(comparison.values) != 1:
        raise CrmError(f"filter {comparison.text!r} needs one value: yes or no")
    try:
        wanted = parse_checkbox(comparison.values[0]) != (comparison.op == "!=")
    except InvalidValue:
        raise value_error(comparison, comparison.values[0], "not yes or no") from None
    return apply("coalesce(CAST({e} AS INTEGER), 0) = ?", expr, int(wanted))


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


def _multiselect(spec: FieldSpec, comparison: Comparison, path: str, source: str) -> Predicate:
    op = comparison.op
    if op in ORDER_OPS:
        raise refuse(spec, comparison, "=, != or ~")
    if not comparison.values:
        if op == "~":
            raise CrmError(f"filter {comparison.text!r} needs a value after ~")
        has_any = Predicate(
            f"EXISTS (SELECT 1 FROM json_each({source}, ?) WHERE json_each.type <> 'null')",
            (path,),
        )
        return has_any if op == "!=" else negate(has_any)
    if op == "~":
        inner = any_of(
            [Predicate("instr(crm_fold(value), ?) > 0", (fold_text(v),)) for v in comparison.values]
        )
    else:
        options = _options(spec, comparison)
        inner = Predicate(f"value IN ({placeholders(len(options))})", tuple(options))
    has = Predicate(
        f"EXISTS (SELECT 1 FROM json_each({source}, ?) WHERE {inner.sql})", (path, *inner.params)
    )
    return negate(has) if op == "!=" else has

"""Filters on groups of special fields: `orders.amount>=1000` and `orders.count>=3`.

`GROUP.FIELD OP VALUE` selects contacts with any record of the group whose field
compares so, each field read by its type as a custom field is
(`custom_filters`); `!=` selects those with no record equal to the value (a
contact without records of the group among them). `GROUP.FIELD=` with no value
selects contacts none of whose records has the field filled, `GROUP.FIELD!=`
those with one that has. `GROUP.count OP N` compares how many records of the
group a contact has.
"""

from __future__ import annotations

from crmkit.query.filters import Comparison
from crmkit.store.sqlite.query.custom_filters import compile_custom
from crmkit.store.sqlite.query.fields import FieldSpec, GroupDef, QuerySchema
from crmkit.store.sqlite.query.predicates import (
    FilterSettings,
    Predicate,
    compare,
    number_values,
    refuse,
)

__all__ = ["GROUP_COMPILERS"]


def _group_of(spec: FieldSpec) -> GroupDef:
    assert spec.group is not None
    return spec.group


def _field(
    spec: FieldSpec, comparison: Comparison, schema: QuerySchema, settings: FilterSettings
) -> Predicate:
    negative = comparison.op == "!="
    empty = not comparison.values and comparison.op in ("=", "!=")
    if empty and spec.custom is not None and spec.custom.type != "checkbox":
        filled = compile_custom(
            spec, comparison._replace(op="!="), schema, settings, source="r.fields"
        )
        return _any_record(_group_of(spec), filled, negative=not negative)
    positive = comparison._replace(op="=") if negative else comparison
    inner = compile_custom(spec, positive, schema, settings, source="r.fields")
    return _any_record(_group_of(spec), inner, negative=negative)


def _any_record(group: GroupDef, inner: Predicate, *, negative: bool) -> Predicate:
    """Whether any record of the group on the contact meets `inner` (`negative`: none does)."""
    return Predicate(
        f"{'NOT ' if negative else ''}EXISTS (SELECT 1 FROM group_records r"
        f" WHERE r.contact_id = c.id AND r.group_id = ? AND {inner.sql})",
        (group.id, *inner.params),
    )


def _count(
    spec: FieldSpec, comparison: Comparison, schema: QuerySchema, settings: FilterSettings
) -> Predicate:
    group = _group_of(spec)
    if comparison.op == "~":
        raise refuse(spec, comparison, "=, !=, >, >=, < or <=")
    counted = Predicate(
        "(SELECT count(*) FROM group_records r WHERE r.contact_id = c.id AND r.group_id = ?)",
        (group.id,),
    )
    return compare(counted, comparison.op, number_values(comparison), comparison)


GROUP_COMPILERS = {"group_field": _field, "group_count": _count}

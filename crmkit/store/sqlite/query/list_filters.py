"""Filters on what a contact has: tags, guardians, observers, phones, e-mails, links.

`=` means "has" (any of the alternatives), `!=` "has none of them", `~` "has one
whose name contains"; an empty value asks whether the contact has any at all.
Tags and users are matched by name like imports match them, and an unknown
name is an error rather than an empty result.
"""

from __future__ import annotations

from typing import Any

from crmkit.errors import CrmError, InvalidValue
from crmkit.query.filters import Comparison
from crmkit.store.sqlite.query.fields import FieldSpec, QuerySchema
from crmkit.store.sqlite.query.predicates import (
    ORDER_OPS,
    FilterSettings,
    Predicate,
    any_of,
    placeholders,
    refuse,
    text_predicates,
    value_error,
    yes_or_no,
)
from crmkit.values.names import fold_text, name_key

__all__ = ["LIST_COMPILERS", "IDENTIFIER_SEPARATORS"]

IDENTIFIER_SEPARATORS = str.maketrans("", "", " \t-.")


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
    if comparison.op in ORDER_OPS:
        raise refuse(spec, comparison, "=, != or ~")
    if not comparison.values:
        return _membership("SELECT contact_id FROM contact_tags", (), comparison.op == "=")
    ids = _named_ids(spec, comparison, schema.tags, "tag")
    return _membership(
        f"SELECT contact_id FROM contact_tags WHERE tag_id IN ({placeholders(len(ids))})",
        tuple(ids),
        comparison.op == "!=",
    )


def _user(
    spec: FieldSpec, comparison: Comparison, schema: QuerySchema, settings: FilterSettings
) -> Predicate:
    if comparison.op in ORDER_OPS:
        raise refuse(spec, comparison, "=, != or ~")
    role = spec.kind
    if not comparison.values:
        return _membership(
            "SELECT contact_id FROM contact_users WHERE role = ?", (role,), comparison.op == "="
        )
    ids = _named_ids(spec, comparison, schema.users, "user")
    return _membership(
        "SELECT contact_id FROM contact_users"
        f" WHERE role = ? AND user_id IN ({placeholders(len(ids))})",
        (role, *ids),
        comparison.op == "!=",
    )


def _phone(
    spec: FieldSpec, comparison: Comparison, schema: QuerySchema, settings: FilterSettings
) -> Predicate:
    if comparison.op in ORDER_OPS:
        raise refuse(spec, comparison, "=, != or ~")
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
                raise value_error(comparison, value, "not a part of a phone number (no digits)")
            parts.append(Predicate("instr(number, ?) > 0", (digits,)))
        inner = any_of(parts)
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
            raise value_error(comparison, value, "not a valid phone number") from None
    return _membership(
        f"SELECT contact_id FROM phones WHERE number IN ({placeholders(len(numbers))}){type_sql}",
        (*numbers, *type_params),
        comparison.op == "!=",
    )


def _email(
    spec: FieldSpec, comparison: Comparison, schema: QuerySchema, settings: FilterSettings
) -> Predicate:
    if comparison.op in ORDER_OPS:
        raise refuse(spec, comparison, "=, != or ~")
    label_sql, label_params = (" AND label = ?", (spec.sub,)) if spec.sub else ("", ())
    if not comparison.values:
        where = f" WHERE {label_sql[5:]}" if label_sql else ""
        return _membership(
            f"SELECT contact_id FROM emails{where}", label_params, comparison.op == "="
        )
    inner = text_predicates(Predicate("address"), comparison, comparison.values)
    return _membership(
        f"SELECT contact_id FROM emails WHERE {inner.sql}{label_sql}",
        (*inner.params, *label_params),
        comparison.op == "!=",
    )


def _linked(
    spec: FieldSpec, comparison: Comparison, schema: QuerySchema, settings: FilterSettings
) -> Predicate:
    """`organization` (a person's organizations) and `member` (an organization's people)."""
    if comparison.op in ORDER_OPS:
        raise refuse(spec, comparison, "=, != or ~")
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
    inner = text_predicates(Predicate("o.name"), comparison, comparison.values)
    if spec.kind == "organization" and comparison.op != "~":
        nips = [v.translate(IDENTIFIER_SEPARATORS).removeprefix("PL") for v in comparison.values]
        nips = [nip for nip in nips if nip.isdigit() and len(nip) == 10]
        if nips:
            inner = any_of([inner, Predicate(f"o.nip IN ({placeholders(len(nips))})", tuple(nips))])
    return _membership(
        f"SELECT m.{mine} FROM memberships m JOIN contacts o ON o.id = m.{theirs}"
        f" WHERE {inner.sql}",
        inner.params,
        comparison.op == "!=",
    )


def _blacklisted(
    spec: FieldSpec, comparison: Comparison, schema: QuerySchema, settings: FilterSettings
) -> Predicate:
    """`blacklisted=yes`: a number of the contact is on the blacklist; `=no`: none is."""
    return _membership(
        "SELECT p.contact_id FROM blacklist b JOIN phones p ON p.number = b.number",
        (),
        not yes_or_no(spec, comparison),
    )


def _consent(
    spec: FieldSpec, comparison: Comparison, schema: QuerySchema, settings: FilterSettings
) -> Predicate:
    """`consent.email=given`: the contact's consent on the channel is in that state;
    `!=given`: it is not (withdrawn, or never recorded)."""
    if comparison.op not in ("=", "!="):
        raise refuse(spec, comparison, "= or !=")
    states = [value.strip().lower() for value in comparison.values]
    for state in states:
        if state not in ("given", "withdrawn"):
            raise value_error(comparison, state, "not given or withdrawn")
    return _membership(
        "SELECT contact_id FROM consents WHERE channel = ?"
        f" AND state IN ({placeholders(len(states))})",
        (spec.sub, *states),
        comparison.op == "!=",
    )


LIST_COMPILERS = {
    "tag": _tag,
    "guardian": _user,
    "observer": _user,
    "phone": _phone,
    "email": _email,
    "organization": _linked,
    "member": _linked,
    "blacklisted": _blacklisted,
    "consent": _consent,
}

"""Columns of a contact for tables and CSV: `--columns` names checked against the schema.

A column is either one SQL expression over `contacts c` (scalars, address
parts, flags, custom fields — computed by SQLite, as text) or a list the
contact has (phones, e-mails, tags, guardians, observers, organizations,
members), gathered per chunk and joined with ` | `. Column names are mapping
targets, so a CSV written with them imports back without a mapping.
"""

from __future__ import annotations

import sqlite3
from typing import NamedTuple

from crmkit.errors import CrmError
from crmkit.store.sqlite.query.fields import ADDRESS_PARTS, PHONE_TYPES, CustomFieldDef, QuerySchema

__all__ = [
    "ColumnSpec",
    "LIST_COLUMNS",
    "NO_LABEL",
    "resolve_columns",
    "export_columns",
    "parse_column_names",
    "valid_column_names",
]

LIST_COLUMNS: tuple[str, ...] = (
    "id",
    "kind",
    "name",
    "phones",
    "emails",
    "city",
    "organization",
    "tags",
)
# The `sub` of the e-mail column of a round-trip export that holds addresses without a
# label (or with one that cannot be a column name).
NO_LABEL = "\x00no label"
_SCALAR_TEXT = (
    "external_id",
    "first_name",
    "last_name",
    "name",
    "position",
    "stage",
    "source",
    "segment",
    *ADDRESS_PARTS,
    "id_document",
    "note",
)
_SCALAR_PLAIN = ("kind", "pesel", "nip", "krs", "regon", "created_at", "updated_at")
_LIST_KINDS = {
    "phone": ("phones", None),
    "phones": ("phones", None),
    "email": ("emails", None),
    "emails": ("emails", None),
    "tag": ("tags", None),
    "tags": ("tags", None),
    "guardian": ("guardians", None),
    "guardians": ("guardians", None),
    "observer": ("observers", None),
    "observers": ("observers", None),
    "organization": ("organizations", None),
    "organizations": ("organizations", None),
    "member": ("members", None),
    "members": ("members", None),
}


class ColumnSpec(NamedTuple):
    """One output column: `header` as printed, and where its text comes from.

    `kind` is "sql" (the text of the SQL expression `sql` over `contacts c`, NULL
    for nothing; `guarded` when it may need spreadsheet escaping), "custom" (the
    custom field `sub` of type `field_type`) or a list
    kind: phones (`sub` a phone type, or None for all), emails (`sub` a label,
    NO_LABEL or None for all), tags, guardians, observers, organizations, members.
    """

    header: str
    kind: str
    sql: str = ""
    sub: str | None = None
    field_type: str | None = None
    guarded: bool = False


def _scalar(header: str, column: str) -> ColumnSpec:
    if column == "id":
        return ColumnSpec(header, "sql", "CAST(c.id AS TEXT)")
    if column in ("vip", "hidden"):
        return ColumnSpec(header, "sql", f"CASE c.{column} WHEN 1 THEN 'yes' ELSE 'no' END")
    return ColumnSpec(header, "sql", f"c.{column}", guarded=column not in _SCALAR_PLAIN)


def _custom(header: str, definition: CustomFieldDef) -> ColumnSpec:
    return ColumnSpec(
        header,
        "custom",
        sub=definition.key,
        field_type=definition.type,
    )


def valid_column_names(schema: QuerySchema) -> list[str]:
    names = ["id", "kind", *_SCALAR_TEXT[:8], *ADDRESS_PARTS, "pesel", "id_document"]
    names += ["nip", "krs", "regon", "vip", "hidden", "note", "created_at", "updated_at"]
    names += ["phones", *(f"phone.{t}" for t in PHONE_TYPES), "emails", "email.<label>"]
    names += ["tags", "guardians", "observers", "organization", "members"]
    names += [f"custom.{key}" for key in schema.custom_fields]
    return names


def resolve_columns(names: list[str] | tuple[str, ...], schema: QuerySchema) -> list[ColumnSpec]:
    """Check `--columns` names; CrmError naming an unknown one and listing the valid ones."""
    specs = []
    for raw in names:
        name = raw.strip()
        specs.append(_resolve(name, schema))
    if not specs:
        raise CrmError("--columns names no column")
    return specs


def _resolve(name: str, schema: QuerySchema) -> ColumnSpec:
    lowered = name.lower()
    head, _, tail = lowered.partition(".")
    if lowered in ("id", "vip", "hidden", *_SCALAR_TEXT, *_SCALAR_PLAIN):
        return _scalar(name, lowered)
    if head == "address" and tail in ADDRESS_PARTS:
        return _scalar(name, tail)
    listed = _LIST_KINDS.get(lowered)
    if listed is not None:
        return ColumnSpec(name, listed[0])
    if head in ("phone", "phones") and tail in PHONE_TYPES:
        return ColumnSpec(name, "phones", sub=tail)
    if head in ("email", "emails") and tail:
        return ColumnSpec(name, "emails", sub=name.partition(".")[2])
    if head == "custom":
        definition = schema.custom_fields.get(name.partition(".")[2])
        if definition is not None:
            return _custom(name, definition)
        known = ", ".join(f"custom.{key}" for key in schema.custom_fields) or "none defined yet"
        raise CrmError(f"unknown column {name!r}; custom fields: {known}")
    raise CrmError(
        f"unknown column {name!r}; valid columns are: {', '.join(valid_column_names(schema))}"
    )


def parse_column_names(text: str | None) -> list[str] | None:
    """`--columns name,phones,custom.industry` as a list (None when not given)."""
    if text is None:
        return None
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise CrmError("--columns needs at least one column name, e.g. --columns name,phones")
    return names


def export_columns(conn: sqlite3.Connection, schema: QuerySchema) -> list[ColumnSpec]:
    """Every column of a contact, headed by its mapping target, for a round-trip CSV.

    Phone types and e-mail labels are those in use, so the file has no empty
    columns for types nobody has.
    """
    used_types = {row[0] for row in conn.execute("SELECT DISTINCT type FROM phones")}
    # No label first, then by code point on every backend (PostgreSQL puts NULL last).
    labels = sorted(
        (row[0] for row in conn.execute("SELECT DISTINCT label FROM emails")),
        key=lambda label: (label is not None, label or ""),
    )
    specs = [_scalar("id", "id"), _scalar("kind", "kind"), _scalar("external_id", "external_id")]
    specs += [_scalar(name, name) for name in _SCALAR_TEXT[1:8]]
    specs += [ColumnSpec(f"phone.{t}", "phones", sub=t) for t in PHONE_TYPES if t in used_types]
    for label in labels:
        if label is None:
            specs.append(ColumnSpec("email", "emails", sub=NO_LABEL))
        elif "." not in label and "|" not in label and label.strip() == label and label:
            specs.append(ColumnSpec(f"email.{label}", "emails", sub=label))
    specs += [_scalar(f"address.{part}", part) for part in ADDRESS_PARTS]
    specs += [_scalar(name, name) for name in ("pesel", "id_document", "nip", "krs", "regon")]
    specs += [ColumnSpec(name, name) for name in ("tags", "guardians", "observers")]
    specs.append(ColumnSpec("organization", "organizations"))
    specs += [
        _custom(f"custom.{key}", definition) for key, definition in schema.custom_fields.items()
    ]
    specs += [_scalar(name, name) for name in ("vip", "hidden", "note", "created_at", "updated_at")]
    return specs

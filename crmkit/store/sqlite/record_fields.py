"""A contact's record as fields: compared for the history, written back by undo and merge.

A field is a scalar of the JSON record (`stage`, `vip`, ...), an address part
(`address.city`), a custom value (`custom.budget`), or one of the lists
`phones`, `emails`, `tags`, `guardians`, `observers`, `organizations`, taken
whole. Values are the record's own (canonical, JSON-ready), so what the
history holds can be written back as it is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from crmkit.store.sqlite.connection import Store
from crmkit.store.sqlite.schema import CONTACT_COLUMNS

__all__ = [
    "flatten_record",
    "diff_records",
    "write_fields",
    "insert_record",
    "LIST_FIELDS",
]

LIST_FIELDS = ("phones", "emails", "tags", "guardians", "observers", "organizations")
_ADDRESS = ("street", "street2", "postal_code", "city", "region", "country")
_SCALARS = frozenset(CONTACT_COLUMNS) - {"kind", "custom", *_ADDRESS}
# Derived from other contacts' fields (an organization's members are its persons' links),
# or kept with entries of their own (a contact's campaigns, group records and cases).
_NOT_FIELDS = frozenset(
    {"id", "kind", "members", "address", "custom", "campaigns", "groups", "cases"}
)
_encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


def flatten_record(record: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return the record's fields and values, empty values left out."""
    if record is None:
        return {}
    fields: dict[str, Any] = {}
    for key, value in record.items():
        if key in _NOT_FIELDS:
            continue
        if key in LIST_FIELDS and key == "organizations":
            value = [{k: link[k] for k in ("id", "name", "since", "until")} for link in value]
        fields[key] = value
    for part, value in (record.get("address") or {}).items():
        fields[f"address.{part}"] = value
    for key, value in (record.get("custom") or {}).items():
        fields[f"custom.{key}"] = value
    return {key: value for key, value in fields.items() if not _empty(key, value)}


def _empty(field: str, value: Any) -> bool:
    """Whether a value is no value: None, an empty text or list, or a flag that is off.

    A custom checkbox that is false is a value (it differs from no answer).
    """
    if value is None or (isinstance(value, (str, list)) and not value):
        return True
    return field in ("vip", "hidden") and value is False


def diff_records(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> list[list[Any]]:
    """Return `[field, old, new]` for each field whose value differs, in field order."""
    old, new = flatten_record(before), flatten_record(after)
    changes = []
    for field in [*old, *(key for key in new if key not in old)]:
        was, now = old.get(field), new.get(field)
        if was != now and _encode(was) != _encode(now):
            changes.append([field, was, now])
    return changes


def write_fields(store: Store, contact_id: int, values: Mapping[str, Any]) -> None:
    """Give the contact these field values (None or [] empties a field).

    Tags and users are found by name (a deleted one is created again, so that
    nothing the history holds is lost); memberships of organizations that no
    longer exist are left out. The search document is rebuilt.
    """
    from crmkit.store.sqlite.search_index import refresh_search_index

    conn = store.conn
    columns: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for field, value in values.items():
        if field.startswith("address."):
            columns[field.removeprefix("address.")] = value
        elif field.startswith("custom."):
            custom[field.removeprefix("custom.")] = value
        elif field in ("vip", "hidden"):
            columns[field] = int(bool(value))
        elif field in _SCALARS:
            columns[field] = value
        elif field in LIST_FIELDS:
            _write_list(store, contact_id, field, value or [])
    if custom:
        text = store.one("SELECT custom FROM contacts WHERE id = ?", (contact_id,)) or "{}"
        stored = json.loads(text)
        for key, value in custom.items():
            if value in (None, [], ""):
                stored.pop(key, None)
            else:
                stored[key] = value
        columns["custom"] = json.dumps(stored, ensure_ascii=False)
    if columns:
        names = ", ".join(f"{column} = ?" for column in columns)
        conn.execute(f"UPDATE contacts SET {names} WHERE id = ?", (*columns.values(), contact_id))
    refresh_search_index(store, [contact_id])


def insert_record(store: Store, record: Mapping[str, Any]) -> None:
    """Store a contact again from its record, with its id, lists and times.

    Memberships are not written: the caller moves them back by their ids.
    """
    address = record.get("address") or {}
    values = {
        column: address.get(column) if column in _ADDRESS else record.get(column)
        for column in CONTACT_COLUMNS
    }
    values["custom"] = json.dumps(record.get("custom") or {}, ensure_ascii=False)
    values["vip"] = int(bool(values["vip"]))
    values["hidden"] = int(bool(values["hidden"]))
    store.conn.execute(
        f"INSERT INTO contacts (id, {', '.join(values)}) VALUES (?{', ?' * len(values)})",
        (record["id"], *values.values()),
    )
    write_fields(
        store,
        record["id"],
        {field: record.get(field) for field in LIST_FIELDS if field != "organizations"},
    )


def _write_list(store: Store, contact_id: int, field: str, value: list[Any]) -> None:
    """Replace one list field of the contact."""
    conn = store.conn
    if field == "phones":
        conn.execute("DELETE FROM phones WHERE contact_id = ?", (contact_id,))
        conn.executemany(
            "INSERT INTO phones (contact_id, position, number, type, label) VALUES (?, ?, ?, ?, ?)",
            [
                (contact_id, position, phone["number"], phone["type"], phone.get("label"))
                for position, phone in enumerate(value)
            ],
        )
    elif field == "emails":
        conn.execute("DELETE FROM emails WHERE contact_id = ?", (contact_id,))
        conn.executemany(
            "INSERT INTO emails (contact_id, position, address, label) VALUES (?, ?, ?, ?)",
            [
                (contact_id, position, email["address"], email.get("label"))
                for position, email in enumerate(value)
            ],
        )
    elif field == "tags":
        conn.execute("DELETE FROM contact_tags WHERE contact_id = ?", (contact_id,))
        conn.executemany(
            "INSERT OR IGNORE INTO contact_tags (contact_id, tag_id) VALUES (?, ?)",
            [(contact_id, _tag_id(store, name)) for name in value],
        )
    elif field in ("guardians", "observers"):
        role = field.removesuffix("s")
        conn.execute(
            "DELETE FROM contact_users WHERE contact_id = ? AND role = ?", (contact_id, role)
        )
        conn.executemany(
            "INSERT OR IGNORE INTO contact_users (contact_id, user_id, role) VALUES (?, ?, ?)",
            [(contact_id, _user_id(store, name), role) for name in value],
        )
    elif field == "organizations":
        conn.execute("DELETE FROM memberships WHERE person_id = ?", (contact_id,))
        existing = [
            link
            for link in value
            if store.one("SELECT 1 FROM contacts WHERE id = ?", (link["id"],)) is not None
        ]
        conn.executemany(
            "INSERT INTO memberships (person_id, organization_id, since, until)"
            " VALUES (?, ?, ?, ?)",
            [(contact_id, link["id"], link.get("since"), link.get("until")) for link in existing],
        )


def _tag_id(store: Store, name: str) -> int:
    from crmkit.values.names import name_key

    key = name_key(name)
    found = store.one("SELECT id FROM tags WHERE key = ?", (key,))
    if found is None:
        found = store.conn.execute(
            "INSERT INTO tags (name, key) VALUES (?, ?)", (name, key)
        ).lastrowid
    return int(found)


def _user_id(store: Store, name: str) -> int:
    from crmkit.values.names import name_key

    key = name_key(name)
    found = store.one("SELECT id FROM users WHERE key = ?", (key,))
    if found is None:
        found = store.conn.execute(
            "INSERT INTO users (full_name, key) VALUES (?, ?)", (name, key)
        ).lastrowid
    return int(found)

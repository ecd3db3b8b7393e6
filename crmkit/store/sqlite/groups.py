"""Groups of special fields in SQLite: their definitions, and the records contacts hold.

A group (`field_groups`) has a key, a label and its fields, kept as JSON in the
shape of custom fields. Each record (`group_records`) belongs to one contact and
one group and keeps its values as a JSON object by field key, canonical already
(`crmkit.groups` converts them). Every change of a record is a history entry of
its contact, field by field (`orders.amount` old → new).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from crmkit.errors import CrmError, NotFound
from crmkit.store.sqlite.connection import Store
from crmkit.store.sqlite.history import HistoryLog, Origin
from crmkit.values.datetimes import utc_now

__all__ = [
    "insert_group",
    "group_rows",
    "group_row",
    "insert_group_record",
    "update_group_record",
    "delete_group_record",
    "group_record_rows",
    "group_record_row",
    "encode_record_fields",
]

_encode = json.JSONEncoder(ensure_ascii=False).encode
_RECORD = "SELECT r.id, r.contact_id, g.key, r.fields, r.created_at, r.updated_at" \
    " FROM group_records r JOIN field_groups g ON g.id = r.group_id"  # fmt: skip


def insert_group(
    store: Store, key: str, label: str, fields: list[dict[str, Any]]
) -> dict[str, Any]:
    """Define a group; raise `CrmError` if the key is taken."""
    with store.transaction() as conn:
        if store.one("SELECT 1 FROM field_groups WHERE key = ?", (key,)):
            raise CrmError(f"a group of fields {key!r} exists already")
        conn.execute(
            "INSERT INTO field_groups (key, label, fields) VALUES (?, ?, ?)",
            (key, label, _encode(fields)),
        )
    return group_row(store, key)


def group_rows(store: Store) -> list[dict[str, Any]]:
    """Return every group, by key, with its fields and how many records it holds."""
    rows = []
    for row in store.rows(
        "SELECT g.id, g.key, g.label, g.fields,"
        " (SELECT count(*) FROM group_records WHERE group_id = g.id) AS records"
        " FROM field_groups g ORDER BY g.key"
    ):
        entry = dict(row)
        entry["fields"] = json.loads(entry["fields"])
        rows.append(entry)
    return rows


def group_row(store: Store, key: str) -> dict[str, Any]:
    """Return one group by key; raise `NotFound` naming the groups there are."""
    rows = store.rows("SELECT id, key, label, fields FROM field_groups WHERE key = ?", (key,))
    if not rows:
        known = ", ".join(row[0] for row in store.conn.execute("SELECT key FROM field_groups"))
        raise NotFound(
            f"no group of fields {key!r}"
            + (f" (groups: {known})" if known else "; add one with `crm field group add`")
        )
    row = dict(rows[0])
    row["fields"] = json.loads(row["fields"])
    return row


def insert_group_record(
    store: Store,
    group: dict[str, Any],
    contact_id: int,
    values: Mapping[str, Any],
    user: str | None,
) -> dict[str, Any]:
    """Add a record of `group` to a contact; return it."""
    if store.one("SELECT 1 FROM contacts WHERE id = ?", (contact_id,)) is None:
        raise NotFound(f"no contact with id {contact_id}")
    kept, text = encode_record_fields(group, values)
    now = utc_now()
    log = HistoryLog(store, Origin(user, store.source), now)
    with store.transaction() as conn:
        cursor = conn.execute(
            "INSERT INTO group_records (group_id, contact_id, fields, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (group["id"], contact_id, text, now, now),
        )
        record_id = int(cursor.lastrowid or 0)
        changes = [[f"{group['key']}.{key}", None, value] for key, value in kept.items()]
        log.add("record add", contact_id, changes, {"group": group["key"], "record": record_id})
        log.flush()
    return group_record_row(store, record_id)


def encode_record_fields(
    group: dict[str, Any], values: Mapping[str, Any]
) -> tuple[dict[str, Any], str]:
    """Return a record's values in the group's field order, empty ones left out, and the
    JSON text stored (the same values always give the same text)."""
    order = [entry["key"] for entry in group["fields"]]
    kept = {key: values[key] for key in order if values.get(key) is not None}
    return kept, _encode(kept)


def update_group_record(
    store: Store, record_id: int, values: Mapping[str, Any], user: str | None
) -> dict[str, Any]:
    """Give a record these values (None empties a field); return it."""
    before = group_record_row(store, record_id)
    after = dict(before["fields"])
    for key, value in values.items():
        if value is None:
            after.pop(key, None)
        else:
            after[key] = value
    group = before["group"]
    order = [entry["key"] for entry in group_row(store, group)["fields"]]
    after = {key: after[key] for key in order if key in after}
    changes = [
        [f"{group}.{key}", before["fields"].get(key), after.get(key)]
        for key in dict.fromkeys([*before["fields"], *after])
        if before["fields"].get(key) != after.get(key)
    ]
    now = utc_now()
    log = HistoryLog(store, Origin(user, store.source), now)
    with store.transaction() as conn:
        conn.execute(
            "UPDATE group_records SET fields = ?, updated_at = ? WHERE id = ?",
            (_encode(after), now, record_id),
        )
        if changes:
            log.add(
                "record edit",
                before["contact_id"],
                changes,
                {"group": group, "record": record_id},
            )
            log.flush()
    return group_record_row(store, record_id)


def delete_group_record(store: Store, record_id: int, user: str | None) -> dict[str, Any]:
    """Delete a record; return what it held."""
    before = group_record_row(store, record_id)
    group = before["group"]
    log = HistoryLog(store, Origin(user, store.source), utc_now())
    with store.transaction() as conn:
        conn.execute("DELETE FROM group_records WHERE id = ?", (record_id,))
        changes = [[f"{group}.{key}", value, None] for key, value in before["fields"].items()]
        log.add(
            "record delete", before["contact_id"], changes, {"group": group, "record": record_id}
        )
        log.flush()
    return before


def group_record_row(store: Store, record_id: int) -> dict[str, Any]:
    """Return one record by id; raise `NotFound`."""
    row = store.conn.execute(f"{_RECORD} WHERE r.id = ?", (record_id,)).fetchone()
    if row is None:
        raise NotFound(f"no record with id {record_id}")
    return _record(row)


def group_record_rows(
    store: Store, contact_id: int, group: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """Return a contact's records (of one group, or of all), by group and id."""
    if store.one("SELECT 1 FROM contacts WHERE id = ?", (contact_id,)) is None:
        raise NotFound(f"no contact with id {contact_id}")
    sql = f"{_RECORD} WHERE r.contact_id = ?"
    params: tuple[Any, ...] = (contact_id,)
    if group is not None:
        sql += " AND r.group_id = ?"
        params += (group["id"],)
    return [_record(row) for row in store.conn.execute(sql + " ORDER BY g.key, r.id", params)]


def _record(row: tuple[Any, ...]) -> dict[str, Any]:
    record_id, contact_id, group, fields, created_at, updated_at = row
    return {
        "id": record_id,
        "contact_id": contact_id,
        "group": group,
        "fields": json.loads(fields),
        "created_at": created_at,
        "updated_at": updated_at,
    }

"""Updates of stored contacts: worked out per batch, written only where values change.

An update sets what its draft gives and leaves the rest. The writer collects
the updates of a batch; here the stored rows of the whole batch are read in
one query and each update becomes an UPDATE of just the columns whose values
differ, plus `updated_at`. Re-importing a file mostly hands contacts what they
have, and an unchanged column then costs nothing, including the upkeep of
the indexes on it. Whether the name, city or hidden flag changed (what the
search index holds) falls out of the same comparison.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from crmkit.store.sqlite.bulk import batch_condition
from crmkit.store.sqlite.schema import CONTACT_COLUMNS
from crmkit.targets import ContactDraft

__all__ = [
    "PendingUpdate",
    "encode_custom",
    "pending_update",
    "plan_updates",
    "shared_values_together",
]

# Columns an update may set from a draft (kind never changes; custom is merged).
_SETTABLE = frozenset(CONTACT_COLUMNS) - {"kind", "custom", "created_at", "updated_at"}
# Columns the search document is made of.
_INDEXED = ("name", "city", "hidden")
_FLAGS = ("vip", "hidden")
# Record fields of the address columns.
_FIELDS = {
    column: f"address.{column}"
    for column in ("street", "street2", "postal_code", "city", "region", "country")
}
# Columns an update writes without changing what the contact holds.
_BOOKKEEPING = frozenset({"updated_at", "row_digest"})
# json.dumps(value, ensure_ascii=False) without building an encoder per call; the
# custom column is written with it on creation and on update alike.
encode_custom = json.JSONEncoder(ensure_ascii=False).encode


@dataclass(slots=True)
class PendingUpdate:
    """One contact's update, as given: columns to set and custom values to merge."""

    contact_id: int
    kind: str
    values: dict[str, Any]
    custom: dict[str, Any] | None


def pending_update(contact_id: int, kind: str, draft: ContactDraft, now: str) -> PendingUpdate:
    """What updating the contact with this draft sets (`now` unless it gives updated_at)."""
    given = draft.scalars
    values = {key: value for key, value in given.items() if key in _SETTABLE}
    for flag in ("vip", "hidden"):
        if flag in values:
            values[flag] = int(bool(values[flag]))
    if given.get("created_at"):
        values["created_at"] = given["created_at"]
    values["updated_at"] = given.get("updated_at") or now
    if kind == "person" and ("first_name" in given or "last_name" in given):
        # A person's name follows the first and last name (worked out in plan_updates).
        values.pop("name", None)
    return PendingUpdate(contact_id, kind, values, dict(draft.custom) if draft.custom else None)


def plan_updates(
    conn: sqlite3.Connection, updates: Sequence[PendingUpdate]
) -> tuple[dict[str, list[tuple[Any, ...]]], set[int], dict[int, list[list[Any]]]]:
    """UPDATE statements (SQL -> parameter rows), the contacts whose documents change,
    and for each contact whose values change beyond `updated_at`, its changes as the
    history records them (`[field, old, new]`, see `history`)."""
    columns = {"first_name", "last_name", "name", "custom"}
    for update in updates:
        columns.update(update.values)
    at = {column: index for index, column in enumerate(sorted(columns))}
    stored = _stored_rows(conn, [update.contact_id for update in updates], list(at))
    statements: dict[str, list[tuple[Any, ...]]] = {}
    reindex: set[int] = set()
    changing: dict[int, list[list[Any]]] = {}
    # Stored custom texts repeat (a few options, yes or no): each is decoded once a batch.
    decoded: dict[str, dict[str, Any]] = {}
    for update in updates:
        old = stored.get(update.contact_id)
        if old is None:
            continue
        new = dict(update.values)
        before = merged = None
        if update.kind == "person" and ("first_name" in new or "last_name" in new):
            first = new.get("first_name", old[at["first_name"]])
            last = new.get("last_name", old[at["last_name"]])
            new["name"] = " ".join(part for part in (first, last) if part)
        if update.custom:
            text = old[at["custom"]] or "{}"
            before = decoded.get(text)
            if before is None:
                before = decoded[text] = json.loads(text)
            # `before` is shared by the batch: the merge works on a copy.
            merged = dict(before)
            # RFC 7396 merge, as SQLite's json_patch: null removes a key.
            for key, value in update.custom.items():
                if value is None:
                    merged.pop(key, None)
                else:
                    merged[key] = value
            if merged != before:
                new["custom"] = encode_custom(merged) if merged else "{}"
        changed = {
            column: value
            for column, value in new.items()
            if column == "updated_at" or old[at[column]] != value
        }
        if any(column in changed for column in _INDEXED):
            reindex.add(update.contact_id)
        if any(column not in _BOOKKEEPING for column in changed):
            changing[update.contact_id] = _field_changes(changed, old, at, before, merged)
        sql = f"UPDATE contacts SET {', '.join(f'{column} = ?' for column in changed)} WHERE id = ?"
        statements.setdefault(sql, []).append((*changed.values(), update.contact_id))
    return shared_values_together(statements), reindex, changing


def _field_changes(
    changed: dict[str, Any],
    old: tuple[Any, ...],
    at: dict[str, int],
    custom_before: dict[str, Any] | None,
    custom_after: dict[str, Any] | None,
) -> list[list[Any]]:
    """Return the changed columns as history changes: record fields, old and new values."""
    changes: list[list[Any]] = []
    for column, value in changed.items():
        if column == "row_digest":
            continue
        if column == "custom":
            was, now = custom_before or {}, custom_after or {}
            changes += [
                [f"custom.{key}", was.get(key), now.get(key)]
                for key in sorted(was.keys() | now.keys())
                if was.get(key) != now.get(key)
            ]
        elif column in _FLAGS:
            changes.append([column, bool(old[at[column]]) or None, bool(value) or None])
        else:
            changes.append([_FIELDS.get(column, column), old[at[column]] or None, value or None])
    return changes


def shared_values_together(
    statements: dict[str, list[tuple[Any, ...]]],
) -> dict[str, list[tuple[Any, ...]]]:
    """One UPDATE for all the contacts a statement gives the same values.

    Re-importing a file mostly sets nothing but `updated_at`, the same time for
    every contact of the batch: one statement over their ids replaces a
    thousand runs of one statement.
    """
    grouped: dict[str, list[tuple[Any, ...]]] = {}
    for sql, rows in statements.items():
        ids_by_values: dict[tuple[Any, ...], list[int]] = {}
        for row in rows:
            ids_by_values.setdefault(row[:-1], []).append(row[-1])
        for values, ids in ids_by_values.items():
            if len(ids) == 1:
                grouped.setdefault(sql, []).append((*values, ids[0]))
            else:
                many = (
                    sql.removesuffix("WHERE id = ?")
                    + "WHERE id IN (SELECT value FROM json_each(?))"
                )
                grouped.setdefault(many, []).append((*values, json.dumps(ids)))
    return grouped


def _stored_rows(
    conn: sqlite3.Connection, ids: list[int], columns: list[str]
) -> dict[int, tuple[Any, ...]]:
    """The stored values of these columns (in this order) for each contact, by id.

    The batch may be read as a range of ids (see `batch_condition`), so a few
    contacts beyond it can come too.
    """
    condition, params = batch_condition(ids)
    sql = f"SELECT id, {', '.join(columns)} FROM contacts WHERE id {condition}"
    rows = conn.execute(sql, params)
    return {row[0]: row[1:] for row in rows}

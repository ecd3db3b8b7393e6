"""Fixing tags and users in SQLite: rename, delete and merge tags; rename and deactivate users.

Each fix is one transaction. Every contact whose record it changes gets a
history entry with the changed list (`tags`, `guardians`, `observers`) old →
new, and a new `updated_at`. Contacts are handled a chunk at a time, so that
memory does not grow with how many contacts hold a tag.

A rename changes one row that every record reads its name from, so the
record before it cannot be read any more once it is done: it is rebuilt from
the record after it, the new name put back to the old (`_record_rename`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from itertools import islice
from typing import Any

from crmkit.store.sqlite.connection import Store
from crmkit.store.sqlite.history import HistoryLog, Origin
from crmkit.store.sqlite.records import iter_records
from crmkit.values.datetimes import utc_now

__all__ = [
    "rename_tag",
    "delete_tag",
    "merge_tags",
    "rename_user",
    "set_user_active",
    "history_log",
    "in_chunks",
    "touch_contacts",
]

_CHUNK = 1000
IN_CHUNK = "IN (SELECT value FROM json_each(?))"


def history_log(store: Store, user: str | None, action: str) -> HistoryLog:
    """Return the history log of one fix by `user`, from the store's source."""
    return HistoryLog(store, Origin(user, store.source), utc_now(), action=action)


def in_chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    """Return the ids a chunk at a time."""
    iterator = iter(ids)
    while chunk := list(islice(iterator, _CHUNK)):
        yield chunk


def touch_contacts(store: Store, chunk: list[int], at: str) -> None:
    """Give these contacts a new `updated_at`: their records changed."""
    store.conn.execute(
        f"UPDATE contacts SET updated_at = ? WHERE id {IN_CHUNK}", (at, json.dumps(chunk))
    )


def _holders(store: Store, sql: str, params: tuple[Any, ...]) -> list[int]:
    return [row[0] for row in store.conn.execute(sql, params)]


def _tag_holders(store: Store, tag_id: int) -> list[int]:
    return _holders(
        store,
        "SELECT contact_id FROM contact_tags WHERE tag_id = ? ORDER BY contact_id",
        (tag_id,),
    )


def _record_changes(
    store: Store, log: HistoryLog, ids: Sequence[int], change: Callable[[list[int]], None]
) -> None:
    """Run `change` on each chunk of these contacts, recording what it does to them."""
    for chunk in in_chunks(ids):
        with log.watch(chunk):
            change(chunk)
            touch_contacts(store, chunk, log.at)
        log.flush()


def _record_rename(
    store: Store, log: HistoryLog, ids: Sequence[int], fields: Sequence[str], old: str, new: str
) -> None:
    """Record, once `old` is renamed `new`, the change of these list fields in each contact."""
    for chunk in in_chunks(ids):
        before: dict[int, dict[str, Any]] = {}
        for record in iter_records(store, chunk):
            earlier = dict(record)
            for field in fields:
                names = [old if name == new else name for name in record[field]]
                earlier[field] = sorted(names, key=str.casefold)
            before[record["id"]] = earlier
        touch_contacts(store, chunk, log.at)
        log.compare(before, chunk)
        log.flush()


def rename_tag(store: Store, tag_id: int, old: str, new: str, key: str, user: str | None) -> int:
    """Rename a tag; return how many contacts hold it (each gets a history entry)."""
    log = history_log(store, user, "tag rename")
    with store.transaction() as conn:
        ids = _tag_holders(store, tag_id)
        conn.execute("UPDATE tags SET name = ?, key = ? WHERE id = ?", (new, key, tag_id))
        if old != new:
            _record_rename(store, log, ids, ("tags",), old, new)
    return len(ids)


def delete_tag(store: Store, tag_id: int, user: str | None) -> int:
    """Take a tag off every contact and delete it; return how many contacts held it."""
    log = history_log(store, user, "tag delete")

    def untag(chunk: list[int]) -> None:
        store.conn.execute(
            f"DELETE FROM contact_tags WHERE tag_id = ? AND contact_id {IN_CHUNK}",
            (tag_id, json.dumps(chunk)),
        )

    with store.transaction() as conn:
        ids = _tag_holders(store, tag_id)
        _record_changes(store, log, ids, untag)
        conn.execute("DELETE FROM tags WHERE id = ?", (tag_id,))
    return len(ids)


def merge_tags(store: Store, source_id: int, into_id: int, user: str | None) -> int:
    """Give the contacts of tag `source_id` tag `into_id` and delete the first.

    Return how many contacts held the merged tag.
    """
    log = history_log(store, user, "tag merge")

    def move(chunk: list[int]) -> None:
        payload = json.dumps(chunk)
        store.conn.execute(
            "INSERT OR IGNORE INTO contact_tags (contact_id, tag_id)"
            " SELECT CAST(value AS INTEGER), ? FROM json_each(?)",
            (into_id, payload),
        )
        store.conn.execute(
            f"DELETE FROM contact_tags WHERE tag_id = ? AND contact_id {IN_CHUNK}",
            (source_id, payload),
        )

    with store.transaction() as conn:
        ids = _tag_holders(store, source_id)
        _record_changes(store, log, ids, move)
        conn.execute("DELETE FROM tags WHERE id = ?", (source_id,))
    return len(ids)


def rename_user(store: Store, user_id: int, old: str, new: str, key: str, user: str | None) -> int:
    """Rename a user, on the notes they wrote too; return the contacts they guard or observe.

    Events name their agent by id and follow by themselves; the history keeps
    the names it was written with, as a record of what happened then.
    """
    log = history_log(store, user, "user rename")
    with store.transaction() as conn:
        ids = _holders(
            store,
            "SELECT DISTINCT contact_id FROM contact_users WHERE user_id = ? ORDER BY contact_id",
            (user_id,),
        )
        conn.execute("UPDATE users SET full_name = ?, key = ? WHERE id = ?", (new, key, user_id))
        conn.execute("UPDATE notes SET author = ? WHERE author = ?", (new, old))
        if old != new:
            _record_rename(store, log, ids, ("guardians", "observers"), old, new)
    return len(ids)


def set_user_active(store: Store, user_id: int, active: bool) -> None:
    """Make a user assignable again, or not."""
    with store.transaction() as conn:
        conn.execute("UPDATE users SET active = ? WHERE id = ?", (int(active), user_id))

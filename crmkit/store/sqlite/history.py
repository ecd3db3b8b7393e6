"""The history of changes: what changed in which contact, when, by whom and from where.

Each entry names its origin: the acting user and a source — `cli` or `api` for
a command or a library call, `import` or `merge` with the id of that import or
merge, `undo` for taking one back. Its changes are a list of `[field, old,
new]` in the terms of the JSON record (CONTRACT section 6): scalar fields,
`address.<part>`, `custom.<key>`, and whole lists for phones, e-mails, tags,
guardians, observers and organizations. That is exactly what undoing needs:
writing the old values back (`record_fields.write_fields`).

An import stores only what its updates replace; the contacts it creates get an
entry with no values (their values are the contact itself).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from crmkit.store.sqlite.bulk import batch_condition, insert_rows
from crmkit.store.sqlite.connection import Store
from crmkit.store.sqlite.record_fields import diff_records
from crmkit.store.sqlite.records import iter_records
from crmkit.values.datetimes import utc_now

__all__ = [
    "Origin",
    "HistoryLog",
    "record_history",
    "history_rows",
    "later_entries",
    "ids_ever_used",
]

_INSERT = (
    "INSERT INTO history (at, user, source, source_id, action, contact_id, changes, detail)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_encode = json.JSONEncoder(ensure_ascii=False).encode


@dataclass(frozen=True)
class Origin:
    """Who changes contacts and from where: the user and the source of the entries."""

    user: str | None = None
    source: str = "api"
    source_id: int | None = None


class HistoryLog:
    """Buffer history entries of one write; `flush` inside its transaction stores them."""

    def __init__(
        self,
        store: Store,
        origin: Origin,
        at: str,
        *,
        action: str = "edit",
        values_of_new: bool = False,
    ) -> None:
        """`action`: what `compare` calls a change of values (`edit`, `delete`, `merge`...).

        `values_of_new`: record new contacts with their values (one contact added by
        hand), not only their ids (the contacts an import creates).
        """
        self.store = store
        self.origin = origin
        self.at = at
        self.action = action
        self.values_of_new = values_of_new
        self._rows: list[tuple[Any, ...]] = []

    def add(
        self,
        action: str,
        contact_id: int,
        changes: list[list[Any]] | None = None,
        detail: Any = None,
    ) -> None:
        """Buffer one entry; `detail` (text or JSON) says what a change without fields did."""
        origin = self.origin
        if detail is not None and not isinstance(detail, str):
            detail = _encode(detail)
        self._rows.append(
            (
                self.at,
                origin.user,
                origin.source,
                origin.source_id,
                action,
                contact_id,
                _encode(changes) if changes else None,
                detail,
            )
        )

    def created(self, ids: Iterable[int]) -> None:
        """Buffer an `add` entry for each of these new contacts (see `values_of_new`)."""
        if self.values_of_new:
            self.compare({}, ids, "add")
            return
        origin = self.origin
        start = (self.at, origin.user, origin.source, origin.source_id, "add")
        self._rows += [(*start, contact_id, None, None) for contact_id in ids]

    def compare(
        self,
        before: dict[int, dict[str, Any]],
        ids: Iterable[int],
        action: str | None = None,
        *,
        always: bool = False,
    ) -> None:
        """Buffer an entry for each of these contacts whose record differs from `before`
        (beyond `updated_at`), or for each of them with `always`.

        A contact that no longer exists gets its old values with no new ones.
        """
        wanted = list(ids)
        if not wanted:
            return
        after = {record["id"]: record for record in iter_records(self.store, wanted)}
        for contact_id in wanted:
            changes = diff_records(before.get(contact_id), after.get(contact_id))
            if always or any(field != "updated_at" for field, _, _ in changes):
                self.add(action or self.action, contact_id, changes)

    @contextmanager
    def watch(
        self, ids: Iterable[int], action: str | None = None, *, always: bool = False
    ) -> Iterator[None]:
        """Record what the block changes in these contacts, field by field."""
        wanted = list(ids)
        before = {record["id"]: record for record in iter_records(self.store, wanted)}
        yield
        self.compare(before, wanted, action, always=always)

    def before_flush(
        self,
        changing: dict[int, list[list[Any]]],
        relisted: set[int],
        updates: Iterable[Any],
        touches: list[tuple[str, int]],
    ) -> dict[int, dict[str, Any]]:
        """Record what a writer's flush is about to change; return the records to compare after.

        `changing` holds the contacts whose columns change, with their changes
        (known from the planned UPDATEs); `relisted` the contacts whose phones,
        e-mails, tags, users or memberships change, whose records are read now
        and compared once written. The other `updates` (pending updates that
        only set `updated_at`) and `touches` are kept as touches.
        """
        before = {}
        if relisted:
            before = {r["id"]: r for r in iter_records(self.store, sorted(relisted))}
        for contact_id, changes in changing.items():
            if contact_id not in relisted:
                self.add(self.action, contact_id, changes)
        self.touched(
            [
                *(
                    (update.values["updated_at"], update.contact_id)
                    for update in updates
                    if update.contact_id not in changing and update.contact_id not in relisted
                ),
                *touches,
            ]
        )
        return before

    def touched(self, touches: list[tuple[str, int]]) -> None:
        """Keep the `updated_at` an import's touch of unchanged contacts replaces.

        `touches` holds (new updated_at, contact id) pairs. Undoing the import
        gives them back; they are kept per old time, a handful of rows a batch.
        """
        if self.origin.source != "import" or not touches:
            return
        condition, params = batch_condition([contact_id for _, contact_id in touches])
        old = dict(
            self.store.conn.execute(
                f"SELECT id, updated_at FROM contacts WHERE id {condition}", params
            ).fetchall()
        )
        groups: dict[tuple[str, str], list[int]] = {}
        for new, contact_id in touches:
            if old.get(contact_id) not in (None, new):
                groups.setdefault((old[contact_id], new), []).append(contact_id)
        self.store.conn.executemany(
            "INSERT INTO import_touches (import_id, before, after, ids) VALUES (?, ?, ?, ?)",
            [
                (self.origin.source_id, before, after, json.dumps(ids))
                for (before, after), ids in groups.items()
            ],
        )

    def flush(self) -> None:
        """Store the buffered entries."""
        if self._rows:
            insert_rows(self.store.conn, _INSERT, self._rows)
            self._rows.clear()


def record_history(
    store: Store, action: str, contact_id: int, user: str | None, detail: Any = None
) -> None:
    """Append one entry without field values (a note, a file, a link) from the store's
    source; the caller's transaction decides whether it is kept."""
    log = HistoryLog(store, Origin(user, store.source), utc_now())
    log.add(action, contact_id, detail=detail)
    log.flush()


def history_rows(store: Store, contact_id: int, limit: int | None = None) -> list[dict[str, Any]]:
    """Return the entries of one contact, newest first, with their changes decoded."""
    sql = (
        "SELECT id, at, user, source, source_id, action, contact_id, changes, detail"
        " FROM history WHERE contact_id = ? ORDER BY id DESC"
    )
    params: tuple[Any, ...] = (contact_id,)
    if limit is not None:
        sql += " LIMIT ?"
        params += (limit,)
    rows = []
    for row in store.rows(sql, params):
        entry = dict(row)
        entry["changes"] = json.loads(entry["changes"]) if entry["changes"] else []
        rows.append(entry)
    return rows


def later_entries(store: Store, contact_id: int, after_id: int) -> list[dict[str, Any]]:
    """Return the entries of a contact made after history entry `after_id`, oldest first."""
    return [
        dict(row)
        for row in store.rows(
            "SELECT id, at, user, source, source_id, action FROM history"
            " WHERE contact_id = ? AND id > ? ORDER BY id",
            (contact_id, after_id),
        )
    ]


def ids_ever_used(store: Store) -> int:
    """Return the highest contact id the base has ever given out.

    New ids start above it, so that an id in the history never names two contacts.
    On PostgreSQL, where clients write at once, the caller's transaction first
    takes the lock of contact ids (see `store.postgres.locks`).
    """
    if getattr(store, "dialect", "sqlite") == "postgresql":
        from crmkit.store.postgres.locks import lock_contact_ids

        lock_contact_ids(store)
    return int(
        store.one(
            "SELECT max(coalesce((SELECT max(id) FROM contacts), 0),"
            " coalesce((SELECT max(contact_id) FROM history), 0))"
        )
    )

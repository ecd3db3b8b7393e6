"""Event imports in SQLite: finding the contact a row names, and inserting a batch of events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from crmkit.store import Store
from crmkit.store.sqlite.bulk import insert_rows
from crmkit.store.sqlite.events import INSERT_EVENT

__all__ = ["contact_lookup", "load_all_phones", "insert_events"]

# Rows already imported (same source and external id) are skipped; each event keeps
# the id of the import that brought it, so that undoing the import removes it. A row
# holds the values of INSERT_EVENT and the event's case (or None).
_INSERT_NEW = (
    INSERT_EVENT.replace("INSERT", "INSERT OR IGNORE", 1)
    .replace(" created_at)", " created_at, case_id, import_id)")
    .replace("?)", "?, ?, ?)")
)
_LOOKUPS = {
    "contact.id": "SELECT id FROM contacts WHERE id = ?",
    "contact.external_id": "SELECT id FROM contacts WHERE external_id = ?",
    "contact.phone": "SELECT DISTINCT contact_id FROM phones WHERE number = ? ORDER BY contact_id",
    "contact.email": (
        "SELECT DISTINCT contact_id FROM emails WHERE address = ? COLLATE NOCASE"
        " ORDER BY contact_id"
    ),
}


def load_all_phones(store: Store, owners: dict[Any, tuple[int, ...]], limit: int) -> bool:
    """Read every (number, contact) pair at once when a big log calls for many of them:
    one scan costs what a few thousand single lookups do. Not for a base whose numbers
    would not fit the bounded cache."""
    conn = store.conn
    if int(conn.execute("SELECT count(*) FROM phones").fetchone()[0]) > limit:
        return False
    owners.clear()
    for number, contact_id in conn.execute(
        "SELECT number, contact_id FROM phones ORDER BY number, contact_id"
    ):
        known = owners.get(number)
        if known is None:
            owners[number] = (contact_id,)
        elif contact_id not in known:
            owners[number] = (*known, contact_id)
    return True


def insert_events(store: Store, batch: list[tuple[Any, ...]], import_id: int | None) -> int:
    """Insert a batch of import `import_id`; return how many rows went in (the rest
    were already imported).

    Rows go in sorted by contact and time, so neighbouring inserts touch the same pages
    of the `events (contact_id, occurred_at)` index. Within a batch the first row with
    an external id wins, as it would in file order.
    """
    seen: set[Any] = set()
    rows = []
    for row in batch:
        external_id = row[10]
        if external_id is not None:
            if external_id in seen:
                continue
            seen.add(external_id)
        rows.append((*row, import_id))
    if getattr(store, "dialect", "sqlite") == "postgresql":
        rows = _leave_out_imported(store, rows)
    rows.sort(key=_contact_and_time)
    conn = store.conn
    before = conn.total_changes
    insert_rows(conn, _INSERT_NEW, rows)
    return int(conn.total_changes - before)


def _leave_out_imported(store: Store, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Return the rows not imported before (PostgreSQL). There a row that the insert
    ignores still draws an id from the sequence, so a re-import would leave a gap in
    the ids of the events added after it; SQLite numbers them on from the highest."""
    external_ids = sorted({row[10] for row in rows if row[10] is not None})
    if not external_ids:
        return rows
    known = set(
        cast(Any, store.conn)
        .raw.execute(
            "SELECT source, external_id FROM events WHERE external_id = ANY(%s)",
            (external_ids,),
        )
        .fetchall()
    )
    return [row for row in rows if (row[9], row[10]) not in known]


def contact_lookup(store: Store, key: str) -> Callable[[Any], tuple[int, ...]]:
    """value -> ids of the contacts that have it, for one kind of contact key."""
    conn = store.conn
    sql = _LOOKUPS[key]

    def lookup(value: Any) -> tuple[int, ...]:
        return tuple(row[0] for row in conn.execute(sql, (value,)))

    return lookup


def _contact_and_time(row: tuple[Any, ...]) -> tuple[int, str]:
    return row[0], row[3]

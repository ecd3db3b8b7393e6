"""The number blacklist in SQLite: one row per blocked number (E.164), keyed by it.

`crm lookup` asks it about every incoming call (`query.lookup`), one primary-key
read; everything else here is the list's own upkeep.
"""

from __future__ import annotations

from typing import Any

from crmkit.store.sqlite.connection import Store
from crmkit.values.datetimes import utc_now

__all__ = [
    "blacklist_row",
    "save_blacklisted",
    "delete_blacklisted",
    "blacklist_rows",
    "count_blacklisted",
]

_COLUMNS = "number, reason, added_at, user"


def blacklist_row(store: Store, number: str) -> dict[str, Any] | None:
    """Return the entry of this E.164 number, or None."""
    rows = store.rows(f"SELECT {_COLUMNS} FROM blacklist WHERE number = ?", (number,))
    return dict(rows[0]) if rows else None


def save_blacklisted(
    store: Store, number: str, reason: str | None, user: str | None
) -> tuple[dict[str, Any], bool]:
    """Blacklist a number, or give a listed one the new `reason` (None keeps the old).

    Return the entry and whether the number was listed before.
    """
    with store.transaction() as conn:
        before = blacklist_row(store, number)
        if before is None:
            conn.execute(
                "INSERT INTO blacklist (number, reason, added_at, user) VALUES (?, ?, ?, ?)",
                (number, reason, utc_now(), user),
            )
        elif reason is not None:
            conn.execute("UPDATE blacklist SET reason = ? WHERE number = ?", (reason, number))
        entry = blacklist_row(store, number)
    assert entry is not None
    return entry, before is not None


def delete_blacklisted(store: Store, number: str) -> dict[str, Any] | None:
    """Take a number off the list; return its entry, or None if it was not listed."""
    with store.transaction() as conn:
        entry = blacklist_row(store, number)
        if entry is not None:
            conn.execute("DELETE FROM blacklist WHERE number = ?", (number,))
    return entry


def blacklist_rows(store: Store) -> list[dict[str, Any]]:
    """Return every entry, by number."""
    return [dict(row) for row in store.rows(f"SELECT {_COLUMNS} FROM blacklist ORDER BY number")]


def count_blacklisted(store: Store) -> int:
    """Return how many numbers are listed."""
    return int(store.one("SELECT count(*) FROM blacklist"))

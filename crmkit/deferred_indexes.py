"""Secondary indexes set aside while a bulk import fills their tables.

Inserting a million rows keeps every index up to date row by row, each insert
landing at a random place of a B-tree that no longer fits the page cache.
Building the index once at the end sorts instead, which is several times
cheaper. Indexes are dropped and rebuilt inside the import's transaction, so a
rollback restores them as they were, and a lookup the import itself makes never
goes without the index it needs. Run inside `Store.bulk_load()`, whose
temporary storage on disk keeps the rebuild's sort out of memory.
"""

from __future__ import annotations

from collections.abc import Iterable

from crmkit.store import Store

__all__ = ["DeferredIndexes", "indexes_to_defer"]

# Indexes the contact import can do without, and what would need each while it runs.
_DEFERRABLE: dict[str, str | None] = {
    "contacts_name": None,
    "contacts_city": None,
    "contact_tags_tag": None,
    "contact_users_user": None,
    "memberships_organization": None,
    # Only the helper looks digests up, in what was committed before the import.
    "contacts_row_digest": None,
    "emails_address": "email",
    "phones_number": "phone",
    "memberships_person": "update",
}
# Below this many new rows, keeping indexes up to date is cheaper than rebuilding them.
_MIN_ROWS = 20_000


def indexes_to_defer(match: Iterable[str], *, new_rows: int, existing_rows: int) -> list[str]:
    """The indexes worth rebuilding after adding about `new_rows` contacts.

    Rebuilding reads the whole table, so it pays only when the import at least
    doubles it. An index that a match key looks up in stays; so does the one
    an update of memberships reads.
    """
    if new_rows < max(_MIN_ROWS, existing_rows):
        return []
    needs = set(match)
    if needs:
        needs.add("update")
    return [name for name, need in _DEFERRABLE.items() if need is None or need not in needs]


class DeferredIndexes:
    """Drops indexes now and creates them again, from their own definitions, later."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._definitions: list[str] = []

    def drop(self, names: Iterable[str]) -> None:
        conn = self.store.conn
        for name in names:
            row = conn.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)
            ).fetchone()
            if row is None or row[0] is None:
                continue
            self._definitions.append(row[0])
            conn.execute(f'DROP INDEX "{name}"')

    def restore(self) -> None:
        if not self._definitions:
            return
        conn = self.store.conn
        for sql in self._definitions:
            conn.execute(sql)
        self._definitions.clear()

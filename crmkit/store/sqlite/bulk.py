"""Many rows at a time: reading a batch by ids, inserting in groups, indexes set aside.

Three helpers the bulk paths share (an import, a re-import, an export):

- `batch_condition`: the rows of a batch of contacts, read by a range of ids
  when the batch is dense.
- `insert_rows`: rows inserted dozens to a statement rather than one at a time.
- `DeferredIndexes`: secondary indexes set aside while a bulk import fills
  their tables.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import chain
from typing import Any

from crmkit.store.sqlite.connection import Store

__all__ = [
    "DeferredIndexes",
    "IN_BATCH",
    "IN_RANGE",
    "batch_condition",
    "grouped_statement",
    "indexes_to_defer",
    "insert_rows",
]

# -- reading a batch of contacts ------------------------------------------------------
#
# A batch read back at once (an import's updated contacts, a chunk of an export)
# mostly holds neighbouring ids: a re-import meets the contacts in the order the
# first import made them. `IN (SELECT value FROM json_each(?))` seeks once per id,
# while a range of the same ids is one pass along the key, about a quarter cheaper
# for a million contacts. A range may also take in a few contacts beyond the
# batch, so callers look the rows up by id instead of using all of them.

IN_BATCH = "IN (SELECT value FROM json_each(?))"
IN_RANGE = "BETWEEN ? AND ?"


def batch_condition(ids: Sequence[int]) -> tuple[str, tuple[Any, ...]]:
    """The test for an id column (after the column name) and its parameters.

    A range when it spans less than twice as many ids as the batch holds, else
    the ids themselves.
    """
    if ids:
        low, high = min(ids), max(ids)
        if high - low < 2 * len(ids):
            return IN_RANGE, (low, high)
    return IN_BATCH, (json.dumps(list(ids)),)


# -- grouped inserts --------------------------------------------------------------------
#
# `executemany` runs its INSERT once per row, and every run of a statement
# starts from the top: it checks the transaction and opens the table and each
# index it writes. An INSERT with a multi-row VALUES list binds the same
# parameters but starts once per group. For narrow tables that halves the time
# (100k phone rows: 0.19 s one by one, 0.11 s in groups of 100); the contacts
# table, with its many columns, saves about 15%.
#
# Rows go in in the order given. A statement that fails undoes its whole group
# rather than the failing row alone; the writers here roll their transaction
# back on any error, so nothing depends on the difference.

# The lowest limit on parameters per statement SQLite builds have had (before 3.32).
_MAX_PARAMETERS = 999
# More rows per statement save nothing more, and make the statement long to compile.
_MAX_ROWS = 100


@lru_cache(maxsize=64)
def grouped_statement(sql: str) -> tuple[str, int]:
    """The INSERT for a group of rows, and how many rows a group holds.

    `sql` is a one-row INSERT that ends in its `VALUES (...)` list; what the
    list holds besides `?` (a constant, say) is repeated in every row.
    """
    head, found, values = sql.rpartition(" VALUES ")
    width = values.count("?")
    if not found or width == 0:
        return sql, 1
    rows = max(1, min(_MAX_ROWS, _MAX_PARAMETERS // width))
    return f"{head} VALUES {', '.join([values.strip()] * rows)}", rows


def insert_rows(conn: sqlite3.Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """Run the one-row INSERT `sql` for each row, a group of rows per statement.

    On PostgreSQL a plain `INSERT INTO t (columns) VALUES (?, ...)` sends its
    rows through one COPY instead (see `store.postgres.copy`).
    """
    if not isinstance(conn, sqlite3.Connection):
        from crmkit.store.postgres.copy import copy_rows

        if copy_rows(conn, sql, rows):
            return
    grouped, size = grouped_statement(sql)
    count = len(rows)
    whole = count - count % size if size > 1 else 0
    if whole:
        flat = chain.from_iterable
        conn.executemany(
            grouped, [tuple(flat(rows[start : start + size])) for start in range(0, whole, size)]
        )
    if whole < count:
        conn.executemany(sql, rows[whole:])


# -- deferred indexes -------------------------------------------------------------------
#
# Inserting a million rows keeps every index up to date row by row, each insert
# landing at a random place of a B-tree that no longer fits the page cache.
# Building the index once at the end sorts instead, which is several times
# cheaper. Indexes are dropped and rebuilt inside the import's transaction, so a
# rollback restores them as they were, and a lookup the import itself makes never
# goes without the index it needs. Run inside `Store.bulk_load()`, whose
# temporary storage on disk keeps the rebuild's sort out of memory.

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
        """Drop these indexes until `restore`.

        Not on PostgreSQL: there a dropped index would lock its table for every
        other client until the import commits.
        """
        if getattr(self.store, "dialect", "sqlite") == "postgresql":
            return
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

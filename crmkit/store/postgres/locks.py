"""The locks of a PostgreSQL database: advisory locks of the server, no files.

A SQLite base locks bytes of a file beside it (`crmkit.store.sqlite.import_locks`)
and has one writer at a time. A PostgreSQL database has neither a file here nor
a single writer, so its locks are the server's advisory locks, keyed by a pair
of numbers: the first says what is locked, the second which one.

- An import holds the session lock (`IMPORTS`, its id) from the commit of its
  history row until its final status is written. The server drops a session's
  locks when its connection ends, however the process ends, so a free lock of
  a 'running' import means its process is gone.
- A writer that gives out contact ids takes the transaction lock (`CONTACT_IDS`,
  0) before it reads the highest id ever given: two clients that create
  contacts at once take turns, and the second reads the ids the first gave.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "hold_import_lock",
    "import_alive",
    "lock_contact_ids",
    "lock_import_ids",
    "release_import_lock",
]

# What the first number of a lock's key says is locked (the letters "ci" and "im").
CONTACT_IDS = 0x6369
IMPORTS = 0x696D


def lock_contact_ids(store: Any) -> None:
    """Wait for, then hold until the transaction ends, the right to give out contact ids."""
    store.conn.raw.execute("SELECT pg_advisory_xact_lock(%s, 0)", (CONTACT_IDS,))


def lock_import_ids(store: Any) -> None:
    """Wait for, then hold until the transaction ends, the right to number an import."""
    store.conn.raw.execute("SELECT pg_advisory_xact_lock(%s, 0)", (IMPORTS,))


def hold_import_lock(store: Any, import_id: int) -> bool:
    """Lock import `import_id` for this connection; False if another one holds it."""
    row = store.conn.raw.execute(
        "SELECT pg_try_advisory_lock(%s, %s)", (IMPORTS, import_id)
    ).fetchone()
    return bool(row[0])


def release_import_lock(store: Any, import_id: int) -> None:
    """Release what `hold_import_lock` took (nothing if this connection does not hold it)."""
    store.conn.raw.execute(
        "SELECT pg_advisory_unlock(%s, %s) FROM pg_locks"
        " WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
        " AND classid = %s AND objid = %s AND granted LIMIT 1",
        (IMPORTS, import_id, IMPORTS, import_id),
    )


def import_alive(store: Any, import_id: int) -> bool:
    """Whether some connection (this one too) holds the lock of import `import_id`."""
    row = store.conn.raw.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        " AND classid = %s AND objid = %s AND objsubid = 2 AND granted)",
        (IMPORTS, import_id),
    ).fetchone()
    return bool(row[0])

"""Where contacts are kept: the storage interface the layers above use.

`open_store(path)` opens a database and returns its `Store`: one connection
with the current schema, explicit transactions (`transaction()`, nested as
savepoints), settings for one large write (`bulk_load()`,
`foreign_keys_off()`), small query helpers (`one`, `rows`) and `close()`.
Code above this package opens a store here and never names a backend.

Today every store is a SQLite file (`crmkit.store.sqlite`: the connection,
schema and migrations, the search index, the contact read and write paths).
A `postgresql://` address is meant to pick a second backend, one that
implements the same `Store`; until it exists, such an address is refused.
"""

from __future__ import annotations

from pathlib import Path

from crmkit.errors import CrmError
from crmkit.store.sqlite.connection import Store

__all__ = ["Store", "open_store"]

# Addresses of databases served by PostgreSQL, which no backend here speaks yet.
_POSTGRESQL = ("postgresql://", "postgres://")


def open_store(path: str | Path, *, create: bool = True, busy_timeout: float = 30.0) -> Store:
    """The store at `path`, created (with the current schema) unless `create` is false.

    `path` is a SQLite file; a `postgresql://` address will open the PostgreSQL
    backend once there is one.
    """
    if isinstance(path, str) and path.startswith(_POSTGRESQL):
        raise CrmError(f"{path}: PostgreSQL databases are not supported yet")
    return Store(path, create=create, busy_timeout=busy_timeout)

"""Where contacts are kept: the storage interface the layers above use.

`open_store(path)` opens a database and returns its `Store`: one connection
with the current schema, explicit transactions (`transaction()`, nested as
savepoints), settings for one large write (`bulk_load()`,
`foreign_keys_off()`), small query helpers (`one`, `rows`) and `close()`.
Code above this package opens a store here and never names a backend.

A store is a SQLite file (`crmkit.store.sqlite`: the connection, schema and
migrations, the search index, the contact read and write paths), or a
PostgreSQL database (`crmkit.store.postgres`), whose `PostgresStore` takes the
same statements through a translation of SQLite's dialect.
"""

from __future__ import annotations

from pathlib import Path

from crmkit.errors import CrmError
from crmkit.store.sqlite.connection import Store

__all__ = ["Store", "is_postgresql", "open_store"]

# Addresses of databases served by PostgreSQL (`crmkit.store.postgres`).
POSTGRESQL_PREFIXES = ("postgresql://", "postgres://")


def open_store(path: str | Path, *, create: bool = True, busy_timeout: float = 30.0) -> Store:
    """The store at `path`, created (with the current schema) unless `create` is false.

    `path` is a SQLite file, or a `postgresql://` address (a libpq URI) of a
    PostgreSQL database, which needs the extra `crmkit[postgres]`.
    """
    if is_postgresql(path):
        try:
            from crmkit.store.postgres.connection import PostgresStore
        except ImportError:
            raise CrmError(
                f"{path} is a PostgreSQL database, which needs psycopg:"
                " pip install 'crmkit[postgres]'"
            ) from None
        return PostgresStore(str(path), create=create, busy_timeout=busy_timeout)  # type: ignore[return-value]
    return Store(path, create=create, busy_timeout=busy_timeout)


def is_postgresql(path: str | Path) -> bool:
    """Whether `path` is the address of a PostgreSQL database."""
    return isinstance(path, str) and path.startswith(POSTGRESQL_PREFIXES)

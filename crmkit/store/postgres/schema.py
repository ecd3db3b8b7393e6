"""Creating the schema of a PostgreSQL database, and reading its version."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmkit.errors import CrmError
from crmkit.store.postgres.schema_sql import SCHEMA, SCHEMA_VERSION

if TYPE_CHECKING:
    from crmkit.store.postgres.connection import PostgresStore

__all__ = ["install_schema", "stored_version"]


def stored_version(store: PostgresStore) -> int:
    """Return the schema version of the database (0 for one crmkit has not set up)."""
    exists = store.conn.raw.execute("SELECT to_regclass('crm_schema')").fetchone()[0]
    if exists is None:
        return 0
    row = store.conn.raw.execute("SELECT version FROM crm_schema").fetchone()
    return int(row[0]) if row else 0


def install_schema(store: PostgresStore, *, create: bool) -> int:
    """Create the schema in an empty database; return the version it had before.

    A database of a newer crmkit is refused, as a SQLite file is.
    """
    current = stored_version(store)
    if current > SCHEMA_VERSION:
        raise CrmError(
            f"database {store.path} has schema version {current}, newer than this crmkit"
            f" understands ({SCHEMA_VERSION}); upgrade crmkit to open it"
        )
    if current == SCHEMA_VERSION:
        return current
    if not create:
        raise CrmError(f"no crmkit database at {store.path} (run `crm init` to create one)")
    raw = store.conn.raw
    with raw.transaction():
        # One creator at a time: two clients opening a new database at once.
        raw.execute("SELECT pg_advisory_xact_lock(7261)")
        if stored_version(store) == SCHEMA_VERSION:
            return SCHEMA_VERSION
        raw.execute(SCHEMA)  # type: ignore[call-overload]
    return current

"""A PostgreSQL database seen as the storage layer sees a SQLite file.

`PostgresStore` has the attributes and methods of `crmkit.store.sqlite.Store`
(transactions nested as savepoints, `one`, `rows`, `conn`), so the modules of
the storage layer run on it unchanged: `conn` is the `adapter.Connection` that
takes their statements.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from crmkit.errors import CrmError
from crmkit.store.postgres.adapter import Connection, Cursor, Row, _sqlite_error
from crmkit.store.postgres.sequences import rewind_sequences

__all__ = ["Connection", "Cursor", "PostgresStore", "Row"]


class PostgresStore:
    """One connection to a PostgreSQL database with the current schema."""

    def __init__(self, address: str, *, create: bool = True, busy_timeout: float = 30.0) -> None:
        """Connect to `address` (a libpq URI) and bring its schema up to date."""
        import psycopg

        self.address = address
        # Where messages say the database is (the address without a password).
        self.path = _PrintedAddress(address)
        self.source = "api"
        self.read_only = False
        self.dialect = "postgresql"
        try:
            raw = psycopg.connect(address, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else "refused"
            raise CrmError(f"cannot connect to the database {self.path}: {reason}") from None
        raw.execute(f"SET lock_timeout = '{int(busy_timeout * 1000)}ms'")
        _register_loose_numbers(raw)
        self.conn = Connection(raw)
        self._depth = 0
        from crmkit.store.postgres.schema import install_schema

        self.migrated_from = install_schema(self, create=create)
        self.interrupted_imports: list[int] = []
        # Most opens find no running import, and then load nothing more (a quick
        # `crm lookup` must not pay for the import history's modules).
        if self.one("SELECT 1 FROM imports WHERE status = 'running' LIMIT 1") is not None:
            from crmkit.store.sqlite.imports import mark_interrupted

            self.interrupted_imports = mark_interrupted(self)  # type: ignore[arg-type]

    @property
    def version(self) -> int:
        from crmkit.store.postgres.schema import stored_version

        return stored_version(self)

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Send COPYs from a second thread meanwhile (see `Connection.send_behind`).

        References are checked at commit (see the schema).
        """
        self.conn.start_sending_behind()
        try:
            yield
        finally:
            self.conn.stop_sending_behind()

    @contextmanager
    def temp_on_disk(self) -> Iterator[None]:
        yield

    @contextmanager
    def foreign_keys_off(self) -> Iterator[None]:
        yield

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A transaction, or a savepoint inside an outer one; rolled back on error."""
        if self._depth == 0:
            self.conn.raw.execute("BEGIN")
            changes = self.conn.total_changes
        else:
            self.conn.raw.execute(f"SAVEPOINT sp{self._depth}")
        self._depth += 1
        try:
            yield self.conn
            self.conn.catch_up()
        except BaseException as exc:
            self.conn.drop_behind()
            self._depth -= 1
            if self._depth == 0:
                self.conn.raw.execute("ROLLBACK")
                rewind_sequences(self.conn.raw)
                if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                    raise CrmError(
                        f"the database {self.path} is busy (another import or edit holds"
                        " what this one needs); try again"
                    ) from None
            else:
                self.conn.raw.execute(f"ROLLBACK TO SAVEPOINT sp{self._depth}")
                self.conn.raw.execute(f"RELEASE SAVEPOINT sp{self._depth}")
            raise
        else:
            self._depth -= 1
            if self._depth == 0:
                try:
                    self.conn.raw.execute("COMMIT")
                except Exception as exc:
                    raise _write_error(self.path, exc) from None
                if self.conn.total_changes != changes:
                    rewind_sequences(self.conn.raw)
            else:
                self.conn.raw.execute(f"RELEASE SAVEPOINT sp{self._depth}")

    def check_writable(self) -> None:
        """Writes are checked by the server, which says so when they are refused."""

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    def lock_contacts(self, ids: list[int]) -> None:
        """Lock these contacts' rows until the transaction ends (in id order: no deadlock).

        Another agent's edit of the same contact waits here instead of
        overwriting what this transaction read and writes back.
        """
        if ids:
            self.conn.raw.execute(
                "SELECT id FROM contacts WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
                (sorted(ids),),
            )

    def one(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def rows(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[Any]:
        return self.conn.execute(sql, params).fetchall()

    def close(self) -> None:
        self.conn.close()


class _PrintedAddress(str):
    """The address as messages print it (no password); `str` like a path."""

    def __new__(cls, address: str) -> _PrintedAddress:
        import re

        return super().__new__(cls, re.sub(r"^(\w+://[^:/@]*):[^@/]*@", r"\1:***@", address))

    @property
    def parent(self) -> None:
        return None

    def exists(self) -> bool:
        """Return False: no file on this machine is the database."""
        return False


def _write_error(path: str, exc: Exception) -> Exception:
    import psycopg

    if isinstance(exc, psycopg.errors.SerializationFailure):
        return CrmError(f"the database {path} was changed by someone else; try again")
    return _sqlite_error(exc)


def _register_loose_numbers(raw: Any) -> None:
    """Send numbers as untyped literals, so the server reads them as the column's type.

    SQLite compares and stores loosely (an id given as text finds its row); the
    storage layer relies on it, and an untyped parameter does the same here.
    """
    from psycopg.adapt import Dumper

    class LooseDumper(Dumper):
        oid = 0

        def dump(self, obj: Any) -> bytes:
            return str(obj).encode()

    class LooseFloatDumper(Dumper):
        oid = 0

        def dump(self, obj: Any) -> bytes:
            return repr(obj).encode()

    raw.adapters.register_dumper(int, LooseDumper)
    raw.adapters.register_dumper(float, LooseFloatDumper)

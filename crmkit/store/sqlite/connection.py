"""The SQLite file: opening, pragmas, migrations and transactions.

Everything else talks to the database through a `Store`. It keeps one
connection in autocommit mode and opens explicit transactions, so that a
large import is one transaction (fast, and all-or-nothing) while single edits
stay short.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crmkit.errors import CrmError
from crmkit.store.sqlite.schema import MIGRATIONS, SCHEMA_VERSION

if TYPE_CHECKING:
    import sqlite_utils

__all__ = ["Store"]


class Store:
    """One open database file with the current schema."""

    def __init__(
        self, path: str | Path, *, create: bool = True, busy_timeout: float = 30.0
    ) -> None:
        """Open (or with `create`, create) the file; wait up to `busy_timeout` seconds
        for another process's write to finish before a write of ours gives up."""
        self.path = Path(path)
        # What the history names as the source of changes made through this store:
        # "api" or "cli" (see `history`).
        self.source = "api"
        if not create and not self.path.exists():
            raise CrmError(f"no crmkit database at {self.path} (run `crm init` to create one)")
        if self.path.is_dir():
            raise CrmError(f"database path {self.path} is a folder, not a file")
        if not self.path.parent.exists():
            raise CrmError(f"folder {self.path.parent} for the database does not exist")
        # A file or folder we may not write: reads work, writes say so (see `writable`).
        self.read_only = _read_only(self.path)
        try:
            if self.read_only:
                self.conn = _connect_read_only(self.path, busy_timeout)
            else:
                self.conn = sqlite3.connect(
                    str(self.path), isolation_level=None, timeout=busy_timeout
                )
                self.conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.DatabaseError as exc:
            raise CrmError(f"{self.path} is not a crmkit database ({exc})") from exc
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute("PRAGMA temp_store = MEMORY")
        self.conn.execute("PRAGMA cache_size = -8192")
        self._depth = 0
        self._db: sqlite_utils.Database | None = None
        self.migrated_from = self.migrate()
        self.interrupted_imports = self._mark_interrupted_imports()

    # -- schema -----------------------------------------------------------

    @property
    def version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> int:
        """Apply missing migrations; return the version the file had before."""
        current = self.version
        if current > SCHEMA_VERSION:
            raise CrmError(
                f"database {self.path} has schema version {current}, newer than this crmkit "
                f"understands ({SCHEMA_VERSION}); upgrade crmkit to open it"
            )
        if current == SCHEMA_VERSION:
            return current
        if self.read_only:
            raise CrmError(
                f"database {self.path} has schema version {current} and needs an upgrade to"
                f" {SCHEMA_VERSION}, but it is read-only; open it once where it can be written"
            )
        # Tables are rebuilt with foreign keys off (dropping one must not cascade);
        # each migration still commits only if every reference holds afterwards.
        # Sorts go to disk: moving the search index of a large base sorts all of it.
        with self.bulk_load():
            for number in range(current, SCHEMA_VERSION):
                with self.transaction():
                    for statement in _split_statements(MIGRATIONS[number]):
                        self.conn.execute(statement)
                    broken = self.conn.execute("PRAGMA foreign_key_check").fetchone()
                    if broken is not None:
                        raise CrmError(
                            f"upgrading {self.path} to schema version {number + 1} would"
                            f" break a reference in table {broken[0]}; the file is unchanged"
                        )
                    self.conn.execute(f"PRAGMA user_version = {number + 1}")
        return current

    def _mark_interrupted_imports(self) -> list[int]:
        """Mark the imports whose process died half way; return their ids.

        Most opens find no running import, and then load nothing more (a quick
        `crm lookup` must not pay for the import history's modules).
        """
        if self.one("SELECT 1 FROM imports WHERE status = 'running' LIMIT 1") is None:
            return []
        from crmkit.store.sqlite.imports import mark_interrupted

        return mark_interrupted(self)

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Settings for one large write: foreign keys unchecked, sorts spilled to disk.

        The writer inside builds every reference itself, and rebuilding an index
        sorts a whole table, which must not happen in memory (see
        `foreign_keys_off`). Like it, this changes nothing inside a transaction.
        """
        with self.temp_on_disk(), self.foreign_keys_off():
            yield

    @contextmanager
    def temp_on_disk(self) -> Iterator[None]:
        """Sorts and temporary data spilled to disk, for the transactions opened inside.

        Kept in memory, they grow with the size of one large write. Like
        `foreign_keys_off`, this changes nothing inside a transaction.
        """
        if self._depth:
            yield
            return
        self.conn.execute("PRAGMA temp_store = FILE")
        try:
            yield
        finally:
            self.conn.execute("PRAGMA temp_store = MEMORY")

    @contextmanager
    def foreign_keys_off(self) -> Iterator[None]:
        """Foreign keys unchecked for the transactions opened inside this block.

        For writers that build every reference themselves (a bulk import assigns the
        ids it links to): checking each child row again costs a lookup per row. SQLite
        ignores the switch inside a transaction, so within one it changes nothing.
        """
        if self._depth:
            yield
            return
        self.conn.execute("PRAGMA foreign_keys = OFF")
        try:
            yield
        finally:
            self.conn.execute("PRAGMA foreign_keys = ON")

    # -- transactions -------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A transaction, or a savepoint inside an outer one; rolled back on error.

        The write lock is taken at the start (`BEGIN IMMEDIATE`), waiting for another
        process's write as long as the busy timeout allows; a database still busy
        then, or one that cannot be written, is a `CrmError` saying so.
        """
        if self._depth == 0:
            self.check_writable()
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise self._write_error(exc) from None
        else:
            self.conn.execute(f"SAVEPOINT sp{self._depth}")
        self._depth += 1
        try:
            yield self.conn
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                self.conn.execute("ROLLBACK")
            else:
                self.conn.execute(f"ROLLBACK TO sp{self._depth}")
                self.conn.execute(f"RELEASE sp{self._depth}")
            raise
        else:
            self._depth -= 1
            if self._depth == 0:
                try:
                    self.conn.execute("COMMIT")
                except sqlite3.OperationalError as exc:
                    self.conn.execute("ROLLBACK")
                    raise self._write_error(exc) from None
            else:
                self.conn.execute(f"RELEASE sp{self._depth}")

    def check_writable(self) -> None:
        """Raise `CrmError` if this process may not write the database (checked before a
        write starts, so that nothing is left half done, not even a folder of files)."""
        if self.read_only:
            raise CrmError(
                f"the database {self.path} is read-only (the file or its folder cannot be"
                " written by this user); reading works, nothing was changed"
            )

    def _write_error(self, exc: sqlite3.OperationalError) -> CrmError | sqlite3.OperationalError:
        """The sentence for a write SQLite refused: busy or read-only; else `exc` itself."""
        reason = str(exc)
        if "locked" in reason or "busy" in reason:
            return CrmError(
                f"the database {self.path} is busy (another import or edit is running); try again"
            )
        if "readonly" in reason or "read-only" in reason:
            return CrmError(f"the database {self.path} is read-only; nothing was changed")
        return exc

    @property
    def db(self) -> sqlite_utils.Database:
        """The same connection seen through sqlite-utils, for table-level conveniences."""
        if self._db is None:
            import sqlite_utils

            # Leave the connection as it is: no recursive triggers (a REPLACE in the
            # search index must not fire delete triggers) and no plugins.
            self._db = sqlite_utils.Database(
                self.conn, recursive_triggers=False, execute_plugins=False
            )
        return self._db

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    def lock_contacts(self, ids: list[int]) -> None:
        """Hold these contacts against other writers until the transaction ends.

        Nothing to do in SQLite: a transaction holds the whole file's write lock
        from its start. (A PostgreSQL store locks the rows.)
        """

    # -- small helpers used everywhere ------------------------------------

    def one(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> Any:
        """The first column of the first row, or None."""
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def rows(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[sqlite3.Row]:
        cursor = self.conn.execute(sql, params)
        cursor.row_factory = sqlite3.Row
        return cursor.fetchall()

    def close(self) -> None:
        self.conn.close()


def _read_only(path: Path) -> bool:
    """Whether an existing database file, or the folder holding it, cannot be written.

    SQLite writes the `-wal` and `-shm` files beside the database, so a read-only
    folder makes the base read-only too.
    """
    import os

    if not path.exists():
        return False
    return not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK)


def _connect_read_only(path: Path, busy_timeout: float) -> sqlite3.Connection:
    """Open the file for reading only.

    In a folder we cannot write, SQLite cannot create the shared-memory file a WAL
    database is read through; the file is then opened as immutable, which no
    process can change while we read (none may write there).
    """
    import os
    from urllib.parse import quote

    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    if not os.access(path.parent, os.W_OK) and not path.with_name(path.name + "-shm").exists():
        uri += "&immutable=1"
    return sqlite3.connect(uri, uri=True, isolation_level=None, timeout=busy_timeout)


def _split_statements(script: str) -> Iterator[str]:
    """Split a migration script into complete statements (sqlite3.complete_statement)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statement = buffer.strip()
            if statement:
                yield statement
            buffer = ""
    if buffer.strip():
        yield buffer.strip()

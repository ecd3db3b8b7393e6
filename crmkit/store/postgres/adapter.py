"""Statements of the storage layer run on psycopg, as `sqlite3` runs them.

`Connection` has the part of `sqlite3.Connection` the storage modules use: it
translates each statement (`dialect.translate`), binds the parameters as the
server needs them, and returns a `Cursor` whose rows, like `sqlite3.Row`, are
tuples readable by column name. Database errors come back as the `sqlite3`
exceptions those modules already handle (`_sqlite_error`). During a bulk load
the COPYs of a batch go from a second thread while the next batch is prepared.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import suppress
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from crmkit.errors import CrmError
from crmkit.store.postgres.dialect import translate

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

__all__ = ["Connection", "Cursor", "Row"]


class Row(tuple):  # type: ignore[type-arg]
    """A result row: a tuple that is also read by column name, as `sqlite3.Row` is."""

    _names: tuple[str, ...] = ()

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names.index(key))
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


@lru_cache(maxsize=1024)
def _row_type(names: tuple[str, ...]) -> type[Row]:
    """Return the `Row` class of results with these columns (made once per column list)."""
    return type("Row", (Row,), {"_names": names})


def _row_factory(cursor: Any) -> Any:
    """psycopg's row maker for `Row`s named after the cursor's columns."""
    result = cursor.pgresult
    count = 0 if result is None else result.nfields
    kind = _row_type(tuple(result.fname(i).decode() for i in range(count)))

    def make(values: Sequence[Any]) -> Row:
        return kind(values)  # type: ignore[no-any-return]

    return make


class Cursor:
    """The part of `sqlite3.Cursor` the storage layer uses."""

    row_factory: Any = None

    def __init__(self, raw: Any, lastrowid: int | None = None) -> None:
        self._raw = raw
        self.lastrowid = lastrowid
        # Whether the statement returned rows (psycopg rebuilds `description` on each read).
        result = None if raw is None else raw.pgresult
        self._rows = result is not None and result.nfields > 0

    @property
    def rowcount(self) -> int:
        return int(self._raw.rowcount) if self._raw is not None else -1

    @property
    def description(self) -> Any:
        return None if self._raw is None else self._raw.description

    def fetchone(self) -> Any:
        if not self._rows:
            return None
        return self._raw.fetchone()

    def fetchall(self) -> list[Any]:
        if not self._rows:
            return []
        return list(self._raw.fetchall())

    def fetchmany(self, size: int = 1) -> list[Any]:
        if not self._rows:
            return []
        return list(self._raw.fetchmany(size))

    def __iter__(self) -> Iterator[Any]:
        if not self._rows:
            return iter(())
        return iter(self._raw)

    def close(self) -> None:
        if self._raw is not None:
            self._raw.close()


# Tables whose rows get their id from the database: an INSERT into one without
# an id returns it, as `cursor.lastrowid` does in SQLite.
_ID_TABLES = frozenset(
    {
        "tags",
        "users",
        "custom_fields",
        "memberships",
        "imports",
        "notes",
        "files",
        "views",
        "history",
        "merges",
        "erasures",
        "campaigns",
        "campaign_contacts",
        "field_groups",
        "group_records",
        "cases",
        "events",
    }
)


class Connection:
    """The part of `sqlite3.Connection` the storage layer uses, over psycopg."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self._streams = 0
        # Rows written through this connection, as `sqlite3.Connection.total_changes` counts.
        self._changes = 0
        self._trace: Any = None
        # Writes sent from a second thread during a bulk load (see `send_behind`).
        self._sender: ThreadPoolExecutor | None = None
        self._behind: list[Future[int]] = []

    @property
    def raw(self) -> Any:
        """The psycopg connection, once the writes sent behind have gone through."""
        if self._behind:
            self.catch_up()
        return self._raw

    @property
    def total_changes(self) -> int:
        if self._behind:
            self.catch_up()
        return self._changes

    @total_changes.setter
    def total_changes(self, value: int) -> None:
        self._changes = value

    # -- writes sent behind ------------------------------------------------------------
    #
    # A bulk import spends about as long waiting for the server to store a batch
    # as preparing the next one. During `PostgresStore.bulk_load()` a batch's
    # COPYs go from a second thread, while this one goes on; whatever else uses
    # the connection (a statement, a commit, `raw`) first waits for them, so the
    # server sees everything in the order it was written. An error of a write
    # sent behind comes out of the next use instead.

    def start_sending_behind(self) -> None:
        if self._sender is None:
            from concurrent.futures import ThreadPoolExecutor

            self._sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crm-copy")

    def stop_sending_behind(self) -> None:
        if self._sender is not None:
            try:
                self.catch_up()
            finally:
                self._sender.shutdown()
                self._sender = None

    def send_behind(self, write: Callable[[Any], int]) -> bool:
        """Run `write(psycopg connection)` (it returns the rows it wrote) from the second
        thread; False (nothing done) outside a bulk load's transaction."""
        if self._sender is None:
            return False
        if not self._behind:
            import psycopg

            if self._raw.info.transaction_status != psycopg.pq.TransactionStatus.INTRANS:
                return False
        self._behind.append(self._sender.submit(write, self._raw))
        return True

    def catch_up(self) -> None:
        """Wait for the writes sent behind; raise the first one's error."""
        behind, self._behind = self._behind, []
        error: BaseException | None = None
        for future in behind:
            try:
                self._changes += future.result()
            except BaseException as exc:  # noqa: BLE001 - raised below, once all are done
                error = error or exc
        if error is not None:
            raise error

    def drop_behind(self) -> None:
        """Wait for the writes sent behind, forgetting their errors (before a rollback)."""
        # The rollback that follows undoes them anyway.
        with suppress(Exception):
            self.catch_up()

    def set_trace_callback(self, callback: Any) -> None:
        """Call `callback` with each statement run from now on (as given, untranslated)."""
        self._trace = callback

    def execute(self, sql: str, params: Any = ()) -> Cursor:
        if self._trace is not None:
            self._trace(sql)
        head = sql.lstrip()[:12].upper()
        if head.startswith("PRAGMA"):
            return Cursor(None)
        translated = translate(sql)
        if not translated.sql:
            return Cursor(None)
        text, values = translated.sql, _bind(params, translated.arrays, translated.positions)
        returning = _returns_id(text)
        if returning:
            text += " RETURNING id"
        cursor = self.raw.cursor(row_factory=_row_factory)
        try:
            cursor.execute(text, values)
        except Exception as exc:
            raise _sqlite_error(exc) from exc
        self._count_changes(cursor)
        if returning:
            row = cursor.fetchone()
            return Cursor(cursor, int(row[0]) if row else None)
        return Cursor(cursor)

    def _count_changes(self, cursor: Any) -> None:
        if cursor.description is None or cursor.statusmessage.startswith("INSERT"):
            self.total_changes += max(cursor.rowcount, 0)

    def executemany(self, sql: str, seq: Iterable[Any]) -> Cursor:
        translated = translate(sql)
        if not translated.sql:
            return Cursor(None)
        cursor = self.raw.cursor()
        rows = [_bind(params, translated.arrays, translated.positions) for params in seq]
        if not rows:
            return Cursor(None)
        if self._trace is not None:
            for _ in rows:
                self._trace(sql)
        try:
            cursor.executemany(translated.sql, rows)
        except Exception as exc:
            raise _sqlite_error(exc) from exc
        self._count_changes(cursor)
        return Cursor(cursor)

    def cursor(self) -> CursorMaker:
        return CursorMaker(self)

    def stream(self, sql: str, params: Any = (), size: int = 1000) -> Iterator[list[Any]]:
        """Yield the rows of a query `size` at a time from a server-side cursor.

        The client never holds the whole result, and other statements may run on
        this connection between two chunks (an export reads the list tables so).
        """
        translated = translate(sql)
        self._streams += 1
        name = f"crm_stream_{self._streams}"
        try:
            self.raw.execute(
                f"DECLARE {name} NO SCROLL CURSOR WITH HOLD FOR {translated.sql}",
                _bind(params, translated.arrays),
            )
        except Exception as exc:
            raise _sqlite_error(exc) from exc
        try:
            cursor = self.raw.cursor(row_factory=_row_factory)
            while rows := cursor.execute(f"FETCH FORWARD {int(size)} FROM {name}").fetchall():
                yield rows
        finally:
            self.raw.execute(f"CLOSE {name}")

    def create_function(self, *args: Any, **kwargs: Any) -> None:
        """Do nothing: the functions SQLite gets from Python are in the schema here."""

    def close(self) -> None:
        self.raw.close()


class CursorMaker:
    """What `conn.cursor()` returns: a cursor whose `execute` goes through translation."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._last: Cursor | None = None
        self.row_factory: Any = None

    def execute(self, sql: str, params: Any = ()) -> Cursor:
        self._last = self._conn.execute(sql, params)
        return self._last

    def executemany(self, sql: str, seq: Iterable[Any]) -> Cursor:
        self._last = self._conn.executemany(sql, seq)
        return self._last

    def __getattr__(self, name: str) -> Any:
        if self._last is None:
            raise AttributeError(name)
        return getattr(self._last, name)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._last or ())


def _returns_id(text: str) -> str | None:
    """The table an INSERT without an explicit id adds a row to, if that row gets one."""
    upper = text.lstrip()[:40].upper()
    if not upper.startswith("INSERT INTO") or " RETURNING " in text.upper():
        return None
    table = text.split()[2].split("(")[0].lower()
    if table not in _ID_TABLES:
        return None
    columns = text[text.find("(") + 1 : text.find(")")] if "(" in text else ""
    if "id" in {name.strip().lower() for name in columns.split(",")}:
        return None
    return table


def _bind(params: Any, arrays: tuple[int | str, ...], positions: tuple[int, ...] = ()) -> Any:
    """The parameters for psycopg: JSON lists bound as arrays, flags as numbers.

    `positions` gives the number of the parameter each placeholder takes (`?1`).
    """
    if isinstance(params, dict):
        bound = {key: _value(value) for key, value in params.items()}
        for name in arrays:
            bound[name] = _array(bound[name])
        return bound
    values = [_value(value) for value in params]
    if positions:
        values = [values[number - 1] for number in positions]
    for place in arrays:
        assert isinstance(place, int)
        values[place] = _array(values[place])
    return values


def _value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def _array(value: Any) -> list[Any]:
    """A JSON list (as SQLite's `json_each` reads it) as a Python list for an array."""
    items = json.loads(value) if isinstance(value, str | bytes) else list(value)
    return [str(item) if isinstance(item, str) else item for item in items]


def _sqlite_error(exc: Exception) -> Exception:
    """The `sqlite3` exception the storage layer expects for a database error."""
    import psycopg

    if isinstance(exc, psycopg.errors.IntegrityError):
        return sqlite3.IntegrityError(str(exc).strip())
    if isinstance(exc, psycopg.errors.LockNotAvailable):
        return sqlite3.OperationalError(f"database is locked: {exc}".strip())
    if isinstance(exc, psycopg.errors.TransactionRollback):
        return CrmError("the data was changed by someone else at the same time; try again")
    if isinstance(
        exc, psycopg.errors.ReadOnlySqlTransaction | psycopg.errors.InsufficientPrivilege
    ):
        reason = str(exc).strip().splitlines()[0]
        return CrmError(f"the database server refused: {reason}; nothing was changed")
    if isinstance(exc, psycopg.OperationalError) and not isinstance(
        exc, psycopg.errors.QueryCanceled
    ):
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "connection lost"
        return CrmError(f"lost the connection to the database server ({reason}); try again")
    if isinstance(exc, psycopg.Error):
        return sqlite3.OperationalError(str(exc).strip())
    return exc

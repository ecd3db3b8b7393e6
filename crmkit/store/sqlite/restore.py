"""Restoring a dump into an empty base: one transaction, references checked, contents verified.

The header is checked before anything is written. The rows then go in with
their ids, table by table in the order of the dump and with foreign keys on,
so a row that refers to nothing is refused. Each file content is checked
against its sha256 and stored in the files folder beside the database. The
dump must end with its end line and the counts it gives, so a dump cut short
is refused. Last, the search index is rebuilt from the restored contacts.
Any failure rolls everything back and removes the file contents written.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import re
import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

from crmkit.errors import CrmError
from crmkit.store.sqlite.bulk import insert_rows
from crmkit.store.sqlite.connection import Store
from crmkit.store.sqlite.digest_triggers import digest_triggers_paused
from crmkit.store.sqlite.dump_tables import (
    DUMP_FORMAT,
    DUMP_VERSION,
    DUMPED_TABLES,
    dumped_columns,
)
from crmkit.store.sqlite.files import FileStore
from crmkit.store.sqlite.schema import SCHEMA_VERSION
from crmkit.store.sqlite.search_index import rebuild_search_index

__all__ = ["restore_dump"]

# Rows inserted per statement group; a failing group is replayed row by row to name the line.
_BATCH = 500
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
# What the database refuses in a row: a constraint, or a value that is no number or text.
_REFUSED = (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError)

Numbered = Iterator[tuple[int, str]]


def restore_dump(store: Store, lines: Iterable[str], name: str) -> dict[str, Any]:
    """Load the dump `lines` into the empty base of `store`; `name` says where they come from.

    Return the rows restored per table, their total, the contacts, the stored
    files and how many contacts were indexed for search.
    """
    numbered: Numbered = enumerate(lines, 1)
    loader = _Loader(store, name)
    try:
        _check_header(numbered, name)
        with store.temp_on_disk(), store.transaction() as conn, digest_triggers_paused(conn):
            _refuse_unless_empty(store)
            loader.load(numbered)
            if getattr(store, "dialect", "sqlite") == "postgresql":
                _number_past_restored_ids(store)
            indexed = rebuild_search_index(store)
    except UnicodeDecodeError:
        loader.discard_contents()
        raise CrmError(
            f"{name} is not UTF-8 text, so not a crmkit dump; nothing was restored"
        ) from None
    except BaseException:
        loader.discard_contents()
        raise
    return {
        "tables": loader.counts,
        "rows": sum(loader.counts.values()),
        "contacts": loader.counts.get("contacts", 0),
        "files": len(loader.contents),
        "indexed": indexed,
    }


def _check_header(numbered: Numbered, name: str) -> None:
    """Refuse anything but a dump this code can read, by its first line."""
    first = next(numbered, None)
    header = _parse(first[1]) if first is not None else None
    if not isinstance(header, dict) or header.get("format") != DUMP_FORMAT:
        raise CrmError(f"{name} is not a crmkit dump (its first line is no {DUMP_FORMAT} header)")
    version, schema = header.get("version"), header.get("schema")
    if not isinstance(version, int) or not isinstance(schema, int) or version < 1:
        raise CrmError(f"the header of {name} gives no valid format and schema version")
    if version > DUMP_VERSION:
        raise CrmError(
            f"{name} is a dump of format version {version}, newer than this crmkit reads"
            f" ({DUMP_VERSION}); upgrade crmkit to restore it"
        )
    if schema > SCHEMA_VERSION:
        raise CrmError(
            f"{name} was dumped from schema version {schema}, newer than this crmkit"
            f" understands ({SCHEMA_VERSION}); upgrade crmkit to restore it"
        )


def _parse(line: str) -> Any:
    """Return the JSON value of a line, or None if it is not JSON."""
    try:
        return json.loads(line)
    except ValueError:
        return None


def _refuse_unless_empty(store: Store) -> None:
    """Raise unless every table a dump fills is empty: a restore never mixes two bases."""
    holding = [
        table.name
        for table in DUMPED_TABLES
        if store.one(f'SELECT 1 FROM "{table.name}" LIMIT 1') is not None
    ]
    if holding:
        named = ", ".join(holding[:3]) + (f" and {len(holding) - 3} more" if holding[3:] else "")
        raise CrmError(
            f"the database {store.path} is not empty (it holds {named});"
            " a dump is restored only into an empty database: name a new file with --db"
        )


def _number_past_restored_ids(store: Store) -> None:
    """Move each id sequence past the restored ids, so new rows get new ids (PostgreSQL)."""
    identities = store.rows(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND is_identity = 'YES'"
    )
    for table, column in identities:
        store.one(
            f"SELECT setval(pg_get_serial_sequence(?, ?),"
            f' coalesce(max("{column}"), 0) + 1, false) FROM "{table}"',
            (f'"{table}"', column),
        )


class _Loader:
    """The rows and contents of one dump, written as they are read."""

    def __init__(self, store: Store, name: str) -> None:
        self.store = store
        self.name = name
        self.files = FileStore.for_store(store)
        self.columns = {
            table.name: frozenset(dumped_columns(store, table)) for table in DUMPED_TABLES
        }
        self.counts: dict[str, int] = {}
        self.contents: set[str] = set()
        self._written: list[str] = []
        self._statements: dict[tuple[str, tuple[str, ...]], str] = {}
        self._key: tuple[str, tuple[str, ...]] | None = None
        self._rows: list[tuple[Any, ...]] = []
        self._lines: list[int] = []

    def load(self, numbered: Numbered) -> None:
        """Write every row and content up to the end line, then check the dump was whole."""
        end: dict[str, Any] | None = None
        last = 1
        for number, line in numbered:
            last = number
            if not line.strip():
                continue
            if end is not None:
                raise self._error(number, "text follows the end line of the dump")
            item = _parse(line)
            if not isinstance(item, dict):
                raise self._error(number, "not a JSON object (the dump is damaged)")
            if "table" in item:
                self._add_row(item, number)
                continue
            self._flush()
            if "file" in item:
                self._add_content(item, number)
            elif "end" in item:
                end = item
            else:
                raise self._error(number, "neither a row, a file content nor the end line")
        self._flush()
        if end is None:
            raise CrmError(
                f"{self.name} stops at line {last} without the end line of a dump:"
                " it was cut short; nothing was restored"
            )
        self._check_contents()
        self._check_end(end)

    def discard_contents(self) -> None:
        """Remove the file contents this restore stored, after its transaction was undone."""
        self.files.discard(self.store, self._written)

    # -- rows ---------------------------------------------------------------------------

    def _add_row(self, item: dict[str, Any], number: int) -> None:
        table, row = item.get("table"), item.get("row")
        if not isinstance(table, str) or table not in self.columns:
            raise self._error(number, f"{table!r} is not a table a dump restores")
        if not isinstance(row, dict) or not row:
            raise self._error(number, f"the {table} row is not a JSON object of columns")
        key = (table, tuple(row))
        if key != self._key:
            self._flush()
            self._key = key
            if key not in self._statements:
                self._statements[key] = self._statement(table, key[1], number)
        self._rows.append(tuple(row.values()))
        self._lines.append(number)
        self.counts[table] = self.counts.get(table, 0) + 1
        if len(self._rows) >= _BATCH:
            self._flush()

    def _statement(self, table: str, columns: tuple[str, ...], number: int) -> str:
        """Return the INSERT for these columns of `table`, each checked against the schema."""
        unknown = [column for column in columns if column not in self.columns[table]]
        if unknown:
            raise self._error(number, f"table {table} has no column {', '.join(unknown)}")
        names = ", ".join(f'"{column}"' for column in columns)
        marks = ", ".join("?" * len(columns))
        return f'INSERT INTO "{table}" ({names}) VALUES ({marks})'

    def _flush(self) -> None:
        """Insert the rows gathered; name the line of the first one the database refuses."""
        if not self._rows or self._key is None:
            return
        sql = self._statements[self._key]
        rows, lines = self._rows, self._lines
        self._rows, self._lines = [], []
        try:
            with self.store.transaction() as conn:
                insert_rows(conn, sql, rows)
        except _REFUSED:
            for row, number in zip(rows, lines, strict=True):
                try:
                    self.store.conn.execute(sql, row)
                except _REFUSED as exc:
                    reason = f"the {self._key[0]} row cannot be stored ({exc})"
                    raise self._error(number, reason) from None
            raise

    # -- file contents ---------------------------------------------------------------

    def _add_content(self, item: dict[str, Any], number: int) -> None:
        sha256, content = item.get("file"), item.get("content")
        if not isinstance(sha256, str) or _HEX_DIGEST.fullmatch(sha256) is None:
            raise self._error(number, f"{sha256!r} is not the sha256 of a file content")
        if sha256 in self.contents:
            raise self._error(number, f"the content {sha256[:12]}... appears twice")
        if self.store.one("SELECT 1 FROM files WHERE sha256 = ? LIMIT 1", (sha256,)) is None:
            raise self._error(number, f"no file of the dump has the content {sha256[:12]}...")
        if not isinstance(content, str):
            raise self._error(number, f"the content {sha256[:12]}... is missing")
        try:
            data = base64.b64decode(content, validate=True)
        except binascii.Error:
            raise self._error(number, f"the content {sha256[:12]}... is not base64") from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise self._error(
                number, f"the content {sha256[:12]}... does not match its sha256 (it was altered)"
            )
        _, _, new = self.files.put(io.BytesIO(data))
        if new:
            self._written.append(sha256)
        self.contents.add(sha256)

    def _check_contents(self) -> None:
        """Raise if a file row names a content the dump did not hold."""
        for (sha256,) in self.store.conn.execute("SELECT DISTINCT sha256 FROM files"):
            if sha256 not in self.contents:
                raise CrmError(
                    f"{self.name} lacks the content {sha256[:12]}... of a stored file;"
                    " nothing was restored"
                )

    # -- the end line ------------------------------------------------------------------

    def _check_end(self, end: dict[str, Any]) -> None:
        """Raise unless the end line's counts are what the dump held."""
        rows = end.get("rows")
        if end.get("end") != DUMP_FORMAT or not isinstance(rows, dict):
            raise CrmError(f"{self.name} has a damaged end line; nothing was restored")
        for table in sorted(set(rows) | set(self.counts)):
            if rows.get(table, 0) != self.counts.get(table, 0):
                raise CrmError(
                    f"{self.name} holds {self.counts.get(table, 0)} rows of table {table}"
                    f" where its end line counts {rows.get(table, 0)}: the dump is damaged;"
                    " nothing was restored"
                )
        if end.get("files") != len(self.contents):
            raise CrmError(
                f"{self.name} holds {len(self.contents)} file contents where its end line"
                f" counts {end.get('files')}: the dump is damaged; nothing was restored"
            )

    def _error(self, number: int, reason: str) -> CrmError:
        return CrmError(f"{self.name}, line {number}: {reason}; nothing was restored")

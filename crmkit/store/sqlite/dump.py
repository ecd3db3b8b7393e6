"""Writing a dump: the tables of `DUMPED_TABLES`, then the stored file contents, as JSON Lines.

The layout is described in `dump_tables`. Rows are read through cursors and
written as they come, and a file's content is encoded a chunk at a time, so
memory stays the same however large the base is.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import chain
from typing import IO, Any, cast

from crmkit.errors import CrmError
from crmkit.store.sqlite.connection import Store
from crmkit.store.sqlite.dump_tables import (
    DUMP_FORMAT,
    DUMP_VERSION,
    DUMPED_TABLES,
    DumpedTable,
    dumped_columns,
)
from crmkit.store.sqlite.files import FileStore
from crmkit.store.sqlite.tabular import read_in_chunks
from crmkit.values.datetimes import utc_now

__all__ = ["write_dump", "encode_line"]


def write_dump(store: Store, out: IO[str]) -> dict[str, Any]:
    """Write the whole base to `out`: header, rows, file contents, end line.

    Everything is read in one read transaction, so the dump is one committed
    state of the base even while other processes write to it. Return the rows
    written per table, their total, the contacts and the stored files.
    """
    from crmkit import __version__

    counts: dict[str, int] = {}
    with _read_snapshot(store):
        header = {
            "format": DUMP_FORMAT,
            "version": DUMP_VERSION,
            "schema": store.version,
            "created_at": utc_now(),
            "crmkit": __version__,
        }
        out.write(encode_line(header))
        for table in DUMPED_TABLES:
            counts[table.name] = _write_table(store, table, out)
        files = _write_contents(store, out)
        out.write(encode_line({"end": DUMP_FORMAT, "rows": counts, "files": files}))
    return {
        "tables": {name: count for name, count in counts.items() if count},
        "rows": sum(counts.values()),
        "contacts": counts["contacts"],
        "files": files,
    }


def encode_line(item: dict[str, Any]) -> str:
    """Return one line of a dump: compact JSON, letters as they are, and a newline."""
    return json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n"


@contextmanager
def _read_snapshot(store: Store) -> Iterator[None]:
    """Read every table from the same committed state; writers elsewhere carry on.

    SQLite's WAL keeps the state of the read transaction; PostgreSQL's
    repeatable-read transaction sees the snapshot of its first statement.
    """
    if store.in_transaction:
        yield
        return
    if getattr(store, "dialect", "sqlite") == "postgresql":
        store.conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    else:
        store.conn.execute("BEGIN DEFERRED")
    try:
        yield
    finally:
        store.conn.execute("ROLLBACK")


def _write_table(store: Store, table: DumpedTable, out: IO[str]) -> int:
    """Write one line per row of `table`, in its order; return how many."""
    columns = dumped_columns(store, table)
    selected = ", ".join(f'"{column}"' for column in columns)
    prefix = f'{{"table":"{table.name}","row":'
    count = 0
    rows = read_in_chunks(
        store.conn, f'SELECT {selected} FROM "{table.name}" ORDER BY {table.order}'
    )
    for values in chain.from_iterable(rows):
        row = dict(zip(columns, values, strict=True))
        try:
            encoded = json.dumps(row, ensure_ascii=False, separators=(",", ":"))
        except TypeError:
            raise CrmError(
                f"a row of table {table.name} holds binary data, which a dump cannot hold"
            ) from None
        out.write(f"{prefix}{encoded}}}\n")
        count += 1
    return count


def _write_contents(store: Store, out: IO[str]) -> int:
    """Write the content of every stored file once, checked against its sha256; return how many."""
    files = FileStore.for_store(store)
    count = 0
    for (sha256,) in store.conn.execute("SELECT DISTINCT sha256 FROM files ORDER BY sha256"):
        files.check_digest(sha256)  # refuses anything but a hex digest before it is written out
        out.write(f'{{"file":"{sha256}","content":"')
        encoder = _Base64Writer(out)
        files.copy_to(sha256, cast("IO[bytes]", encoder))
        encoder.finish()
        out.write('"}\n')
        count += 1
    return count


class _Base64Writer:
    """A stream for bytes that writes them to a text stream as base64, as they come."""

    def __init__(self, out: IO[str]) -> None:
        self._out = out
        self._rest = b""

    def write(self, data: bytes) -> int:
        """Encode whole groups of three bytes now; keep the rest for the next chunk."""
        pending = self._rest + data if self._rest else data
        whole = len(pending) - len(pending) % 3
        self._out.write(base64.b64encode(pending[:whole]).decode("ascii"))
        self._rest = pending[whole:]
        return len(data)

    def finish(self) -> None:
        """Write the last bytes, with their padding."""
        self._out.write(base64.b64encode(self._rest).decode("ascii"))
        self._rest = b""

"""A large CSV export on two processors: chunks of ids go in turn to two helper processes.

Reading and formatting a contact costs several microseconds of Python; a
million of them keep one processor busy for many seconds. The selection is cut
into pieces — ranges of ids for an export in id order, else chunks of the
selected ids — handed in turn to two forked helper processes (each with its own
read-only connection), which send back CSV text; this process writes the
replies in order. Memory holds a few pieces.

Used only where `fork` exists (Linux, not Windows), for CSV, when there is
more than one processor and more than a few chunks; otherwise the export runs
in one process. The helper reads in its own transaction, so a write committed
while a long export runs may show in its chunks and not in this process's.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import sqlite3
from collections import deque
from collections.abc import Iterator, Sequence
from itertools import islice
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO, Any

from crmkit.errors import CrmError
from crmkit.exporters.csvfile import CsvFormatter, LineFormatter
from crmkit.exporters.csvlines import EncodedCsv
from crmkit.store.sqlite.query.columns import ColumnSpec
from crmkit.store.sqlite.query.compiler import prepare_connection
from crmkit.store.sqlite.tabular import CHUNK, TabularReader

__all__ = [
    "parallel_available",
    "write_csv_in_parallel",
    "id_chunks",
    "id_ranges",
    "MIN_CHUNKS",
    "csv_reader",
    "rows_of_work",
]

# Below this many chunks helper processes cost more than they save.
MIN_CHUNKS = 8
HELPERS = 2
# A reply's row count that means "failed": the rest of the reply is the reason.
_FAILED = 2**64 - 1


def parallel_available(database: Path | None) -> bool:
    """Whether this machine and database allow the two-process export."""
    return (
        database is not None
        and database.exists()
        and (os.cpu_count() or 1) > 1
        and "fork" in multiprocessing.get_all_start_methods()
    )


# A piece of work for a helper: ("ids", ids) or ("range", where, params, low, high), the
# contacts matching `where` with low <= id < high, by id.
Work = tuple[Any, ...]


def _helper(database: str, columns: Sequence[ColumnSpec], escape: bool, pipe: Connection) -> None:
    """The helper process: CSV text for each piece of work it is sent, until None."""
    try:
        conn = sqlite3.connect(Path(database).resolve().as_uri() + "?mode=ro", uri=True)
        # A modest page cache and no memory map: each helper's memory stays flat
        # however large the database is.
        conn.execute("PRAGMA cache_size = -8192")
        prepare_connection(conn)
        reader, formatter = csv_reader(conn, columns, escape)
        while True:
            work = pipe.recv()
            if work is None:
                break
            text, count = formatter.lines(rows_of_work(reader, work))
            pipe.send_bytes(count.to_bytes(8, "little") + text.encode("utf-8"))
        conn.close()
    except Exception as exc:  # reported to the parent, which raises it
        reason = f"{type(exc).__name__}: {exc}".encode()
        pipe.send_bytes(_FAILED.to_bytes(8, "little") + reason)
    finally:
        pipe.close()


def rows_of_work(reader: TabularReader, work: Work) -> Iterator[list[str]]:
    """The rows of one piece of work, each piece read as one chunk."""
    if work[0] == "ids":
        return reader.rows_for_ids(work[1], chunk=len(work[1]) or 1)
    _, where, params, low, high = work
    return reader.rows_for_query(
        f"({where}) AND c.id >= ? AND c.id < ?", (*params, low, high), "c.id", chunk=high - low
    )


def id_chunks(first: list[list[int]], ids: Iterator[int]) -> Iterator[Work]:
    """Work for a selection given as ids: chunks of them, in order."""
    for chunk in first:
        yield ("ids", chunk)
    while True:
        batch = list(islice(ids, CHUNK))
        if not batch:
            return
        yield ("ids", batch)


def id_ranges(
    passes: Sequence[tuple[str, tuple[Any, ...]]], low: int, high: int, width: int = CHUNK
) -> Iterator[Work]:
    """Work for passes in id order (WHERE text and parameters): ranges of `width` ids."""
    for where, params in passes:
        for start in range(low, high + 1, width):
            yield ("range", where, params, start, start + width)


def csv_reader(
    conn: sqlite3.Connection, columns: Sequence[ColumnSpec], escape: bool
) -> tuple[TabularReader, LineFormatter]:
    """The reader of rows and what turns them into CSV text, for these columns.

    Two columns or more are read as joined text (`EncodedCsv`); a single column
    keeps the plain path, which writes a lone empty cell the way csv.writer does.
    """
    if len(columns) > 1:
        encoded = EncodedCsv(conn, columns, escape=escape)
        return encoded.reader, encoded
    return TabularReader(conn, columns, escape=escape), CsvFormatter(len(columns))


def write_csv_in_parallel(
    out: IO[str], database: Path, reader: TabularReader, work: Iterator[Work]
) -> int:
    """Write the CSV rows of all the work, in order; return the row count.

    Two helpers take the pieces in turn, each with up to two queued, and this
    process writes their replies in order.
    """
    context = multiprocessing.get_context("fork")
    pipes: list[Connection] = []
    helpers = []
    for _ in range(HELPERS):
        here, there = context.Pipe()
        helper = context.Process(
            target=_helper, args=(str(database), reader.columns, reader.escape, there), daemon=True
        )
        helper.start()
        there.close()
        pipes.append(here)
        helpers.append(helper)
    waiting: deque[Connection] = deque()
    count = 0
    try:
        for index, piece in enumerate(work):
            if len(waiting) >= 2 * HELPERS:
                count += _write_reply(out, _receive(waiting.popleft()))
            pipe = pipes[index % HELPERS]
            _send(pipe, piece)
            waiting.append(pipe)
        while waiting:
            count += _write_reply(out, _receive(waiting.popleft()))
        for pipe in pipes:
            _send(pipe, None)
        for helper in helpers:
            helper.join()
    finally:
        for helper in helpers:
            if helper.is_alive():
                helper.terminate()
                helper.join()
        for pipe in pipes:
            pipe.close()
    return count


def _send(pipe: Connection, work: Work | None) -> None:
    """Send work; a helper that already failed has left its reason to read instead."""
    try:
        pipe.send(work)
    except OSError:
        _write_reply(io.StringIO(), _receive(pipe))
        raise CrmError("the export's helper process stopped") from None


def _receive(pipe: Connection) -> bytes:
    try:
        return pipe.recv_bytes()
    except (EOFError, OSError):
        raise CrmError("the export's helper process stopped") from None


def _write_reply(out: IO[str], reply: bytes) -> int:
    """Write a helper's CSV text (as bytes when the stream is UTF-8); return its row count."""
    count = int.from_bytes(reply[:8], "little")
    data = memoryview(reply)[8:]
    if count == _FAILED:
        raise CrmError(f"the export's helper process failed: {bytes(data).decode()}")
    buffer = getattr(out, "buffer", None)
    if buffer is not None and str(getattr(out, "encoding", "")).lower().replace("-", "") == "utf8":
        out.flush()
        buffer.write(data)
    else:
        out.write(bytes(data).decode("utf-8"))
    return count

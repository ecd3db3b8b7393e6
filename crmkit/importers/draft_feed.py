"""Rows read and turned into drafts, here or in a forked helper process.

Reading a CSV row and building its draft is pure Python that needs nothing
from the database; writing the draft is mostly SQLite. On a machine with two
processors a large CSV import forks a helper that reads and builds while this
process matches and writes. Drafts come back over a pipe in batches, in file
order; the helper runs at most a dozen batches (about 5 MB) ahead, so memory
stays flat however long the file is. When the writer finds no batch waiting,
the helper hands it the rest of the batch it is reading unparsed, and the
writer parses those rows itself (`row_parsing.RowParser`, the same code), so
neither process waits while the other has work. A file-level error in the
helper (bytes in the wrong encoding, say) is sent back and raised here, inside
the import's transaction.

The helper is used only where `fork` exists and for CSV imports that create no
tags, users or options on the way (`--create-missing` writes to the database
while building drafts). Everything else reads in this process, through the
same `parsed_rows` generator, so both routes give the same drafts and problems.
"""

from __future__ import annotations

import gc
import marshal
import multiprocessing
import os
import pickle
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing import BufferTooShort
from multiprocessing.connection import Connection
from typing import Any

from crmkit.drafts import Problem
from crmkit.errors import CrmError
from crmkit.importers.readers import SourceFile
from crmkit.importers.row_parsing import HelperSwitch, NewPersonRow, Parsed, RawRow
from crmkit.targets import ContactDraft

__all__ = [
    "DraftFeed",
    "HelperFeed",
    "helper_available",
    "collection_paused",
    "MIN_HELPER_BYTES",
]

# Files below this size import faster without forking a helper.
MIN_HELPER_BYTES = 4 << 20
_BATCH = 1000
# Encoded batches the helper may hold while the writer is busy: about 5 MB.
_BATCHES_AHEAD = 12
# Collector thresholds during an import: a young collection per 50,000 objects that
# outlive their row (the default is 700), older generations in proportion.
_RARE_COLLECTIONS = (50_000, 20, 20)
# The writer's thresholds while a helper reads: see HelperFeed.
_HELPED_COLLECTIONS = (1_000_000, 100, 100)
_FIELDS = ContactDraft.__slots__  # type: ignore[attr-defined]


class DraftFeed:
    """Parsed rows read in this process."""

    def __init__(self, source: SourceFile, rows: Iterator[Parsed]) -> None:
        self.source = source
        self.rows = rows

    def __iter__(self) -> Iterator[Parsed]:
        return self.rows

    @property
    def bytes_read(self) -> int:
        return self.source.bytes_read

    @property
    def sha256(self) -> str | None:
        return self.source.sha256

    def close(self) -> None:
        """Nothing to stop: the rows are read on demand."""


def helper_available(source: SourceFile, unknown: str) -> bool:
    """Whether this import may read its rows in a forked helper process."""
    return (
        not source.records
        and unknown != "create"
        and (source.size or 0) >= MIN_HELPER_BYTES
        and (os.cpu_count() or 1) > 1
        and "fork" in multiprocessing.get_all_start_methods()
    )


class HelperFeed:
    """Rows read by a forked helper process, received in file order.

    The rows are `Parsed`, or with `new_persons` the `NewPersonRow`s that
    `RowParser.new_person` makes.
    """

    def __init__(
        self,
        source: SourceFile,
        rows: Iterator[Parsed | NewPersonRow | RawRow],
        *,
        new_persons: bool = False,
        prepare: HelperSwitch | None = None,
        documents: HelperSwitch | None = None,
        handoff: HelperSwitch | None = None,
        finish: Callable[..., Any] | None = None,
    ) -> None:
        """`prepare`, `documents`, `handoff`: the switches the helper's `RowParser` reads.

        `documents` is set here, at each batch: on while batches wait to be
        written (the writer is the busier process), off while the writer waits.
        `handoff` is turned on here whenever the writer finds no batch waiting,
        and off by the helper once it has sent a batch: the rest of the rows the
        helper is working on then come unparsed, and `finish` (the `RowParser`
        method the helper runs) parses them here, so the writer works instead of
        waiting.
        """
        context = multiprocessing.get_context("fork")
        here, there = context.Pipe(duplex=False)
        self._pipe = here
        self.new_persons = new_persons
        self.prepare = prepare
        self.documents = documents
        self.handoff = handoff if finish is not None else None
        self._finish = finish
        self._process = context.Process(
            target=_produce,
            args=(source, rows, there, here, not new_persons, self.handoff),
            daemon=True,
        )
        self._process.start()
        there.close()
        # Here rows are only received and written, which leaves no cycles behind (a
        # refused value's exception stays in the helper). A young collection would
        # walk the rows of a whole write batch each time, and most rows are still
        # alive at 50,000 allocations, so the writer collects only every million
        # until `close`.
        self._thresholds = gc.get_threshold()
        gc.set_threshold(*_HELPED_COLLECTIONS)
        self.bytes_read = 0
        self.sha256: str | None = None
        self._buffer = bytearray(1 << 20)

    def __iter__(self) -> Iterator[Any]:
        for batch in self.batches():
            yield from batch

    def batches(self) -> Iterator[list[Any]]:
        """The rows in file order, a list of about a thousand at a time."""
        documents, handoff, finish = self.documents, self.handoff, self._finish
        while True:
            waiting = self._pipe.poll()
            if documents is not None:
                documents.set(waiting)
            if handoff is not None and not waiting:
                handoff.set(True)
            try:
                message = self._receive()
            except EOFError:
                raise CrmError("the process reading the file stopped unexpectedly") from None
            if message[0] == "rows":
                self.bytes_read = message[1]
                batch = message[2]
                if message[3]:
                    # Some rows came unparsed (RawRow), in their places.
                    assert finish is not None, "rows handed over with no parser for them"
                    if self.new_persons:
                        batch = [finish(*row) if len(row) == 2 else row for row in batch]
                    else:
                        batch = [finish(*row) if len(row) == 2 else _row(row) for row in batch]
                elif not self.new_persons:
                    batch = list(map(_row, batch))
                yield batch
            elif message[0] == "end":
                self.bytes_read, self.sha256 = message[1], message[2]
                return
            else:
                raise message[1]

    def parse_again(self, line: int, packed: bytes, digest: int) -> Parsed:
        """A row that came read for its identity only (`RowParser.known`), read in full here."""
        assert self._finish is not None, "known rows come only with a parser for them"
        parsed: Parsed = self._finish(line, marshal.loads(packed), digest)
        return parsed

    def _receive(self) -> Any:
        """The next message, read into one reused buffer.

        A fresh half-megabyte block per batch would make glibc raise its mmap
        threshold and then fragment the heap.
        """
        try:
            size = self._pipe.recv_bytes_into(self._buffer)
        except BufferTooShort as short:
            data = short.args[0]
            self._buffer = bytearray(2 * len(data))
            return _decoded(data)
        with memoryview(self._buffer) as view:
            return _decoded(view[:size])

    def close(self) -> None:
        """Stop the helper if it is still reading (the import ended early)."""
        gc.set_threshold(*self._thresholds)
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._pipe.close()


def _produce(
    source: SourceFile,
    rows: Iterator[Any],
    pipe: Connection,
    reading_end: Connection,
    pack: bool,
    handoff: HelperSwitch | None,
) -> None:
    """The helper: batches of rows, then the totals, or the error that stopped it.

    With `pack`, each draft travels as the tuple of its fields. Once `handoff` is
    on, rows come unparsed (`RawRow`, in their places in the batch) up to the end
    of the batch, but for those `shared_rows` reads cheaply anyway; sending the
    batch turns it off. The message says whether any row came unparsed.

    A thread writes the encoded batches to the pipe, so reading goes on while the
    writer here is busy with SQLite for a while (it writes in batches of its own).
    The pipe's reading end, inherited from the importer, is closed first: then
    the importer's end is the only one, and once the importer is gone (killed,
    say) the next write fails and the helper ends (`_send_all`) instead of
    waiting for ever.
    """
    reading_end.close()
    gc.set_threshold(*_RARE_COLLECTIONS)
    ahead: queue.Queue[bytes | None] = queue.Queue(maxsize=_BATCHES_AHEAD)
    sender = threading.Thread(target=_send_all, args=(ahead, pipe), daemon=True)
    sender.start()

    def put(message: tuple[Any, ...]) -> None:
        ahead.put(_encoded(message))

    try:
        batch: list[Any] = []
        unparsed = False
        for row in rows:
            if len(row) == 2:
                batch.append(row)
                unparsed = True
            else:
                batch.append(_packed(row) if pack else row)
            if len(batch) >= _BATCH:
                put(("rows", source.bytes_read, batch, unparsed))
                batch, unparsed = [], False
                if handoff is not None:
                    handoff.set(False)
        put(("rows", source.bytes_read, batch, unparsed))
        put(("end", source.bytes_read, source.sha256))
    except CrmError as exc:
        put(("error", exc))
    except Exception as exc:  # anything else still ends the import with a sentence
        put(("error", CrmError(f"reading {source.name} failed: {exc}")))
    finally:
        ahead.put(None)
        sender.join()
        pipe.close()


def _encoded(message: tuple[Any, ...]) -> bytes:
    """A message as bytes: `marshal` for batches of rows, `pickle` for the rest.

    Rows are tuples, lists, dicts and plain values, which `marshal` writes at
    twice the speed of `pickle` (it keeps no memo); both ends run the same
    interpreter, so its format is the same on both. A value it does not know
    (a Decimal in a custom field, say) sends the batch by `pickle`.
    """
    if message[0] == "rows":
        try:
            return b"M" + marshal.dumps(message)
        except ValueError:
            pass
    return b"P" + pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)


def _decoded(data: bytes | memoryview) -> Any:
    """The message `_encoded` made these bytes of."""
    body = data[1:]
    return marshal.loads(body) if data[0] == ord("M") else pickle.loads(body)


def _row(packed: tuple[Any, ...]) -> Parsed:
    """A parsed row as `_packed` sent it, with its draft rebuilt."""
    line, fields, problems, prepared, digest, cells = packed
    draft = None if fields is None else ContactDraft(*fields)
    return line, draft, problems, prepared, digest, cells


def _packed(row: Parsed) -> tuple[int, Any, list[Problem], Any, Any, Any]:
    """A parsed row with its draft as the tuple of the draft's fields."""
    line, draft, problems, prepared, digest, cells = row
    packed = None if draft is None else tuple([getattr(draft, name) for name in _FIELDS])
    return line, packed, problems, prepared, digest, cells


def _send_all(ahead: queue.Queue[bytes | None], pipe: Connection) -> None:
    while (data := ahead.get()) is not None:
        try:
            pipe.send_bytes(data)
        except OSError:
            # The importer is gone: nothing is left to do, and the reading thread,
            # which may be waiting for room in `ahead`, must not keep the process.
            os._exit(0)


@contextmanager
def collection_paused() -> Iterator[None]:
    """The cyclic garbage collector run rarely for the length of an import.

    An import allocates a few containers per cell and frees nearly all of them
    by reference counting; at the default thresholds the collector would walk
    the young objects thousands of times over for nothing. It is not switched
    off: a refused phone number or date leaves an exception and its traceback,
    which refer to each other, and those must still be collected, or memory
    would grow with the file.
    """
    thresholds = gc.get_threshold()
    gc.set_threshold(*_RARE_COLLECTIONS)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)

"""One CSV row turned into what the writer takes, in whichever process reads it.

The helper process (see `draft_feed`) and the importing process run the same
`RowParser`, so a row comes out the same whoever parses it; the switches here
let the writer decide, as it goes, which work the helper leaves to it.
"""

from __future__ import annotations

import marshal
import mmap
from collections.abc import Callable, Iterator
from itertools import islice
from typing import TypeVar

from crmkit.drafts import DraftBuilder, Problem
from crmkit.importers.readers import SourceFile, cell_count_problem
from crmkit.store.sqlite.row_digests import RowDigester, StoredDigests
from crmkit.store.sqlite.writer.new_contacts import (
    NewContact,
    PreparedContact,
    new_contact,
    prepare_contact,
)
from crmkit.targets import ContactDraft

__all__ = [
    "Parsed",
    "NewPersonRow",
    "RawRow",
    "RowParser",
    "HelperSwitch",
    "parsed_rows",
    "shared_rows",
    "new_person_row",
]

# (file line, draft or None when the row is rejected, problems found so far, what
# creating the draft's contact would write, if already worked out, the row's digest
# (see `row_digests`), and the row's cells (packed by marshal, one object to send)
# when the draft holds only what finds its contact: the row is one a stored contact
# was written from, and may be unchanged)
Parsed = tuple[
    int,
    "ContactDraft | None",
    list[Problem],
    "PreparedContact | None",
    "int | None",
    "bytes | None",
]
# (file line, problems or None, and the person to create, None when the row is rejected)
NewPersonRow = tuple[int, "list[Problem] | None", "NewContact | None"]
# (file line, cells): a row the helper hands to the writer unparsed.
RawRow = tuple[int, list[str]]
T = TypeVar("T")
# Rows whose digests are looked up together (see `shared_rows`).
_LOOKUP_ROWS = 1000


def parsed_rows(source: SourceFile, parser: RowParser) -> Iterator[Parsed]:
    """Each CSV row's draft, or the reason its cells do not fit the header."""
    parse = parser.parse
    for line, cells in source.rows:
        yield parse(line, cells)


def shared_rows(
    source: SourceFile,
    parse: Callable[[int, list[str]], T],
    handoff: HelperSwitch,
    parser: RowParser | None = None,
) -> Iterator[T | Parsed | RawRow]:
    """Rows as `parse` (a `RowParser` method) makes them, or unparsed while `handoff` is on.

    The helper reads with this; the writer parses what is handed over with the
    same method, so the outcome is the same. Given a `parser` that can look up
    stored digests, rows some stored contact was written from come as
    `parser.known` makes them (and are never handed over: they are cheap).
    """
    rows = source.rows
    if parser is None or parser.stored is None:
        for line, cells in rows:
            yield (line, cells) if handoff.on else parse(line, cells)
        return
    digester, known = parser.digester, parser.stored.known
    assert digester is not None, "stored digests are looked up only where rows are digested"
    digest, pack = digester.of_packed, marshal.dumps
    while chunk := list(islice(rows, _LOOKUP_ROWS)):
        packed = [pack(cells) for _, cells in chunk]
        digests = list(map(digest, packed))
        stored = known(digests)
        for (line, cells), row_digest, row in zip(chunk, digests, packed, strict=True):
            if row_digest in stored:
                yield parser.known(line, cells, row_digest, row)
            elif handoff.on:
                yield line, cells
            else:
                yield parser.parse(line, cells, row_digest)


class RowParser:
    """One CSV row to `Parsed`: the same code whichever process runs it.

    Given `now`, each draft also comes with what creating its contact would
    write (`prepare_contact`), worked out by whichever process parses the row.
    While `prepare` is off (rows mostly update stored contacts) drafts come
    alone; while `documents` is off (the writer waits for rows) they come
    without their search documents.
    """

    def __init__(
        self,
        source: SourceFile,
        builder: DraftBuilder,
        default_kind: str | None,
        now: str | None = None,
        prepare: HelperSwitch | None = None,
        documents: HelperSwitch | None = None,
        digester: RowDigester | None = None,
        stored: StoredDigests | None = None,
        identity: DraftBuilder | None = None,
    ) -> None:
        """`digester` digests each row; with `stored` (and `identity`, a builder of
        the columns that find a contact) rows known to the store come as `known`
        makes them."""
        self.width = len(source.header)
        self.builder = builder
        self.default_kind = default_kind
        self.now = now
        self.prepare = prepare
        self.documents = documents
        self.digester = digester
        self.stored = stored if digester is not None and identity is not None else None
        self.identity = identity

    def parse(self, line: int, cells: list[str], digest: int | None = None) -> Parsed:
        """The row's draft and problems, and what creating its contact would write."""
        width = self.width
        if len(cells) != width and (len(cells) < width or any(map(str.strip, cells[width:]))):
            reason = cell_count_problem(cells, width)
            return line, None, [("error", None, None, reason)], None, None, None
        if digest is None and self.digester is not None:
            digest = self.digester(cells)
        builder = self.builder
        draft, problems = builder.build(cells, self.default_kind)
        prepared = None
        now, prepare = self.now, self.prepare
        if draft is not None and now is not None and (prepare is None or prepare.on):
            kind = draft.kind
            if kind is not None:
                document = self.documents is None or self.documents.on
                defaults = builder.creation_defaults(draft, kind)
                prepared = prepare_contact(draft, kind, now, defaults, document)
        return line, draft, problems, prepared, digest, None

    def known(self, line: int, cells: list[str], digest: int, packed: bytes) -> Parsed:
        """A row whose digest a stored contact holds: only what finds its contact is read.

        Its cells (`packed`) come along, for the writer to parse in full if the
        contact it finds is not the one, or no longer as the row left it.
        """
        assert self.identity is not None, "known rows need a builder of their identity"
        if len(cells) == self.width:
            draft, problems = self.identity.build(cells, self.default_kind)
            if draft is not None and not problems:
                return line, draft, problems, None, digest, packed
        return self.parse(line, cells, digest)

    def new_person(self, line: int, cells: list[str]) -> NewPersonRow:
        """`parse`, then `new_person_row`."""
        return new_person_row(self.parse(line, cells), self.builder)


def new_person_row(parsed: Parsed, builder: DraftBuilder) -> NewPersonRow:
    """A row of an import that can only create persons, reduced to what is written.

    Without match keys or an external_id column, and with every row a person,
    nothing about a row depends on the database: what a new person lacks
    (`missing_required`) is found here too, and the writer gets only the
    values it inserts (`new_contact`), far fewer objects than a draft.
    """
    line, draft, problems, prepared, digest, _ = parsed
    if draft is not None and prepared is not None:
        problems.extend(builder.missing_required(draft, "person"))
        if not any(problem[0] == "error" for problem in problems):
            kept = None if problems else digest
            return line, problems or None, new_contact(draft, prepared, kept)
    return line, problems, None


class HelperSwitch:
    """An on/off flag both processes see: the writer sets it, the helper reads it per row.

    It is one byte of an anonymous shared mapping made before the fork (no file
    behind it). The writer uses three to hand work to whichever process has time
    for it (see `RowParser` and `shared_rows`); whatever a row arrives without,
    the writer works out itself, with the same result.
    """

    def __init__(self, on: bool = True) -> None:
        self._byte = mmap.mmap(-1, 1)
        self._byte[0] = on

    @property
    def on(self) -> bool:
        return self._byte[0] == 1

    def set(self, on: bool) -> None:
        self._byte[0] = on

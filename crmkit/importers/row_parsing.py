"""One CSV row turned into what the writer takes, in whichever process reads it.

The helper process (see `draft_feed`) and the importing process run the same
`RowParser`, so a row comes out the same whoever parses it; the switches here
let the writer decide, as it goes, which work the helper leaves to it.
"""

from __future__ import annotations

import mmap
from collections.abc import Callable, Iterator
from typing import TypeVar

from crmkit.drafts import DraftBuilder, Problem
from crmkit.importers.readers import SourceFile
from crmkit.new_contacts import NewContact, PreparedContact, new_contact, prepare_contact
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

# (file line, draft or None when the row is rejected, problems found so far, and what
# creating the draft's contact would write, if already worked out)
Parsed = tuple[int, "ContactDraft | None", list[Problem], "PreparedContact | None"]
# (file line, problems or None, and the person to create, None when the row is rejected)
NewPersonRow = tuple[int, "list[Problem] | None", "NewContact | None"]
# (file line, cells): a row the helper hands to the writer unparsed.
RawRow = tuple[int, list[str]]
T = TypeVar("T")


def parsed_rows(source: SourceFile, parser: RowParser) -> Iterator[Parsed]:
    """Each CSV row's draft, or the reason its cells do not fit the header."""
    parse = parser.parse
    for line, cells in source.rows:
        yield parse(line, cells)


def shared_rows(
    source: SourceFile, parse: Callable[[int, list[str]], T], handoff: HelperSwitch
) -> Iterator[T | RawRow]:
    """Rows as `parse` (a `RowParser` method) makes them, or unparsed while `handoff` is on.

    The helper reads with this; the writer parses what is handed over with the
    same method, so the outcome is the same.
    """
    for line, cells in source.rows:
        yield (line, cells) if handoff.on else parse(line, cells)


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
    ) -> None:
        self.width = len(source.header)
        self.builder = builder
        self.default_kind = default_kind
        self.now = now
        self.prepare = prepare
        self.documents = documents

    def parse(self, line: int, cells: list[str]) -> Parsed:
        """The row's draft and problems, and what creating its contact would write."""
        width = self.width
        if len(cells) != width and (len(cells) < width or any(map(str.strip, cells[width:]))):
            reason = f"the row has {len(cells)} cells but the header has {width}"
            return line, None, [("error", None, None, reason)], None
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
        return line, draft, problems, prepared

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
    line, draft, problems, prepared = parsed
    if draft is not None and prepared is not None:
        problems.extend(builder.missing_required(draft, "person"))
        if not any(problem[0] == "error" for problem in problems):
            return line, problems or None, new_contact(draft, prepared)
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

"""CSV lines with the table columns joined by SQLite, checked and finished by Python.

A full export reads some thirty columns per contact; handing each to Python as
a string of its own costs more than the rest of the export. So each run of
consecutive table columns comes back as one text, the cells joined by commas
(`printf`, which copies each cell once). Nearly every such text is already
its CSV form: as many commas as cells less one, no quote or line break, and no
cell that starts like a formula. The rest (a name with a comma, say) are read
again cell by cell and encoded the slow, exact way: spreadsheet escaping
(`escape_cell`) and the quoting `csv.writer` does. List and custom cells come
from `TabularReader` as text and are quoted when they need it. The bytes are
those `csv.writer` writes for the same cells (tests compare the two).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import Any

from crmkit.exporters.csvfile import LINE_END, CsvFormatter
from crmkit.exporters.escaping import CANDIDATES
from crmkit.store.sqlite.query.columns import ColumnSpec
from crmkit.store.sqlite.tabular import TabularReader

__all__ = ["EncodedCsv", "csv_field"]

# A quote, a line break, or a cell (at the start or after a comma) that starts with a
# character escaping may act on: such joined texts are read again cell by cell.
_NEEDS_CARE = re.compile('["\\n\\r]|(?:^|,)[' + re.escape("".join(CANDIDATES)) + "]")
_FIRST_CHARACTERS = frozenset(CANDIDATES)
_CELL_STARTS = re.compile("," + "[" + re.escape("".join(CANDIDATES)) + "]")
# Cells per printf call, well under SQLite's limit on function arguments.
_MAX_RUN = 64


def csv_field(text: str) -> str:
    """One cell as `csv.writer` writes it: quoted when it holds a comma, quote or line break."""
    if "," in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


class EncodedCsv:
    """Reads selected contacts as CSV lines of `columns` (at least two of them).

    `reader` yields the rows (use its `rows_for_*` methods); `lines` turns them
    into CSV text.
    """

    def __init__(
        self, conn: sqlite3.Connection, columns: Sequence[ColumnSpec], *, escape: bool
    ) -> None:
        encoded: list[ColumnSpec] = []
        self._runs: list[tuple[int, int]] = []  # (position, cells in the run)
        self._plain: list[int] = []
        run: list[ColumnSpec] = []
        table_columns: list[ColumnSpec] = []

        def close_run() -> None:
            if run:
                template = ",".join(["%s"] * len(run))
                values = ", ".join(spec.sql for spec in run)
                sql = f"printf('{template}', {values})"
                self._runs.append((len(encoded), len(run)))
                encoded.append(ColumnSpec(f"columns {len(encoded)}", "sql", sql))
                run.clear()

        for spec in columns:
            if spec.kind == "sql":
                if len(run) == _MAX_RUN:
                    close_run()
                run.append(spec)
                table_columns.append(spec)
            else:
                close_run()
                self._plain.append(len(encoded))
                encoded.append(spec)
        close_run()
        self._commas = len(columns) - 1
        positions = [position for position, _ in self._runs]
        pick = itemgetter(*positions)
        self._joined_runs: Callable[[list[Any]], str] = (
            (lambda cells: ",".join(pick(cells))) if len(positions) > 1 else pick
        )
        self.reader = TabularReader(conn, encoded, escape=escape, keep_id=True)
        # The slow way for the few rows whose joined texts need care.
        self._exact = TabularReader(conn, table_columns, escape=escape)

    def lines(self, rows: Iterable[list[Any]]) -> tuple[str, int]:
        """The CSV text of the rows (CRLF line ends) and how many there were."""
        commas = self._commas
        starts = _CELL_STARTS.search
        joined = self._joined_runs
        lines: list[str] = []
        for cells in rows:
            contact_id = cells.pop()
            line = ",".join(cells)
            # As many commas as cells less one: no cell holds one, so every cell of
            # the joined table columns starts at its start or after a comma. (List
            # and custom cells come escaped already.)
            if line.count(",") != commas or '"' in line or "\n" in line or "\r" in line:
                line = self._line_with_care(cells, contact_id)
            else:
                table = joined(cells)
                if table[:1] in _FIRST_CHARACTERS or starts(table):
                    line = self._line_with_care(cells, contact_id)
            lines.append(line)
        return (LINE_END.join(lines) + LINE_END if lines else ""), len(lines)

    def _line_with_care(self, cells: list[str], contact_id: int) -> str:
        """The line of a row where some cell needs escaping or quoting."""
        for position, count in self._runs:
            text = cells[position]
            if text.count(",") != count - 1 or _NEEDS_CARE.search(text):
                self._encode_exactly(cells, contact_id)
                break
        for position in self._plain:
            cells[position] = csv_field(cells[position])
        return ",".join(cells)

    def _encode_exactly(self, cells: list[str], contact_id: int) -> None:
        """Replace every joined text of the row with its cells, escaped and quoted one by one."""
        exact = iter(next(self._exact.rows_for_ids([contact_id])))
        for position, count in self._runs:
            cells[position] = ",".join(csv_field(next(exact)) for _ in range(count))

    @staticmethod
    def header(names: Sequence[str]) -> str:
        return CsvFormatter(len(names)).header(names)

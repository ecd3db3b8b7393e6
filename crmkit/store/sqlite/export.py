"""`crm export`: the selected contacts as CSV, JSON or JSON Lines, to a stream or a file.

CSV headers are mapping targets (`phone.mobile`, `address.city`, `custom.industry`,
`organization`, ...), so the file imports back with no mapping; JSON and JSON Lines
hold the records of CONTRACT section 6, which import back as they are. Everything
is streamed: memory does not grow with the number of contacts.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import IO, Any

from crmkit.errors import CrmError
from crmkit.exporters.csvfile import BOM, CsvFormatter, write_csv
from crmkit.exporters.jsonfile import write_json, write_jsonl
from crmkit.store import Store
from crmkit.store.sqlite.parallel_export import (
    MIN_CHUNKS,
    Work,
    csv_reader,
    id_chunks,
    id_ranges,
    parallel_available,
    write_csv_in_parallel,
)
from crmkit.store.sqlite.query.columns import ColumnSpec, export_columns, resolve_columns
from crmkit.store.sqlite.query.fields import QuerySchema
from crmkit.store.sqlite.query.selection import Selection
from crmkit.store.sqlite.tabular import CHUNK, TabularReader

__all__ = ["EXPORT_FORMATS", "export_selection", "export_table", "csv_columns"]

EXPORT_FORMATS = ("csv", "json", "jsonl")
_ID_RANGE = "SELECT (SELECT min(id) FROM contacts), (SELECT max(id) FROM contacts)"


def export_selection(
    store: Store,
    selection: Selection,
    out: IO[str],
    *,
    fmt: str = "csv",
    columns: list[str] | None = None,
    escape: bool = True,
    bom: bool = False,
    extra: dict[str, Any] | None = None,
) -> int:
    """Write the selected contacts to a text stream; return how many were written.

    `extra` keys are added to each JSON record (a lookup's blacklist flags).
    """
    if fmt not in EXPORT_FORMATS:
        raise CrmError(f"unknown export format {fmt!r}; use one of: {', '.join(EXPORT_FORMATS)}")
    if fmt != "csv":
        if bom:
            raise CrmError("--bom is for CSV files (it tells Excel the file is UTF-8)")
        if columns:
            raise CrmError("--columns is for CSV; JSON records always hold every field")
        from crmkit.store.sqlite.records import iter_records

        records = iter_records(store, selection.ids())
        if extra:
            records = ({**record, **extra} for record in records)
        return write_json(out, records) if fmt == "json" else write_jsonl(out, records)
    specs = csv_columns(store, columns)
    header = [spec.header for spec in specs]
    # Readers first: they register a function, which SQLite refuses while a query
    # (the selection's ids) is open.
    if getattr(store, "dialect", "sqlite") != "sqlite":
        # The joined-text and two-process shortcuts are SQLite's; this is the plain path.
        plain = TabularReader(store.conn, specs, escape=escape)
        rows = plain.rows_for_selection(selection)
        return write_csv(out, header, rows, bom=bom, formatter=CsvFormatter(len(header)))
    reader, formatter = csv_reader(store.conn, specs, escape)
    if parallel_available(store.path):
        plain = TabularReader(store.conn, specs, escape=escape)
        work = _parallel_work(store, selection)
        if work is not None:
            out.write((BOM if bom else "") + CsvFormatter(len(header)).header(header))
            return write_csv_in_parallel(out, store.path, plain, work)
    rows = reader.rows_for_selection(selection)
    return write_csv(out, header, rows, bom=bom, formatter=formatter)


def _parallel_work(store: Store, selection: Selection) -> Iterator[Work] | None:
    """The pieces for helper processes, or None when the export is too small to share."""
    in_id_order = all(sql_pass.order == "c.id" for sql_pass in selection.passes)
    if selection.ranked is None and selection.limit is None and in_id_order:
        # Two subqueries: each reads one end of the id index, where a single
        # `SELECT min(id), max(id)` would scan the whole table.
        low, high = store.conn.execute(_ID_RANGE).fetchone()
        if low is None or high - low < MIN_CHUNKS * CHUNK:
            return None
        passes = [(sql_pass.where, sql_pass.params) for sql_pass in selection.passes]
        return id_ranges(passes, low, high, 2 * CHUNK)
    ids = selection.ids()
    first: list[list[int]] = []
    while len(first) < MIN_CHUNKS:
        chunk = list(islice(ids, CHUNK))
        if len(chunk) < CHUNK:
            return None
        first.append(chunk)
    return id_chunks(first, ids)


def csv_columns(store: Store, columns: list[str] | None) -> list[ColumnSpec]:
    """The chosen columns, or every column of a round-trip export."""
    schema = QuerySchema(store.conn)
    return resolve_columns(columns, schema) if columns else export_columns(store.conn, schema)


def export_table(
    store: Store, selection: Selection, columns: list[str] | None = None
) -> tuple[list[ColumnSpec], Iterator[list[str]]]:
    """The columns of a round-trip export (or those chosen) and the text rows, unescaped.

    For writers that type their cells themselves (a workbook), where CSV's
    protection against formulas does not apply.
    """
    specs = csv_columns(store, columns)
    reader = TabularReader(store.conn, specs, escape=False)
    return specs, reader.rows_for_selection(selection)

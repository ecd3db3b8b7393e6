"""Contacts as an Excel workbook: the columns of the CSV export, in cells that keep their meaning.

Phones, identifiers and postal codes are text cells formatted as text, so a
spreadsheet neither drops a leading zero nor shows `4.8E+10`; dates and times are
real date cells (times in UTC, as the base keeps them, which is also how a
workbook without a zone is read back); numbers of number fields are numbers.
Every other cell is text, never a formula, whatever it begins with.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import IO, Any

from crmkit.store.sqlite.query.columns import ColumnSpec

__all__ = ["write_xlsx", "cell_kinds"]

SHEET = "Kontakty"
_TEXT_SCALARS = ("pesel", "nip", "krs", "regon", "id_document", "external_id", "postal_code")
_DATETIMES = ("created_at", "updated_at")
_FORMATS = {"datetime": "yyyy-mm-dd hh:mm:ss", "date": "yyyy-mm-dd", "code": "@"}
# Spreadsheets count days from 1900 (and miscount early 1900): older dates stay text.
_FIRST_YEAR = 1901
_WIDTHS = {"datetime": 20, "date": 12, "code": 16}


def cell_kinds(specs: Sequence[ColumnSpec]) -> list[str]:
    """What each column's cells are: text, code (text kept as typed), number, date, datetime."""
    kinds = []
    for spec in specs:
        name = spec.header.split(".")[-1]
        if spec.kind == "phones" or (spec.kind == "sql" and name in _TEXT_SCALARS):
            kinds.append("code")
        elif spec.kind == "sql" and name in _DATETIMES:
            kinds.append("datetime")
        elif spec.kind == "custom" and spec.field_type in ("date", "datetime", "number"):
            kinds.append(str(spec.field_type))
        else:
            kinds.append("text")
    return kinds


def write_xlsx(
    out: IO[bytes], header: Sequence[str], kinds: Sequence[str], rows: Iterable[Sequence[str]]
) -> int:
    """Write one sheet: the header (bold, frozen) and a row per contact; return the count."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET)
    sheet.freeze_panes = "A2"
    for index, (name, kind) in enumerate(zip(header, kinds, strict=True), start=1):
        width = max(_WIDTHS.get(kind, 14), min(len(name) + 2, 40))
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    heading = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        heading.append(cell)
    sheet.append(heading)
    count = 0
    for cells in rows:
        pairs = zip(cells, kinds, strict=True)
        sheet.append([_cell(sheet, WriteOnlyCell, text, kind) for text, kind in pairs])
        count += 1
    book.save(out)
    return count


def _cell(sheet: Any, make: Any, text: str, kind: str) -> Any:
    """The value of one cell, or a cell object where type or format must be set."""
    if not text:
        return None
    if kind == "text":
        if text[0] != "=":
            return text
        cell = make(sheet, value=text)
        cell.data_type = "s"
        return cell
    value: Any = text
    if kind == "datetime":
        value = _datetime(text)
    elif kind == "date":
        value = _date(text)
    elif kind == "number":
        value = _number(text)
    if value is text:
        cell = make(sheet, value=text)
        cell.data_type = "s"
    else:
        cell = make(sheet, value=value)
    number_format = _FORMATS.get(kind)
    if number_format:
        cell.number_format = number_format
    return cell


def _datetime(text: str) -> dt.datetime | str:
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment if moment.year >= _FIRST_YEAR else text


def _date(text: str) -> dt.date | str:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return text
    return day if day.year >= _FIRST_YEAR else text


def _number(text: str) -> int | float | str:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text

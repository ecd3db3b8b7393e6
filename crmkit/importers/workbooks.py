"""Read a sheet of an Excel or OpenDocument workbook as a header and rows of text.

The rows come out as a CSV file's do, text cells under a header, so the rest of an
import is the same whatever the file. What a cell held is kept in the text: a whole
number is written without a decimal point (a phone stored as `601234567`), a PESEL,
NIP, REGON or KRS that lost its leading zeros to a number cell gets them back, and a
date or datetime cell becomes `2024-03-05` or `2024-03-05 14:30:00`, which the import
reads in the mapping's zone. Row numbers are the sheet's own (the header's row, and
the first row, may lie anywhere below the top); empty rows are skipped.

The sheet: the one given (`--sheet NAME` or its number from 1), else the first whose
header row holds every column of the mapping (a title above the header is passed
over), else, with no mapping, the one whose header (its widest row near the top) is
widest: the data, not a sheet of notes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

from crmkit.errors import CrmError
from crmkit.importers.loaded import LoadedSource
from crmkit.importers.readers import check_header

__all__ = ["WORKBOOK_SUFFIXES", "WorkbookSource", "is_workbook", "open_workbook", "cell_text"]

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
# A zip archive (xlsx, ods) or an OLE compound file (xls).
_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
# Rows looked through for the header: a title and a blank line or two may come first.
_HEADER_ROWS = 20
# Identifier digits a number cell may have lost at the front, by target.
_IDENTIFIER_WIDTHS = {"pesel": 11, "nip": 10, "krs": 10, "regon": 9}


def is_workbook(path: str, head: bytes) -> bool:
    """Whether the file is a workbook, by its name or else by its first bytes.

    A `.csv` or `.json` name wins over the bytes; any other name with a zip or
    OLE signature is taken for a workbook.
    """
    lower = path.lower()
    if lower.endswith(WORKBOOK_SUFFIXES):
        return True
    if lower.endswith((".csv", ".tsv", ".txt", ".json", ".jsonl", ".ndjson", ".vcf")):
        return False
    return head.startswith(_SIGNATURES)


@dataclass
class WorkbookSource(LoadedSource):
    """The rows of one sheet (`sheet` is its name)."""

    sheet: str | None = None


def open_workbook(
    path: str, *, sheet: str | int | None = None, columns: dict[str, str | None] | None = None
) -> WorkbookSource:
    """Open one sheet of a workbook for an import.

    `columns` are the mapping's (file column -> target); None means the headers
    are target names themselves. Raise `CrmError` for a file, sheet or header
    that cannot be used.
    """
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError, SheetVisibleEnum

    file_path = Path(path)
    if file_path.is_dir():
        raise CrmError(f"{path} is a folder, not a file")
    if not file_path.exists():
        raise CrmError(f"file {path} does not exist")
    try:
        data = file_path.read_bytes()
    except OSError as exc:
        raise CrmError(f"cannot read {path}: {exc.strerror}") from None
    if not data.strip():
        raise CrmError(f"{path} is empty")
    try:
        if path.lower().endswith(WORKBOOK_SUFFIXES):
            book = CalamineWorkbook.from_path(path)
        else:
            import io

            book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except PasswordError:
        raise CrmError(f"{path} is protected by a password; save a copy without one") from None
    except (CalamineError, ValueError, OSError) as exc:
        raise CrmError(f"{path} cannot be read as a workbook ({exc})") from None
    wanted = set(columns) if columns is not None else None
    visible = [
        meta.name for meta in book.sheets_metadata if meta.visible == SheetVisibleEnum.Visible
    ]
    name, rows, header_row, header = _choose_sheet(path, book, visible, sheet, wanted)
    source = WorkbookSource(
        name=path,
        format=Path(path).suffix.lower().lstrip(".") or "xlsx",
        header=header,
        rows=iter(()),
        size=len(data),
        sheet=name,
        file_sha256=hashlib.sha256(data).hexdigest(),
    )
    check_header(path, header)
    source.total_rows = max(_sheet_height(book, name) - header_row, 1)
    targets = [(columns.get(column) if columns is not None else column) or "" for column in header]
    source.rows = _rows(source, rows, header_row, targets)
    return source


def _sheet_height(book: Any, name: str) -> int:
    end = book.get_sheet_by_name(name).end
    return end[0] + 1 if end else 0


def _choose_sheet(
    path: str, book: Any, visible: list[str], sheet: str | int | None, wanted: set[str] | None
) -> tuple[str, Iterator[list[Any]], int, list[str]]:
    """The sheet to read: its name, its rows after the header, the header's row and names."""
    names: list[str] = list(book.sheet_names)
    if sheet is not None:
        name = _named_sheet(path, names, sheet)
        found = _find_header(book, name, wanted)
        if found is None:
            found = _find_header(book, name, None)
        if found is None:
            raise CrmError(f"sheet {name!r} of {path} is empty")
        return (name, *found)
    lacking: list[tuple[int, str, list[str]]] = []
    if wanted is None:
        return _widest_sheet(path, book, visible or names)
    for name in visible or names:
        found = _find_header(book, name, wanted)
        if found is not None:
            return (name, *found)
        if wanted is not None:
            missing = _fewest_missing(book, name, wanted)
            if missing is not None:
                lacking.append((len(missing), name, missing))
    if not lacking:
        raise CrmError(f"{path} is empty (no sheet holds anything)")
    _, name, missing = min(lacking)
    shown = ", ".join(repr(column) for column in missing[:5])
    raise CrmError(
        f"no sheet of {path} has a header row with the mapping's columns; sheet {name!r}"
        f" comes closest but lacks {shown} (choose a sheet with --sheet)"
    )


def _widest_sheet(
    path: str, book: Any, names: list[str]
) -> tuple[str, Iterator[list[Any]], int, list[str]]:
    """With no mapping, the sheet whose header is widest (the first of equals): the data."""
    chosen: tuple[int, str] | None = None
    for name in names:
        found = _find_header(book, name, None)
        if found is not None:
            width = sum(1 for text in found[2] if text)
            if chosen is None or width > chosen[0]:
                chosen = (width, name)
    if chosen is None:
        raise CrmError(f"{path} is empty (no sheet holds anything)")
    found = _find_header(book, chosen[1], None)
    assert found is not None
    return (chosen[1], *found)


def _named_sheet(path: str, names: list[str], sheet: str | int) -> str:
    text = str(sheet).strip()
    for name in names:
        if name == text:
            return name
    for name in names:
        if name.casefold() == text.casefold():
            return name
    if text.isdigit():
        number = int(text)
        if 1 <= number <= len(names):
            return names[number - 1]
        raise CrmError(
            f"{path} has {len(names)} sheet{'s' if len(names) != 1 else ''};"
            f" there is no sheet {number} (they are: {', '.join(names)})"
        )
    raise CrmError(f"{path} has no sheet {text!r} (it has: {', '.join(names)})")


def _find_header(
    book: Any, name: str, wanted: Collection[str] | None
) -> tuple[Iterator[list[Any]], int, list[str]] | None:
    """The header row of a sheet, among its first rows: the first holding every wanted
    column, or with none wanted the widest (a title above it is passed over); None if
    no row fits."""
    rows = iter(book.get_sheet_by_name(name).iter_rows())
    seen: list[list[Any]] = []
    best: tuple[int, int, list[str]] | None = None  # (width, index, names)
    for index, cells in enumerate(rows):
        seen.append(cells)
        texts = [cell_text(cell).strip() for cell in cells]
        while texts and not texts[-1]:
            texts.pop()
        if texts and wanted is not None and set(wanted) <= set(texts):
            return rows, index + 1, texts
        width = sum(1 for text in texts if text)
        if texts and wanted is None and (best is None or width > best[0]):
            best = (width, index, texts)
        if len(seen) >= _HEADER_ROWS:
            break
    if best is None:
        return None
    _, index, texts = best
    return chain(seen[index + 1 :], rows), index + 1, texts


def _fewest_missing(book: Any, name: str, wanted: set[str]) -> list[str] | None:
    """The wanted columns missing from the sheet's likeliest header row (None: no rows)."""
    best: list[str] | None = None
    for index, cells in enumerate(book.get_sheet_by_name(name).iter_rows()):
        if index >= _HEADER_ROWS:
            break
        texts = {cell_text(cell).strip() for cell in cells} - {""}
        if texts:
            missing = sorted(wanted - texts)
            if best is None or len(missing) < len(best):
                best = missing
    return best


def _rows(
    source: WorkbookSource, rows: Iterator[list[Any]], header_row: int, targets: list[str]
) -> Iterator[tuple[int, list[str]]]:
    """Each non-empty row after the header with its sheet row number, as text cells."""
    width = len(source.header)
    widths = [_IDENTIFIER_WIDTHS.get(target.strip()) for target in targets]
    padded = [(index, digits) for index, digits in enumerate(widths) if digits]
    text = cell_text
    for number, cells in enumerate(rows, start=header_row + 1):
        source.rows_done = number - header_row
        converted = [cell if cell.__class__ is str else text(cell) for cell in cells]
        if not any(converted):
            continue
        if len(converted) > width and not any(converted[width:]):
            del converted[width:]
        elif len(converted) < width:
            converted += [""] * (width - len(converted))
        for index, digits in padded:
            cell = cells[index] if index < len(cells) else ""
            if cell.__class__ in (int, float) and converted[index].isdigit():
                converted[index] = _pad_identifier(converted[index], digits)
        yield number, converted


def _pad_identifier(digits: str, width: int) -> str:
    """A registry number read from a number cell, with the zeros it lost put back."""
    if width == 9 and len(digits) > 9:
        width = 14
    return digits.zfill(width)


def cell_text(value: Any) -> str:
    """A cell's value as the text a person would type for it."""
    kind = value.__class__
    if kind is str:
        return value  # type: ignore[no-any-return]
    if kind is float:
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is dt.datetime:
        if value.microsecond >= 500_000:
            value += dt.timedelta(microseconds=1_000_000 - value.microsecond)
        return value.strftime("%Y-%m-%d %H:%M:%S")  # type: ignore[no-any-return]
    if kind is dt.date:
        return value.isoformat()  # type: ignore[no-any-return]
    if kind is dt.time:
        return value.strftime("%H:%M:%S")  # type: ignore[no-any-return]
    if kind is dt.timedelta:
        seconds = int(round(value.total_seconds()))
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return "" if value is None else str(value)

"""Write examples/kontakty.xlsx: the contacts of examples/kontakty.csv as an Excel user keeps them.

    python examples/make_workbook.py

The workbook has a sheet of notes first, then "Kontakty": a title, an empty row, the
header, and the rows of the CSV file with cells typed as a spreadsheet types them:
numbers without spaces (phones, PESEL) are number cells, dates and times date cells,
the rest text. `crm import examples/kontakty.xlsx --mapping examples/map.yaml` finds
the sheet by its header and reads it as the CSV file (rows numbered as in the sheet).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

HERE = Path(__file__).resolve().parent
FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d", "%d.%m.%Y %H:%M", "%d.%m.%Y")


def typed(cell: str) -> object:
    """The cell as a spreadsheet would hold it."""
    if cell.isdigit() and cell.isascii() and not cell.startswith("0"):
        return int(cell)
    for layout in FORMATS:
        try:
            moment = dt.datetime.strptime(cell, layout)
        except ValueError:
            continue
        return moment.date() if ":" not in layout else moment
    return cell


def main() -> None:
    book = Workbook()
    notes = book.active
    notes.title = "Notatki"
    notes.append(["Eksport kontaktów ze starego CRM; arkusz Kontakty."])
    sheet = book.create_sheet("Kontakty")
    sheet.append(["Kontakty ze starego CRM"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    with open(HERE / "kontakty.csv", encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    sheet.append(rows[0])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for row in rows[1:]:
        sheet.append([typed(cell) if cell else None for cell in row])
    for row in sheet.iter_rows(min_row=4):
        for cell in row:
            if isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    book.save(HERE / "kontakty.xlsx")


if __name__ == "__main__":
    main()

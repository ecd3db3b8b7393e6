"""Excel workbooks: cells that keep their meaning on the way in, and typed cells on the way out."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from python_calamine import CalamineWorkbook
from test_exporters_export import by_column, customer_base, original, prepare, records
from typer.testing import Result

import crmkit
from crmkit import CRM
from crmkit.errors import CrmError
from crmkit.importers.workbooks import cell_text, open_workbook

MAPPING = """target: contacts
timezone: Europe/Warsaw
columns:
  Imię: first_name
  Nazwisko: last_name
  Telefon: phone.mobile
  PESEL: pesel
  Utworzono: created_at
"""


def workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """Write a workbook with these sheets (rows from A1) and return its path."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def contacts_book(path: Path) -> Path:
    """A first sheet of notes, then contacts below a title, with number and date cells."""
    return workbook(
        path,
        {
            "Notatki": [["Spis z targów"]],
            "Kontakty": [
                ["Klienci 2024"],
                [],
                ["Imię", "Nazwisko", "Telefon", "PESEL", "Utworzono"],
                ["Anna", "Nowak", 601234567, 2070803628, dt.datetime(2024, 3, 5, 14, 30)],
                [],
                ["Jan", "Zły", 48221131415, None, dt.date(2024, 7, 1)],
                ["Ewa", "Bąk", 123, None, None],
                [None, None, None, None, None],
            ],
        },
    )


@pytest.fixture()
def mapping(tmp_path: Path) -> Path:
    path = tmp_path / "map.yaml"
    path.write_text(MAPPING, encoding="utf-8")
    return path


def test_cells_keep_their_meaning_and_rows_their_sheet_numbers(
    crm: CRM, tmp_path: Path, mapping: Path
) -> None:
    report = crm.imports.run(contacts_book(tmp_path / "k.xlsx"), mapping=mapping)
    assert report.sheet == "Kontakty"
    assert (report.rows_read, report.created, report.rejected) == (3, 2, 1)
    assert [(p.row, p.column, p.value) for p in report.errors] == [(7, "Telefon", "123")]
    anna, jan = crm.contacts.search("")
    assert anna.phones[0].number == "+48601234567"
    assert anna.pesel == "02070803628"
    assert anna.created_at == "2024-03-05T13:30:00Z"  # 14:30 in Warsaw, winter time
    assert jan.phones[0].number == "+48221131415"
    assert jan.created_at == "2024-06-30T22:00:00Z"  # midnight in Warsaw, summer time


def test_sheet_by_name_or_number_and_the_mistakes_named(
    crm: CRM, tmp_path: Path, mapping: Path
) -> None:
    path = contacts_book(tmp_path / "k.xlsx")
    report = crm.imports.run(path, mapping=mapping, sheet="2", dry_run=True)
    assert (report.sheet, report.created) == ("Kontakty", 2)
    assert crm.imports.run(path, mapping=mapping, sheet="kontakty", dry_run=True).created == 2
    with pytest.raises(CrmError, match=r"no sheet 'Adresy' \(it has: Notatki, Kontakty\)"):
        crm.imports.run(path, mapping=mapping, sheet="Adresy")
    with pytest.raises(CrmError, match="there is no sheet 3"):
        crm.imports.run(path, mapping=mapping, sheet=3)
    with pytest.raises(CrmError, match="column 'Imię' is not in the file"):
        crm.imports.run(path, mapping=mapping, sheet="Notatki")
    other = tmp_path / "other.yaml"
    other.write_text(MAPPING + "  Miasto: address.city\n", encoding="utf-8")
    with pytest.raises(CrmError, match="sheet 'Kontakty' comes closest but lacks 'Miasto'"):
        crm.imports.run(path, mapping=other)
    assert crm.contacts.search("") == []


def test_a_workbook_named_otherwise_is_known_by_its_bytes(crm: CRM, tmp_path: Path) -> None:
    path = workbook(tmp_path / "k.xlsx", {"Arkusz1": [["first_name", "phone"], ["Ola", 601000111]]})
    renamed = path.rename(tmp_path / "kontakty.dat")
    report = crm.imports.run(renamed)
    assert (report.created, report.sheet) == (1, "Arkusz1")
    assert crm.contacts.search("Ola")[0].phones[0].number == "+48601000111"


def test_unreadable_and_empty_workbooks_are_sentences(crm: CRM, tmp_path: Path) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(CrmError, match="cannot be read as a workbook"):
        crm.imports.run(broken)
    empty = workbook(tmp_path / "empty.xlsx", {"Arkusz1": []})
    with pytest.raises(CrmError, match="is empty"):
        crm.imports.run(empty)
    with pytest.raises(CrmError, match="--sheet is for workbooks"):
        crm.imports.run(Path(__file__).parent / "data" / "basic.csv", sheet="1")


def test_identifiers_get_back_the_zeros_a_number_cell_dropped(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "firmy.xlsx",
        {"Firmy": [["name", "nip", "regon", "krs"], ["Huta", 123456789, 12345678, 12345]]},
    )
    with open_workbook(str(path)) as source:
        assert list(source.rows) == [(2, ["Huta", "0123456789", "012345678", "0000012345"])]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (601234567.0, "601234567"),
        (12.5, "12.5"),
        (True, "true"),
        (dt.datetime(2024, 3, 5, 14, 30, 0, 600_000), "2024-03-05 14:30:01"),
        (dt.date(2024, 3, 5), "2024-03-05"),
        (dt.time(9, 5), "09:05:00"),
        (dt.timedelta(minutes=95, seconds=3), "1:35:03"),
        ("", ""),
    ],
)
def test_cell_text(value: object, text: str) -> None:
    assert cell_text(value) == text


def test_cli_import_with_sheet_prints_the_sheet_and_sheet_rows(
    cli: Callable[..., Result], tmp_path: Path, mapping: Path
) -> None:
    path = contacts_book(tmp_path / "k.xlsx")
    result = cli("import", str(path), "--mapping", str(mapping), "--sheet", "Kontakty")
    assert result.exit_code == 3, result.output
    assert "k.xlsx, sheet 'Kontakty': finished with rejected rows" in result.output
    assert "rejected row 7, column 'Telefon'" in result.output


def read_sheet(path: Path) -> list[list[Any]]:
    return [
        list(row) for row in CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).iter_rows()
    ]


def test_export_writes_text_codes_real_dates_and_no_formulas(crm: CRM, tmp_path: Path) -> None:
    crm.fields.add("since", type="date")
    crm.fields.add("budget", type="number")
    crm.contacts.add(
        kind="person",
        first_name="=SUMA(A1)",
        phones=["601 234 567"],
        pesel="02070803628",
        custom={"since": "2024-03-05", "budget": 1500},
    )
    path = tmp_path / "out.xlsx"
    assert crm.export(path, format="xlsx") == 1
    header, row = read_sheet(path)
    cells = dict(zip(header, row, strict=True))
    assert cells["first_name"] == "=SUMA(A1)"
    assert cells["phone.mobile"] == "+48601234567"
    assert cells["pesel"] == "02070803628"
    assert cells["custom.since"] == dt.date(2024, 3, 5)
    assert cells["custom.budget"] == 1500
    assert isinstance(cells["created_at"], dt.datetime)
    sheet = openpyxl.load_workbook(path).active
    assert sheet.cell(2, header.index("pesel") + 1).number_format == "@"
    assert sheet.cell(2, header.index("first_name") + 1).data_type == "s"


def test_cli_export_xlsx_needs_a_file_on_a_terminal_and_writes_one(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    cli("add", "person", "--set", "first_name=Ala")
    path = tmp_path / "k.xlsx"
    result = cli("export", "--format", "xlsx", "-o", str(path))
    assert result.exit_code == 0, result.output
    assert read_sheet(path)[1][3] == "Ala"


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(customer_base())
def test_xlsx_export_imports_back_as_the_same_contacts(
    tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, Any]]
) -> None:
    folder = tmp_path_factory.mktemp("xlsx")
    crm = original(rows, folder)
    crm.export(folder / "out.xlsx", format="xlsx", include_hidden=True)
    again = prepare(crmkit.open(folder / "again.db"))
    report = again.imports.run(folder / "out.xlsx")
    assert (report.rejected, report.warnings) == (0, 0), report.problems
    assert by_column(records(again)) == by_column(records(crm))


ODS_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content office:version="1.2"
 xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">
<office:body><office:spreadsheet><table:table table:name="Arkusz1">
<table:table-row>
 <table:table-cell office:value-type="string"><text:p>first_name</text:p></table:table-cell>
 <table:table-cell office:value-type="string"><text:p>phone.mobile</text:p></table:table-cell>
 <table:table-cell office:value-type="string"><text:p>created_at</text:p></table:table-cell>
</table:table-row>
<table:table-row>
 <table:table-cell office:value-type="string"><text:p>Łucja</text:p></table:table-cell>
 <table:table-cell office:value-type="float" office:value="601234567"/>
 <table:table-cell office:value-type="date" office:date-value="2024-03-05T14:30:00"/>
</table:table-row>
</table:table></office:spreadsheet></office:body></office:document-content>"""

ODS_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest manifest:version="1.2"
 xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">
<manifest:file-entry manifest:full-path="/"
 manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"""


def test_an_opendocument_spreadsheet(crm: CRM, tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "kontakty.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        # As office suites write it: no white space between the elements.
        archive.writestr("content.xml", re.sub(r">\s+<", "><", ODS_CONTENT))
        archive.writestr("META-INF/manifest.xml", ODS_MANIFEST)
    report = crm.imports.run(path)
    assert (report.sheet, report.created, report.rejected) == ("Arkusz1", 1, 0)
    [lucja] = crm.contacts.search("Łucja")
    assert (lucja.phones[0].number, lucja.created_at) == ("+48601234567", "2024-03-05T14:30:00Z")

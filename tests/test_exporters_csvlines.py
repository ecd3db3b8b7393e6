"""Lines joined by SQLite must be byte for byte what csv.writer writes for the cells."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from test_exporters_export import customer_base, original

from crmkit import CRM
from crmkit.exporters.csvlines import EncodedCsv, csv_field
from crmkit.store.sqlite.query.columns import ColumnSpec, export_columns
from crmkit.store.sqlite.query.fields import QuerySchema
from crmkit.store.sqlite.tabular import TabularReader


def both_ways(crm: CRM, escape: bool = True) -> tuple[str, str]:
    """The CSV lines of every contact: joined by SQLite, and cell by cell with csv.writer."""
    conn = crm.store.conn
    specs = export_columns(conn, QuerySchema(conn))
    expected = io.StringIO()
    rows = TabularReader(conn, specs, escape=escape).rows_for_query("1", (), "c.id")
    csv.writer(expected, lineterminator="\r\n").writerows(rows)
    encoded = EncodedCsv(conn, specs, escape=escape)
    text, _ = encoded.lines(encoded.reader.rows_for_query("1", (), "c.id"))
    return text, expected.getvalue()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(customer_base())
def test_joined_lines_equal_the_csv_module(
    tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, Any]]
) -> None:
    crm = original(rows, tmp_path_factory.mktemp("lines"))
    text, expected = both_ways(crm)
    assert text == expected


def test_cells_that_need_care_take_the_exact_way(ref_crm: CRM) -> None:
    for first, note in [
        ("=1+2", 'a, "b"\nc'),
        ("'=SUM(A1)", "-"),
        ("@home", "plain"),
        ("Ala", "x\ry"),
        ("Ola", "+48 601 234 567"),
        ("Ela", ", leading comma"),
    ]:
        ref_crm.contacts.add("person", {"first_name": first, "note": note, "tags": "VIP"})
    text, expected = both_ways(ref_crm)
    assert text == expected
    assert "'=1+2" in text and '"a, ""b""\nc"' in text
    assert both_ways(ref_crm, escape=False)[0] == both_ways(ref_crm, escape=False)[1]


def test_long_runs_are_split_under_the_argument_limit(ref_crm: CRM) -> None:
    ref_crm.contacts.add("person", {"first_name": "Anna", "last_name": "Nowak"})
    conn = ref_crm.store.conn
    specs = [ColumnSpec(f"c{n}", "sql", "c.name", guarded=True) for n in range(150)]
    encoded = EncodedCsv(conn, specs, escape=True)
    text, count = encoded.lines(encoded.reader.rows_for_query("1", (), "c.id"))
    assert count == 1 and text == ",".join(["Anna Nowak"] * 150) + "\r\n"


def test_csv_field_quotes_like_the_csv_module() -> None:
    for text in ["plain", "a,b", 'say "hi"', "two\nlines", "cr\r", ""]:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerow([text, "x"])
        assert buffer.getvalue() == csv_field(text) + ",x\r\n"

"""Spreadsheet-safe cells: formulas get an apostrophe, numbers and phones do not."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.exporters.escaping import (
    escape_cell,
    guard_sql,
    needs_escape,
    register_escaping,
    unescape_cell,
    unescape_row,
)


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=SUM(A1:A2)", "'=SUM(A1:A2)"),
        ("=1+1", "'=1+1"),
        ("+ABC", "'+ABC"),
        ("-2+3", "'-2+3"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\t=1", "'\t=1"),
        ("\rcmd", "'\rcmd"),
        ("-", "'-"),
        ("'=1", "''=1"),
        ("''=1", "'''=1"),
        ("'hello", "'hello"),
        ("-5", "-5"),
        ("-12,5", "-12,5"),
        ("+3.5", "+3.5"),
        ("+48 601 234 567", "+48 601 234 567"),
        ("+48601234567", "+48601234567"),
        ("-601-234-567", "-601-234-567"),
        ("Anna", "Anna"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_what_gets_escaped(cell: str, written: str) -> None:
    assert escape_cell(cell) == written
    assert needs_escape(cell) == (cell != written)


@given(st.text())
def test_unescaping_undoes_escaping(text: str) -> None:
    assert unescape_cell(escape_cell(text)) == text


@given(st.text())
def test_an_escaped_cell_never_starts_a_formula(text: str) -> None:
    written = escape_cell(text)
    if written[:1] in ("=", "+", "-", "@", "\t", "\r"):
        assert not needs_escape(text)


def test_rows_are_unescaped_in_place() -> None:
    assert unescape_row(["'=1", "a", "'x", ""]) == ["=1", "a", "'x", ""]


@pytest.mark.parametrize(
    "cell", ["=1+1", "'=x", "plain", None, "-5", "'hi", "@a", "\t=1", "\rcmd", "+ABC", "A=1"]
)
def test_sqlite_guard_matches_python(cell: str | None) -> None:
    conn = sqlite3.connect(":memory:")
    register_escaping(conn)
    conn.execute("CREATE TABLE t (x TEXT)")
    conn.execute("INSERT INTO t VALUES (?)", (cell,))
    assert conn.execute(f"SELECT {guard_sql('x')} FROM t").fetchone()[0] == escape_cell(cell or "")

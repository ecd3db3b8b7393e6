"""Grouped INSERTs store exactly what one INSERT per row stores, in the same order."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.store.sqlite.bulk import grouped_statement, insert_rows

_TABLE = "CREATE TABLE t (seq INTEGER PRIMARY KEY, a TEXT, b INTEGER, c REAL, kind TEXT)"
_INSERT = "INSERT INTO t (a, b, c, kind) VALUES (?, ?, ?, 'x')"
_VALUES = st.tuples(
    st.none() | st.text(max_size=8),
    st.none() | st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.none() | st.floats(allow_nan=False),
)


def stored(rows: list[tuple[Any, ...]], *, grouped: bool) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(":memory:")
    conn.execute(_TABLE)
    if grouped:
        insert_rows(conn, _INSERT, rows)
    else:
        conn.executemany(_INSERT, rows)
    return conn.execute("SELECT * FROM t ORDER BY seq").fetchall()


@given(st.lists(_VALUES, max_size=700))
def test_grouped_rows_are_stored_as_one_insert_per_row_stores_them(
    rows: list[tuple[Any, ...]],
) -> None:
    assert stored(rows, grouped=True) == stored(rows, grouped=False)


@pytest.mark.parametrize("count", [0, 1, 332, 333, 334, 1000])
def test_every_row_goes_in_whatever_the_remainder(count: int) -> None:
    rows = [(f"r{index}", index, None) for index in range(count)]
    assert [row[1] for row in stored(rows, grouped=True)] == [f"r{i}" for i in range(count)]


def test_groups_stay_within_the_parameter_limit_of_old_sqlite_builds() -> None:
    narrow, narrow_rows = grouped_statement("INSERT INTO p (a, b) VALUES (?, ?)")
    wide_sql = f"INSERT INTO w VALUES ({', '.join(['?'] * 27)})"
    wide, wide_rows = grouped_statement(wide_sql)
    assert narrow.count("?") <= 999 and wide.count("?") <= 999
    assert narrow.count("(?, ?)") == narrow_rows == 100
    assert wide_rows == 999 // 27
    assert grouped_statement("INSERT INTO t DEFAULT VALUES") == ("INSERT INTO t DEFAULT VALUES", 1)


def test_or_ignore_keeps_the_first_of_duplicates_inside_one_group() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE tags (contact_id, tag_id, PRIMARY KEY (contact_id, tag_id))")
    rows = [(1, 2), (1, 3), (1, 2), (2, 2)]
    insert_rows(conn, "INSERT OR IGNORE INTO tags (contact_id, tag_id) VALUES (?, ?)", rows)
    assert conn.execute("SELECT * FROM tags ORDER BY 1, 2").fetchall() == [(1, 2), (1, 3), (2, 2)]


def test_a_failing_group_raises_and_leaves_its_rows_out() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("CREATE TABLE u (k TEXT UNIQUE)")
    with pytest.raises(sqlite3.IntegrityError):
        insert_rows(conn, "INSERT INTO u (k) VALUES (?)", [(f"k{i % 150}",) for i in range(250)])
    # The first group (100 rows) went in; the second held a duplicate, and none of it did.
    assert conn.execute("SELECT count(*) FROM u").fetchone() == (100,)

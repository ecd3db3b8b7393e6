"""A batch of ids is read by range only when that adds few rows; it never loses one."""

from __future__ import annotations

import sqlite3

from hypothesis import given
from hypothesis import strategies as st

from crmkit.store.sqlite.bulk import IN_BATCH, IN_RANGE, batch_condition


def test_dense_ids_become_a_range() -> None:
    assert batch_condition([5, 3, 4, 7]) == (IN_RANGE, (3, 7))
    # Four ids for two: the most a range may read.
    assert batch_condition([1, 4]) == (IN_RANGE, (1, 4))
    assert batch_condition([1, 5])[0] == IN_BATCH


def test_scattered_ids_are_named_one_by_one() -> None:
    assert batch_condition([1, 500, 9]) == (IN_BATCH, ("[1, 500, 9]",))


def test_no_ids_select_nothing() -> None:
    conn = sqlite3.connect(":memory:")
    condition, params = batch_condition([])
    assert conn.execute(f"SELECT 1 WHERE 1 {condition}", params).fetchall() == []


@given(st.lists(st.integers(1, 300), max_size=40))
def test_every_id_of_the_batch_is_read_and_a_range_stays_small(ids: list[int]) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    conn.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(1, 301)])
    condition, params = batch_condition(ids)
    read = {row[0] for row in conn.execute(f"SELECT id FROM t WHERE id {condition}", params)}
    assert set(ids) <= read
    # A range takes in at most twice as many ids as the batch holds.
    assert len(read) <= 2 * len(ids)

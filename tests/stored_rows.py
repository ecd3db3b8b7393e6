"""Rows read straight from a test's database, without crmkit: a SQLite file or a PostgreSQL one."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any


def stored_rows(db: Path | str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Return the rows of `sql` (with `?` parameters) as tuples, read by the server's own client."""
    if isinstance(db, str) and db.startswith("postgresql"):
        import psycopg

        with psycopg.connect(db) as conn:
            return [tuple(row) for row in conn.execute(sql.replace("?", "%s"), params)]
    with closing(sqlite3.connect(db)) as conn:
        return [tuple(row) for row in conn.execute(sql, params)]


def store_rows(db: Path | str, sql: str, params: tuple[Any, ...] = ()) -> None:
    """Run one writing statement (with `?` parameters) and commit it, without crmkit."""
    if isinstance(db, str) and db.startswith("postgresql"):
        import psycopg

        with psycopg.connect(db) as conn:
            conn.execute(sql.replace("?", "%s"), params)
        return
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute(sql, params)

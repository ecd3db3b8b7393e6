"""Many new rows of one table sent to PostgreSQL by COPY, in one round trip.

`insert_rows` (`store.sqlite.bulk`) hands its rows here on PostgreSQL. Row by
row, even in groups, each statement is parsed, planned and answered; COPY
streams the rows as text and the server parses them once per column type. An
import of 100k contacts spends a fraction of the time in the server that an
`executemany` of the same rows did (see the README of the benchmarks).

Only a plain INSERT qualifies: into one table, naming its columns, every value
a parameter. `INSERT OR IGNORE` and the like, which COPY cannot say, go the
usual way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.adapt import Dumper, PyFormat

from crmkit.store.postgres.connection import _sqlite_error

__all__ = ["copy_rows"]

_PLAIN_INSERT = re.compile(
    r"\s*INSERT\s+INTO\s+(\w+)\s*\(([\w\s,]+)\)\s*VALUES\s*\(\s*\?(?:\s*,\s*\?)*\s*\)\s*",
    re.IGNORECASE,
)


@lru_cache(maxsize=128)
def copy_statement(sql: str) -> str | None:
    """The COPY that takes the rows of the one-row INSERT `sql`; None if it cannot."""
    match = _PLAIN_INSERT.fullmatch(sql)
    if match is None:
        return None
    columns = [name.strip() for name in match.group(2).split(",")]
    if len(columns) != sql.count("?"):
        return None
    quoted = ", ".join(f'"{name.lower()}"' for name in columns)
    return f"COPY {match.group(1).lower()} ({quoted}) FROM STDIN"


class _FlagDumper(Dumper):
    """A Python bool as SQLite's columns hold it: 1 or 0."""

    oid = 0

    def dump(self, obj: Any) -> bytes:
        return b"1" if obj else b"0"


def copy_rows(conn: Any, sql: str, rows: Sequence[Sequence[Any]]) -> bool:
    """Send `rows` of the INSERT `sql` by COPY; False (nothing sent) if `sql` is not plain."""
    statement = copy_statement(sql)
    if statement is None:
        return False
    if not rows:
        return True
    cursor = conn.raw.cursor()
    # Numbers as text by psycopg's own compiled dumpers (the connection's send them
    # untyped, for statements), and yes/no as the 0 or 1 the schema's columns hold.
    for kind in (int, float):
        cursor.adapters.register_dumper(kind, psycopg.adapters.get_dumper(kind, PyFormat.TEXT))
    cursor.adapters.register_dumper(bool, _FlagDumper)
    try:
        with cursor.copy(statement) as copy:
            write = copy.write_row
            for row in rows:
                write(row)
    except psycopg.Error as exc:
        raise _sqlite_error(exc) from exc
    conn.total_changes += len(rows)
    return True

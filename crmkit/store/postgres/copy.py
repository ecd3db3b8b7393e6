"""Many new rows of one table sent to PostgreSQL by COPY, in one round trip.

`insert_rows` (`store.sqlite.bulk`) hands its rows here on PostgreSQL. Row by
row, even in groups, each statement is parsed, planned and answered; COPY
streams the rows as text and the server parses them once per column type. An
import of 100k contacts spends a fraction of the time in the server that an
`executemany` of the same rows did (see the README of the benchmarks).

An INSERT qualifies when it goes into one table, naming its columns, every
value a parameter. A plain one copies into the table itself. `INSERT OR IGNORE`
and `INSERT OR REPLACE`, which COPY cannot say, copy into a temporary table of
the same columns, from which one statement then moves the rows as the INSERT
would (`ON CONFLICT ...`, see `dialect`); rows that replace one another are
narrowed to the last of each key first, as SQLite would leave them.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.adapt import Dumper, PyFormat

from crmkit.store.postgres.adapter import _sqlite_error
from crmkit.store.postgres.dialect import PRIMARY_KEYS, translate

__all__ = ["copy_rows"]

_INSERT = re.compile(
    r"\s*INSERT\s+(?:OR\s+(IGNORE|REPLACE)\s+)?INTO\s+(\w+)\s*\(([\w\s,]+)\)"
    r"\s*VALUES\s*\(\s*\?(?:\s*,\s*\?)*\s*\)\s*",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Copy:
    """How the rows of one INSERT go by COPY."""

    copy: str
    # For INSERT OR ...: the temporary table made first, the statement that moves
    # its rows into the table, and the places of the key (REPLACE) in a row.
    stage: str = ""
    create: str = ""
    move: str = ""
    key: tuple[int, ...] = ()


@lru_cache(maxsize=128)
def copy_plan(sql: str) -> Copy | None:
    """How the rows of the one-row INSERT `sql` go by COPY; None if they cannot."""
    match = _INSERT.fullmatch(sql)
    if match is None:
        return None
    action, table = match.group(1), match.group(2).lower()
    columns = [name.strip().lower() for name in match.group(3).split(",")]
    if len(columns) != sql.count("?"):
        return None
    quoted = ", ".join(f'"{name}"' for name in columns)
    if action is None:
        return Copy(f"COPY {table} ({quoted}) FROM STDIN")
    key: tuple[int, ...] = ()
    if action.upper() == "REPLACE":
        names = [name.strip() for name in PRIMARY_KEYS.get(table, "").split(",") if name.strip()]
        if not names or not set(names) <= set(columns):
            return None
        key = tuple(columns.index(name) for name in names)
    stage = f"crm_stage_{table}_{zlib.crc32(quoted.encode()):x}"
    return Copy(
        f"COPY {stage} ({quoted}) FROM STDIN",
        stage,
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ON COMMIT DROP"
        f" AS SELECT {quoted} FROM {table} WITH NO DATA",
        translate(
            f"INSERT OR {action.upper()} INTO {table} ({', '.join(columns)})"
            f" SELECT {quoted} FROM {stage}"
        ).sql,
        key,
    )


class _FlagDumper(Dumper):
    """A Python bool as SQLite's columns hold it: 1 or 0."""

    oid = 0

    def dump(self, obj: Any) -> bytes:
        return b"1" if obj else b"0"


def copy_rows(conn: Any, sql: str, rows: Sequence[Sequence[Any]]) -> bool:
    """Send `rows` of the INSERT `sql` by COPY; False (nothing sent) if `sql` is not plain.

    During a bulk load the rows go from a second thread (`Connection.send_behind`).
    """
    plan = copy_plan(sql)
    if plan is None:
        return False
    if not rows:
        return True
    if plan.key:
        rows = list({tuple(row[place] for place in plan.key): row for row in rows}.values())
    else:
        # The caller may empty its list once this returns.
        rows = list(rows)
    if conn.send_behind(lambda raw: _send(raw, plan, rows, check=True)):
        return True
    raw = conn.raw
    if plan.stage and raw.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
        # The staging table lives until the transaction ends: give it one.
        with raw.transaction():
            conn.total_changes += _send(raw, plan, rows)
    else:
        conn.total_changes += _send(raw, plan, rows)
    return True


def _send(raw: Any, plan: Copy, rows: Sequence[Sequence[Any]], *, check: bool = False) -> int:
    """Copy `rows` as `plan` says, inside a transaction; return how many rows were written.

    With `check`, the references of the rows are checked at once rather than at
    commit: from the second thread, while the next batch is being prepared.
    """
    cursor = raw.cursor()
    # Numbers as text by psycopg's own compiled dumpers (the connection's send them
    # untyped, for statements), and yes/no as the 0 or 1 the schema's columns hold.
    for kind in (int, float):
        cursor.adapters.register_dumper(kind, psycopg.adapters.get_dumper(kind, PyFormat.TEXT))
    cursor.adapters.register_dumper(bool, _FlagDumper)
    try:
        if plan.stage:
            cursor.execute(plan.create)
        with cursor.copy(plan.copy) as copy:
            write = copy.write_row
            for row in rows:
                write(row)
        written = len(rows)
        if plan.stage:
            cursor.execute(plan.move)
            written = max(cursor.rowcount, 0)
            cursor.execute(f"TRUNCATE {plan.stage}")
        if check:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED")
        return written
    except psycopg.Error as exc:
        raise _sqlite_error(exc) from exc

"""Id sequences after a write: number new rows after the highest id, as SQLite does.

SQLite numbers a new row after the highest id stored, so a transaction that is
rolled back (a dry run, an import with --all-or-nothing that rejected a row, a
failed edit) leaves no trace in the ids of the rows added after it, and the
newest rows deleted (an erasure, an undone import) give their ids back. A
PostgreSQL sequence is not transactional and only counts up: the next rows
would be numbered after a gap.

`rewind_sequences` moves each sequence that ran ahead of its table back to the
table's highest id. That is safe only while no other transaction can hold ids
of the table not yet committed, so each table is first locked in SHARE mode
(which waits for no one: NOWAIT). A table being written by another client at
that moment keeps its gap, as any PostgreSQL base would.
"""

from __future__ import annotations

from typing import Any

import psycopg

__all__ = ["rewind_sequences"]

# The tables whose sequence ran ahead of their highest id, with that id and the sequence.
_AHEAD = """
SELECT c.relname, a.attname, s.seqrelid::regclass::text
FROM pg_sequence s
JOIN pg_depend d ON d.objid = s.seqrelid AND d.deptype = 'i'
JOIN pg_class c ON c.oid = d.refobjid
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid
WHERE c.relnamespace = current_schema()::regnamespace
  AND pg_sequence_last_value(s.seqrelid) IS NOT NULL
"""


def rewind_sequences(raw: Any) -> None:
    """Move the id sequences back to their tables' highest ids where no one else writes.

    Best effort: on a connection that failed, the rollback's own error is the one to tell.
    """
    try:
        _rewind(raw)
    except psycopg.Error:
        if raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE and not raw.closed:
            raw.execute("ROLLBACK")


def _rewind(raw: Any) -> None:
    for table, column, sequence in raw.execute(_AHEAD).fetchall():
        try:
            raw.execute("BEGIN")
            raw.execute(f'LOCK TABLE "{table}" IN SHARE MODE NOWAIT')
            raw.execute(
                f'SELECT setval(%s, coalesce(max("{column}"), 0) + 1, false) FROM "{table}"'
                f' HAVING coalesce(max("{column}"), 0) < pg_sequence_last_value(%s::regclass)',
                (sequence, sequence),
            )
            raw.execute("COMMIT")
        except psycopg.errors.LockNotAvailable:
            raw.execute("ROLLBACK")

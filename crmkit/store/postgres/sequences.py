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


def rewind_sequences(raw: Any) -> None:
    """Move the id sequences back to their tables' highest ids where no one else writes.

    One call of the schema's `crm_rewind_sequences()`, which locks each table in
    SHARE mode NOWAIT and leaves alone the ones it cannot lock at once. Best
    effort: on a connection that failed, the rollback's own error is the one to tell.
    """
    try:
        raw.execute("SELECT crm_rewind_sequences()")
    except psycopg.Error:
        if raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE and not raw.closed:
            raw.execute("ROLLBACK")

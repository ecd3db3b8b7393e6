"""Group records brought by an import (`target: records`, or a JSON record's `groups`).

Each record keeps the id of the import that brought it, so that undoing the import
removes it, and gets a `record add` history entry from the import, as `crm record
add` gives one. A record its contact holds already, with the very same values, from
before this import is not added again: importing the same file twice adds nothing
the second time.
"""

from __future__ import annotations

from typing import Any

from crmkit.store.sqlite.bulk import insert_rows
from crmkit.store.sqlite.connection import Store
from crmkit.store.sqlite.groups import encode_record_fields
from crmkit.store.sqlite.history import HistoryLog, Origin

__all__ = ["RecordInserts"]

_INSERT = (
    "INSERT INTO group_records (id, group_id, contact_id, fields, created_at, updated_at,"
    " import_id) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_SAME = (
    "SELECT 1 FROM group_records WHERE contact_id = ? AND group_id = ? AND fields = ?"
    " AND import_id IS NOT ?"
)
_BATCH = 5000


class RecordInserts:
    """Buffers the records of one import and writes them, ids assigned here, in batches.

    Used inside the import's transaction, which holds the write lock: no one else
    can take the ids meanwhile.
    """

    def __init__(self, store: Store, origin: Origin, now: str) -> None:
        self.store = store
        self.now = now
        self.import_id = origin.source_id
        self.log = HistoryLog(store, origin, now)
        self.next_id = int(store.one("SELECT coalesce(max(id), 0) FROM group_records")) + 1
        self.rows: list[tuple[Any, ...]] = []
        self.added = 0
        self.skipped = 0

    def add(self, group: dict[str, Any], contact_id: int, values: dict[str, Any]) -> bool:
        """Buffer one record of `group` on a contact; False if the contact has it already."""
        kept, text = encode_record_fields(group, values)
        conn = self.store.conn
        if conn.execute(_SAME, (contact_id, group["id"], text, self.import_id)).fetchone():
            self.skipped += 1
            return False
        record_id = self.next_id
        self.next_id += 1
        now = self.now
        self.rows.append((record_id, group["id"], contact_id, text, now, now, self.import_id))
        changes = [[f"{group['key']}.{key}", None, value] for key, value in kept.items()]
        detail = {"group": group["key"], "record": record_id}
        self.log.add("record add", contact_id, changes, detail)
        self.added += 1
        if len(self.rows) >= _BATCH:
            self.flush()
        return True

    def flush(self) -> None:
        """Write the buffered records and their history entries."""
        if self.rows:
            insert_rows(self.store.conn, _INSERT, self.rows)
            self.rows.clear()
            if getattr(self.store, "dialect", "sqlite") == "postgresql":
                self._number_past_records()
        self.log.flush()

    def _number_past_records(self) -> None:
        """Move the id sequence past the records written with their own ids (PostgreSQL),
        so that `crm record add` numbers the next one as SQLite does."""
        self.store.one(
            "SELECT setval(pg_get_serial_sequence('group_records', 'id'), greatest(max(id),"
            " coalesce(pg_sequence_last_value(pg_get_serial_sequence('group_records', 'id')"
            "::regclass), 0))) FROM group_records"
        )

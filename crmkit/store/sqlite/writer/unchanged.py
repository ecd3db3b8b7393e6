"""Contacts a re-imported row would leave as they are, recognised by their row digest.

`UnchangedContacts` belongs to a `ContactWriter`. It reads the stored digests
of the contacts a window of rows is about to match (one query) and keeps them
up to date as the writer writes digests itself. For a row found unchanged
(`importers.contacts`) the writer buffers only what importing the row would
still write (`ContactWriter.touch`): `updated_at`, set here at flush
(`write_touches`), and the row's memberships (see `row_digests`).
"""

from __future__ import annotations

import sqlite3

from crmkit.store.sqlite.bulk import batch_condition
from crmkit.store.sqlite.connection import Store
from crmkit.store.sqlite.writer.updates import shared_values_together

__all__ = ["UnchangedContacts", "write_touches"]


class UnchangedContacts:
    """Stored row digests of the contacts of the current window (see `ContactWriter`)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.conn = store.conn
        # contact id -> its stored digest, for the contacts of the current window
        self._digests: dict[int, int | None] = {}

    def load_digests(self, contact_ids: list[int]) -> None:
        """Read the stored digests of these contacts, replacing those of the last window."""
        self._digests.clear()
        if not contact_ids:
            return
        condition, params = batch_condition(contact_ids)
        sql = f"SELECT id, row_digest FROM contacts WHERE id {condition}"
        self._digests.update(self.conn.execute(sql, params).fetchall())

    def stored_digest(self, contact_id: int) -> int | None:
        """The digest the contact holds, as this import has left it so far.

        Asked of a contact with no buffered changes (`find` flushes those).
        """
        if contact_id in self._digests:
            return self._digests[contact_id]
        sql = "SELECT row_digest FROM contacts WHERE id = ?"
        digest: int | None = self.store.one(sql, (contact_id,))
        return digest

    def remember_digest(self, contact_id: int, digest: int | None) -> None:
        """The digest an update of this contact is writing."""
        if contact_id in self._digests:
            self._digests[contact_id] = digest


def write_touches(conn: sqlite3.Connection, touches: list[tuple[str, int]]) -> None:
    """Set `updated_at` of the touched contacts (`(updated_at, contact id)` pairs), one
    statement per distinct time; the list is emptied."""
    statements = {"UPDATE contacts SET updated_at = ? WHERE id = ?": touches}
    for sql, params in shared_values_together(statements).items():
        conn.executemany(sql, params)
    touches.clear()

"""Contacts a re-imported row would leave as they are, recognised by their row digest.

Mixed into `ContactWriter`. The writer reads the stored digests of the
contacts a window of rows is about to match (one query), keeps them up to
date as it writes digests itself, and for a row it finds unchanged
(`importers.contacts`) buffers only what importing the row would still
write: `updated_at` and the row's memberships (see `row_digests`).
"""

from __future__ import annotations

import sqlite3

from crmkit.store import Store
from crmkit.store.sqlite.bulk import batch_condition
from crmkit.store.sqlite.writer.updates import shared_values_together

__all__ = ["UnchangedContacts"]


class UnchangedContacts:
    """Stored row digests and the touches of unchanged contacts (see `ContactWriter`)."""

    store: Store
    conn: sqlite3.Connection
    touched: set[int]
    # contact id -> its stored digest, for the contacts of the current window
    _digests: dict[int, int | None]
    # (updated_at, contact id) of contacts whose rows came unchanged
    _touches: list[tuple[str, int]]

    def link_later(
        self, contact_id: int, organizations: list[tuple[str, str | None, str | None]]
    ) -> None:
        """Queue the contact's memberships; the writer provides it."""
        raise NotImplementedError

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

    def touch(
        self,
        contact_id: int,
        updated_at: str,
        organizations: list[tuple[str, str | None, str | None]] | None,
    ) -> None:
        """Buffer what importing an unchanged contact's row still writes."""
        self._touches.append((updated_at, contact_id))
        if organizations is not None:
            self.link_later(contact_id, organizations)
        self.touched.add(contact_id)

    def write_touches(self) -> None:
        """Set `updated_at` of the touched contacts: one statement per distinct time."""
        touches = {"UPDATE contacts SET updated_at = ? WHERE id = ?": self._touches}
        for sql, params in shared_values_together(touches).items():
            self.conn.executemany(sql, params)
        self._touches.clear()

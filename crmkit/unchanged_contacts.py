"""Contacts a re-imported row would leave as they are, recognised by their row digest.

Mixed into `ContactWriter`. The writer reads the stored digests of the
contacts a window of rows is about to match (one query), keeps them up to
date as it writes digests itself, and for a row it finds unchanged
(`importers.contacts`) buffers only what importing the row would still
write: `updated_at` and the row's memberships (see `row_digests`).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from crmkit.id_batches import batch_condition
from crmkit.store import Store

__all__ = ["UnchangedContacts"]


class UnchangedContacts:
    """Stored row digests and the touches of unchanged contacts (see `ContactWriter`)."""

    store: Store
    conn: sqlite3.Connection
    touched: set[int]
    _linking: list[tuple[int, list[tuple[int, str | None, str | None]], bool]]
    # contact id -> its stored digest, for the contacts of the current window
    _digests: dict[int, int | None]
    # (updated_at, contact id) of contacts whose rows came unchanged
    _touches: list[tuple[str, int]]

    def organization_id(self, name_or_nip: str) -> int:
        """The organization with this NIP or name; the writer provides it."""
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
            wanted = [
                (self.organization_id(org), since, until) for org, since, until in organizations
            ]
            self._linking.append((contact_id, wanted, False))
        self.touched.add(contact_id)

    def write_touches(self) -> None:
        """Set `updated_at` of the touched contacts: one statement per distinct time."""
        ids_by_time: dict[str, list[int]] = {}
        for updated_at, contact_id in self._touches:
            ids_by_time.setdefault(updated_at, []).append(contact_id)
        sql = "UPDATE contacts SET updated_at = ? WHERE id IN (SELECT value FROM json_each(?))"
        params: list[tuple[Any, ...]] = [
            (updated_at, json.dumps(ids)) for updated_at, ids in ids_by_time.items()
        ]
        self.conn.executemany(sql, params)
        self._touches.clear()

"""Finding the stored contacts an imported row names by its match keys.

Mixed into `ContactWriter`: a lookup must see the writer's buffered contacts
(their keys are pending) and must not trust the stored rows of contacts whose
changes are still buffered, so it flushes the writer when it lands on one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from crmkit.store import Store
from crmkit.store.sqlite.writer.prefetch import PrefetchedMatches
from crmkit.targets import ContactDraft

__all__ = ["ContactMatching"]


class ContactMatching:
    """Match-key lookups of a contact writer (see `ContactWriter`)."""

    store: Store
    conn: sqlite3.Connection
    batch_size: int
    touched: set[int]
    prefetched: PrefetchedMatches
    _pending_keys: dict[tuple[str, str], int]
    _kinds: dict[int, str]

    def flush(self) -> None:
        """Write everything buffered; the writer provides it."""
        raise NotImplementedError

    def find(self, draft: ContactDraft, keys: Iterable[str]) -> list[int]:
        """Existing contacts this draft names by the first match key it has a value for.

        Changes to contacts touched in this batch are still buffered, so a hit on
        one of them is looked up again once they are written.
        """
        found = self._find(draft, keys)
        if self.touched and not self.touched.isdisjoint(found):
            self.flush()
            found = self._find(draft, keys)
        return found

    def _find(self, draft: ContactDraft, keys: Iterable[str]) -> list[int]:
        for key in keys:
            for value in self._key_values(draft, key):
                pending = self._pending_keys.get((key, value))
                if pending is not None:
                    return [pending]
                found = self._lookup(key, value)
                if found:
                    return found
        return []

    def prefetch(self, keys: Iterable[str], drafts: Iterable[ContactDraft]) -> list[int]:
        """Look up the match-key values of many drafts at once (see `prefetch`).

        Returns the contacts found (those found for values looked up before aside).
        """
        drafts = list(drafts)
        ids = []
        for key in keys:
            ids += self.prefetched.load(
                key, (value for draft in drafts for value in self._key_values(draft, key))
            )
        return ids

    def _key_values(self, draft: ContactDraft, key: str) -> list[str]:
        if key == "email":
            return [address.lower() for address, _ in draft.emails]
        if key == "phone":
            return [number for number, _, _ in draft.phones]
        value = draft.scalars.get(key)
        return [] if value is None else [value]

    def _lookup(self, key: str, value: str) -> list[int]:
        """Ids of stored contacts with this value; their kinds are kept for `kind_of`."""
        if key == "email":
            sql = (
                "SELECT c.id, c.kind FROM emails e JOIN contacts c ON c.id = e.contact_id"
                " WHERE e.address = ? COLLATE NOCASE"
            )
        elif key == "phone":
            sql = (
                "SELECT c.id, c.kind FROM phones p JOIN contacts c ON c.id = p.contact_id"
                " WHERE p.number = ?"
            )
        else:
            sql = f"SELECT id, kind FROM contacts WHERE {key} = ?"
        prefetched = self.prefetched.get(key, value)
        # A dict drops repeats (two e-mails of one contact) cheaper than DISTINCT in SQL.
        kinds = (
            dict(self.conn.execute(sql, (value,)).fetchall()) if prefetched is None else prefetched
        )
        if len(self._kinds) > self.batch_size:
            self._kinds.clear()
        self._kinds.update(kinds)
        return list(kinds)

    def kind_of(self, contact_id: int) -> str | None:
        if contact_id in self.touched:
            self.flush()
        kind = self._kinds.get(contact_id)
        if kind is None:
            kind = self.store.one("SELECT kind FROM contacts WHERE id = ?", (contact_id,))
        return kind

    def external_id_owner(self, external_id: str) -> int | None:
        pending = self._pending_keys.get(("external_id", external_id))
        if pending is not None:
            return pending
        sql = "SELECT id FROM contacts WHERE external_id = ?"
        owner: int | None = self.store.one(sql, (external_id,))
        if owner is not None and owner in self.touched:
            self.flush()
            owner = self.store.one(sql, (external_id,))
        return owner

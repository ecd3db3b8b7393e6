"""Finding the stored contacts an imported row names by its match keys.

`ContactMatching` belongs to a `ContactWriter`. A lookup must see the
writer's buffered contacts (their keys are pending) and must not trust the
stored rows of contacts whose changes are still buffered, so it flushes the
writer when it lands on one.

An import with `match` looks every row up by its keys; one query per row
costs more than the lookup itself. The writer asks here for a window of rows
in one query per key (`json_each` drives index lookups), and afterwards a
value that was asked for is answered from memory, found or not
(`PrefetchedMatches`). What is held goes stale once the writer writes, so it
is dropped at every flush.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable

from crmkit.store.sqlite.connection import Store
from crmkit.targets import ContactDraft

__all__ = ["ContactMatching", "MATCH_KEYS", "MATCH_SQL", "PrefetchedMatches"]

MATCH_KEYS = ("external_id", "email", "phone", "nip", "pesel", "regon", "krs")

_VALUES = "json_each(?) j"
# The contacts (and their kinds) of many e-mails or phones, given as a JSON array.
MATCH_SQL = {
    "email": f"SELECT j.value, c.id, c.kind FROM {_VALUES}"
    " JOIN emails e ON e.address = j.value COLLATE NOCASE"
    " JOIN contacts c ON c.id = e.contact_id",
    "phone": f"SELECT j.value, c.id, c.kind FROM {_VALUES}"
    " JOIN phones p ON p.number = j.value JOIN contacts c ON c.id = p.contact_id",
    # An external id of a contact merged into another one names the one it was merged into.
    "external_id": "WITH j AS (SELECT value FROM json_each(?))"
    " SELECT j.value, c.id, c.kind FROM j JOIN contacts c ON c.external_id = j.value"
    " UNION ALL SELECT j.value, c.id, c.kind FROM j"
    " JOIN contact_aliases a ON a.external_id = j.value JOIN contacts c ON c.id = a.contact_id",
}
# The same for one value.
_EXTERNAL_ID = (
    "SELECT id, kind FROM contacts WHERE external_id = ?1 UNION ALL SELECT c.id, c.kind"
    " FROM contact_aliases a JOIN contacts c ON c.id = a.contact_id WHERE a.external_id = ?1"
)


class ContactMatching:
    """Match-key lookups of a contact writer (see `ContactWriter`)."""

    def __init__(
        self,
        store: Store,
        *,
        batch_size: int,
        pending_keys: dict[tuple[str, str], int],
        touched: set[int],
        flush: Callable[[], None],
    ) -> None:
        """`pending_keys`, `touched` and `flush` are the writer's: the match keys of
        the contacts it buffers, the contacts with buffered changes, and its flush."""
        self.store = store
        self.conn = store.conn
        self.batch_size = batch_size
        self._pending_keys = pending_keys
        self._touched = touched
        self._flush = flush
        self.prefetched = PrefetchedMatches(self.conn)
        # Kinds of contacts found by the latest lookups (a kind never changes).
        self._kinds: dict[int, str] = {}
        # Contacts that hold external ids of contacts merged into them (read when needed).
        self._aliased: set[int] | None = None

    def find(self, draft: ContactDraft, keys: Iterable[str]) -> list[int]:
        """Existing contacts this draft names by the first match key it has a value for.

        Changes to contacts touched in this batch are still buffered, so a hit on
        one of them is looked up again once they are written.
        """
        found = self._find(draft, keys)
        if self._touched and not self._touched.isdisjoint(found):
            self._flush()
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
        """Look up the match-key values of many drafts at once (see `PrefetchedMatches`).

        Returns the contacts found (those found for values looked up before aside).
        """
        drafts = list(drafts)
        ids = []
        for key in keys:
            ids += self.prefetched.load(
                key, (value for draft in drafts for value in self._key_values(draft, key))
            )
        return ids

    def forget_prefetched(self) -> None:
        """Drop what was prefetched: the writer is about to write."""
        self.prefetched.clear()

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
        elif key == "external_id":
            sql = _EXTERNAL_ID
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
        if contact_id in self._touched:
            self._flush()
        kind = self._kinds.get(contact_id)
        if kind is None:
            kind = self.store.one("SELECT kind FROM contacts WHERE id = ?", (contact_id,))
        return kind

    def is_alias(self, contact_id: int, external_id: str) -> bool:
        """Whether the contact holds this external id as that of a contact merged into it."""
        if self._aliased is None:
            self._aliased = {
                row[0] for row in self.conn.execute("SELECT contact_id FROM contact_aliases")
            }
        return contact_id in self._aliased and (
            self.store.one(
                "SELECT 1 FROM contact_aliases WHERE contact_id = ? AND external_id = ?",
                (contact_id, external_id),
            )
            is not None
        )

    def external_id_owner(self, external_id: str) -> int | None:
        pending = self._pending_keys.get(("external_id", external_id))
        if pending is not None:
            return pending
        sql = (
            "SELECT id FROM contacts WHERE external_id = ?1"
            " UNION ALL SELECT contact_id FROM contact_aliases WHERE external_id = ?1"
        )
        owner: int | None = self.store.one(sql, (external_id,))
        if owner is not None and owner in self._touched:
            self._flush()
            owner = self.store.one(sql, (external_id,))
        return owner


class PrefetchedMatches:
    """Contacts (id -> kind) found for match-key values, read in batches."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._found: dict[tuple[str, str], dict[int, str]] = {}

    def load(self, key: str, values: Iterable[str]) -> list[int]:
        """Look up every value of one key; each is then known, with or without contacts.

        Returns the contacts found for the values not asked for before.
        """
        wanted = [value for value in set(values) if (key, value) not in self._found]
        if not wanted:
            return []
        found = self._found
        for value in wanted:
            found[(key, value)] = {}
        sql = MATCH_SQL.get(key) or (
            f"SELECT j.value, c.id, c.kind FROM {_VALUES} JOIN contacts c ON c.{key} = j.value"
        )
        ids = []
        for value, contact_id, kind in self.conn.execute(sql, (json.dumps(wanted),)):
            found[(key, value)][contact_id] = kind
            ids.append(contact_id)
        return ids

    def get(self, key: str, value: str) -> dict[int, str] | None:
        """The contacts found for the value, or None if it was not asked for."""
        return self._found.get((key, value))

    def clear(self) -> None:
        self._found.clear()

"""Stored contacts for the match keys of many rows at once.

An import with `match` looks every row up by its keys; one query per row
costs more than the lookup itself. The writer asks here for a window of rows
in one query per key (`json_each` drives index lookups), and afterwards a
value that was asked for is answered from memory, found or not. What is held
goes stale once the writer writes, so it is dropped at every flush.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

__all__ = ["PrefetchedMatches", "MATCH_SQL"]

_VALUES = "json_each(?) j"
# The contacts (and their kinds) of many e-mails or phones, given as a JSON array.
MATCH_SQL = {
    "email": f"SELECT j.value, c.id, c.kind FROM {_VALUES}"
    " JOIN emails e ON e.address = j.value COLLATE NOCASE"
    " JOIN contacts c ON c.id = e.contact_id",
    "phone": f"SELECT j.value, c.id, c.kind FROM {_VALUES}"
    " JOIN phones p ON p.number = j.value JOIN contacts c ON c.id = p.contact_id",
}


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

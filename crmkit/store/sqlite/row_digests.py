"""Digests of imported rows, so that a re-import can pass over contacts it already wrote.

A contact written from a CSV row that had no problem keeps a 64-bit digest of
that row's cells (`contacts.row_digest`), keyed by everything that decides how
the cells are read: the header, the targets, the mapping's settings and the
versions of the parsing libraries. Importing a row is idempotent (an update
sets what the row gives and leaves the rest), so while the contact is as that
row left it, importing the same row again changes nothing but `updated_at`
and the memberships, which are always looked up again (organizations are
named, and names can move). A re-import then reads such a row's match keys
only, instead of every value.

"As that row left it" is kept true by the database (`digest_triggers`); an
import pauses those triggers inside its own transaction and writes each
digest itself.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["RowDigester", "StoredDigests", "digest_key"]

# Raised when the way rows are read changes, so that older digests stop matching.
_FORMAT = 1
# The page cache of the connection that looks digests up, in KiB.
_CACHE_KIB = 16384
_LIBRARIES = ("crmkit", "phonenumbers", "python-dateutil", "python-stdnum")


def digest_key(
    header: Sequence[str], targets: Sequence[tuple[str, str, str | None]], settings: Any
) -> bytes:
    """What a row's cells mean: its header, their targets, the mapping's settings, the code.

    `targets` are (name, kind, sub) per column; match keys are left out, since
    they choose the contact, not what is written to it.
    """
    from importlib.metadata import PackageNotFoundError, version

    versions: list[str | None] = []
    for name in _LIBRARIES:
        try:
            versions.append(version(name))
        except PackageNotFoundError:
            versions.append(None)
    described = repr((_FORMAT, versions, list(header), list(targets), settings))
    return hashlib.blake2b(described.encode("utf-8", "surrogatepass"), digest_size=32).digest()


class RowDigester:
    """A row's cells to their 64-bit digest under one key (see `digest_key`)."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def __call__(self, cells: list[str]) -> int:
        return self.of_packed(marshal.dumps(cells))

    def of_packed(self, packed: bytes) -> int:
        """The digest of cells already packed by `marshal.dumps`.

        marshal writes each cell with its length, so no two rows share an encoding.
        """
        data = hashlib.blake2b(packed, digest_size=8, key=self._key).digest()
        return int.from_bytes(data, "big", signed=True)


class StoredDigests:
    """Which digests some stored contact has: asked by the process that reads the file.

    It reads what was committed before the import began, through a connection
    of its own, opened in the process that asks (a forked helper must not use
    its parent's). A digest found here is only a hint; the writer checks it
    against the contact a row matches, in the import's transaction.
    """

    _SQL = (
        "SELECT DISTINCT row_digest FROM contacts"
        " WHERE row_digest IN (SELECT value FROM json_each(?))"
    )

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._pid = 0

    def known(self, digests: list[int]) -> set[int]:
        """The digests some stored contact holds; none if the store cannot be read now.

        Only a hint: a row not found here is read in full, with the same outcome.
        """
        try:
            conn = self._connection()
            rows = conn.execute(self._SQL, (json.dumps(digests),)).fetchall()
        except sqlite3.Error:
            return set()
        return {digest for (digest,) in rows}

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None or self._pid != os.getpid():
            self._conn = sqlite3.connect(str(self.path), isolation_level=None, timeout=1)
            self._pid = os.getpid()
            self._conn.execute("PRAGMA query_only = ON")
            # Most of the digest index of a million contacts stays in memory: the
            # lookups, a random page each, took a third less time (1.56 s against 2.33 s
            # for a million digests); a bound, so memory does not grow with the base.
            self._conn.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
        return self._conn

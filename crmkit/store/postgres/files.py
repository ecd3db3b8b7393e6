"""Stored file contents kept in the database itself: the table `file_contents`.

The same interface as the folder of a SQLite base (`crmkit.store.sqlite.files.FileStore`),
so the code that attaches, reads, exports, dumps and erases files runs unchanged.
The bytes are a row keyed by their sha256, stored once however often they are
attached. Each write is a statement of the caller's transaction: a rolled-back
attachment leaves no content behind, and pruning deletes the row (the bytes go
with it, as an erasure requires).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any

from crmkit.errors import CrmError

if TYPE_CHECKING:
    from crmkit.store import Store

__all__ = ["DatabaseFileStore"]

_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 20


class DatabaseFileStore:
    """The stored contents of a PostgreSQL base; knows nothing about contacts."""

    # Writes join the caller's transaction (the folder's writes cannot).
    in_database = True

    def __init__(self, store: Store) -> None:
        self.store = store
        self.root = None

    @staticmethod
    def check_digest(sha256: str) -> str:
        """Return the digest, or refuse anything but a lowercase hex sha256."""
        if not isinstance(sha256, str) or _HEX_DIGEST.fullmatch(sha256) is None:
            raise CrmError(f"{sha256!r} is not a stored file's sha256; the database row is damaged")
        return sha256

    def put(self, source: IO[bytes]) -> tuple[str, int, bool]:
        """Store a stream's bytes; return (sha256, size, whether they were new)."""
        digest = hashlib.sha256()
        parts: list[bytes] = []
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            parts.append(chunk)
        data = b"".join(parts)
        sha256 = digest.hexdigest()
        return sha256, len(data), self._insert(sha256, data)

    def _insert(self, sha256: str, data: bytes) -> bool:
        """Add the content unless it is there; whether it was added.

        An existing row is locked (`FOR KEY SHARE`) until the transaction ends, so a
        prune running at the same time waits instead of deleting bytes about to be
        referred to again.
        """
        with self.store.transaction() as conn:
            added = conn.execute(
                "INSERT INTO file_contents (sha256, content) VALUES (?, ?)"
                " ON CONFLICT (sha256) DO NOTHING RETURNING sha256",
                (sha256, data),
            ).fetchone()
            if added is None:
                conn.execute(
                    "SELECT 1 FROM file_contents WHERE sha256 = ? FOR KEY SHARE", (sha256,)
                )
        return added is not None

    def copy_from(self, other: Any, sha256: str) -> None:
        """Copy another store's content under the same name (it is checked on the way)."""
        self.check_digest(sha256)
        data = other.read_bytes(sha256)
        if hashlib.sha256(data).hexdigest() != sha256:
            raise CrmError(f"the stored content {sha256[:12]}... is damaged (its sha256 differs)")
        self._insert(sha256, data)

    def remove_stale_incoming(self) -> int:
        """Return 0: nothing is ever half-written here (a transaction writes whole rows)."""
        return 0

    def read_bytes(self, sha256: str) -> bytes:
        """Return the stored bytes, checked against their digest."""
        self.check_digest(sha256)
        row = self.store.conn.execute(
            "SELECT content FROM file_contents WHERE sha256 = ?", (sha256,)
        ).fetchone()
        if row is None:
            raise CrmError(f"the stored content {sha256[:12]}... is missing from the database")
        data = bytes(row[0])
        if hashlib.sha256(data).hexdigest() != sha256:
            raise CrmError(f"the stored content {sha256[:12]}... is damaged (its sha256 differs)")
        return data

    def copy_to(self, sha256: str, destination: IO[bytes]) -> int:
        """Write the stored bytes to a stream, checking them against their digest."""
        data = self.read_bytes(sha256)
        for start in range(0, len(data), _CHUNK):
            destination.write(data[start : start + _CHUNK])
        return len(data)

    def prune(self, store: Store, hashes: Iterable[str]) -> int:
        """Delete the stored bytes of these digests that no file row refers to any more."""
        wanted = sorted(set(hashes))
        if not wanted:
            return 0
        removed = 0
        with store.transaction() as conn:
            for sha256 in wanted:
                removed += conn.execute(
                    "DELETE FROM file_contents WHERE sha256 = ? AND NOT EXISTS"
                    " (SELECT 1 FROM files WHERE files.sha256 = file_contents.sha256)",
                    (sha256,),
                ).rowcount
        return removed

    def prune_all(self, store: Store) -> int:
        """Delete every stored content no row refers to (left by deleted contacts)."""
        with store.transaction() as conn:
            return int(
                conn.execute(
                    "DELETE FROM file_contents WHERE NOT EXISTS"
                    " (SELECT 1 FROM files WHERE files.sha256 = file_contents.sha256)"
                ).rowcount
            )

    def discard(self, store: Store, hashes: Iterable[str]) -> None:
        """Remove contents a failed restore wrote (its rollback already took them)."""
        self.prune(store, hashes)

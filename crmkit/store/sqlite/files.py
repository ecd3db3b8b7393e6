"""Files attached to contacts and notes, kept in a content-addressed folder.

The bytes live beside the database (`crm.db` -> `crm.files/`) under their sha256
(`crm.files/ab/cdef...`), so the same bytes are stored once however often they
are attached. The original name, size and media type are rows in `files`; a name
is only ever displayed or used as a default download name after being cut down to
a single safe component, and a blob path is built from a checked hex digest only,
so nothing a user or a file supplies can point outside the folder.

A blob never appears half-written under its name: the bytes go to a temporary
`.incoming-*` file, are flushed to disk (fsync), and only then renamed to their
digest (`os.replace`, atomic on one file system), the folder synced after. The
temporary file sits in the store's top folder, since the digest, and so the
blob's own folder, is known only after the last byte. A process killed on the
way leaves at most that temporary file: no blob is ever read from such a
name, and the next store, or `crm file prune`, removes it once it has been left
untouched for an hour (younger ones may belong to a store still writing).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from crmkit.errors import CrmError, NotFound
from crmkit.files import IMAGE_TYPES, is_inside, open_input, safe_name, sniff_media_type
from crmkit.store import Store
from crmkit.store.sqlite.history import record_history
from crmkit.values.datetimes import utc_now

if TYPE_CHECKING:
    from crmkit.store.postgres.files import DatabaseFileStore

__all__ = [
    "FileStore",
    "add_file",
    "list_files",
    "get_file_info",
    "delete_file",
    "set_avatar",
    "clear_avatar",
    "avatar_file",
    "stored_blob",
]

_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 20
_INCOMING = ".incoming-"
# A temporary file untouched this long belongs to a store that was killed.
_STALE_SECONDS = 3600
_SELECT_FILE = (
    "SELECT id, contact_id, note_id, name, size, media_type, sha256, is_avatar, created_at"
    " FROM files"
)


class FileStore:
    """The folder of stored contents; knows nothing about contacts."""

    # Writes land in the folder, outside the database's transactions.
    in_database = False

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def for_store(cls, store: Store) -> FileStore | DatabaseFileStore:
        """The stored contents of `store`: `crm.db` keeps them in `crm.files/` next to it.

        The database's own idea of its file is used (an absolute path), so a program
        that changes its working folder after opening a relative path still finds them.
        A PostgreSQL base keeps them in the database (`DatabaseFileStore`).
        """
        if getattr(store, "dialect", "sqlite") == "postgresql":
            from crmkit.store.postgres.files import DatabaseFileStore

            return DatabaseFileStore(store)
        row = store.conn.execute("PRAGMA database_list").fetchone()
        path = Path(row[2]) if row is not None and row[2] else store.path.resolve()
        return cls(path.with_name(path.stem + ".files"))

    def blob_path(self, sha256: str) -> Path:
        """Where the bytes with this digest live; refuses anything but a digest."""
        if not isinstance(sha256, str) or _HEX_DIGEST.fullmatch(sha256) is None:
            raise CrmError(f"{sha256!r} is not a stored file's sha256; the database row is damaged")
        path = self.root / sha256[:2] / sha256[2:]
        if path.exists() and not is_inside(path, self.root):
            raise CrmError(f"stored file {sha256[:12]}... points outside {self.root}; refusing it")
        return path

    def check_digest(self, sha256: str) -> str:
        """Return the digest, or refuse anything but one (see `blob_path`)."""
        self.blob_path(sha256)
        return sha256

    def put(self, source: IO[bytes]) -> tuple[str, int, bool]:
        """Store a stream's bytes; return (sha256, size, whether they were new)."""
        self.root.mkdir(exist_ok=True)
        self.remove_stale_incoming()
        incoming, sha256, size = self._receive(source)
        try:
            target = self.blob_path(sha256)
            if target.exists():
                os.unlink(incoming)
                return sha256, size, False
            self._install(incoming, target)
            return sha256, size, True
        except BaseException:
            if os.path.exists(incoming):
                os.unlink(incoming)
            raise

    def copy_from(self, other: FileStore | DatabaseFileStore, sha256: str) -> None:
        """Copy another store's content under the same name, bytes as they are (a backup).

        A file already there is replaced, in case an older version left it cut short.
        """
        target = self.blob_path(sha256)
        self.root.mkdir(parents=True, exist_ok=True)
        if isinstance(other, FileStore):
            with open(other.blob_path(sha256), "rb") as source:
                incoming = self._receive(source)[0]
        else:
            incoming = self._receive(io.BytesIO(other.read_bytes(sha256)))[0]
        try:
            self._install(incoming, target)
        except BaseException:
            if os.path.exists(incoming):
                os.unlink(incoming)
            raise

    def _receive(self, source: IO[bytes]) -> tuple[str, str, int]:
        """Write a stream to a new temporary file, on disk when this returns.

        Return its path, the sha256 of the bytes and their count.
        """
        digest = hashlib.sha256()
        size = 0
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, kept on disk
            dir=self.root, prefix=_INCOMING, delete=False
        )
        try:
            with handle:
                while chunk := source.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            os.unlink(handle.name)
            raise
        return handle.name, digest.hexdigest(), size

    def _install(self, incoming: str, target: Path) -> None:
        """Rename a received file to its blob path, and make the rename last."""
        new_folder = not target.parent.exists()
        target.parent.mkdir(exist_ok=True)
        if not is_inside(target.parent, self.root):
            raise CrmError(f"{target.parent} is not inside {self.root}; refusing to write there")
        os.replace(incoming, target)
        _sync_folder(target.parent)
        if new_folder:
            _sync_folder(self.root)

    def remove_stale_incoming(self) -> int:
        """Delete the temporary files that killed stores left; return how many went."""
        if not self.root.is_dir():
            return 0
        removed = 0
        before = time.time() - _STALE_SECONDS
        with os.scandir(self.root) as entries:
            for entry in entries:
                if not entry.name.startswith(_INCOMING) or entry.is_dir(follow_symlinks=False):
                    continue
                try:
                    if entry.stat(follow_symlinks=False).st_mtime < before:
                        os.unlink(entry.path)
                        removed += 1
                except FileNotFoundError:
                    pass  # removed meanwhile by another store
        return removed

    def copy_to(self, sha256: str, destination: IO[bytes]) -> int:
        """Write the stored bytes to a stream, checking them against their digest."""
        path = self.blob_path(sha256)
        digest = hashlib.sha256()
        size = 0
        try:
            with open(path, "rb") as source:
                while chunk := source.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    destination.write(chunk)
        except FileNotFoundError:
            raise CrmError(
                f"the stored content {sha256[:12]}... is missing from {self.root}"
            ) from None
        if digest.hexdigest() != sha256:
            raise CrmError(f"the stored content {sha256[:12]}... is damaged (its sha256 differs)")
        return size

    def read_bytes(self, sha256: str) -> bytes:
        path = self.blob_path(sha256)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise CrmError(
                f"the stored content {sha256[:12]}... is missing from {self.root}"
            ) from None

    def prune(self, store: Store, hashes: Iterable[str]) -> int:
        """Delete the stored bytes of these digests that no file row refers to any more."""
        removed = 0
        for sha256 in set(hashes):
            if store.one("SELECT 1 FROM files WHERE sha256 = ? LIMIT 1", (sha256,)):
                continue
            try:
                self.blob_path(sha256).unlink()
                removed += 1
            except FileNotFoundError:
                pass
        return removed

    def prune_all(self, store: Store) -> int:
        """Delete every stored content no row refers to (left by deleted contacts)."""
        if not self.root.is_dir():
            return 0
        known = {row[0] for row in store.conn.execute("SELECT DISTINCT sha256 FROM files")}
        self.remove_stale_incoming()
        removed = 0
        for folder in self.root.iterdir():
            if not folder.is_dir() or folder.is_symlink() or len(folder.name) != 2:
                continue
            for blob in folder.iterdir():
                if folder.name + blob.name not in known and blob.is_file():
                    blob.unlink()
                    removed += 1
        return removed

    def discard(self, store: Store, hashes: Iterable[str]) -> None:
        """Remove contents a failed restore wrote, and the folders it made for them."""
        hashes = list(hashes)
        self.prune(store, hashes)
        for sha256 in hashes:
            try:
                self.blob_path(sha256).parent.rmdir()
            except OSError:
                continue
        if hashes:
            with contextlib.suppress(OSError):
                self.root.rmdir()


def _sync_folder(folder: Path) -> None:
    """Flush a folder's entries to disk, so that a rename in it survives a power cut.

    Windows cannot open a folder as a file and keeps its entries itself.
    """
    if sys.platform == "win32":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def add_file(
    store: Store,
    contact_id: int,
    path: str | Path | None = None,
    *,
    data: bytes | None = None,
    name: str | None = None,
    note_id: int | None = None,
    user: str | None = None,
    avatar: bool = False,
) -> dict[str, Any]:
    """Attach a file (from `path`, or `data` with a `name`) to a contact or to one of its notes."""
    store.check_writable()
    if store.one("SELECT 1 FROM contacts WHERE id = ?", (contact_id,)) is None:
        raise NotFound(f"no contact with id {contact_id}")
    if note_id is not None:
        owner = store.one("SELECT contact_id FROM notes WHERE id = ?", (note_id,))
        if owner is None:
            raise NotFound(f"no note with id {note_id}")
        if owner != contact_id:
            raise CrmError(f"note {note_id} belongs to contact {owner}, not to {contact_id}")
    shown_name = safe_name(name if name is not None else Path(path).name if path else "file")
    files = FileStore.for_store(store)
    # Contents kept in the database are written in the same transaction as their row.
    together = store.transaction() if files.in_database else contextlib.nullcontext()
    with together, open_input(path, data) as source:
        head = source.peek(16)[:16] if hasattr(source, "peek") else b""
        media_type = sniff_media_type(head, shown_name)
        if avatar and media_type not in IMAGE_TYPES:
            raise CrmError(f"{shown_name} is not a PNG, JPEG, GIF or WebP image")
        sha256, size, new = files.put(source)
        try:
            file_id, replaced = _insert_file(
                store, contact_id, note_id, (sha256, shown_name, size, media_type), avatar, user
            )
        except BaseException:
            if new and not files.in_database:
                files.prune(store, [sha256])
            raise
    files.prune(store, replaced)
    info = get_file_info(store, file_id)
    info["already_stored"] = not new
    return info


def _insert_file(
    store: Store,
    contact_id: int,
    note_id: int | None,
    content: tuple[str, str, int, str],
    avatar: bool,
    user: str | None,
) -> tuple[int, list[str]]:
    """Add the file's row (replacing the avatar); return its id and the contents replaced."""
    sha256, shown_name, size, media_type = content
    with store.transaction() as conn:
        replaced: list[str] = []
        if avatar:
            replaced = [
                row[0]
                for row in conn.execute(
                    "SELECT sha256 FROM files WHERE contact_id = ? AND is_avatar = 1",
                    (contact_id,),
                )
            ]
            conn.execute("DELETE FROM files WHERE contact_id = ? AND is_avatar = 1", (contact_id,))
        cursor = conn.execute(
            "INSERT INTO files (contact_id, note_id, sha256, name, size, media_type, is_avatar,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (contact_id, note_id, sha256, shown_name, size, media_type, int(avatar), utc_now()),
        )
        record_history(store, "avatar set" if avatar else "file add", contact_id, user, shown_name)
    return int(cursor.lastrowid or 0), replaced


def list_files(store: Store, contact_id: int) -> list[dict[str, Any]]:
    """A contact's files (and its avatar), oldest first."""
    if store.one("SELECT 1 FROM contacts WHERE id = ?", (contact_id,)) is None:
        raise NotFound(f"no contact with id {contact_id}")
    rows = store.conn.execute(
        _SELECT_FILE + " WHERE contact_id = ? ORDER BY created_at, id", (contact_id,)
    )
    return [_file_info(row) for row in rows]


def get_file_info(store: Store, file_id: int) -> dict[str, Any]:
    row = store.conn.execute(_SELECT_FILE + " WHERE id = ?", (file_id,)).fetchone()
    if row is None:
        raise NotFound(f"no file with id {file_id}")
    return _file_info(row)


def avatar_file(store: Store, contact_id: int) -> dict[str, Any] | None:
    row = store.conn.execute(
        _SELECT_FILE + " WHERE contact_id = ? AND is_avatar = 1 ORDER BY id DESC LIMIT 1",
        (contact_id,),
    ).fetchone()
    return None if row is None else _file_info(row)


def delete_file(store: Store, file_id: int, *, user: str | None = None) -> dict[str, Any]:
    """Remove a file; its bytes go too unless another file row has the same content."""
    info = get_file_info(store, file_id)
    with store.transaction() as conn:
        conn.execute("DELETE FROM files WHERE id = ?", (file_id,))
        record_history(store, "file delete", info["contact_id"], user, info["name"])
    FileStore.for_store(store).prune(store, [info["sha256"]])
    return info


def set_avatar(
    store: Store,
    contact_id: int,
    path: str | Path | None = None,
    *,
    data: bytes | None = None,
    name: str | None = None,
    user: str | None = None,
) -> dict[str, Any]:
    """Store an image as the contact's avatar, replacing the previous one."""
    return add_file(store, contact_id, path, data=data, name=name, user=user, avatar=True)


def clear_avatar(store: Store, contact_id: int, *, user: str | None = None) -> bool:
    """Remove the avatar image; the card falls back to the Gravatar of the first e-mail."""
    current = avatar_file(store, contact_id)
    if current is None:
        return False
    delete_file(store, current["id"], user=user)
    return True


def _file_info(row: tuple[Any, ...]) -> dict[str, Any]:
    file_id, contact_id, note_id, name, size, media_type, sha256, is_avatar, created_at = row
    return {
        "id": file_id,
        "contact_id": contact_id,
        "note_id": note_id,
        "name": name,
        "size": size,
        "media_type": media_type,
        "sha256": sha256,
        "avatar": bool(is_avatar),
        "created_at": created_at,
    }


def stored_blob(store: Store, file_id: int) -> tuple[str, str] | None:
    """(sha256, media type) of a stored file, or None if there is no such file."""
    row = store.conn.execute(
        "SELECT sha256, media_type FROM files WHERE id = ?", (file_id,)
    ).fetchone()
    return None if row is None else (row[0], row[1])

"""A consistent copy of a base in use: SQLite's online backup, then the stored files it names.

A PostgreSQL base is copied into a new SQLite file the same way a dump moves
it: one snapshot of every table and content, restored into the new file.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from crmkit.errors import CrmError
from crmkit.store.sqlite.connection import Store
from crmkit.store.sqlite.files import FileStore

__all__ = ["backup_store"]


def backup_store(store: Store, target: str | Path) -> dict[str, Any]:
    """Copy the database to `target` (a new file) and its stored files beside it.

    The copy is a snapshot taken while other processes may be writing: SQLite's
    backup API copies the pages of one consistent state. The files that snapshot
    refers to are then copied into `TARGET.files/` (their contents never change
    under a name, since names are their sha256). The database appears under its
    name only when complete. Return the path, the size and how many files.
    """
    target = Path(target)
    if target.exists():
        raise CrmError(f"{target} already exists; give the backup a new file name")
    if not target.parent.is_dir():
        raise CrmError(f"folder {target.parent} for the backup does not exist")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    if getattr(store, "dialect", "sqlite") == "postgresql":
        return _backup_through_dump(store, target, partial)
    try:
        copy = sqlite3.connect(partial)
        try:
            store.conn.backup(copy)
            digests = [row[0] for row in copy.execute("SELECT DISTINCT sha256 FROM files")]
        finally:
            copy.close()
        source, into = (
            FileStore.for_store(store),
            FileStore(target.with_name(target.stem + ".files")),
        )
        for sha256 in digests:
            into.copy_from(source, sha256)
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise CrmError(f"cannot write the backup {target}: {exc.strerror or exc}") from None
    return {"path": str(target), "size": target.stat().st_size, "files": len(digests)}


def _backup_through_dump(store: Store, target: Path, partial: Path) -> dict[str, Any]:
    """Copy a PostgreSQL base into the new SQLite file `target`, its files beside it.

    The dump is one repeatable-read snapshot of the base, written to a temporary
    file and restored into `partial`, which takes the name `target` when complete.
    """
    from crmkit.store.sqlite.dump import write_dump
    from crmkit.store.sqlite.restore import restore_dump

    contents = FileStore(partial.with_name(partial.stem + ".files"))
    try:
        with tempfile.TemporaryFile("w+", encoding="utf-8", dir=target.parent) as dumped:
            write_dump(store, dumped)
            dumped.seek(0)
            copy = Store(partial)
            try:
                restore_dump(copy, dumped, str(target))
                digests = [row[0] for row in copy.conn.execute("SELECT DISTINCT sha256 FROM files")]
            finally:
                copy.close()
        into = FileStore(target.with_name(target.stem + ".files"))
        for sha256 in digests:
            into.copy_from(contents, sha256)
        os.replace(partial, target)
    except OSError as exc:
        raise CrmError(f"cannot write the backup {target}: {exc.strerror or exc}") from None
    finally:
        partial.unlink(missing_ok=True)
        shutil.rmtree(contents.root, ignore_errors=True)
    return {"path": str(target), "size": target.stat().st_size, "files": len(digests)}

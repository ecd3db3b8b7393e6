"""Which running imports still have a process: a lock each one holds while it lives.

An import is one transaction, so a process killed half way (`kill -9`, a power
cut, an out-of-memory kill) leaves nothing of its rows: SQLite discards the
transaction the next time the file is opened. What it must leave is its
history row, committed with status 'running' before that transaction begins
(see `imports.ImportRun`). The next command that opens the base then has to
tell a row whose process is gone from a row whose import is still running in
another process, which must keep its status. The ways considered:

- The process id (with the host and the process's start time). A pid says
  nothing outside its own pid namespace: two containers that share the base
  and the host name see different processes under one number, so a live
  import could be taken for a dead one. Within one namespace pids are reused,
  and the start time of another process is not portable to read.
- SQLite's write lock. The import's transaction holds it from start to
  commit, so a command that can take it knows no import's transaction is
  open. But the history row is committed just before that transaction
  begins, and in between a live import holds nothing; and a command that only
  reads would have to wait behind a long import to take the lock.
- A lock of the operating system that the importing process takes before its
  row can be seen and keeps until its final status is committed. The kernel
  drops such a lock when the process ends, however it ends, so a free lock
  means the process is gone; one held means it lives. These are the advisory
  record locks SQLite itself relies on, so they work wherever SQLite's own
  locking does (local disks, and network file systems as far as SQLite does),
  across containers and pid namespaces alike.

So the last: one file beside the database (`crm.db` -> `crm.db-imports.lock`,
empty, never removed, like SQLite's own `-shm`), in which import N locks the
byte at offset N. The lock is taken inside the transaction that inserts the
row, before it commits, and released once the row says how the import ended,
so a 'running' row whose byte nobody holds is an import whose process died. A
missing lock file means no import ever held a lock here (a base written by an
older version, or a copy), so its running rows are all dead. A file system that
cannot lock at all is answered "still running": a row is never marked wrongly,
at worst not at all.

Record locks belong to a process, not to a file descriptor: a second
descriptor in the same process would see no conflict, and closing it would
drop the locks the process holds through the first. So a process opens the
lock file once, keeps it open while it holds a lock, and answers for its own
imports from `_LockFile.held` instead of testing them. A forked child (the
helper that reads an import's rows) does not inherit record locks, so it
can neither keep an import alive nor release it.

A PostgreSQL database has no file here: its imports hold advisory locks of the
server instead, which it drops when the connection ends (`store.postgres.locks`).
"""

from __future__ import annotations

import os
import sys
import threading
from contextlib import suppress
from pathlib import Path

from crmkit.errors import CrmError
from crmkit.store.sqlite.connection import Store

__all__ = ["database_file", "hold_import_lock", "import_alive", "release_import_lock"]

if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int, offset: int, *, shared: bool) -> bool:
        """Lock one byte without waiting; False if another process holds it.

        Windows has exclusive locks only; a test takes one for a moment all the same.
        """
        os.lseek(fd, offset, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except PermissionError:
            return False
        return True

    def _unlock(fd: int, offset: int) -> None:
        os.lseek(fd, offset, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import errno
    import fcntl

    def _try_lock(fd: int, offset: int, *, shared: bool) -> bool:
        """Lock one byte without waiting; False if another process holds it.

        Any other failure (a file system without locks) is raised.
        """
        try:
            fcntl.lockf(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB, 1, offset)
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EAGAIN):
                return False
            raise
        return True

    def _unlock(fd: int, offset: int) -> None:
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, offset)


class _LockFile:
    """This process's descriptor of one lock file and the imports it holds there."""

    def __init__(self) -> None:
        self.fd: int | None = None
        self.held: set[int] = set()


_files: dict[str, _LockFile] = {}
_guard = threading.Lock()


def database_file(store: Store) -> Path | None:
    """The database's file as SQLite knows it (absolute), or None for one in memory."""
    row = store.conn.execute("PRAGMA database_list").fetchone()
    return Path(row[2]) if row is not None and row[2] else None


def _lock_path(database: Path) -> str:
    return str(database.with_name(database.name + "-imports.lock"))


def hold_import_lock(store: Store, import_id: int) -> None:
    """Lock import `import_id` as running in this process, until `release_import_lock`.

    Raise `CrmError` if another process holds it (its history row was taken
    from under it, which nothing here does).
    """
    if _on_server(store):
        from crmkit.store.postgres import locks

        if not locks.hold_import_lock(store, import_id):
            raise CrmError(f"import {import_id} of {store.path} is held by another process")
        return
    database = database_file(store)
    if database is None:
        return
    path = _lock_path(database)
    with _guard:
        state = _files.setdefault(path, _LockFile())
        if state.fd is None:
            state.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            locked = _try_lock(state.fd, import_id, shared=False)
        except OSError:
            # No locks on this file system: the import runs unwatched, and is
            # never taken for dead (see `import_alive`).
            locked = True
        if not locked:
            raise CrmError(f"import {import_id} of {database} is held by another process")
        state.held.add(import_id)


def release_import_lock(store: Store, import_id: int) -> None:
    """Release what `hold_import_lock` took; nothing if it is not held here."""
    if _on_server(store):
        from crmkit.store.postgres import locks

        locks.release_import_lock(store, import_id)
        return
    database = database_file(store)
    if database is None:
        return
    with _guard:
        state = _files.get(_lock_path(database))
        if state is None or import_id not in state.held or state.fd is None:
            return
        state.held.discard(import_id)
        with suppress(OSError):  # not locked after all: a file system without locks
            _unlock(state.fd, import_id)
        if not state.held:
            # Safe only now: closing the file drops every lock this process has in it.
            os.close(state.fd)
            state.fd = None


def import_alive(store: Store, import_id: int) -> bool:
    """Whether the process running import `import_id` still lives (see the module's text)."""
    if _on_server(store):
        from crmkit.store.postgres import locks

        return locks.import_alive(store, import_id)
    database = database_file(store)
    if database is None:
        return True  # a base in memory dies with its process
    path = _lock_path(database)
    with _guard:
        state = _files.get(path)
        if state is not None and import_id in state.held:
            return True
        if state is not None and state.fd is not None:
            return _held_elsewhere(state.fd, import_id)
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return False
        except OSError:
            return True
        try:
            return _held_elsewhere(fd, import_id)
        finally:
            os.close(fd)


def _on_server(store: Store) -> bool:
    """Whether the store is a PostgreSQL database, whose server keeps the locks."""
    return getattr(store, "dialect", "sqlite") == "postgresql"


def _held_elsewhere(fd: int, import_id: int) -> bool:
    """Test another process's lock on one byte by taking it for a moment."""
    try:
        if not _try_lock(fd, import_id, shared=True):
            return True
    except OSError:
        return True
    _unlock(fd, import_id)
    return False

"""The import history: one row per import, with its counts and row problems.

`ImportRun` is shared by the contact and event importers: it numbers problems,
keeps the first few hundred in the report (the rest only in the database, so
memory stays flat on a file full of errors) and writes the history row.

The row's life (`ImportRun.start`, `stop`, `release`): it is committed with
status 'running' before the import's own transaction begins, so that it
outlives a process killed half way, whose transaction leaves nothing behind. The transaction sets
the final status and counts when it commits. An import stopped by an exception
records how: a `CrmError` (a file or mapping that cannot be used, a busy base)
takes the row away again, since such a failure leaves the base unchanged;
anything else (Ctrl-C, a full disk) marks it 'interrupted'. A process that
died without a word is noticed by the next one that opens the base
(`mark_interrupted`), which tells it from an import still running elsewhere by
the lock every running import holds (`import_locks`, where the reasons are).
An interrupted import keeps its id and the counts it committed: none, as its
rows went with its transaction.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from crmkit.errors import CrmError, NotFound
from crmkit.model import ImportReport, RowProblem
from crmkit.store import Store
from crmkit.store.sqlite.import_locks import hold_import_lock, import_alive, release_import_lock
from crmkit.values.datetimes import utc_now

__all__ = [
    "ImportRun",
    "list_imports",
    "get_import",
    "mark_interrupted",
    "REPORT_PROBLEM_LIMIT",
    "INTERRUPTED",
]

# The status of an import whose process stopped before it could say how it ended.
INTERRUPTED = "interrupted"

REPORT_PROBLEM_LIMIT = 500
_PROBLEM_BATCH = 1000


class ImportRun:
    """Counts and problems of one running import."""

    def __init__(
        self, store: Store, report: ImportReport, mapping: dict[str, Any] | None, user: str | None
    ) -> None:
        self.store = store
        self.report = report
        self.mapping = mapping
        self.user = user
        self._pending: list[tuple[Any, ...]] = []
        # Problems kept on the report, per level (the history keeps every one).
        self._shown = {"error": 0, "warning": 0}
        # Whether the history row was committed before the import's transaction.
        self._recorded = False
        report.started_at = utc_now()

    def start(self, dry_run: bool) -> None:
        """Commit the history row as 'running', holding its lock (see `import_locks`).

        Called before the import's transaction. A dry run commits nothing: its
        row is written inside that transaction by `begin`, and goes with it.
        Every `start` is followed by `release`, after `stop` if the import failed.
        """
        if dry_run:
            return
        try:
            with self.store.transaction():
                self._insert(dry_run=False)
                hold_import_lock(self.store, self._import_id)
        except BaseException:
            if self.report.import_id is not None:
                release_import_lock(self.store, self.report.import_id)
                self.report.import_id = None
            raise
        self._recorded = True

    def stop(self, failure: BaseException) -> None:
        """Record that the import failed: its transaction wrote nothing.

        A `CrmError` takes the history row away, since such a failure leaves the
        base as it was; anything else (Ctrl-C, a full disk) leaves it 'interrupted'.
        """
        if not self._recorded:
            return
        import_id = self._import_id
        if isinstance(failure, CrmError):
            # Released first: once the row is gone, a new import may take its id.
            self.release()
            self._settle("DELETE FROM imports WHERE id = ?", (import_id,))
            self.report.import_id = None
        else:
            self._settle(
                "UPDATE imports SET status = ? WHERE id = ? AND status = 'running'",
                (INTERRUPTED, import_id),
            )
            self.report.status = INTERRUPTED

    def release(self) -> None:
        """Let the history row go: its status now says how the import ended."""
        if self._recorded and self.report.import_id is not None:
            release_import_lock(self.store, self.report.import_id)

    @property
    def _import_id(self) -> int:
        assert self.report.import_id is not None, "the history row is not written yet"
        return self.report.import_id

    def _settle(self, sql: str, params: tuple[Any, ...]) -> None:
        """Write how a failed import ended. If that fails too, the first failure is
        the one to tell, and a later open finds the row dead and marks it."""
        try:
            with self.store.transaction():
                self.store.conn.execute(sql, params)
        except (CrmError, sqlite3.Error):
            pass

    def begin(self) -> None:
        """Write the history row inside the import's transaction, unless `start` did."""
        if not self._recorded:
            self._insert(dry_run=self.report.dry_run)

    def _insert(self, dry_run: bool) -> None:
        report = self.report
        new_id = self._new_id(dry_run)
        cursor = self.store.conn.execute(
            "INSERT INTO imports (id, target, file_name, mapping, user, started_at, status)"
            " VALUES (?, ?, ?, ?, ?, ?, 'running')",
            (
                new_id,
                report.target,
                report.file,
                json.dumps(self.mapping, ensure_ascii=False) if self.mapping else None,
                self.user,
                report.started_at,
            ),
        )
        report.import_id = cursor.lastrowid if new_id is None else new_id

    def _new_id(self, dry_run: bool) -> int | None:
        """Return the id of a new history row on PostgreSQL (None: SQLite numbers it).

        As in SQLite, the next import takes the number after the highest one: a dry
        run, which rolls back, or a failed import, whose row is deleted, leaves no
        gap. A dry run's row never commits, so it takes a number no import can have
        (its connection's, negated) instead of waiting for other imports to start.
        """
        if getattr(self.store, "dialect", "sqlite") != "postgresql":
            return None
        if dry_run:
            return -int(self.store.one("SELECT pg_backend_pid()"))
        from crmkit.store.postgres.locks import lock_import_ids

        lock_import_ids(self.store)
        return int(self.store.one("SELECT coalesce(max(id), 0) + 1 FROM imports"))

    def problems(
        self, row: int | None, problems: list[tuple[str, str | None, str | None, str]]
    ) -> bool:
        """Record a row's problems; true if any of them rejects the row."""
        rejected = False
        report = self.report
        for level, column, value, reason in problems:
            problem = RowProblem(level=level, row=row, column=column, value=value, reason=reason)  # type: ignore[arg-type]
            if level == "error":
                rejected = True
            else:
                report.warnings += 1
            if self._shown[level] < REPORT_PROBLEM_LIMIT:
                self._shown[level] += 1
                report.problems.append(problem)
            self._pending.append((level, row, column, value, reason))
        if rejected:
            report.rejected += 1
        if len(self._pending) >= _PROBLEM_BATCH:
            self._write_problems()
        return rejected

    def _write_problems(self) -> None:
        if self.report.import_id is not None and self._pending:
            self.store.conn.executemany(
                "INSERT INTO import_problems (import_id, level, row, column_name, value, reason)"
                f" VALUES ({self.report.import_id}, ?, ?, ?, ?, ?)",
                self._pending,
            )
        self._pending.clear()

    def finish(self, status: str, sha256: str | None) -> None:
        report = self.report
        report.status = status
        report.finished_at = utc_now()
        self._write_problems()
        if report.import_id is None:
            return
        self.store.conn.execute(
            "UPDATE imports SET sha256 = ?, finished_at = ?, status = ?, rows_read = ?,"
            " created = ?,"
            " updated = ?, skipped = ?, rejected = ?, warnings = ? WHERE id = ?",
            (
                sha256,
                report.finished_at,
                status,
                report.rows_read,
                report.created,
                report.updated,
                report.skipped,
                report.rejected,
                report.warnings,
                report.import_id,
            ),
        )

    def record_rolled_back(self, status: str, sha256: str | None) -> None:
        """History of an import whose transaction was discarded: counts and kept problems."""
        report = self.report
        try:
            with self.store.transaction():
                self.begin()
                self._pending = [
                    (p.level, p.row, p.column, p.value, p.reason) for p in report.problems
                ]
                self.finish(status, sha256)
        except BaseException as exc:
            self.stop(exc)
            raise


def mark_interrupted(store: Store) -> list[int]:
    """Mark 'interrupted' the running imports whose process is gone; return their ids.

    Run whenever a base is opened. The write is tried without waiting: while
    another write holds the base, the rows stay as they are until a later
    open, and the history shows them interrupted meanwhile. A base that cannot
    be written is left as it is the same way.
    """
    dead = [
        import_id
        for (import_id,) in store.conn.execute("SELECT id FROM imports WHERE status = 'running'")
        if not import_alive(store, import_id)
    ]
    if not dead:
        return []
    on_server = getattr(store, "dialect", "sqlite") == "postgresql"
    waited = None if on_server else store.one("PRAGMA busy_timeout")
    if waited is not None:
        store.conn.execute("PRAGMA busy_timeout = 0")
    try:
        with store.transaction() as conn:
            if on_server:
                # Nor waiting there: a row another transaction holds stays as it is.
                conn.execute("SET LOCAL lock_timeout = '1ms'")
            # A row that finished since it was read keeps the status it was given.
            conn.executemany(
                "UPDATE imports SET status = ? WHERE id = ? AND status = 'running'",
                [(INTERRUPTED, import_id) for import_id in dead],
            )
    except (CrmError, sqlite3.Error):
        pass
    finally:
        if waited is not None:
            store.conn.execute(f"PRAGMA busy_timeout = {int(waited)}")
    return dead


def list_imports(store: Store, limit: int | None = None) -> list[ImportReport]:
    """Return the import history, newest first (without the row problems)."""
    sql = f"SELECT {_HISTORY_COLUMNS} FROM imports ORDER BY id DESC"
    params: tuple[Any, ...] = ()
    if limit is not None:
        sql += " LIMIT ?"
        params = (limit,)
    return [_history_report(store, row) for row in store.rows(sql, params)]


def get_import(store: Store, import_id: int) -> ImportReport:
    """Return one import from the history with its row problems in file order."""
    rows = store.rows(f"SELECT {_HISTORY_COLUMNS} FROM imports WHERE id = ?", (import_id,))
    if not rows:
        raise NotFound(f"no import with id {import_id}; `crm imports` lists them")
    report = _history_report(store, rows[0])
    for row, column, value, reason, level in store.conn.execute(
        "SELECT row, column_name, value, reason, level FROM import_problems"
        " WHERE import_id = ? ORDER BY row, rowid",
        (import_id,),
    ):
        problem = RowProblem(reason=reason, level=level, row=row, column=column, value=value)
        report.problems.append(problem)
    return report


_HISTORY_COLUMNS = (
    "id, target, file_name, sha256, mapping, user, started_at, finished_at, status,"
    " rows_read, created, updated, skipped, rejected, warnings"
)


def _history_report(store: Store, row: Any) -> ImportReport:
    values = dict(row)
    mapping = values.pop("mapping")
    if values["status"] == "running" and not import_alive(store, values["id"]):
        # Dead, but not yet marked so: the base was busy or read-only when opened.
        values["status"] = INTERRUPTED
    return ImportReport(
        import_id=values.pop("id"),
        file=values.pop("file_name"),
        mapping=json.loads(mapping) if mapping else None,
        **values,
    )

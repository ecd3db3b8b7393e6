"""The import history: one row per import, with its counts and row problems.

`ImportRun` is shared by the contact and event importers: it numbers problems,
keeps the first few hundred in the report (the rest only in the database, so
memory stays flat on a file full of errors) and writes the history row.
"""

from __future__ import annotations

import json
from typing import Any

from crmkit.errors import NotFound
from crmkit.model import ImportReport, RowProblem
from crmkit.store import Store
from crmkit.values.datetimes import utc_now

__all__ = ["ImportRun", "list_imports", "get_import", "REPORT_PROBLEM_LIMIT"]

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
        report.started_at = utc_now()

    def begin(self) -> None:
        """Write the history row (inside the import's transaction)."""
        report = self.report
        cursor = self.store.conn.execute(
            "INSERT INTO imports (target, file_name, mapping, user, started_at, status)"
            " VALUES (?, ?, ?, ?, ?, 'running')",
            (
                report.target,
                report.file,
                json.dumps(self.mapping, ensure_ascii=False) if self.mapping else None,
                self.user,
                report.started_at,
            ),
        )
        report.import_id = cursor.lastrowid

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
        with self.store.transaction():
            self.begin()
            self._pending = [(p.level, p.row, p.column, p.value, p.reason) for p in report.problems]
            self.finish(status, sha256)


def list_imports(store: Store, limit: int | None = None) -> list[ImportReport]:
    """Return the import history, newest first (without the row problems)."""
    sql = f"SELECT {_HISTORY_COLUMNS} FROM imports ORDER BY id DESC"
    params: tuple[Any, ...] = ()
    if limit is not None:
        sql += " LIMIT ?"
        params = (limit,)
    return [_history_report(row) for row in store.rows(sql, params)]


def get_import(store: Store, import_id: int) -> ImportReport:
    """Return one import from the history with its row problems in file order."""
    rows = store.rows(f"SELECT {_HISTORY_COLUMNS} FROM imports WHERE id = ?", (import_id,))
    if not rows:
        raise NotFound(f"no import with id {import_id}; `crm imports` lists them")
    report = _history_report(rows[0])
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


def _history_report(row: Any) -> ImportReport:
    values = dict(row)
    mapping = values.pop("mapping")
    return ImportReport(
        import_id=values.pop("id"),
        file=values.pop("file_name"),
        mapping=json.loads(mapping) if mapping else None,
        **values,
    )

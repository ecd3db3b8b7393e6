"""An import whose process stopped half way reads 'interrupted'; one still running does not.

The history row of an import is committed as 'running' before its transaction.
Whoever opens the base next marks it 'interrupted' if the process that ran it
is gone, and only then: a running import holds a lock that the kernel drops
when its process ends (`store.sqlite.import_locks`).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from crm_calls import import_history
from processes import python_command, spawn
from stored_rows import stored_rows
from typer.testing import Result

import crmkit
from crmkit import CRM
from crmkit.model import ImportReport
from crmkit.store.sqlite.imports import ImportRun

# A process that starts an import's history row and then waits, as a long import would.
HOLDER = """
import sys
import crmkit
from crmkit.model import ImportReport
from crmkit.store.sqlite.imports import ImportRun

crm = crmkit.open(sys.argv[1])
run = ImportRun(crm.store, ImportReport(file="held.csv"), None, None)
run.start(dry_run=False)
print(run.report.import_id, flush=True)
sys.stdin.read()
"""


def stored_status(db: Path, import_id: int) -> str:
    """The status as the table holds it, read without crmkit (which would mark it)."""
    [(status,)] = stored_rows(db, "SELECT status FROM imports WHERE id = ?", (import_id,))
    return str(status)


@contextmanager
def busy(db: Path) -> Iterator[None]:
    """Another client's transaction that holds the import history from being written."""
    if isinstance(db, Path):
        writer = sqlite3.connect(db, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            writer.execute("ROLLBACK")
            writer.close()
        return
    import psycopg

    with psycopg.connect(str(db)) as server:
        server.execute("LOCK TABLE imports IN EXCLUSIVE MODE")
        yield
        server.rollback()


def started_run(crm: CRM) -> ImportRun:
    """An import's history row committed as running by this process."""
    run = ImportRun(crm.store, ImportReport(file="here.csv"), None, None)
    run.start(dry_run=False)
    return run


def test_an_import_running_in_another_process_is_left_running_until_it_dies(
    cli: Callable[..., Result], db_path: Path
) -> None:
    crmkit.open(db_path).close()
    holder = spawn(
        python_command(HOLDER, str(db_path)), stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout is not None
        import_id = int(holder.stdout.readline())
        listed = json.loads(cli("imports", "--format", "json").stdout)
        assert [(entry["id"], entry["status"]) for entry in listed] == [(import_id, "running")]
        assert stored_status(db_path, import_id) == "running"
    finally:
        holder.kill()
        holder.communicate()
    shown = json.loads(cli("imports", "show", str(import_id), "--format", "json").stdout)
    assert (shown["id"], shown["status"], shown["created"]) == (import_id, "interrupted", 0)
    assert stored_status(db_path, import_id) == "interrupted"
    table = cli("imports").stdout
    assert "interrupted" in table and "held.csv" in table


def test_an_import_running_in_this_process_is_left_running(crm: CRM, db_path: Path) -> None:
    run = started_run(crm)
    import_id = run.report.import_id
    assert import_id is not None
    with crmkit.open(db_path) as other:
        assert other.imports[import_id].status == "running"
    run.stop(KeyboardInterrupt())
    run.release()
    with crmkit.open(db_path) as other:
        assert other.imports[import_id].status == "interrupted"


def test_a_running_row_without_a_lock_is_marked_when_the_base_is_opened(
    crm: CRM, db_path: Path, tmp_path: Path
) -> None:
    # A backup taken while an import runs holds its row, but nobody runs it there.
    run = started_run(crm)
    copy = tmp_path / "copy.db"
    crm.backup(copy)
    with crmkit.open(copy) as restored:
        assert restored.store.interrupted_imports == [run.report.import_id]
        assert [report.status for report in restored.imports] == ["interrupted"]
    assert crm.imports.list()[0].status == "running"
    run.release()


def test_a_busy_base_shows_a_dead_import_interrupted_and_marks_it_later(
    crm: CRM, db_path: Path
) -> None:
    run = started_run(crm)
    import_id = run.report.import_id
    assert import_id is not None
    run.release()  # as the kernel (or the server) does when the process dies
    with busy(db_path):
        with crmkit.open(db_path, busy_timeout=60) as other:
            assert other.imports[import_id].status == "interrupted"
        assert stored_status(db_path, import_id) == "running"
    with crmkit.open(db_path) as other:
        assert other.store.interrupted_imports == [import_id]
    assert stored_status(db_path, import_id) == "interrupted"


def test_an_import_stopped_by_ctrl_c_is_interrupted_and_wrote_nothing(
    ref_crm: CRM, tmp_path: Path
) -> None:
    path = tmp_path / "many.csv"
    path.write_text(
        "first_name,last_name\n" + "".join(f"Anna,Nowak{n}\n" for n in range(5000)), "utf-8"
    )

    def stop(done: int, rows: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ref_crm.imports.run(path, progress=stop)
    assert len(ref_crm.contacts) == 0
    history = import_history(ref_crm)
    assert [(e["id"], e["status"], e["rows_read"], e["created"]) for e in history] == [
        (1, "interrupted", 0, 0)
    ]
    again = ref_crm.imports.run(path)
    assert (again.import_id, again.status, again.created) == (2, "finished", 5000)
    assert [e["status"] for e in import_history(ref_crm)] == ["finished", "interrupted"]


def test_an_import_that_fails_with_a_sentence_leaves_no_history(
    ref_crm: CRM, tmp_path: Path
) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(b"first_name\n" + b"Anna\n" * 3000 + b"\xff\xfe\n")
    with pytest.raises(crmkit.CrmError):
        ref_crm.imports.run(path, encoding="utf-8")
    assert import_history(ref_crm) == [] and len(ref_crm.contacts) == 0
    assert stored_rows(ref_crm.path, "SELECT count(*) FROM imports") == [(0,)]

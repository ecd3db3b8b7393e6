"""One import's transaction: begun, finished or rolled back, and its history row kept.

Every kind of import (contacts, events, records) runs its rows through
`run_import`, which opens the transaction, records how it ended, and rolls it
back for a dry run or an `--all-or-nothing` import with rejected rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from crmkit.importers.draft_feed import collection_paused

if TYPE_CHECKING:
    from crmkit.store import Store
    from crmkit.store.sqlite.imports import ImportRun

__all__ = ["run_import"]


class _Rollback(Exception):
    """Raised inside the transaction to discard it (dry run, all-or-nothing)."""


def run_import(
    store: Store,
    run: ImportRun,
    write: Callable[[], None],
    *,
    dry_run: bool,
    all_or_nothing: bool,
    sha256: Callable[[], str | None],
    emptied: Sequence[str] = ("created", "skipped"),
) -> None:
    """Run `write` (which reads the rows and stores them) in the import's transaction.

    `sha256` gives the file's digest once the rows are read; `emptied` names the
    report's counts that drop to 0 when an all-or-nothing import writes nothing.
    """
    report = run.report
    run.start(dry_run)
    try:
        with collection_paused(), store.bulk_load(), store.transaction():
            run.begin()
            write()
            if all_or_nothing and report.rejected:
                raise _Rollback
            status = "finished" if not report.rejected else "finished with rejected rows"
            run.finish(status, sha256())
            if dry_run:
                raise _Rollback
    except _Rollback:
        if dry_run:
            report.import_id = None
        if all_or_nothing and report.rejected:
            for count in emptied:
                setattr(report, count, 0)
            status = "nothing written: rows were rejected"
            if dry_run:
                report.status = status
            else:
                run.record_rolled_back(status, sha256())
    except BaseException as exc:
        run.stop(exc)
        raise
    finally:
        run.release()

"""Import events (call logs, e-mail logs, ...) with a `target: events` mapping.

Each row finds its contact by `contact.id`, `contact.external_id`, `contact.phone`
(normalized first, so every spelling of a number is the same caller) or
`contact.email`, tried in that order. A row whose contact is not found, or whose key
names several contacts, is rejected with that reason. `external_id` is unique per
source (the mapping's `source:` setting): rows already imported are skipped and
counted, so importing the same log twice adds nothing the second time.

The import is one transaction, like a contact import: a dry run and an
`--all-or-nothing` import with rejected rows roll it back, and its history row
is committed before it, to read 'interrupted' if the process dies half way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from crmkit.errors import CrmError
from crmkit.importers.event_rows import (
    CONTACT_KEYS,
    EVENT_TARGETS,
    RowReader,
    flatten_event_record,
)
from crmkit.importers.readers import SourceFile
from crmkit.importers.running import run_import
from crmkit.mapping import Mapping
from crmkit.model import ImportReport
from crmkit.store import Store
from crmkit.store.sqlite.event_import import insert_events
from crmkit.store.sqlite.imports import ImportRun

__all__ = ["import_events", "resolve_event_columns", "EVENT_TARGETS", "CONTACT_KEYS"]

Progress = Callable[[int, int], None]

_BATCH = 50_000  # rows per insert; sorted within, see _insert
_PROGRESS_EVERY = 2000


def resolve_event_columns(
    mapping: Mapping, header: Sequence[str]
) -> tuple[dict[str, str], list[str]]:
    """{target: file column} for an events file, and the file columns left out.

    Without mapped columns, headers that are event targets map to themselves. An
    unknown target, a mapped column the file lacks, a target given twice, or a file
    that gives no time or no way to find the contact is refused here, before anything
    is written.
    """
    origin = mapping.origin
    targets: dict[str, str] = {}
    ignored: list[str] = []
    if mapping.columns is None:
        for column in header:
            if column in EVENT_TARGETS:
                targets[column] = column
            else:
                ignored.append(column)
    else:
        missing = [column for column in mapping.columns if column not in header]
        if missing:
            raise CrmError(
                f"{origin}: column {missing[0]!r} is not in the file"
                f" (the file has: {', '.join(header)})"
            )
        for column, target in mapping.columns.items():
            if target is None:
                continue
            if target not in EVENT_TARGETS:
                raise CrmError(
                    f"{origin}, column {column!r}: unknown target {target!r} for events;"
                    f" valid targets are: {', '.join(EVENT_TARGETS)}"
                )
            if target in targets:
                raise CrmError(
                    f"{origin}: target {target!r} is given twice"
                    f" (columns {targets[target]!r} and {column!r})"
                )
            targets[target] = column
        ignored = [column for column in header if column not in mapping.columns]
    if "occurred_at" not in targets:
        raise CrmError(f"{origin}: no column is mapped to occurred_at (when the event happened)")
    if not any(key in targets for key in CONTACT_KEYS):
        raise CrmError(
            f"{origin}: no column says whose event it is; map one to {', '.join(CONTACT_KEYS)}"
        )
    return targets, ignored


def import_events(
    store: Store,
    source: SourceFile,
    mapping: Mapping,
    *,
    dry_run: bool = False,
    all_or_nothing: bool = False,
    user: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Read every row, log an event for each, and report what happened."""
    report = ImportReport(file=source.name, target="events", dry_run=dry_run)
    structured = source.format in ("json", "jsonl")
    header = source.header
    if structured and mapping.columns is None:
        # Any record may hold any target, so all of them are looked for in every record;
        # the first record tells which of its keys are left out.
        first = list(flatten_event_record(_first_record(source)))
        header = [*EVENT_TARGETS, *(key for key in first if key not in EVENT_TARGETS)]
    targets, ignored = resolve_event_columns(mapping, header)
    report.ignored_columns = ignored
    kept = {**mapping.as_dict(), "source": mapping.source} if mapping.columns is not None else None
    run = ImportRun(store, report, kept, user)

    def write() -> None:
        rows = RowReader(store, mapping, targets, header, structured, report.started_at or "")
        _import_rows(store, source, rows, run, progress)

    run_import(
        store,
        run,
        write,
        dry_run=dry_run,
        all_or_nothing=all_or_nothing,
        sha256=lambda: source.sha256,
    )
    return report


def _import_rows(
    store: Store, source: SourceFile, rows: RowReader, run: ImportRun, progress: Progress | None
) -> None:
    """Read, check and insert in batches; counts are kept in locals and set on the report
    at the end."""
    report = run.report
    batch: list[tuple[Any, ...]] = []
    created = skipped = rows_read = 0
    read = rows.read
    for line, cells in source.rows:
        rows_read += 1
        if progress is not None and rows_read % _PROGRESS_EVERY == 0:
            progress(source.bytes_read, rows_read)
        values, problems = read(cells)
        if problems and run.problems(line, problems):
            continue
        if values is not None:
            batch.append(values)
            if len(batch) >= _BATCH:
                written = insert_events(store, batch, report.import_id)
                created += written
                skipped += len(batch) - written
                batch.clear()
    if batch:
        written = insert_events(store, batch, report.import_id)
        created += written
        skipped += len(batch) - written
    report.rows_read, report.created, report.skipped = rows_read, created, skipped
    if progress is not None:
        progress(source.bytes_read, rows_read)


def _first_record(source: SourceFile) -> dict[str, Any]:
    """Peek at the first record without losing it from the row stream."""
    first = next(source.rows, None)
    if first is None:
        return {}
    rest = source.rows

    def chained() -> Any:
        yield first
        yield from rest

    source.rows = chained()
    record = first[1][0]
    return record if isinstance(record, dict) else {}

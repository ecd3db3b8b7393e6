"""Import records of a group of special fields with a `target: records` mapping.

    target: records
    group: orders
    columns:
      Klient: contact.external_id
      Produkt: product
      Kwota: amount
      Data: ordered_at

Each row is one record of the group named by `group:`. It finds its contact as an
event row does (`contact.id`, `contact.external_id`, `contact.phone`,
`contact.email`, tried in that order); a row whose contact is not found, or whose
key names several contacts, is rejected with that reason. The other columns map to
the group's fields by name, and their values are read like custom fields of the
field's type. A record its contact holds already with the same values is skipped,
so importing the same file twice adds nothing the second time.

The import is one transaction, like the others: a dry run and an `--all-or-nothing`
import with rejected rows roll it back. Undoing the import removes its records.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from crmkit.errors import CrmError, InvalidValue
from crmkit.groups import convert_record_value, group_fields
from crmkit.importers.event_rows import CONTACT_KEYS, ContactFinder, Problem
from crmkit.importers.readers import SourceFile, cell_count_problem
from crmkit.importers.running import run_import
from crmkit.mapping import Mapping
from crmkit.model import CustomField, ImportReport
from crmkit.store import Store
from crmkit.store.sqlite.groups import group_row
from crmkit.store.sqlite.history import Origin
from crmkit.store.sqlite.imports import ImportRun
from crmkit.store.sqlite.record_import import RecordInserts

__all__ = ["import_records", "resolve_record_columns"]

Progress = Callable[[int, int], None]
_PROGRESS_EVERY = 2000


def resolve_record_columns(
    mapping: Mapping, header: Sequence[str], fields: dict[str, CustomField]
) -> tuple[dict[str, str], list[str]]:
    """{target: file column} for a file of records, and the file columns left out.

    Targets are the group's field names and the contact keys. Without mapped
    columns, headers that are targets map to themselves. An unknown target, a
    mapped column the file lacks, a target given twice, or a file that gives no
    way to find the contact is refused here, before anything is written.
    """
    origin = mapping.origin
    valid = [*fields, *CONTACT_KEYS]
    targets: dict[str, str] = {}
    if mapping.columns is None:
        targets = {column: column for column in header if column in valid}
        ignored = [column for column in header if column not in valid]
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
            if target not in valid:
                raise CrmError(
                    f"{origin}, column {column!r}: group {mapping.group!r} has no field"
                    f" {target!r}; valid targets are: {', '.join(valid)}"
                )
            if target in targets:
                raise CrmError(
                    f"{origin}: target {target!r} is given twice"
                    f" (columns {targets[target]!r} and {column!r})"
                )
            targets[target] = column
        ignored = [column for column in header if column not in mapping.columns]
    if not any(key in targets for key in CONTACT_KEYS):
        raise CrmError(
            f"{origin}: no column says whose record it is; map one to {', '.join(CONTACT_KEYS)}"
        )
    if not any(target in fields for target in targets):
        raise CrmError(
            f"{origin}: no column is mapped to a field of group {mapping.group!r}"
            f" ({', '.join(fields)})"
        )
    return targets, ignored


def import_records(
    store: Store,
    source: SourceFile,
    mapping: Mapping,
    *,
    dry_run: bool = False,
    all_or_nothing: bool = False,
    user: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Read every row, add a record of the mapping's group for each, and report."""
    assert mapping.group is not None, "parse_mapping gives target records a group"
    report = ImportReport(file=source.name, target="records", dry_run=dry_run)
    try:
        group = group_row(store, mapping.group)
    except CrmError as exc:
        raise CrmError(f"{mapping.origin}: group: {exc}") from None
    fields = group_fields(group)
    header = list(source.header)
    if source.records and mapping.columns is None:
        header = [*CONTACT_KEYS, *fields]
    targets, ignored = resolve_record_columns(mapping, header, fields)
    report.ignored_columns = ignored
    run = ImportRun(store, report, mapping.as_dict() if mapping.columns is not None else None, user)

    def write() -> None:
        origin = Origin(user, "import", report.import_id)
        inserts = RecordInserts(store, origin, report.started_at or "")
        rows = _RecordRows(store, mapping, targets, header, fields, source.records)
        _import_rows(source, rows, group, inserts, run, progress)

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
    source: SourceFile,
    rows: _RecordRows,
    group: dict[str, Any],
    inserts: RecordInserts,
    run: ImportRun,
    progress: Progress | None,
) -> None:
    report = run.report
    rows_read = 0
    for line, cells in source.rows:
        rows_read += 1
        if progress is not None and rows_read % _PROGRESS_EVERY == 0:
            progress(source.bytes_read, rows_read)
        contact_id, values, problems = rows.read(cells)
        if problems and run.problems(line, problems):
            continue
        if contact_id is not None:
            inserts.add(group, contact_id, values)
    inserts.flush()
    report.rows_read, report.created, report.skipped = rows_read, inserts.added, inserts.skipped
    if progress is not None:
        progress(source.bytes_read, rows_read)


class _RecordRows:
    """One row's contact and canonical values, or the row's problems."""

    def __init__(
        self,
        store: Store,
        mapping: Mapping,
        targets: dict[str, str],
        header: Sequence[str],
        fields: dict[str, CustomField],
        structured: bool,
    ) -> None:
        position = {column: index for index, column in enumerate(header)}
        self.header = list(header)
        self.width = len(header)
        self.structured = structured
        self.settings = mapping.settings
        self.contact = ContactFinder(store, mapping, targets, position)
        self.fields = [
            (fields[target], position[column], column)
            for target, column in targets.items()
            if target in fields
        ]

    def read(self, cells: list[Any]) -> tuple[int | None, dict[str, Any], list[Problem]]:
        if self.structured:
            record = cells[0]
            if not isinstance(record, dict):
                return None, {}, [("error", None, None, str(record))]
            cells = [record.get(column) for column in self.header]
        elif len(cells) != self.width and (
            len(cells) < self.width or any(c.strip() for c in cells[self.width :])
        ):
            return None, {}, [("error", None, None, cell_count_problem(cells, self.width))]
        problems: list[Problem] = []
        values: dict[str, Any] = {}
        for definition, index, column in self.fields:
            raw = cells[index]
            try:
                value = convert_record_value(definition, raw, self.settings)
            except InvalidValue as exc:
                shown = raw if isinstance(raw, str) else None if raw is None else str(raw)
                problems.append(("error", column, shown, str(exc)))
                continue
            if value is not None:
                values[definition.key] = value
        contact_id = self.contact.find(cells, problems)
        if not values and not problems:
            problems.append(("error", None, None, "the row holds no value for the group's fields"))
        if any(problem[0] == "error" for problem in problems):
            return None, {}, problems
        return contact_id, values, problems

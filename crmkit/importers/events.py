"""Import events (call logs, e-mail logs, ...) with a `target: events` mapping.

Each row finds its contact by `contact.id`, `contact.external_id`, `contact.phone`
(normalized first, so every spelling of a number is the same caller) or
`contact.email`, tried in that order. A row whose contact is not found, or whose key
names several contacts, is rejected with that reason. `external_id` is unique per
source (the mapping's `source:` setting): rows already imported are skipped and
counted, so importing the same log twice adds nothing the second time.

The import is one transaction, like a contact import: a dry run and an
`--all-or-nothing` import with rejected rows roll it back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from crmkit.errors import CrmError, InvalidValue
from crmkit.events import (
    EVENT_KINDS,
    INSERT_EVENT,
    parse_direction,
    parse_event_duration,
    parse_kind,
)
from crmkit.importers.history import ImportRun
from crmkit.importers.readers import SourceFile
from crmkit.mapping import Mapping
from crmkit.model import ImportReport
from crmkit.reference import user_ids
from crmkit.store import Store
from crmkit.values.datetimes import parse_datetime
from crmkit.values.names import name_key
from crmkit.values.phones import normalize_phone

__all__ = ["import_events", "resolve_event_columns", "EVENT_TARGETS", "CONTACT_KEYS"]

Progress = Callable[[int, int], None]
Problem = tuple[str, str | None, str | None, str]

CONTACT_KEYS: tuple[str, ...] = (
    "contact.id",
    "contact.external_id",
    "contact.phone",
    "contact.email",
)
EVENT_TARGETS: tuple[str, ...] = (
    "occurred_at",
    "kind",
    "direction",
    "duration",
    "subject",
    "body",
    "channel",
    "agent",
    "external_id",
    *CONTACT_KEYS,
)
_BATCH = 5000
_PROGRESS_EVERY = 2000
_CACHE_LIMIT = 200_000
_LOOKUPS = {
    "contact.id": "SELECT id FROM contacts WHERE id = ?",
    "contact.external_id": "SELECT id FROM contacts WHERE external_id = ?",
    "contact.phone": "SELECT DISTINCT contact_id FROM phones WHERE number = ? ORDER BY contact_id",
    "contact.email": (
        "SELECT DISTINCT contact_id FROM emails WHERE address = ? COLLATE NOCASE"
        " ORDER BY contact_id"
    ),
}
_KEY_WORDS = {
    "contact.id": "contact id",
    "contact.external_id": "external_id",
    "contact.phone": "phone number",
    "contact.email": "e-mail address",
}


class _Rollback(Exception):
    """Raised inside the transaction to discard it (dry run, all-or-nothing)."""


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
        first = list(_flatten(_first_record(source)))
        header = [*EVENT_TARGETS, *(key for key in first if key not in EVENT_TARGETS)]
    targets, ignored = resolve_event_columns(mapping, header)
    report.ignored_columns = ignored
    kept = {**mapping.as_dict(), "source": mapping.source} if mapping.columns is not None else None
    run = ImportRun(store, report, kept, user)
    rows = _RowReader(store, mapping, targets, header, structured, report.started_at or "")
    try:
        with store.transaction():
            run.begin()
            _import_rows(store, source, rows, run, progress)
            if all_or_nothing and report.rejected:
                raise _Rollback
            status = "finished" if not report.rejected else "finished with rejected rows"
            run.finish(status, source.sha256)
            if dry_run:
                raise _Rollback
    except _Rollback:
        report.import_id = None
        if all_or_nothing and report.rejected:
            report.created = report.skipped = 0
            status = "nothing written: rows were rejected"
            if dry_run:
                report.status = status
            else:
                run.record_rolled_back(status, source.sha256)
    return report


def _import_rows(
    store: Store, source: SourceFile, rows: _RowReader, run: ImportRun, progress: Progress | None
) -> None:
    report = run.report
    conn = store.conn
    batch: list[tuple[Any, ...]] = []

    def flush() -> None:
        before = conn.total_changes
        conn.executemany(INSERT_EVENT.replace("INSERT", "INSERT OR IGNORE", 1), batch)
        written = conn.total_changes - before
        report.created += written
        report.skipped += len(batch) - written
        batch.clear()

    read = rows.read
    for line, cells in source.rows:
        report.rows_read += 1
        if progress is not None and report.rows_read % _PROGRESS_EVERY == 0:
            progress(source.bytes_read, report.rows_read)
        values, problems = read(cells)
        if problems and run.problems(line, problems):
            continue
        if values is not None:
            batch.append(values)
            if len(batch) >= _BATCH:
                flush()
    if batch:
        flush()
    if progress is not None:
        progress(source.bytes_read, report.rows_read)


class _RowReader:
    """Turns one row's cells into the values of an events insert, or into problems."""

    def __init__(
        self,
        store: Store,
        mapping: Mapping,
        targets: dict[str, str],
        header: Sequence[str],
        structured: bool,
        now: str,
    ) -> None:
        self.store = store
        self.mapping = mapping
        self.targets = targets
        self.structured = structured
        self.flat = structured and mapping.columns is None
        self.width = len(header)
        position = {column: index for index, column in enumerate(header)}
        self.index = {target: position[column] for target, column in targets.items()}
        self.keys = [key for key in CONTACT_KEYS if key in targets]
        self.default_kind = mapping.kind if mapping.kind in EVENT_KINDS else "call"
        self.users = user_ids(store)
        self.now = now
        self.source = mapping.source
        self._found: dict[tuple[str, str], tuple[int, ...]] = {}

    def read(self, cells: list[Any]) -> tuple[tuple[Any, ...] | None, list[Problem]]:
        if self.structured:
            record = cells[0]
            if record is None:
                return None, [("error", None, None, "the item is not a JSON object")]
            if self.flat:
                record = _flatten(record)
            cell = {target: record.get(self.targets[target]) for target in self.index}
        else:
            if len(cells) != self.width and (
                len(cells) < self.width or any(c.strip() for c in cells[self.width :])
            ):
                reason = f"the row has {len(cells)} cells but the header has {self.width}"
                return None, [("error", None, None, reason)]
            cell = {target: cells[index] for target, index in self.index.items()}
        problems: list[Problem] = []
        contact_id = self._contact(cell, problems)
        when = self._convert(cell, "occurred_at", self._when, problems)
        kind = self._convert(cell, "kind", parse_kind, problems) or self.default_kind
        direction = self._convert(cell, "direction", parse_direction, problems)
        duration = self._convert(cell, "duration", parse_event_duration, problems)
        agent_id = self._agent(cell, problems)
        if contact_id is None or when is None or any(p[0] == "error" for p in problems):
            if when is None and not any(p[1] == self.targets["occurred_at"] for p in problems):
                problems.append(
                    ("error", self.targets["occurred_at"], None, "occurred_at is empty")
                )
            return None, problems
        return (
            contact_id,
            kind,
            direction,
            when,
            duration,
            _text(cell.get("subject")),
            _text(cell.get("body")),
            _text(cell.get("channel")),
            agent_id,
            self.source,
            _text(cell.get("external_id")),
            self.now,
        ), problems

    def _when(self, raw: str) -> str:
        return parse_datetime(raw, self.mapping.timezone, self.mapping.dayfirst)

    def _convert(
        self,
        cell: dict[str, Any],
        target: str,
        convert: Callable[[Any], Any],
        problems: list[Problem],
    ) -> Any:
        raw = cell.get(target)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        try:
            return convert(raw if target == "duration" else str(raw))
        except InvalidValue as exc:
            problems.append(("error", self.targets[target], str(raw), str(exc)))
            return None

    def _agent(self, cell: dict[str, Any], problems: list[Problem]) -> int | None:
        raw = _text(cell.get("agent"))
        if raw is None:
            return None
        found = self.users.get(name_key(raw))
        if found is None:
            reason = "no user with this name; the event is stored without an agent"
            problems.append(("warning", self.targets["agent"], raw, reason))
        return found

    def _contact(self, cell: dict[str, Any], problems: list[Problem]) -> int | None:
        """The one contact the row's keys name, tried in order; else one problem saying why."""
        first_miss: Problem | None = None
        ambiguous: Problem | None = None
        for key in self.keys:
            raw = _text(cell.get(key))
            if raw is None:
                continue
            column = self.targets[key]
            try:
                value = self._key_value(key, raw)
            except InvalidValue as exc:
                problems.append(("error", column, raw, str(exc)))
                return None
            found = self._lookup(key, value)
            if len(found) == 1:
                return found[0]
            if found and ambiguous is None:
                ids = ", ".join(map(str, found[:5]))
                what = f"{_KEY_WORDS[key]} {value}"
                reason = f"ambiguous: {len(found)} contacts have the {what} (ids {ids})"
                ambiguous = ("error", column, raw, reason)
            elif not found and first_miss is None:
                first_miss = ("error", column, raw, f"no contact has the {_KEY_WORDS[key]} {value}")
        problem = ambiguous or first_miss
        if problem is None:
            columns = ", ".join(repr(self.targets[key]) for key in self.keys)
            problem = ("error", None, None, f"the row names no contact ({columns} empty)")
        problems.append(problem)
        return None

    def _key_value(self, key: str, raw: str) -> Any:
        if key == "contact.phone":
            return normalize_phone(raw, self.mapping.region)
        if key == "contact.id":
            try:
                return int(raw)
            except ValueError:
                raise InvalidValue("not a contact id (a whole number)") from None
        if key == "contact.email":
            return raw.lower()
        return raw

    def _lookup(self, key: str, value: Any) -> tuple[int, ...]:
        cache_key = (key, str(value))
        found = self._found.get(cache_key)
        if found is None:
            found = tuple(row[0] for row in self.store.conn.execute(_LOOKUPS[key], (value,)))
            if len(self._found) >= _CACHE_LIMIT:
                self._found.clear()
            self._found[cache_key] = found
        return found


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _flatten(record: dict[str, Any]) -> dict[str, Any]:
    """`{"contact": {"phone": ...}}` as `contact.phone`, as exported JSON nests it."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, dict):
            for inner, inner_value in value.items():
                flat[f"{key}.{inner}"] = inner_value
        else:
            flat[key] = value
    return flat


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

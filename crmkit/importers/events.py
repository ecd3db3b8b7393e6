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
    try:
        with store.transaction():
            run.begin()
            rows = _RowReader(store, mapping, targets, header, structured, report.started_at or "")
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
    """Read, check and insert in batches; counts are kept in locals (the report is a
    pydantic model, and setting its fields per row would cost more than the insert)."""
    report = run.report
    conn = store.conn
    insert = INSERT_EVENT.replace("INSERT", "INSERT OR IGNORE", 1)
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
                written = _insert(conn, insert, batch)
                created += written
                skipped += len(batch) - written
                batch.clear()
    if batch:
        written = _insert(conn, insert, batch)
        created += written
        skipped += len(batch) - written
    report.rows_read, report.created, report.skipped = rows_read, created, skipped
    if progress is not None:
        progress(source.bytes_read, rows_read)


def _insert(conn: Any, sql: str, batch: list[tuple[Any, ...]]) -> int:
    """Insert a batch; return how many rows went in (the rest were already imported)."""
    before = conn.total_changes
    conn.executemany(sql, batch)
    return int(conn.total_changes - before)


class _Invalid:
    """A remembered conversion failure (its reason)."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


class _Memo:
    """A converter that remembers its answers: call logs repeat kinds, directions,
    durations, agents and callers on row after row."""

    def __init__(self, convert: Callable[[Any], Any]) -> None:
        self.convert = convert
        self.answers: dict[Any, Any] = {}

    def __call__(self, raw: Any) -> Any:
        if raw.__class__ is not str:  # numbers and lists from JSON (True == 1 as a key)
            return self.convert(raw)
        answer = self.answers.get(raw, _MISSING)
        if answer is _MISSING:
            try:
                answer = self.convert(raw)
            except InvalidValue as exc:
                answer = _Invalid(str(exc))
            if len(self.answers) >= _CACHE_LIMIT:
                self.answers.clear()
            self.answers[raw] = answer
        if answer.__class__ is _Invalid:
            raise InvalidValue(answer.reason)
        return answer


_MISSING = object()
# Positions in the insert tuple (see crmkit.events.INSERT_EVENT).
_SLOTS = {
    "kind": 1,
    "direction": 2,
    "occurred_at": 3,
    "duration": 4,
    "subject": 5,
    "body": 6,
    "channel": 7,
    "external_id": 10,
}


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
        self.header = list(header)
        self.width = len(header)
        position = {column: index for index, column in enumerate(header)}
        zone, dayfirst = mapping.timezone, mapping.dayfirst
        converters: dict[str, Callable[[Any], Any]] = {
            "kind": _Memo(lambda raw: parse_kind(str(raw))),
            "direction": _Memo(lambda raw: parse_direction(str(raw))),
            "duration": _Memo(parse_event_duration),
            "occurred_at": lambda raw: parse_datetime(str(raw), zone, dayfirst),
        }
        self.fields = [
            (_SLOTS[target], position[column], column, converters.get(target))
            for target, column in targets.items()
            if target in _SLOTS
        ]
        self.keys = [
            (key, position[targets[key]], targets[key], _Memo(self._finder(key)))
            for key in CONTACT_KEYS
            if key in targets
        ]
        self.agent = (position[targets["agent"]], targets["agent"]) if "agent" in targets else None
        users = user_ids(store)
        self.agents = _Memo(lambda raw: users.get(name_key(str(raw))))
        self.when_column = targets["occurred_at"]
        self.template: list[Any] = [None, mapping.kind if mapping.kind in EVENT_KINDS else "call"]
        self.template += [None] * 7 + [mapping.source, None, now]

    def read(self, cells: list[Any]) -> tuple[tuple[Any, ...] | None, list[Problem]]:
        if self.structured:
            record = cells[0]
            if record is None:
                return None, [("error", None, None, "the item is not a JSON object")]
            if self.flat:
                record = _flatten(record)
            cells = [record.get(column) for column in self.header]
        elif len(cells) != self.width and (
            len(cells) < self.width or any(c.strip() for c in cells[self.width :])
        ):
            reason = f"the row has {len(cells)} cells but the header has {self.width}"
            return None, [("error", None, None, reason)]
        values = self.template.copy()
        problems: list[Problem] = []
        for slot, index, column, convert in self.fields:
            raw = cells[index]
            if raw is None or raw == "" or (raw.__class__ is str and raw.isspace()):
                continue
            if convert is None:  # text: trimmed
                values[slot] = raw.strip() if raw.__class__ is str else _text(raw)
                continue
            try:
                values[slot] = convert(raw)
            except InvalidValue as exc:
                problems.append(("error", column, str(raw), str(exc)))
        values[0] = self._contact(cells, problems)
        if self.agent is not None:
            raw = cells[self.agent[0]]
            if raw is not None and raw != "" and not (raw.__class__ is str and raw.isspace()):
                values[8] = self.agents(raw)
                if values[8] is None:
                    reason = "no user with this name; the event is stored without an agent"
                    problems.append(("warning", self.agent[1], str(raw).strip(), reason))
        if values[0] is None or values[3] is None or problems and _has_error(problems):
            if values[3] is None and not any(p[1] == self.when_column for p in problems):
                problems.append(("error", self.when_column, None, "occurred_at is empty"))
            return None, problems
        if values[1] is None:
            values[1] = self.template[1]
        return tuple(values), problems

    def _contact(self, cells: list[Any], problems: list[Problem]) -> int | None:
        """The one contact the row's keys name, tried in order; else one problem saying why."""
        first_miss: Problem | None = None
        ambiguous: Problem | None = None
        for key, index, column, find in self.keys:
            raw = cells[index]
            if raw is None or raw == "" or (raw.__class__ is str and raw.isspace()):
                continue
            try:
                value, found = find(raw)
            except InvalidValue as exc:
                problems.append(("error", column, str(raw), str(exc)))
                return None
            if len(found) == 1:
                return int(found[0])
            shown = str(raw)
            what = f"{_KEY_WORDS[key]} {value}"
            if found and ambiguous is None:
                ids = ", ".join(map(str, found[:5]))
                reason = f"ambiguous: {len(found)} contacts have the {what} (ids {ids})"
                ambiguous = ("error", column, shown, reason)
            elif not found and first_miss is None:
                first_miss = ("error", column, shown, f"no contact has the {what}")
        problem = ambiguous or first_miss
        if problem is None:
            columns = ", ".join(repr(column) for _, _, column, _ in self.keys)
            problem = ("error", None, None, f"the row names no contact ({columns} empty)")
        problems.append(problem)
        return None

    def _finder(self, key: str) -> Callable[[Any], tuple[Any, tuple[int, ...]]]:
        """raw cell -> (canonical value, ids of the contacts that have it)."""
        conn = self.store.conn
        sql = _LOOKUPS[key]
        region = self.mapping.region
        owners: dict[Any, tuple[int, ...]] = {}  # one query per value, however it is spelled

        def find(raw: Any) -> tuple[Any, tuple[int, ...]]:
            text = str(raw).strip()
            value: Any = text
            if key == "contact.phone":
                value = normalize_phone(text, region)
            elif key == "contact.id":
                if not text.isdigit():
                    raise InvalidValue("not a contact id (a whole number)")
                value = int(text)
            elif key == "contact.email":
                value = text.lower()
            found = owners.get(value)
            if found is None:
                found = tuple(row[0] for row in conn.execute(sql, (value,)))
                if len(owners) >= _CACHE_LIMIT:
                    owners.clear()
                owners[value] = found
            return value, found

        return find


def _has_error(problems: list[Problem]) -> bool:
    return any(problem[0] == "error" for problem in problems)


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

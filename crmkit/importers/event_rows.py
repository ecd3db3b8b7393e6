"""One row of an events file -> the values of an events insert, or the row's problems.

Call logs repeat kinds, directions, durations, agents and callers row after row, so the
answers for those cells are remembered (in bounded caches); times and texts are read
anew. A caller's number is normalized before it is looked up, so every spelling of a
number finds the same contacts, with one query per number; a big log reads all numbers
of the base at once instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from crmkit.errors import InvalidValue
from crmkit.events import EVENT_KINDS, parse_direction, parse_event_duration, parse_kind
from crmkit.importers.readers import cell_count_problem
from crmkit.mapping import Mapping
from crmkit.store import Store
from crmkit.store.sqlite.event_import import contact_lookup, load_all_phones
from crmkit.store.sqlite.reference import deactivated_users, user_ids
from crmkit.values.datetimes import parse_datetime
from crmkit.values.names import name_key
from crmkit.values.phones import normalize_phone

__all__ = [
    "RowReader",
    "ContactFinder",
    "Problem",
    "CONTACT_KEYS",
    "EVENT_TARGETS",
    "flatten_event_record",
]

Problem = tuple[str, str | None, str | None, str]  # (level, column, value, reason)

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
    "case",
    *CONTACT_KEYS,
)
_CACHE_LIMIT = 200_000
_PRELOAD_AFTER = 2000  # distinct numbers looked up one by one before all are read at once
_KEY_WORDS = {
    "contact.id": "contact id",
    "contact.external_id": "external_id",
    "contact.phone": "phone number",
    "contact.email": "e-mail address",
}


class _Invalid:
    """A conversion failure and its reason (remembered like any other answer)."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


Reader = Callable[[Any], Any]  # raw cell -> value, None for a blank cell, or _Invalid


def _reader(parse: Callable[[Any], Any], *, text: bool = True) -> Reader:
    """A cell reader around a value parser: blanks are None, failures an `_Invalid`."""

    def read(raw: Any) -> Any:
        if raw is None:
            return None
        if text or raw.__class__ is str:
            raw = str(raw).strip()
            if not raw:
                return None
        try:
            return parse(raw)
        except InvalidValue as exc:
            return _Invalid(str(exc))

    return read


_MISSING = object()
_UNKNOWN_AGENT = 0
_DEACTIVATED_AGENT = -1
# Positions in the insert tuple (see crmkit.store.sqlite.events.INSERT_EVENT).
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


class RowReader:
    """Turns one row's cells into the values of an events insert, or into problems.

    Call logs repeat kinds, directions, durations, agents and callers row after row, so
    the answers for those cells are remembered (bounded); times and texts are read anew.
    """

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
        self.structured = structured
        self.flat = structured and mapping.columns is None
        self.header = list(header)
        self.width = len(header)
        position = {column: index for index, column in enumerate(header)}
        zone, dayfirst = mapping.timezone, mapping.dayfirst
        readers: dict[str, tuple[Reader, bool]] = {
            "kind": (_reader(parse_kind), True),
            "direction": (_reader(parse_direction), True),
            "duration": (_reader(parse_event_duration, text=False), True),
            "occurred_at": (_reader(lambda raw: parse_datetime(raw, zone, dayfirst)), False),
        }
        # (slot, cell index, column, remembered answers or None, reader)
        self.fields: list[tuple[int, int, str, dict[str, Any] | None, Reader]] = []
        for target, column in targets.items():
            if target in _SLOTS:
                read, remember = readers.get(target, (_text, False))
                self.fields.append(
                    (_SLOTS[target], position[column], column, {} if remember else None, read)
                )
        self.contact = ContactFinder(store, mapping, targets, position)
        users: dict[str, int] = {key: _DEACTIVATED_AGENT for key in deactivated_users(store)}
        users.update(user_ids(store))
        self.agent: tuple[int, str, dict[str, Any], Reader] | None = None
        if "agent" in targets:
            agent_reader = _reader(lambda raw: users.get(name_key(raw), _UNKNOWN_AGENT))
            self.agent = (position[targets["agent"]], targets["agent"], {}, agent_reader)
        self.when_column = targets["occurred_at"]
        default_kind = mapping.kind if mapping.kind in EVENT_KINDS else "call"
        # The values of INSERT_EVENT, then the event's case.
        self.template: list[Any] = [
            None, default_kind, *[None] * 7, mapping.source, None, now, None
        ]  # fmt: skip
        self.cases = CaseFinder(store) if "case" in targets else None
        self.case_at = (position[targets["case"]], targets["case"]) if "case" in targets else None

    def read(self, cells: list[Any]) -> tuple[tuple[Any, ...] | None, list[Problem]]:
        if self.structured:
            record = cells[0]
            if not isinstance(record, dict):
                # The reader's sentence saying why the line or item is not a record.
                return None, [("error", None, None, str(record))]
            if self.flat:
                record = flatten_event_record(record)
            cells = [record.get(column) for column in self.header]
        elif len(cells) != self.width and (
            len(cells) < self.width or any(c.strip() for c in cells[self.width :])
        ):
            return None, [("error", None, None, cell_count_problem(cells, self.width))]
        values = self.template.copy()
        problems: list[Problem] = []
        for slot, index, column, answers, read in self.fields:
            raw = cells[index]
            # _answer(answers, read, raw), spelled out for the common cases: this loop
            # runs for every cell of every row.
            if raw.__class__ is not str:
                value = read(raw)
            elif answers is not None:
                value = answers.get(raw, _MISSING)
                if value is _MISSING:
                    value = _answer(answers, read, raw)
            elif read is _text:
                value = raw.strip() or None
            else:
                value = read(raw)
            if value is None:
                continue
            if value.__class__ is _Invalid:
                problems.append(("error", column, str(raw), value.reason))
            else:
                values[slot] = value
        values[0] = self.contact.find(cells, problems)
        if self.agent is not None:
            index, column, answers, read = self.agent
            agent = _answer(answers, read, cells[index])
            if agent in (_UNKNOWN_AGENT, _DEACTIVATED_AGENT):
                reason = "no user with this name; the event is stored without an agent"
                if agent == _DEACTIVATED_AGENT:
                    reason = "the user is deactivated; the event is stored without an agent"
                problems.append(("warning", column, str(cells[index]).strip(), reason))
            elif agent is not None:
                values[8] = agent
        if self.cases is not None and self.case_at is not None and values[0] is not None:
            index, column = self.case_at
            values[12] = self.cases.check(cells[index], values[0], values[3], column, problems)
        if values[0] is None or values[3] is None or problems and _has_error(problems):
            if values[3] is None and not any(p[1] == self.when_column for p in problems):
                problems.append(("error", self.when_column, None, "occurred_at is empty"))
            return None, problems
        return tuple(values), problems


class ContactFinder:
    """Finds the one contact a row names by its contact keys (`CONTACT_KEYS`), tried in
    order; the answer for each key's value is remembered (bounded)."""

    def __init__(
        self, store: Store, mapping: Mapping, targets: dict[str, str], position: dict[str, int]
    ) -> None:
        self.store = store
        self.mapping = mapping
        self.keys: list[tuple[str, int, str, dict[str, Any], Reader]] = [
            (key, position[targets[key]], targets[key], {}, self._finder(key))
            for key in CONTACT_KEYS
            if key in targets
        ]

    def find(self, cells: list[Any], problems: list[Problem]) -> int | None:
        """The one contact the row's keys name, tried in order; else one problem saying why."""
        first_miss: Problem | None = None
        ambiguous: Problem | None = None
        for key, index, column, answers, find in self.keys:
            raw = cells[index]
            answer = _answer(answers, find, raw)
            if answer is None:
                continue
            if answer.__class__ is _Invalid:
                problems.append(("error", column, str(raw), answer.reason))
                return None
            value, found = answer
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
            columns = ", ".join(repr(column) for _, _, column, _, _ in self.keys)
            problem = ("error", None, None, f"the row names no contact ({columns} empty)")
        problems.append(problem)
        return None

    def _finder(self, key: str) -> Reader:
        """A reader of raw cell -> (canonical value, ids of the contacts that have it)."""
        lookup = contact_lookup(self.store, key)
        region = self.mapping.region
        owners: dict[Any, tuple[int, ...]] = {}  # one query per value, however it is spelled
        complete = False  # owners holds every phone number of the base

        def find(text: str) -> tuple[Any, tuple[int, ...]]:
            nonlocal complete
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
            if found is None and complete:
                return value, ()
            if found is None:
                if key == "contact.phone" and len(owners) == _PRELOAD_AFTER:
                    complete = load_all_phones(self.store, owners, _CACHE_LIMIT)
                    return value, owners.get(value, ())
                found = lookup(value)
                if len(owners) >= _CACHE_LIMIT:
                    owners.clear()
                owners[value] = found
            return value, found

        return _reader(find)


class CaseFinder:
    """Checks the case a row puts its event in: one that exists, is open, and is a case
    of the event's contact or of an organization the contact was a member of then (as
    `crm event add --case` allows)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.cases: dict[int, tuple[int, bool] | None] = {}

    def check(
        self, raw: Any, contact_id: int, at: str | None, column: str, problems: list[Problem]
    ) -> int | None:
        """Return the case id of a cell (None for a blank one); a problem says why not."""
        text = _text(raw)
        if text is None:
            return None
        if not text.isdigit():
            problems.append(("error", column, text, "not a case id (a whole number)"))
            return None
        case_id = int(text)
        if case_id not in self.cases:
            if len(self.cases) >= _CACHE_LIMIT:
                self.cases.clear()
            row = self.store.conn.execute(
                "SELECT contact_id, closed_at IS NOT NULL FROM cases WHERE id = ?", (case_id,)
            ).fetchone()
            self.cases[case_id] = None if row is None else (int(row[0]), bool(row[1]))
        case = self.cases[case_id]
        reason = None
        if case is None:
            reason = f"no case with id {case_id}"
        elif case[1]:
            reason = f"case {case_id} is closed"
        elif case[0] != contact_id and not self._member(contact_id, case[0], at):
            reason = f"case {case_id} is a case of contact {case[0]}, not of contact {contact_id}"
        if reason is not None:
            problems.append(("error", column, text, reason))
            return None
        return case_id

    def _member(self, person_id: int, organization_id: int, at: str | None) -> bool:
        if at is None:
            return False
        return bool(
            self.store.one(
                "SELECT 1 FROM memberships WHERE organization_id = ? AND person_id = ?"
                " AND (since IS NULL OR since <= ?) AND (until IS NULL OR ? < until)",
                (organization_id, person_id, at, at),
            )
        )


def _answer(answers: dict[str, Any] | None, read: Reader, raw: Any) -> Any:
    """`read(raw)`, remembered in `answers` for text cells (bounded)."""
    if answers is None or raw.__class__ is not str:
        return read(raw)
    value = answers.get(raw, _MISSING)
    if value is _MISSING:
        value = read(raw)
        if len(answers) >= _CACHE_LIMIT:
            answers.clear()
        answers[raw] = value
    return value


def _has_error(problems: list[Problem]) -> bool:
    return any(problem[0] == "error" for problem in problems)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def flatten_event_record(record: dict[str, Any]) -> dict[str, Any]:
    """`{"contact": {"phone": ...}}` as `contact.phone`, as exported JSON nests it."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, dict):
            for inner, inner_value in value.items():
                flat[f"{key}.{inner}"] = inner_value
        else:
            flat[key] = value
    return flat

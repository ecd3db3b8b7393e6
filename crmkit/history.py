"""The history of a contact as Python objects: `crm.contacts.history(ID)`.

    >>> [entry.action for entry in crm.contacts.history(ewa.id)]
    ['edit', 'add']
    >>> crm.contacts.history(ewa.id)[0].changes
    [Change(field='stage', old='lead', new='klient')]

Each entry says when, who (`user`), from where (`source`: "cli", "api",
"import 3", "merge 2", "undo") and what (`action`), with each changed field's
old and new value. Fields are those of the JSON record: `stage`, `address.city`,
`custom.budget`, or a whole list such as `phones` or `tags`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Change", "HistoryEntry", "UndoReport", "entry_from_row"]

# Written with every change; shown only through the fields that changed with it.
_HIDDEN_FIELDS = frozenset({"created_at", "updated_at"})


@dataclass
class Change:
    """One field's old and new value (None: empty)."""

    field: str
    old: Any
    new: Any

    def to_record(self) -> dict[str, Any]:
        """Return `{"field", "old", "new"}`."""
        return {"field": self.field, "old": self.old, "new": self.new}


@dataclass
class HistoryEntry:
    """One change of a contact: when, who, from where, what, and field by field."""

    id: int
    at: str
    user: str | None
    source: str
    action: str
    contact_id: int
    changes: list[Change] = field(default_factory=list)
    detail: Any = None

    def to_record(self) -> dict[str, Any]:
        """Return the JSON of `crm history --format json` (CONTRACT section 9)."""
        return {
            "at": self.at,
            "user": self.user,
            "source": self.source,
            "action": self.action,
            "changes": [change.to_record() for change in self.changes],
        }

    @property
    def summary(self) -> str:
        """Return the changes in one line: `stage: lead → klient; tags: [] → [VIP]`."""
        if not self.changes:
            return "" if self.detail is None else str(self.detail)
        return "; ".join(
            f"{change.field}: {_shown(change.old)} → {_shown(change.new)}"
            for change in self.changes
        )


@dataclass
class UndoReport:
    """What undoing an import or a merge did (or, with `dry_run`, would do)."""

    what: str
    id: int
    removed: list[int] = field(default_factory=list)
    restored: list[int] = field(default_factory=list)
    events: int = 0
    skipped: list[int] = field(default_factory=list)
    skipped_fields: list[str] = field(default_factory=list)
    dry_run: bool = False
    records: int = 0
    enrollments: int = 0

    def to_record(self) -> dict[str, Any]:
        """Return the report as JSON-ready values."""
        return {
            "undo": self.what,
            "id": self.id,
            "removed": self.removed,
            "restored": self.restored,
            "events": self.events,
            "records": self.records,
            "enrollments": self.enrollments,
            "skipped": self.skipped,
            "skipped_fields": self.skipped_fields,
            "dry_run": self.dry_run,
        }

    @property
    def summary(self) -> str:
        """Return what was done in one sentence, then what was left."""
        if self.what == "merge":
            verb = "would bring back" if self.dry_run else "brought back"
            ids = ", ".join(str(contact_id) for contact_id in self.restored)
            text = f"Merge {self.id}: {verb} contacts {ids}."
            if self.skipped_fields:
                text += (
                    f" Fields changed since, left as they are: {', '.join(self.skipped_fields)}."
                )
            return text
        verb = "would remove" if self.dry_run else "removed"
        again = "would give back" if self.dry_run else "gave back"
        parts = [
            f"{self.what.capitalize()} {self.id}: {verb} {_count(len(self.removed), 'contact')}"
            f" and {_count(self.events, 'event')}, {again} the old values of"
            f" {_count(len(self.restored), 'contact')}."
        ]
        more = [
            _count(number, noun)
            for number, noun in (
                (self.records, "group record"),
                (self.enrollments, "campaign enrollment"),
            )
            if number
        ]
        if more:
            parts.append(f"{'Would remove' if self.dry_run else 'Removed'} {' and '.join(more)}.")
        if self.skipped:
            ids = ", ".join(str(contact_id) for contact_id in self.skipped)
            parts.append(f"Left as they are (changed since): {ids}.")
        return " ".join(parts)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def entry_from_row(row: dict[str, Any]) -> HistoryEntry:
    """Return the entry of a stored history row (`store.sqlite.history.history_rows`)."""
    source = row["source"]
    if row.get("source_id") is not None and source != "undo":
        source = f"{source} {row['source_id']}"
    return HistoryEntry(
        id=row["id"],
        at=row["at"],
        user=row["user"],
        source=source,
        action=row["action"],
        contact_id=row["contact_id"],
        changes=[
            Change(name, old, new)
            for name, old, new in row["changes"]
            if name not in _HIDDEN_FIELDS
        ],
        detail=row.get("detail"),
    )


def _shown(value: Any) -> str:
    """Return a value as the table shows it: lists of records by their main value."""
    if value is None:
        return "∅"
    if isinstance(value, list):
        parts = []
        for item in value:
            if isinstance(item, dict):
                item = item.get("number") or item.get("address") or item.get("name") or item
            parts.append(str(item))
        return "[" + ", ".join(parts) + "]"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)

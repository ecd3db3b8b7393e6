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

__all__ = ["Change", "HistoryEntry", "entry_from_row"]

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


def entry_from_row(row: dict[str, Any]) -> HistoryEntry:
    """Return the entry of a stored history row (`store.sqlite.history.history_rows`)."""
    source = row["source"]
    if row.get("source_id") is not None:
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

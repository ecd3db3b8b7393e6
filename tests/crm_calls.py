"""Short ways to read the library's answers in the shapes the tests compare: ids and dicts."""

from __future__ import annotations

from typing import Any

from crmkit import CRM

__all__ = [
    "search_ids",
    "timeline_records",
    "import_history",
    "import_details",
]


def search_ids(crm: CRM, *args: Any, **kwargs: Any) -> list[int]:
    """The ids of the contacts `crm.contacts.search` finds, in its order."""
    return list(crm.contacts.select(*args, **kwargs).ids())


def timeline_records(crm: CRM, contact_id: int, **kwargs: Any) -> list[dict[str, Any]]:
    """A contact's timeline as JSON items."""
    return [item.to_record() for item in crm.timeline(contact_id, **kwargs)]


def import_history(crm: CRM, limit: int | None = None) -> list[dict[str, Any]]:
    """The import history as `crm imports` lists it (without the mappings)."""
    history = [report.history_record() for report in crm.imports.list(limit)]
    for entry in history:
        del entry["mapping"]
    return history


def import_details(crm: CRM, import_id: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One import's history entry and its row problems, in file order."""
    report = crm.imports[import_id]
    problems = [
        {"row": p.row, "column": p.column, "value": p.value, "reason": p.reason, "level": p.level}
        for p in report.problems
    ]
    return report.history_record(), problems

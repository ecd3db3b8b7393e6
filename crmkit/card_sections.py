"""The card's tables beyond the profile: campaigns, a table per group of special fields,
and cases.

Both cards (terminal and HTML) draw the same `CardSection`s, so they show the same
rows: each section is a title, column headers and rows of text cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crmkit.store import Store

__all__ = ["CardSection", "card_sections"]


@dataclass
class CardSection:
    """One table of the card: a title, its column headers and rows of text."""

    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)


def card_sections(store: Store, data: dict[str, Any]) -> list[CardSection]:
    """Return the sections of a card's data (`card_data`) that have rows."""
    sections = [_campaigns(data), *_groups(store, data), _cases(data)]
    return [section for section in sections if section.rows]


def _cases(data: dict[str, Any]) -> CardSection:
    """The contact's cases, newest first: title, status, guardian, opened and closed."""
    return CardSection(
        "Cases",
        ["#", "title", "status", "guardian", "opened", "closed"],
        [
            [
                str(case["id"]),
                case["title"],
                case["status"],
                case.get("guardian") or "",
                (case.get("opened_at") or "")[:10],
                (case.get("closed_at") or "")[:10],
            ]
            for case in reversed(data.get("cases") or [])
        ],
    )


def _groups(store: Store, data: dict[str, Any]) -> list[CardSection]:
    """A table per group the contact has records of, titled with the group's label."""
    held = data.get("groups") or {}
    if not held:
        return []
    from crmkit.store.sqlite.groups import group_rows

    sections = []
    for group in group_rows(store):
        records = held.get(group["key"])
        if not records:
            continue
        keys = [entry["key"] for entry in group["fields"]]
        sections.append(
            CardSection(
                group["label"],
                ["#", *(entry["label"] for entry in group["fields"])],
                [
                    [str(record["id"]), *(_shown(record.get(key)) for key in keys)]
                    for record in records
                ],
            )
        )
    return sections


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _campaigns(data: dict[str, Any]) -> CardSection:
    """Each campaign the contact is in: status, agent, next call-back, latest note."""
    return CardSection(
        "Campaigns",
        ["campaign", "status", "agent", "call-back", "note"],
        [
            [
                entry["name"],
                entry["status"],
                entry.get("agent") or "",
                entry.get("callback") or "",
                entry.get("note") or "",
            ]
            for entry in data.get("campaigns") or []
        ],
    )

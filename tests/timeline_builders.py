"""Small builders shared by the timeline, events, notes, files and card tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crmkit import CRM

__all__ = ["DATA", "person", "organization", "event", "event_count"]

DATA = Path(__file__).parent / "data" / "timeline"


def person(crm: CRM, first: str, last: str, **fields: str) -> int:
    values = {
        "first_name": first,
        "last_name": last,
        **{k.replace("__", "."): v for k, v in fields.items()},
    }
    return crm.contacts.add("person", values).id


def organization(crm: CRM, name: str, **fields: str) -> int:
    values = {"name": name, **{k.replace("__", "."): v for k, v in fields.items()}}
    return crm.contacts.add("organization", values).id


def event(crm: CRM, contact_id: int, at: str, kind: str = "call", **fields: Any) -> int:
    return int(crm.events.add(contact_id, kind=kind, at=at, **fields).id)


def event_count(crm: CRM) -> int:
    return int(crm.store.one("SELECT count(*) FROM events"))

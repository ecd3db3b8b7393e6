"""Small builders shared by the timeline, events, notes, files and card tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crmkit import CRM

__all__ = ["DATA", "person", "organization", "event", "event_count", "content_stored"]

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


def content_stored(crm: CRM, sha256: str) -> bool:
    """Whether the base holds a stored file's bytes: a blob in its folder, or a row."""
    from crmkit.store.sqlite.files import FileStore

    files = FileStore.for_store(crm.store)
    if getattr(files, "in_database", False):
        return crm.store.one("SELECT 1 FROM file_contents WHERE sha256 = ?", (sha256,)) is not None
    return bool(files.blob_path(sha256).exists())

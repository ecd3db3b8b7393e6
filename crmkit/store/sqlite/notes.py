"""Notes: free text on a contact's profile or on one of its events.

A note records who wrote it (the acting user of `--as` / `CRM_USER`) and when.
A note on an event belongs to the event's contact, so it follows the event into
the timelines that show it (the contact's own and, while a member, its
organization's).
"""

from __future__ import annotations

from typing import Any

from crmkit.errors import CrmError, NotFound
from crmkit.store import Store
from crmkit.store.sqlite.history import record_history
from crmkit.values.datetimes import utc_now
from crmkit.values.names import name_key

__all__ = ["add_note", "delete_note", "get_note"]


def add_note(
    store: Store,
    contact_id: int,
    text: str,
    *,
    event_id: int | None = None,
    author: str | None = None,
) -> dict[str, Any]:
    """Add a note to a profile, or to one event shown on that contact's timeline."""
    body = text.strip()
    if not body:
        raise CrmError("a note cannot be empty")
    kind = store.one("SELECT kind FROM contacts WHERE id = ?", (contact_id,))
    if kind is None:
        raise NotFound(f"no contact with id {contact_id}")
    owner = contact_id
    if event_id is not None:
        row = store.conn.execute(
            "SELECT contact_id, occurred_at FROM events WHERE id = ?", (event_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no event with id {event_id}")
        owner, occurred_at = row
        if owner != contact_id and not _member_event(store, contact_id, owner, occurred_at):
            raise CrmError(f"event {event_id} is not on the timeline of contact {contact_id}")
    with store.transaction() as conn:
        cursor = conn.execute(
            "INSERT INTO notes (contact_id, event_id, body, author, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (owner, event_id, body, _author_name(store, author), utc_now()),
        )
        note_id = int(cursor.lastrowid or 0)
        record_history(store, "note add", owner, author, {"note": note_id, "event": event_id})
    return get_note(store, note_id)


def get_note(store: Store, note_id: int) -> dict[str, Any]:
    row = store.conn.execute(
        "SELECT n.id, n.contact_id, c.name, n.event_id, n.body, n.author, n.created_at"
        " FROM notes n JOIN contacts c ON c.id = n.contact_id WHERE n.id = ?",
        (note_id,),
    ).fetchone()
    if row is None:
        raise NotFound(f"no note with id {note_id}")
    note_id, contact_id, contact_name, event_id, body, author, created_at = row
    return {
        "id": note_id,
        "type": "note",
        "contact_id": contact_id,
        "contact_name": contact_name,
        "event_id": event_id,
        "body": body,
        "author": author,
        "created_at": created_at,
    }


def delete_note(store: Store, note_id: int, *, user: str | None = None) -> dict[str, Any]:
    """Delete a note and the files attached to it; return what was deleted."""
    from crmkit.store.sqlite.files import FileStore

    note = get_note(store, note_id)
    with store.transaction() as conn:
        hashes = [
            row[0] for row in conn.execute("SELECT sha256 FROM files WHERE note_id = ?", (note_id,))
        ]
        conn.execute("DELETE FROM notes WHERE id = ?", (note_id,))
        record_history(store, "note delete", note["contact_id"], user, {"note": note_id})
    FileStore.for_store(store).prune(store, hashes)
    return note


def _member_event(store: Store, organization_id: int, person_id: int, occurred_at: str) -> bool:
    """Whether the person was a member of the organization when the event happened."""
    return bool(
        store.one(
            "SELECT 1 FROM memberships WHERE organization_id = ? AND person_id = ?"
            " AND (since IS NULL OR since <= ?) AND ? < coalesce(until, ?)",
            (organization_id, person_id, occurred_at, occurred_at, utc_now()),
        )
    )


def _author_name(store: Store, author: str | None) -> str | None:
    """The acting user's name as the users table spells it; `NotFound` if not a user,
    `CrmError` if a deactivated one.

    A note's author is a user, as an event's agent is: a mistyped `--as` is said, not
    stored as a new name.
    """
    if author is None or not author.strip():
        return None
    known = store.conn.execute(
        "SELECT full_name, active FROM users WHERE key = ?", (name_key(author),)
    ).fetchone()
    if known is None:
        raise NotFound(
            f"no user named {' '.join(author.split())!r} to write the note as (--as or"
            " CRM_USER); add one with `crm user add`"
        )
    if not known[1]:
        raise CrmError(f"user {known[0]!r} is deactivated and cannot write notes")
    return str(known[0])

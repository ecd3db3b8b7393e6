"""Events in SQLite: logging, reading and deleting one event."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmkit.errors import CrmError, NotFound
from crmkit.values.names import name_key

if TYPE_CHECKING:
    from crmkit.store import Store

__all__ = [
    "INSERT_EVENT",
    "contact_exists",
    "insert_event",
    "get_event",
    "event_item",
    "delete_event",
]


INSERT_EVENT = (
    "INSERT INTO events (contact_id, kind, direction, occurred_at, duration, subject, body,"
    " channel, agent_id, source, external_id, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


_SELECT_EVENT = (
    "SELECT e.id, e.kind, e.direction, e.occurred_at, e.duration, e.subject, e.body, e.channel,"
    " u.full_name, e.contact_id, c.name, e.source, e.external_id"
    " FROM events e JOIN contacts c ON c.id = e.contact_id"
    " LEFT JOIN users u ON u.id = e.agent_id WHERE e.id = ?"
)


def contact_exists(store: Store, contact_id: int) -> bool:
    return store.one("SELECT 1 FROM contacts WHERE id = ?", (contact_id,)) is not None


def insert_event(
    store: Store,
    contact_id: int,
    values: dict[str, Any],
    *,
    subject: str | None,
    body: str | None,
    channel: str | None,
    agent: str | None,
    source: str,
    external_id: str | None,
    user: str | None,
) -> dict[str, Any]:
    """Log one event with checked `values` (kind, direction, occurred_at, duration)."""
    from crmkit.store.sqlite.history import record_history
    from crmkit.values.datetimes import utc_now

    agent_id = None
    if agent is not None and agent.strip():
        found = store.conn.execute(
            "SELECT id, full_name, active FROM users WHERE key = ?", (name_key(agent),)
        ).fetchone()
        if found is None:
            raise NotFound(f"no user named {agent.strip()!r}; add one with `crm user add`")
        if not found[2]:
            raise CrmError(f"user {found[1]!r} is deactivated; `crm user activate` brings it back")
        agent_id = found[0]
    external = external_id
    if external is not None and store.one(
        "SELECT id FROM events WHERE source = ? AND external_id = ?", (source, external)
    ):
        raise CrmError(f"an event with external_id {external!r} is already logged")
    with store.transaction() as conn:
        cursor = conn.execute(
            INSERT_EVENT,
            (
                contact_id,
                values["kind"],
                values["direction"],
                values["occurred_at"],
                values["duration"],
                subject,
                body,
                channel,
                agent_id,
                source,
                external,
                utc_now(),
            ),
        )
        event_id = int(cursor.lastrowid or 0)
        record_history(
            store, "event add", contact_id, user, {"event": event_id, "kind": values["kind"]}
        )
    return get_event(store, event_id)


def get_event(store: Store, event_id: int) -> dict[str, Any]:
    """One event as a timeline item, with its notes."""
    row = store.conn.execute(_SELECT_EVENT, (event_id,)).fetchone()
    if row is None:
        raise NotFound(f"no event with id {event_id}")
    notes = [
        {"id": note_id, "body": text, "author": author, "created_at": created_at}
        for note_id, text, author, created_at in store.conn.execute(
            "SELECT id, body, author, created_at FROM notes WHERE event_id = ?"
            " ORDER BY created_at, id",
            (event_id,),
        )
    ]
    item = event_item(row[:11], notes)
    item["source"] = row[11]
    item["external_id"] = row[12]
    return item


def event_item(row: tuple[Any, ...], notes: list[dict[str, Any]]) -> dict[str, Any]:
    """The timeline item of an event row (id, kind, direction, occurred_at, duration,
    subject, body, channel, agent, contact_id, contact_name)."""
    (event_id, kind, direction, occurred_at, duration, subject, body, channel, agent,
     contact_id, contact_name) = row  # fmt: skip
    return {
        "id": event_id,
        "type": "event",
        "kind": kind,
        "direction": direction,
        "occurred_at": occurred_at,
        "duration": duration,
        "subject": subject,
        "body": body,
        "channel": channel,
        "agent": agent,
        "contact_id": contact_id,
        "contact_name": contact_name,
        "notes": notes,
    }


def delete_event(store: Store, event_id: int, *, user: str | None = None) -> dict[str, Any]:
    """Delete an event with its notes (and their files); return what was deleted."""
    from crmkit.store.sqlite.files import FileStore
    from crmkit.store.sqlite.history import record_history

    item = get_event(store, event_id)
    files = FileStore.for_store(store)
    with store.transaction() as conn:
        hashes = [
            row[0]
            for row in conn.execute(
                "SELECT f.sha256 FROM files AS f JOIN notes AS n ON n.id = f.note_id"
                " WHERE n.event_id = ?",
                (event_id,),
            )
        ]
        conn.execute("DELETE FROM events WHERE id = ?", (event_id,))
        record_history(store, "event delete", item["contact_id"], user, {"event": event_id})
    files.prune(store, hashes)
    return item

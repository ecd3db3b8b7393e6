"""Events on a contact's timeline: calls, e-mails, meetings and the rest.

The readers here (`parse_kind`, `parse_direction`, `parse_event_duration`) serve both
`crm event add` and the event importer, so a value typed by hand and a value read
from a call-centre log mean the same thing. They raise `InvalidValue` with the reason
only; callers add where the value came from.

`crm timeline` reads kinds through this module, so its top-level imports stay light
(no pydantic, no dateutil): the write path imports what it needs when it runs.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from crmkit.errors import CrmError, InvalidValue, NotFound
from crmkit.values.names import fold_text, name_key

if TYPE_CHECKING:
    from crmkit.store import Store

__all__ = [
    "EVENT_KINDS",
    "INSERT_EVENT",
    "add_event",
    "delete_event",
    "get_event",
    "parse_kind",
    "parse_direction",
    "parse_event_duration",
    "event_item",
]

# The same tuple as `crmkit.model.EVENT_KINDS` (a test keeps them equal); repeated here so
# that reading a timeline does not import pydantic.
EVENT_KINDS: tuple[str, ...] = (
    "call",
    "email",
    "sms",
    "chat",
    "meeting",
    "ticket",
    "task",
    "note",
    "order",
    "other",
)
# Words Polish and English logs use for the kinds, folded (lower case, no diacritics).
_KIND_WORDS: dict[str, str] = {
    **{kind: kind for kind in EVENT_KINDS},
    "phone": "call",
    "phone call": "call",
    "telefon": "call",
    "rozmowa": "call",
    "polaczenie": "call",
    "e-mail": "email",
    "mail": "email",
    "wiadomosc": "email",
    "text": "sms",
    "czat": "chat",
    "spotkanie": "meeting",
    "wizyta": "meeting",
    "zgloszenie": "ticket",
    "zadanie": "task",
    "notatka": "note",
    "zamowienie": "order",
    "inne": "other",
}
_DIRECTION_WORDS: dict[str, str] = {
    "in": "in",
    "out": "out",
    "inbound": "in",
    "outbound": "out",
    "incoming": "in",
    "outgoing": "out",
    "przychodzace": "in",
    "przychodzacy": "in",
    "przychodzaca": "in",
    "wychodzace": "out",
    "wychodzacy": "out",
    "wychodzaca": "out",
    "przych.": "in",
    "wych.": "out",
    "przych": "in",
    "wych": "out",
}

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


def parse_kind(raw: str) -> str:
    """One of `EVENT_KINDS` for a kind word (`call`, `Rozmowa`, `e-mail`, ...)."""
    kind = _KIND_WORDS.get(fold_text(" ".join(raw.split())))
    if kind is None:
        raise InvalidValue(f"not an event kind (use one of: {', '.join(EVENT_KINDS)})")
    return kind


def parse_direction(raw: str) -> str | None:
    """`in`, `out`, or None for an empty cell; Polish and English words are understood."""
    text = fold_text(raw.strip())
    if not text:
        return None
    direction = _DIRECTION_WORDS.get(text)
    if direction is None:
        raise InvalidValue("not a direction (use in or out)")
    return direction


def parse_event_duration(raw: Any) -> int | None:
    """Seconds from `95`, `1:35` or `1:01:35`; None for an empty cell."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise InvalidValue("not a duration")
    if isinstance(raw, int):
        if raw < 0:
            raise InvalidValue("a duration cannot be negative")
        return raw
    if isinstance(raw, float):
        if not math.isfinite(raw) or raw < 0:
            raise InvalidValue("not a duration")
        return round(raw)
    text = str(raw).strip()
    if not text:
        return None
    from crmkit.values.datetimes import parse_duration

    return parse_duration(text)


def add_event(
    store: Store,
    contact_id: int,
    *,
    kind: str,
    occurred_at: str | None = None,
    direction: str | None = None,
    duration: int | str | None = None,
    subject: str | None = None,
    body: str | None = None,
    channel: str | None = None,
    agent: str | None = None,
    external_id: str | None = None,
    source: str = "",
    timezone: str = "UTC",
    dayfirst: bool = True,
    user: str | None = None,
) -> dict[str, Any]:
    """Log one event on a contact and return it as a timeline item.

    `occurred_at` may be written in any accepted spelling (naive values are in
    `timezone`); it defaults to now. An unknown agent is an error here, unlike in
    an import, because the person typing can fix it at once.
    """
    from crmkit.store.sqlite.audit import record_audit
    from crmkit.values.datetimes import utc_now

    if store.one("SELECT 1 FROM contacts WHERE id = ?", (contact_id,)) is None:
        raise NotFound(f"no contact with id {contact_id}")
    values = _checked_values(kind, occurred_at, direction, duration, timezone, dayfirst)
    agent_id = None
    if agent is not None and agent.strip():
        agent_id = store.one("SELECT id FROM users WHERE key = ?", (name_key(agent),))
        if agent_id is None:
            raise NotFound(f"no user named {agent.strip()!r}; add one with `crm user add`")
    external = _text(external_id)
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
                _text(subject),
                _text(body),
                _text(channel),
                agent_id,
                source,
                external,
                utc_now(),
            ),
        )
        event_id = int(cursor.lastrowid or 0)
        record_audit(
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
    from crmkit.files import FileStore
    from crmkit.store.sqlite.audit import record_audit

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
        record_audit(store, "event delete", item["contact_id"], user, {"event": event_id})
    files.prune(store, hashes)
    return item


def _checked_values(
    kind: str,
    occurred_at: str | None,
    direction: str | None,
    duration: int | str | None,
    timezone: str,
    dayfirst: bool,
) -> dict[str, Any]:
    from crmkit.values.datetimes import parse_datetime, utc_now

    values: dict[str, Any] = {}
    for name, read in (
        ("kind", lambda: parse_kind(kind)),
        ("direction", lambda: parse_direction(direction or "")),
        ("duration", lambda: parse_event_duration(duration)),
        (
            "occurred_at",
            lambda: parse_datetime(occurred_at, timezone, dayfirst) if occurred_at else utc_now(),
        ),
    ):
        try:
            values[name] = read()
        except InvalidValue as exc:
            shown = {"kind": kind, "direction": direction, "duration": duration}.get(
                name, occurred_at
            )
            raise CrmError(f"{name} {shown!r}: {exc}") from None
    return values


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    text = value.strip()
    return text or None

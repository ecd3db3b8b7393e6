"""Events on a contact's timeline: calls, e-mails, meetings and the rest.

The readers here (`parse_kind`, `parse_direction`, `parse_event_duration`) serve both
`crm event add` and the event importer, so a value typed by hand and a value read
from a call-centre log mean the same thing. They raise `InvalidValue` with the reason
only; callers add where the value came from.

`crm timeline` reads kinds through this module, so its top-level imports stay light
(no dateutil): the write path imports what it needs when it runs.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from crmkit.errors import CrmError, InvalidValue, NotFound
from crmkit.model import EVENT_KINDS
from crmkit.values.names import fold_text

if TYPE_CHECKING:
    from crmkit.store import Store

__all__ = [
    "EVENT_KINDS",
    "add_event",
    "parse_kind",
    "parse_direction",
    "parse_event_duration",
    "EVENT_KIND_WORDS",
]

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
    "kampania": "campaign",
}
# The words above, for guessing which column of a log holds the kinds.
EVENT_KIND_WORDS = frozenset(_KIND_WORDS)
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
    from crmkit.store.sqlite.events import contact_exists, insert_event

    if not contact_exists(store, contact_id):
        raise NotFound(f"no contact with id {contact_id}")
    values = _checked_values(kind, occurred_at, direction, duration, timezone, dayfirst)
    return insert_event(
        store,
        contact_id,
        values,
        subject=_text(subject),
        body=_text(body),
        channel=_text(channel),
        agent=agent,
        source=source,
        external_id=_text(external_id),
        user=user,
    )


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

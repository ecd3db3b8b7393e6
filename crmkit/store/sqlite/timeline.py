"""A contact's timeline: its events and profile notes, newest first.

A person's timeline holds that person's own events. An organization's also holds
the events of its members that happened while they were members
(`since <= occurred_at < until`, an open end counting as now). Each member's
periods become index ranges on `events (contact_id, occurred_at)`; with a limit,
a first pass finds, per range, the time of its N-th newest event, and the newest
of those is a cut-off that no item of the answer can be older than, so even a
member with a hundred thousand calls costs at most N index steps.

It imports nothing heavy (no dateutil, no rich), since every `crm timeline` loads
it. Times given to it are canonical UTC text.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from crmkit.errors import CrmError, NotFound
from crmkit.store.sqlite.events import event_item

if TYPE_CHECKING:
    from crmkit.store import Store

__all__ = [
    "timeline_items",
    "membership_spans",
    "EARLIEST",
    "LATEST",
]

EARLIEST = ""
LATEST = "9999-12-31T23:59:59Z"
_EVENT_COLUMNS = (
    "e.id, e.kind, e.direction, e.occurred_at, e.duration, e.subject, e.body, e.channel,"
    " u.full_name, e.contact_id, c.name"
)
# The spans drive the join (CROSS JOIN keeps them the outer loop in SQLite); a span's
# contact id is read back as a number, which PostgreSQL's `json_extract` does not.
_SPAN_TABLE = "json_each(:spans) AS s CROSS JOIN events AS e"
_IN_SPAN = (
    "{alias}.contact_id = CAST(json_extract(s.value, '$[0]') AS INTEGER)"
    " AND {alias}.{time} >= json_extract(s.value, '$[1]')"
    " AND {alias}.{time} < json_extract(s.value, '$[2]')"
)

Span = tuple[int, str, str]


def membership_spans(
    store: Store, contact_id: int, *, since: str = EARLIEST, until: str = LATEST, now: str
) -> list[Span]:
    """(contact id, from, to) ranges whose events belong on this contact's timeline.

    The contact's own range comes first; a member's overlapping periods are merged,
    so an event is never counted twice.
    """
    kind = store.one("SELECT kind FROM contacts WHERE id = ?", (contact_id,))
    if kind is None:
        raise NotFound(f"no contact with id {contact_id}")
    spans: list[Span] = [(contact_id, since, until)]
    if kind != "organization":
        return spans
    periods: dict[int, list[tuple[str, str]]] = {}
    for person_id, start, end in store.conn.execute(
        "SELECT person_id, coalesce(since, ''), coalesce(until, ?) FROM memberships"
        " WHERE organization_id = ? ORDER BY person_id, 2",
        (now, contact_id),
    ):
        low, high = max(start, since), min(end, until)
        if low >= high:
            continue
        merged = periods.setdefault(person_id, [])
        if merged and low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    for person_id, ranges in periods.items():
        spans.extend((person_id, low, high) for low, high in ranges)
    return spans


def timeline_items(
    store: Store,
    contact_id: int,
    *,
    kinds: Iterable[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int | None = None,
    agent: str | None = None,
    channel: str | None = None,
    now: str | None = None,
    case: int | None = None,
) -> list[dict[str, Any]]:
    """Events (with their notes nested) and profile notes, newest first.

    `kinds` are canonical event kinds (see `crmkit.timeline.parse_kinds`); profile notes are shown
    when no kind is asked for or when `note` is. `agent` matches an event's agent and
    a note's author by name, case-insensitively; `channel` likewise (notes have none).
    `since` and `until` are canonical UTC text, `since` inclusive, `until` exclusive.
    `case` keeps the events and profile notes of that case.
    """
    if limit is not None and limit < 1:
        raise CrmError("--limit must be 1 or more")
    moment = now or _utc_now()
    low, high = since or EARLIEST, until or LATEST
    spans = membership_spans(store, contact_id, since=low, until=high, now=moment)
    kind_list = list(kinds or [])
    user = _user(store, agent) if agent is not None else None
    if case is not None and store.one("SELECT 1 FROM cases WHERE id = ?", (case,)) is None:
        raise NotFound(f"no case with id {case}")
    filters, params = _event_filters(kind_list, user, channel)
    if case is not None:
        filters += " AND e.case_id = :case"
        params["case"] = case
    events = _events(store, spans, filters, params, limit)
    notes: list[dict[str, Any]] = []
    if (not kind_list or "note" in kind_list) and channel is None:
        if case is not None:
            # A note joined the case within a membership (`cases.attach_to_case`); an open
            # one lasts, so that a note written this very second is not cut off.
            spans = membership_spans(store, contact_id, since=low, until=high, now=LATEST)
        notes = _profile_notes(store, spans, low, high, user, limit, case)
    items = sorted(
        [*events, *notes],
        key=lambda item: (item["occurred_at"], item["type"] == "event", item["id"]),
        reverse=True,
    )
    if limit is not None:
        items = items[:limit]
    _nest_notes(store, [item for item in items if item["type"] == "event"])
    return items


def _event_filters(
    kinds: list[str], agent: tuple[int, str] | None, channel: str | None
) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if kinds:
        clauses.append("e.kind IN (SELECT value FROM json_each(:kinds))")
        params["kinds"] = json.dumps(kinds)
    if agent is not None:
        clauses.append("e.agent_id = :agent_id")
        params["agent_id"] = agent[0]
    if channel is not None:
        clauses.append("e.channel = :channel COLLATE NOCASE")
        params["channel"] = channel.strip()
    return "".join(f" AND {clause}" for clause in clauses), params


def _events(
    store: Store,
    spans: list[Span],
    filters: str,
    params: dict[str, Any],
    limit: int | None,
) -> list[dict[str, Any]]:
    conn = store.conn
    select = (
        f"SELECT {_EVENT_COLUMNS} FROM {{source}}"
        " JOIN contacts AS c ON c.id = e.contact_id LEFT JOIN users AS u ON u.id = e.agent_id"
        f" WHERE 1{filters}{{extra}} ORDER BY e.occurred_at DESC, e.id DESC"
    )
    tail = "" if limit is None else " LIMIT :limit"
    values = {**params, "limit": limit}
    if len(spans) == 1:
        contact_id, low, high = spans[0]
        sql = select.format(
            source="events AS e",
            extra=(
                " AND e.contact_id = :contact AND e.occurred_at >= :low AND e.occurred_at < :high"
            ),
        )
        rows = conn.execute(sql + tail, {**values, "contact": contact_id, "low": low, "high": high})
    else:
        if limit is not None:
            cut = _cut_off(store, spans, filters, values, limit)
            if cut is not None:
                spans = [(cid, max(low, cut), high) for cid, low, high in spans if high > cut]
        in_span = _IN_SPAN.format(alias="e", time="occurred_at")
        sql = select.format(source=_SPAN_TABLE, extra=f" AND {in_span}")
        rows = conn.execute(sql + tail, {**values, "spans": json.dumps(spans)})
    return [event_item(row, []) for row in rows]


def _cut_off(
    store: Store, spans: list[Span], filters: str, values: dict[str, Any], limit: int
) -> str | None:
    """The newest of the ranges' N-th newest event times: nothing older can make the top N."""
    sql = (
        "SELECT max((SELECT e.occurred_at FROM events AS e"
        f" WHERE {_IN_SPAN.format(alias='e', time='occurred_at')}{filters}"
        " ORDER BY e.occurred_at DESC LIMIT 1 OFFSET :offset))"
        " FROM json_each(:spans) AS s"
    )
    found = store.one(sql, {**values, "spans": json.dumps(spans), "offset": limit - 1})  # type: ignore[arg-type]
    return None if found is None else str(found)


def _profile_notes(
    store: Store,
    spans: list[Span],
    low: str,
    high: str,
    author: tuple[int, str] | None,
    limit: int | None,
    case: int | None,
) -> list[dict[str, Any]]:
    """The contact's own profile notes; with a `case`, that case's profile notes on the
    timeline's spans (an organization's case holds its members' notes for it)."""
    contact_id = spans[0][0]
    params: dict[str, Any] = {"contact": contact_id, "low": low, "high": high}
    if case is None:
        where = "n.contact_id = :contact AND n.created_at >= :low AND n.created_at < :high"
    else:
        where = (
            "n.case_id = :case AND EXISTS (SELECT 1 FROM json_each(:spans) AS s"
            f" WHERE {_IN_SPAN.format(alias='n', time='created_at')})"
        )
        params.update(case=case, spans=json.dumps(spans))
    sql = (
        "SELECT n.id, n.body, n.author, n.created_at, n.contact_id, c.name FROM notes AS n"
        f" JOIN contacts AS c ON c.id = n.contact_id WHERE {where} AND n.event_id IS NULL"
    )
    if author is not None:
        sql += " AND n.author = :author"
        params["author"] = author[1]
    sql += " ORDER BY n.created_at DESC, n.id DESC"
    if limit is not None:
        sql += " LIMIT :limit"
        params["limit"] = limit
    return [
        {
            "id": note_id,
            "type": "note",
            "occurred_at": created_at,
            "body": body,
            "author": author,
            "created_at": created_at,
            "contact_id": owner,
            "contact_name": name,
        }
        for note_id, body, author, created_at, owner, name in store.conn.execute(sql, params)
    ]


def _nest_notes(store: Store, events: list[dict[str, Any]]) -> None:
    """Attach each event's notes (oldest first, as a conversation reads)."""
    if not events:
        return
    by_id = {event["id"]: event for event in events}
    for note_id, event_id, body, author, created_at in store.conn.execute(
        "SELECT id, event_id, body, author, created_at FROM notes"
        " WHERE event_id IN (SELECT value FROM json_each(?)) ORDER BY created_at, id",
        (json.dumps(list(by_id)),),
    ):
        by_id[event_id]["notes"].append(
            {"id": note_id, "body": body, "author": author, "created_at": created_at}
        )


def _user(store: Store, name: str) -> tuple[int, str]:
    """(id, full name) of the user an `--agent` filter names."""
    from crmkit.values.names import name_key

    row = store.conn.execute(
        "SELECT id, full_name FROM users WHERE key = ?", (name_key(name),)
    ).fetchone()
    if row is None:
        raise NotFound(f"no user named {name.strip()!r}; `crm user list` shows them")
    return int(row[0]), str(row[1])


def _utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

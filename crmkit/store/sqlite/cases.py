"""Cases in SQLite: a contact's matters ("sprawy") that gather its events and notes.

A case belongs to one contact, has a title, an optional guardian (a user), and is
open until closed. Events and notes carry the case they belong to (`case_id`).
An event or note may join a case of its own contact, or of an organization its
contact was a member of at the time (the membership-window rule of the
timeline), so that an organization's case gathers what its people did for it.
"""

from __future__ import annotations

from typing import Any

from crmkit.errors import CrmError, NotFound
from crmkit.store.sqlite.connection import Store
from crmkit.store.sqlite.history import HistoryLog, Origin
from crmkit.values.datetimes import utc_now

__all__ = [
    "insert_case",
    "close_case",
    "case_row",
    "case_rows",
    "attach_to_case",
]

_CASES = (
    "SELECT k.id, k.contact_id, c.name, k.title, u.full_name, k.opened_at, k.closed_at, k.user,"
    " (SELECT count(*) FROM events WHERE case_id = k.id),"
    " (SELECT count(*) FROM notes WHERE case_id = k.id)"
    " FROM cases k JOIN contacts c ON c.id = k.contact_id"
    " LEFT JOIN users u ON u.id = k.guardian_id"
)


def insert_case(
    store: Store, contact_id: int, title: str, guardian_id: int | None, user: str | None
) -> dict[str, Any]:
    """Open a case on a contact; return it."""
    if store.one("SELECT 1 FROM contacts WHERE id = ?", (contact_id,)) is None:
        raise NotFound(f"no contact with id {contact_id}")
    now = utc_now()
    log = HistoryLog(store, Origin(user, store.source), now)
    with store.transaction() as conn:
        cursor = conn.execute(
            "INSERT INTO cases (contact_id, title, guardian_id, opened_at, user)"
            " VALUES (?, ?, ?, ?, ?)",
            (contact_id, title, guardian_id, now, user),
        )
        case_id = int(cursor.lastrowid or 0)
        log.add("case open", contact_id, detail={"case": case_id, "title": title})
        log.flush()
    return case_row(store, case_id)


def close_case(store: Store, case_id: int, user: str | None) -> dict[str, Any]:
    """Close an open case; return it. `CrmError` if it is closed already."""
    case = case_row(store, case_id)
    if case["closed_at"] is not None:
        raise CrmError(f"case {case_id} is closed already (since {case['closed_at']})")
    now = utc_now()
    log = HistoryLog(store, Origin(user, store.source), now)
    with store.transaction() as conn:
        conn.execute("UPDATE cases SET closed_at = ? WHERE id = ?", (now, case_id))
        log.add("case close", case["contact_id"], detail={"case": case_id, "title": case["title"]})
        log.flush()
    return case_row(store, case_id)


def case_row(store: Store, case_id: int) -> dict[str, Any]:
    """Return one case with its counts of events and notes; raise `NotFound`."""
    row = store.conn.execute(f"{_CASES} WHERE k.id = ?", (case_id,)).fetchone()
    if row is None:
        raise NotFound(f"no case with id {case_id}")
    return _case(row)


def case_rows(store: Store, contact_id: int | None, open_only: bool) -> list[dict[str, Any]]:
    """Return the cases of a contact (or of everyone), newest first."""
    where, params = [], []
    if contact_id is not None:
        if store.one("SELECT 1 FROM contacts WHERE id = ?", (contact_id,)) is None:
            raise NotFound(f"no contact with id {contact_id}")
        where.append("k.contact_id = ?")
        params.append(contact_id)
    if open_only:
        where.append("k.closed_at IS NULL")
    sql = _CASES + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY k.id DESC"
    return [_case(row) for row in store.conn.execute(sql, params)]


def attach_to_case(store: Store, table: str, row_id: int, case_id: int) -> None:
    """Put a new event or note (`table`: events or notes) into a case, inside the caller's
    transaction; `CrmError` if the case is closed or not on the row's contact's timeline."""
    if table not in ("events", "notes"):
        raise ValueError(f"only events and notes join cases, not {table}")
    case = case_row(store, case_id)
    if case["closed_at"] is not None:
        raise CrmError(f"case {case_id} is closed; open a new one with `crm case open`")
    time_column = "occurred_at" if table == "events" else "created_at"
    contact_id, at = store.conn.execute(
        f"SELECT contact_id, {time_column} FROM {table} WHERE id = ?", (row_id,)
    ).fetchone()
    if contact_id != case["contact_id"] and not store.one(
        "SELECT 1 FROM memberships WHERE organization_id = ? AND person_id = ?"
        " AND (since IS NULL OR since <= ?) AND (until IS NULL OR ? < until)",
        (case["contact_id"], contact_id, at, at),
    ):
        raise CrmError(
            f"case {case_id} is a case of contact {case['contact_id']}, whose timeline does not"
            f" hold contact {contact_id}'s {table[:-1]} (not its own, nor of a member then)"
        )
    store.conn.execute(f"UPDATE {table} SET case_id = ? WHERE id = ?", (case_id, row_id))


def _case(row: tuple[Any, ...]) -> dict[str, Any]:
    (case_id, contact_id, name, title, guardian, opened, closed, user, events, notes) = row
    return {
        "id": case_id,
        "contact_id": contact_id,
        "contact_name": name,
        "title": title,
        "status": "open" if closed is None else "closed",
        "guardian": guardian,
        "opened_at": opened,
        "closed_at": closed,
        "user": user,
        "events": events,
        "notes": notes,
    }

"""Campaigns in SQLite: the campaigns, the contacts enrolled in each, and each one's outcome.

A contact's place in a campaign is one row of `campaign_contacts`: its status (one
the campaign allows), the agent working it, the next call-back (UTC) and the latest
note. Enrolling a filtered selection is one `INSERT ... SELECT` over the compiled
filters, and its history entries one more, so that a million contacts never pass
through Python. Each outcome recorded with a status is also an event of kind
`campaign` on the contact's timeline.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from crmkit.errors import CrmError, NotFound
from crmkit.store.sqlite.connection import Store
from crmkit.store.sqlite.events import INSERT_EVENT
from crmkit.store.sqlite.history import HistoryLog, Origin
from crmkit.store.sqlite.reference import active_user_id
from crmkit.values.datetimes import utc_now
from crmkit.values.names import name_key

if TYPE_CHECKING:
    from crmkit.store.sqlite.query.selection import Selection

__all__ = [
    "insert_campaign",
    "campaign_row",
    "campaign_rows",
    "enroll_contacts",
    "save_outcome",
    "delete_enrollment",
    "enrolled_rows",
]

_ENROLLED = (
    "SELECT cc.contact_id, c.name,"
    " (SELECT json_group_array(number) FROM"
    "  (SELECT number FROM phones WHERE contact_id = cc.contact_id ORDER BY position) AS p),"
    " (SELECT address FROM emails WHERE contact_id = cc.contact_id ORDER BY position LIMIT 1),"
    " cc.status, u.full_name, cc.callback_at, cc.note, cc.enrolled_at, cc.updated_at"
    " FROM campaign_contacts cc JOIN contacts c ON c.id = cc.contact_id"
    " LEFT JOIN users u ON u.id = cc.agent_id"
)
_HISTORY_OF_NEW = (
    "INSERT INTO history (at, user, source, source_id, action, contact_id, changes)"
    " SELECT ?, ?, ?, ?, 'campaign enroll', contact_id, ? FROM campaign_contacts"
    " WHERE campaign_id = ? AND id > ? ORDER BY id"
)


def insert_campaign(
    store: Store, name: str, statuses: Sequence[str], user: str | None
) -> dict[str, Any]:
    """Create a campaign; raise `CrmError` if the name is taken."""
    key = name_key(name)
    with store.transaction() as conn:
        if store.one("SELECT 1 FROM campaigns WHERE key = ?", (key,)):
            raise CrmError(f"a campaign named {name!r} exists already")
        conn.execute(
            "INSERT INTO campaigns (name, key, statuses, created_at, user) VALUES (?, ?, ?, ?, ?)",
            (name, key, json.dumps(list(statuses), ensure_ascii=False), utc_now(), user),
        )
    return campaign_row(store, name)


def campaign_row(store: Store, name: str) -> dict[str, Any]:
    """Return a campaign by name (any case) with its statuses; raise `NotFound`."""
    rows = store.rows(
        "SELECT id, name, statuses, created_at, user FROM campaigns WHERE key = ?",
        (name_key(name),),
    )
    if not rows:
        known = ", ".join(row[0] for row in store.conn.execute("SELECT name FROM campaigns"))
        raise NotFound(
            f"no campaign named {name.strip()!r}"
            + (f" (campaigns: {known})" if known else "; add one with `crm campaign add NAME`")
        )
    row = dict(rows[0])
    row["statuses"] = json.loads(row["statuses"])
    return row


def campaign_rows(store: Store) -> list[dict[str, Any]]:
    """Return every campaign, by name, with how many contacts it holds and how many are due."""
    now = utc_now()
    rows = []
    for row in store.rows(
        "SELECT k.id, k.name, k.statuses, k.created_at, k.user,"
        " (SELECT count(*) FROM campaign_contacts WHERE campaign_id = k.id) AS enrolled,"
        " (SELECT count(*) FROM campaign_contacts WHERE campaign_id = k.id"
        "  AND callback_at IS NOT NULL AND callback_at <= ?) AS due"
        " FROM campaigns k ORDER BY k.key",
        (now,),
    ):
        entry = dict(row)
        entry["statuses"] = json.loads(entry["statuses"])
        rows.append(entry)
    return rows


def enroll_contacts(
    store: Store,
    campaign: dict[str, Any],
    *,
    ids: Sequence[int] = (),
    selection: Selection | None = None,
    user: str | None,
) -> dict[str, int]:
    """Enroll the contacts with these ids and those of a selection, with the first status.

    Contacts enrolled already keep their status, agent and call-back. Return how
    many contacts were named (`selected`), newly enrolled and enrolled already.
    """
    sources: list[tuple[str, tuple[Any, ...]]] = []
    if ids:
        payload = json.dumps(sorted(set(ids)))
        missing = [
            row[0]
            for row in store.conn.execute(
                "SELECT CAST(value AS INTEGER) FROM json_each(?)"
                " WHERE CAST(value AS INTEGER) NOT IN (SELECT id FROM contacts)",
                (payload,),
            )
        ]
        if missing:
            shown = ", ".join(str(contact_id) for contact_id in missing[:20])
            raise NotFound(f"no contact with id {shown}")
        sources.append(("SELECT CAST(value AS INTEGER) AS id FROM json_each(?)", (payload,)))
    if selection is not None:
        sources.extend(_selection_sources(selection))
    union = " UNION ".join(sql for sql, _ in sources)
    params = tuple(param for _, params in sources for param in params)
    status = campaign["statuses"][0]
    now = utc_now()
    origin = Origin(user, store.source)
    changes = json.dumps([[_field(campaign, "status"), None, status]], ensure_ascii=False)
    with store.transaction() as conn:
        selected = int(store.one(f"SELECT count(*) FROM ({union}) AS s", params))
        last = store.one("SELECT coalesce(max(id), 0) FROM campaign_contacts")
        cursor = conn.execute(
            "INSERT INTO campaign_contacts"
            " (campaign_id, contact_id, status, enrolled_at, updated_at)"
            f" SELECT ?, s.id, ?, ?, ? FROM ({union}) AS s"
            " WHERE NOT EXISTS (SELECT 1 FROM campaign_contacts e"
            "  WHERE e.campaign_id = ? AND e.contact_id = s.id)"
            " ORDER BY s.id",
            (campaign["id"], status, now, now, *params, campaign["id"]),
        )
        enrolled = cursor.rowcount
        conn.execute(
            _HISTORY_OF_NEW,
            (now, origin.user, origin.source, origin.source_id, changes, campaign["id"], last),
        )
    return {"selected": selected, "enrolled": enrolled, "already": selected - enrolled}


def _selection_sources(selection: Selection) -> list[tuple[str, tuple[Any, ...]]]:
    """Return a SELECT of contact ids for each pass of a compiled selection, which must be
    unranked and unlimited (an enrollment takes all of it, in no order)."""
    if selection.ranked is not None or selection.limit is not None:
        raise CrmError("a ranked or limited search cannot be enrolled; give filters or text")
    # A pass's parameters end with those of its ORDER BY, left out here.
    return [
        (
            f"SELECT c.id AS id FROM contacts c WHERE {sql_pass.where}",
            sql_pass.params[: sql_pass.where.count("?")],
        )
        for sql_pass in selection.passes
    ]


def save_outcome(
    store: Store,
    campaign: dict[str, Any],
    contact_id: int,
    *,
    status: str | None,
    agent: str | None,
    callback: str | None,
    note: str | None,
    user: str | None,
) -> dict[str, Any]:
    """Record an outcome of a contact in a campaign; return its row and the event logged.

    `status` must be one the campaign allows (any case), `agent` an active user,
    `callback` UTC text ("" clears it). A new status without a call-back clears
    the old one: the plan belonged to the previous outcome. A status (even the
    same one again) is logged as an event of kind `campaign`.
    """
    before = _enrollment(store, campaign, contact_id)
    changes: dict[str, Any] = {}
    if status is not None:
        changes["status"] = _allowed_status(campaign, status)
        if callback is None:
            callback = ""
    agent_id = before["agent_id"]
    if agent is not None:
        agent_id = active_user_id(store, agent) if agent.strip() else None
        changes["agent"] = _user_name(store, agent_id)
    if callback is not None:
        changes["callback"] = callback or None
    if note is not None:
        changes["note"] = note or None
    now = utc_now()
    values = {
        "status": changes.get("status", before["status"]),
        "agent_id": agent_id,
        "callback_at": changes.get("callback", before["callback"]),
        "note": changes.get("note", before["note"]),
    }
    log = HistoryLog(store, Origin(user, store.source), now, action="campaign set")
    with store.transaction() as conn:
        conn.execute(
            "UPDATE campaign_contacts SET status = ?, agent_id = ?, callback_at = ?, note = ?,"
            " updated_at = ? WHERE id = ?",
            (*values.values(), now, before["id"]),
        )
        event_id = None
        if status is not None:
            event_id = _log_event(store, campaign, contact_id, before["status"], values, note)
        log.add(
            "campaign set",
            contact_id,
            changes=[
                [_field(campaign, part), before[part], new]
                for part, new in changes.items()
                if before[part] != new
            ],
            detail={"campaign": campaign["name"], "event": event_id},
        )
        log.flush()
    row = next(enrolled_rows(store, campaign, contact_id=contact_id))
    row["event_id"] = event_id
    return row


def delete_enrollment(
    store: Store, campaign: dict[str, Any], contact_id: int, user: str | None
) -> dict[str, Any]:
    """Take a contact out of a campaign; return the row it had."""
    before = _enrollment(store, campaign, contact_id)
    row = next(enrolled_rows(store, campaign, contact_id=contact_id))
    log = HistoryLog(store, Origin(user, store.source), utc_now(), action="campaign remove")
    with store.transaction() as conn:
        conn.execute("DELETE FROM campaign_contacts WHERE id = ?", (before["id"],))
        log.add(
            "campaign remove",
            contact_id,
            changes=[[_field(campaign, "status"), before["status"], None]],
            detail={"campaign": campaign["name"]},
        )
        log.flush()
    return row


def enrolled_rows(
    store: Store,
    campaign: dict[str, Any],
    *,
    status: str | None = None,
    agent: str | None = None,
    due_before: str | None = None,
    contact_id: int | None = None,
    limit: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Return the contacts of a campaign, streamed: by call-back when `due_before` is
    given (call-backs at or before it, earliest first), else by contact id (the order of
    the unique index: no sort, so a million rows stream in little memory)."""
    where = ["cc.campaign_id = ?"]
    params: list[Any] = [campaign["id"]]
    if contact_id is not None:
        where.append("cc.contact_id = ?")
        params.append(contact_id)
    if status is not None:
        where.append("cc.status = ?")
        params.append(_allowed_status(campaign, status))
    if agent is not None:
        where.append("cc.agent_id = ?")
        params.append(_known_user_id(store, agent))
    order = "cc.contact_id"
    if due_before is not None:
        where.append("cc.callback_at IS NOT NULL AND cc.callback_at <= ?")
        params.append(due_before)
        order = "cc.callback_at, cc.id"
    sql = f"{_ENROLLED} WHERE {' AND '.join(where)} ORDER BY {order}"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    for row in store.conn.execute(sql, params):
        (cid, name, phones, email, status_, agent_, callback, note, enrolled, updated) = row
        numbers = json.loads(phones)
        yield {
            "id": cid,
            "name": name,
            "phone": numbers[0] if numbers else None,
            "phones": numbers,
            "email": email,
            "status": status_,
            "agent": agent_,
            "callback": callback,
            "note": note,
            "enrolled_at": enrolled,
            "updated_at": updated,
        }


def _known_user_id(store: Store, name: str) -> int:
    found = store.one("SELECT id FROM users WHERE key = ?", (name_key(name),))
    if found is None:
        raise NotFound(f"no user named {name.strip()!r}")
    return int(found)


def _user_name(store: Store, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    return str(store.one("SELECT full_name FROM users WHERE id = ?", (user_id,)))


def _enrollment(store: Store, campaign: dict[str, Any], contact_id: int) -> dict[str, Any]:
    row = store.conn.execute(
        "SELECT cc.id, cc.status, cc.agent_id, u.full_name, cc.callback_at, cc.note"
        " FROM campaign_contacts cc LEFT JOIN users u ON u.id = cc.agent_id"
        " WHERE cc.campaign_id = ? AND cc.contact_id = ?",
        (campaign["id"], contact_id),
    ).fetchone()
    if row is None:
        if store.one("SELECT 1 FROM contacts WHERE id = ?", (contact_id,)) is None:
            raise NotFound(f"no contact with id {contact_id}")
        raise CrmError(
            f"contact {contact_id} is not in campaign {campaign['name']!r};"
            f" enroll it first: crm campaign enroll {_quoted(campaign['name'])} {contact_id}"
        )
    ident, status, agent_id, agent, callback, note = row
    return {
        "id": ident,
        "status": status,
        "agent_id": agent_id,
        "agent": agent,
        "callback": callback,
        "note": note,
    }


def _allowed_status(campaign: dict[str, Any], status: str) -> str:
    """Return the campaign's spelling of a status; `CrmError` listing them if it has none."""
    for allowed in campaign["statuses"]:
        if name_key(allowed) == name_key(status):
            return str(allowed)
    raise CrmError(
        f"status {status.strip()!r} is not one of campaign {campaign['name']!r}:"
        f" {', '.join(campaign['statuses'])}"
    )


def _log_event(
    store: Store,
    campaign: dict[str, Any],
    contact_id: int,
    old_status: str,
    values: dict[str, Any],
    note: str | None,
) -> int:
    """Log the outcome as an event of kind `campaign` whose channel is the campaign's
    name; return its id."""
    new_status = values["status"]
    subject = new_status if new_status == old_status else f"{old_status} → {new_status}"
    if values["callback_at"]:
        subject += f" (call-back {values['callback_at']})"
    now = utc_now()
    cursor = store.conn.execute(
        INSERT_EVENT,
        (
            contact_id,
            "campaign",
            None,
            now,
            None,
            subject,
            note or None,
            campaign["name"],
            values["agent_id"],
            "campaign",
            None,
            now,
        ),
    )
    return int(cursor.lastrowid or 0)


def _field(campaign: dict[str, Any], part: str) -> str:
    """Return the name the history gives one part of a contact's place in a campaign."""
    return f"campaign.{campaign['name']}.{part}"


def _quoted(name: str) -> str:
    return f'"{name}"' if any(char.isspace() for char in name) else name

"""Consents per channel, with their legal basis; each change goes into the contact's history."""

from __future__ import annotations

from typing import Any

from crmkit.errors import CrmError, NotFound
from crmkit.store.sqlite.connection import Store
from crmkit.store.sqlite.history import HistoryLog, Origin
from crmkit.values.datetimes import utc_now

__all__ = ["CHANNELS", "BASES", "set_consent", "list_consents"]

CHANNELS = ("email", "phone", "sms", "marketing")
BASES = ("consent", "contract", "legal_obligation", "legitimate_interest")


def set_consent(
    store: Store,
    contact_id: int,
    channel: str,
    *,
    given: bool,
    basis: str,
    at: str | None,
    source: str | None,
    user: str | None,
) -> dict[str, Any]:
    """Record that the contact gave or withdrew consent on a channel; return the consent."""
    if channel not in CHANNELS:
        raise CrmError(f"unknown channel {channel!r}; use one of: {', '.join(CHANNELS)}")
    if basis not in BASES:
        raise CrmError(f"unknown legal basis {basis!r}; use one of: {', '.join(BASES)}")
    if store.one("SELECT 1 FROM contacts WHERE id = ?", (contact_id,)) is None:
        raise NotFound(f"no contact with id {contact_id}")
    state = "given" if given else "withdrawn"
    now = utc_now()
    new = {"state": state, "basis": basis, "at": at or now, "source": source}
    old = _consent(store, contact_id, channel)
    log = HistoryLog(store, Origin(user, store.source), now, action="consent")
    with store.transaction() as conn:
        conn.execute(
            "INSERT OR REPLACE INTO consents (contact_id, channel, state, basis, at, source, user)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (contact_id, channel, state, basis, new["at"], source, user),
        )
        conn.execute("UPDATE contacts SET updated_at = ? WHERE id = ?", (now, contact_id))
        log.add("consent", contact_id, [[f"consent.{channel}", old, new]])
        log.flush()
    return {"channel": channel, **new, "user": user}


def list_consents(store: Store, contact_id: int) -> list[dict[str, Any]]:
    """Return the contact's consents, one per channel that has one, in channel order."""
    rows = {
        row["channel"]: dict(row)
        for row in store.rows(
            "SELECT channel, state, basis, at, source, user FROM consents WHERE contact_id = ?",
            (contact_id,),
        )
    }
    return [rows[channel] for channel in CHANNELS if channel in rows]


def _consent(store: Store, contact_id: int, channel: str) -> dict[str, Any] | None:
    row = store.conn.execute(
        "SELECT state, basis, at, source FROM consents WHERE contact_id = ? AND channel = ?",
        (contact_id, channel),
    ).fetchone()
    if row is None:
        return None
    return {"state": row[0], "basis": row[1], "at": row[2], "source": row[3]}

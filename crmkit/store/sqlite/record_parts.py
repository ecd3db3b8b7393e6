"""The parts of a JSON record that hang on a contact beyond its own lists: its campaigns.

Read for a chunk of contacts at a time (ids as a JSON list), one query per part,
like the rest of `records`.
"""

from __future__ import annotations

from typing import Any

from crmkit.store.sqlite.connection import Store

__all__ = ["campaigns_of"]


def campaigns_of(
    store: Store, payload: str, user_names: dict[int, str]
) -> dict[int, list[dict[str, Any]]]:
    """Return the campaigns of a batch of contacts (ids as a JSON list), by contact,
    each list by campaign name: what the JSON record carries as `campaigns`."""
    found: dict[int, list[dict[str, Any]]] = {}
    for cid, name, status, agent_id, callback, note, enrolled, updated in store.conn.execute(
        "SELECT cc.contact_id, k.name, cc.status, cc.agent_id, cc.callback_at, cc.note,"
        " cc.enrolled_at, cc.updated_at FROM campaign_contacts cc"
        " JOIN campaigns k ON k.id = cc.campaign_id"
        " WHERE cc.contact_id IN (SELECT value FROM json_each(?)) ORDER BY cc.contact_id, k.key",
        (payload,),
    ):
        found.setdefault(cid, []).append(
            {
                "name": name,
                "status": status,
                "agent": user_names.get(agent_id) if agent_id is not None else None,
                "callback": callback,
                "note": note,
                "enrolled_at": enrolled,
                "updated_at": updated,
            }
        )
    return found

"""The parts of a JSON record that hang on a contact beyond its own lists: its campaigns.

`RecordParts` is made once per read of records (it holds the few names it needs)
and reads the parts of a chunk of contacts with one query per part, like the rest
of `records`. The query takes the chunk as a range of ids when the chunk is dense
(`bulk.batch_condition`): an export of a million contacts reads its chunks that way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from crmkit.store.sqlite.bulk import batch_condition
from crmkit.store.sqlite.connection import Store

__all__ = ["RecordParts"]


class RecordParts:
    """Reader of the campaigns of chunks of contacts."""

    def __init__(self, store: Store, user_names: dict[int, str]) -> None:
        self.store = store
        self.user_names = user_names
        self.campaign_names = dict(store.conn.execute("SELECT id, name FROM campaigns"))

    def read(self, batch: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Return, for each contact of the batch that has any, `{"campaigns": [...]}`."""
        found: dict[int, dict[str, Any]] = {}
        if self.campaign_names:
            for contact_id, campaigns in self._campaigns(batch).items():
                found.setdefault(contact_id, {})["campaigns"] = campaigns
        return found

    def _campaigns(self, batch: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
        """Each contact's campaigns, by campaign name: status, agent, call-back, note."""
        condition, params = batch_condition(batch)
        names, users = self.campaign_names, self.user_names
        found: dict[int, list[dict[str, Any]]] = {}
        for (
            cid,
            campaign_id,
            status,
            agent_id,
            callback,
            note,
            enrolled,
            updated,
        ) in self.store.conn.execute(
            "SELECT contact_id, campaign_id, status, agent_id, callback_at, note,"
            f" enrolled_at, updated_at FROM campaign_contacts WHERE contact_id {condition}",
            params,
        ):
            found.setdefault(cid, []).append(
                {
                    "name": names[campaign_id],
                    "status": status,
                    "agent": users.get(agent_id) if agent_id is not None else None,
                    "callback": callback,
                    "note": note,
                    "enrolled_at": enrolled,
                    "updated_at": updated,
                }
            )
        for campaigns in found.values():
            if len(campaigns) > 1:
                campaigns.sort(key=lambda campaign: campaign["name"].casefold())
        return found

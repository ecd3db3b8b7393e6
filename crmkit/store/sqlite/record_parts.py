"""The parts of a JSON record that hang on a contact beyond its own lists: its campaigns,
the records of its groups of special fields, and its cases.

`RecordParts` is made once per read of records (it holds the few names it needs)
and reads the parts of a chunk of contacts with one query per part, like the rest
of `records`. The query takes the chunk as a range of ids when the chunk is dense
(`bulk.batch_condition`): an export of a million contacts reads its chunks that way.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from crmkit.store.sqlite.bulk import batch_condition
from crmkit.store.sqlite.connection import Store

__all__ = ["RecordParts"]


class RecordParts:
    """Reader of the campaigns, group records and cases of chunks of contacts.

    A base without campaigns (or groups, or cases) is not asked about them at all.
    """

    def __init__(self, store: Store, user_names: dict[int, str]) -> None:
        self.store = store
        self.user_names = user_names
        self.campaign_names = dict(store.conn.execute("SELECT id, name FROM campaigns"))
        self.group_keys = dict(store.conn.execute("SELECT id, key FROM field_groups"))
        self.any_cases = store.one("SELECT 1 FROM cases LIMIT 1") is not None

    def read(self, batch: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Return, for each contact of the batch that has any, its `campaigns` (a list by
        campaign name), `groups` (group key -> its records by id) and `cases` (by id)."""
        found: dict[int, dict[str, Any]] = {}
        if self.campaign_names:
            for contact_id, campaigns in self._campaigns(batch).items():
                found.setdefault(contact_id, {})["campaigns"] = campaigns
        if self.group_keys:
            for contact_id, groups in self._groups(batch).items():
                found.setdefault(contact_id, {})["groups"] = groups
        if self.any_cases:
            for contact_id, cases in self._cases(batch).items():
                found.setdefault(contact_id, {})["cases"] = cases
        return found

    def _cases(self, batch: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
        """Each contact's cases: id, title, status, guardian, when opened and closed."""
        condition, params = batch_condition(batch)
        users = self.user_names
        found: dict[int, list[dict[str, Any]]] = {}
        for cid, case_id, title, guardian_id, opened, closed in self.store.conn.execute(
            "SELECT contact_id, id, title, guardian_id, opened_at, closed_at FROM cases"
            f" WHERE contact_id {condition} ORDER BY contact_id, id",
            params,
        ):
            found.setdefault(cid, []).append(
                {
                    "id": case_id,
                    "title": title,
                    "status": "open" if closed is None else "closed",
                    "guardian": users.get(guardian_id) if guardian_id is not None else None,
                    "opened_at": opened,
                    "closed_at": closed,
                }
            )
        return found

    def _groups(self, batch: Sequence[int]) -> dict[int, dict[str, list[dict[str, Any]]]]:
        """Each contact's group records: `{"orders": [{"id": 3, "amount": 1500, ...}]}`."""
        condition, params = batch_condition(batch)
        keys = self.group_keys
        found: dict[int, dict[str, list[dict[str, Any]]]] = {}
        for cid, group_id, record_id, fields in self.store.conn.execute(
            "SELECT contact_id, group_id, id, fields FROM group_records"
            f" WHERE contact_id {condition} ORDER BY contact_id, group_id, id",
            params,
        ):
            groups = found.setdefault(cid, {})
            groups.setdefault(keys[group_id], []).append({"id": record_id, **json.loads(fields)})
        for cid, groups in found.items():
            if len(groups) > 1:
                found[cid] = dict(sorted(groups.items()))
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

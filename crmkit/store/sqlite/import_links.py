"""What a contact import adds beside its contacts: their place in the mapping's campaign,
and the group records and campaigns a JSON record carries.

Rows name their contacts as the import goes, but the writer stores contacts in
batches; so what hangs on them waits in temporary tables and is written at the
end, inside the import's transaction. Enrolling is then a few statements however
many rows there were: contacts enrolled already keep their place (a status from
the file replaces theirs), the others are enrolled with the file's status or the
campaign's first. Every change is a history entry of the import (`campaign
enroll`, `campaign set`, `record add`), which undoing the import takes back.
"""

from __future__ import annotations

import json
from typing import Any

from crmkit.store.sqlite.connection import Store
from crmkit.store.sqlite.history import HistoryLog, Origin
from crmkit.store.sqlite.record_import import RecordInserts
from crmkit.values.names import name_key

__all__ = ["ImportLinks"]

_BATCH = 5000
_NOTE_ENROLLMENT = (
    "INSERT INTO temp.import_enrollment (contact_id, status) VALUES (?, ?)"
    " ON CONFLICT (contact_id) DO UPDATE"
    " SET status = coalesce(excluded.status, import_enrollment.status)"
)
_HISTORY = "INSERT INTO history (at, user, source, source_id, action, contact_id, changes, detail)"
# Enrolled already, with another status in the file: an entry, then the new status. A new
# status clears the call-back, as `crm campaign set` does: it belonged to the old one.
_CHANGED_PLACES = (
    "SELECT cc.contact_id, cc.status, t.status, cc.callback_at FROM temp.import_enrollment t"
    " JOIN campaign_contacts cc ON cc.campaign_id = ? AND cc.contact_id = t.contact_id"
    " WHERE t.status IS NOT NULL AND cc.status != t.status ORDER BY cc.contact_id"
)
# Each status the file changes or gives is an event on the timeline (kind `campaign`,
# the campaign's name as its channel), as `crm campaign set` logs it; tagged with the
# import, so that undoing it takes them out.
_EVENTS_OF_SET = (
    "INSERT INTO events (contact_id, kind, occurred_at, subject, channel, source, created_at,"
    " import_id) SELECT cc.contact_id, 'campaign', ?1, cc.status || ' → ' || t.status, ?2,"
    " 'campaign', ?1, ?3 FROM temp.import_enrollment t JOIN campaign_contacts cc"
    " ON cc.campaign_id = ?4 AND cc.contact_id = t.contact_id"
    " WHERE t.status IS NOT NULL AND cc.status != t.status ORDER BY cc.contact_id"
)
_EVENTS_OF_NEW = (
    "INSERT INTO events (contact_id, kind, occurred_at, subject, channel, source, created_at,"
    " import_id) SELECT t.contact_id, 'campaign', ?1, t.status, ?2, 'campaign', ?1, ?3"
    " FROM temp.import_enrollment t WHERE t.status IS NOT NULL AND NOT EXISTS"
    " (SELECT 1 FROM campaign_contacts e WHERE e.campaign_id = ?4 AND e.contact_id = t.contact_id)"
    " ORDER BY t.contact_id"
)
# The rows to change are chosen once, from the import's contacts (not per enrolled row).
_SET = (
    "UPDATE campaign_contacts SET status = (SELECT t.status FROM temp.import_enrollment t"
    "  WHERE t.contact_id = campaign_contacts.contact_id), callback_at = NULL, updated_at = ?1"
    " WHERE id IN (SELECT cc.id FROM temp.import_enrollment t JOIN campaign_contacts cc"
    "  ON cc.campaign_id = ?2 AND cc.contact_id = t.contact_id"
    "  WHERE t.status IS NOT NULL AND cc.status != t.status)"
)
_ENROLL = (
    "INSERT INTO campaign_contacts (campaign_id, contact_id, status, enrolled_at, updated_at)"
    " SELECT ?1, t.contact_id, coalesce(t.status, ?2), ?3, ?3 FROM temp.import_enrollment t"
    " WHERE NOT EXISTS (SELECT 1 FROM campaign_contacts e"
    "  WHERE e.campaign_id = ?1 AND e.contact_id = t.contact_id)"
    " ORDER BY t.contact_id"
)
_NEW_PLACES = (
    "SELECT contact_id, status FROM campaign_contacts WHERE campaign_id = ? AND id > ? ORDER BY id"
)


class ImportLinks:
    """The campaign enrollments and record parts of one contact import.

    `note` is called with each row's contact once it is known; `finish` writes
    what they call for and leaves in `problems` the warnings about parts that could
    not be added (a group or campaign the base lacks), one per missing name.
    """

    def __init__(
        self, store: Store, origin: Origin, now: str, campaign: dict[str, Any] | None
    ) -> None:
        self.store = store
        self.origin = origin
        self.now = now
        self.campaign = campaign
        self.enrolled = 0
        self.statuses_set = 0
        self.records = RecordInserts(store, origin, now)
        self.problems: list[tuple[str, str | None, str | None, str]] = []
        self._enrollments: list[tuple[int, str | None]] = []
        self._parts: list[tuple[int, str]] = []
        self._tables = False

    def note(self, contact_id: int, status: str | None, parts: dict[str, Any] | None) -> None:
        """Remember a row's contact: its status in the campaign, its JSON record's parts."""
        if self.campaign is not None:
            self._enrollments.append((contact_id, status))
            if len(self._enrollments) >= _BATCH:
                self._spill()
        if parts:
            self._parts.append((contact_id, json.dumps(parts, ensure_ascii=False)))
            if len(self._parts) >= _BATCH:
                self._spill()

    def _spill(self) -> None:
        """Move what was noted to the temporary tables."""
        conn = self.store.conn
        if not self._tables:
            conn.execute(
                "CREATE TEMP TABLE IF NOT EXISTS import_enrollment"
                " (contact_id INTEGER PRIMARY KEY, status TEXT)"
            )
            conn.execute(
                "CREATE TEMP TABLE IF NOT EXISTS import_parts"
                " (id INTEGER PRIMARY KEY, contact_id INTEGER, parts TEXT)"
            )
            conn.execute("DELETE FROM temp.import_enrollment")
            conn.execute("DELETE FROM temp.import_parts")
            self._tables = True
        conn.executemany(_NOTE_ENROLLMENT, self._enrollments)
        conn.executemany(
            "INSERT INTO temp.import_parts (contact_id, parts) VALUES (?, ?)", self._parts
        )
        self._enrollments.clear()
        self._parts.clear()

    def finish(self) -> None:
        """Write the enrollments and the parts, once the import's contacts are stored."""
        if self.campaign is None and not self._tables and not self._parts:
            return
        self._spill()
        if self.campaign is not None:
            self._enroll(self.campaign)
        self._add_parts()
        conn = self.store.conn
        conn.execute("DROP TABLE temp.import_enrollment")
        conn.execute("DROP TABLE temp.import_parts")
        self._tables = False

    def _enroll(self, campaign: dict[str, Any]) -> None:
        conn = self.store.conn
        origin = self.origin
        field = f"campaign.{campaign['name']}."
        detail = json.dumps({"campaign": campaign["name"]}, ensure_ascii=False)
        status, callback = field + "status", field + "callback"
        changed = [
            (contact_id, [[status, old, new]] + ([[callback, at, None]] if at else []))
            for contact_id, old, new, at in conn.execute(_CHANGED_PLACES, (campaign["id"],))
        ]
        self._log("campaign set", changed, detail)
        logged = (self.now, campaign["name"], origin.source_id, campaign["id"])
        conn.execute(_EVENTS_OF_SET, logged)
        conn.execute(_EVENTS_OF_NEW, logged)
        self.statuses_set = conn.execute(_SET, (self.now, campaign["id"])).rowcount
        last = self.store.one("SELECT coalesce(max(id), 0) FROM campaign_contacts")
        first = campaign["statuses"][0]
        self.enrolled = conn.execute(_ENROLL, (campaign["id"], first, self.now)).rowcount
        added = [
            (contact_id, [[status, None, new]])
            for contact_id, new in conn.execute(_NEW_PLACES, (campaign["id"], last))
        ]
        self._log("campaign enroll", added, detail)

    def _log(self, action: str, changes: list[tuple[int, list[list[Any]]]], detail: str) -> None:
        """Write one history entry per contact: its changes, as the history keeps them."""
        origin = self.origin
        self.store.conn.executemany(
            _HISTORY + " VALUES (?, ?, 'import', ?, ?, ?, ?, ?)",
            [
                (
                    self.now,
                    origin.user,
                    origin.source_id,
                    action,
                    contact_id,
                    json.dumps(change, ensure_ascii=False),
                    detail,
                )
                for contact_id, change in changes
            ],
        )

    def _add_parts(self) -> None:
        """Add each JSON record's group records and enrollments, in file order."""
        groups: dict[str, dict[str, Any] | None] = {}
        campaigns: dict[str, dict[str, Any] | None] = {}
        log = HistoryLog(self.store, self.origin, self.now)
        rows = self.store.conn.execute(
            "SELECT contact_id, parts FROM temp.import_parts ORDER BY id"
        ).fetchall()
        for contact_id, text in rows:
            parts = json.loads(text)
            for key, records in (parts.get("groups") or {}).items():
                group = self._known(groups, "group", key)
                if group is not None:
                    for record in records:
                        self._add_record(group, contact_id, record)
            for entry in parts.get("campaigns") or []:
                campaign = self._known(campaigns, "campaign", str(entry.get("name") or ""))
                if campaign is not None:
                    self._add_enrollment(campaign, contact_id, entry, log)
        self.records.flush()
        log.flush()

    def _known(
        self, cache: dict[str, dict[str, Any] | None], what: str, name: str
    ) -> dict[str, Any] | None:
        """The group or campaign of this name, or None with a warning (once per name)."""
        from crmkit.errors import NotFound
        from crmkit.store.sqlite.campaigns import campaign_row
        from crmkit.store.sqlite.groups import group_row

        if name not in cache:
            try:
                cache[name] = (
                    group_row(self.store, name)
                    if what == "group"
                    else campaign_row(self.store, name)
                )
            except NotFound:
                cache[name] = None
                column = "groups" if what == "group" else "campaigns"
                reason = f"no {what} {name!r} in this base; its records are left out"
                if what == "campaign":
                    reason = f"no campaign {name!r} in this base; enrollments in it are left out"
                self.problems.append(("warning", column, name, reason))
        return cache[name]

    def _add_record(self, group: dict[str, Any], contact_id: int, record: dict[str, Any]) -> None:
        """A record as the JSON record carries it (canonical values): the group's fields."""
        keys = {entry["key"] for entry in group["fields"]}
        values = {key: value for key, value in record.items() if key in keys}
        if values:
            self.records.add(group, contact_id, values)

    def _add_enrollment(
        self, campaign: dict[str, Any], contact_id: int, entry: dict[str, Any], log: HistoryLog
    ) -> None:
        """Enroll a contact as its JSON record says, unless it is enrolled already."""
        conn = self.store.conn
        if conn.execute(
            "SELECT 1 FROM campaign_contacts WHERE campaign_id = ? AND contact_id = ?",
            (campaign["id"], contact_id),
        ).fetchone():
            return
        by_key = {name_key(status): status for status in campaign["statuses"]}
        status = by_key.get(name_key(str(entry.get("status") or "")), campaign["statuses"][0])
        agent = entry.get("agent")
        agent_id = (
            self.store.one("SELECT id FROM users WHERE key = ?", (name_key(str(agent)),))
            if agent
            else None
        )
        conn.execute(
            "INSERT INTO campaign_contacts (campaign_id, contact_id, status, agent_id,"
            " callback_at, note, enrolled_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                campaign["id"],
                contact_id,
                status,
                agent_id,
                entry.get("callback"),
                entry.get("note"),
                entry.get("enrolled_at") or self.now,
                entry.get("updated_at") or self.now,
            ),
        )
        field = f"campaign.{campaign['name']}.status"
        detail = {"campaign": campaign["name"]}
        log.add("campaign enroll", contact_id, [[field, None, status]], detail)
        self.enrolled += 1

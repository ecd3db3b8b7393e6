"""Taking an import back: remove what it created, give back what it replaced.

The history holds what import N did: an `add` entry (no values) for each
contact it created, an `update` entry with each changed field's old and new
value for each contact it changed, and `import_touches` the `updated_at` it
set on contacts it found unchanged. Events and group records it brought carry
its id. Its `campaign enroll` and `campaign set` entries say whom it enrolled in
a campaign and whose status there it changed: those are taken out again and
given their old status back.

A contact that changed after the import (any later history entry) is left
alone: undoing would throw that change away. Without `force` such contacts
make the undo refuse; with it, they are skipped and named.
"""

from __future__ import annotations

import json
from typing import Any

from crmkit.errors import CrmError, NotFound
from crmkit.store.sqlite.bulk import IN_BATCH
from crmkit.store.sqlite.connection import Store
from crmkit.store.sqlite.files import FileStore
from crmkit.store.sqlite.history import HistoryLog, Origin
from crmkit.store.sqlite.record_fields import write_fields
from crmkit.store.sqlite.search_index import refresh_search_index
from crmkit.values.datetimes import utc_now
from crmkit.values.names import name_key

__all__ = ["undo_import", "changed_since"]

# Statuses of imports that wrote something that can be taken back.
_UNDOABLE = ("finished", "finished with rejected rows", "interrupted")
# Entries of an import that are not changes of a contact's own fields.
_CAMPAIGN_ACTIONS = ("campaign enroll", "campaign set")
_OTHER_ACTIONS = ("add", "record add", *_CAMPAIGN_ACTIONS)


def undo_import(
    store: Store, import_id: int, *, user: str | None, dry_run: bool = False, force: bool = False
) -> dict[str, Any]:
    """Take import `import_id` back; return what was (or, dry, would be) undone.

    The result holds `removed` (ids of created contacts deleted), `restored`
    (ids of updated contacts given their old values), `events` (how many
    events removed) and `skipped` (ids changed since, left as they are).
    Raise `CrmError` if the import cannot be undone, or if contacts changed
    since and `force` is not given.
    """
    row = store.conn.execute(
        "SELECT status, target FROM imports WHERE id = ?", (import_id,)
    ).fetchone()
    if row is None:
        raise NotFound(f"no import with id {import_id}")
    status = row[0]
    if status == "undone":
        raise CrmError(f"import {import_id} is already undone")
    if status not in _UNDOABLE:
        raise CrmError(f"import {import_id} cannot be undone: its status is {status!r}")
    entries = [
        (entry_id, action, contact_id, json.loads(changes) if changes else [])
        for entry_id, action, contact_id, changes in store.conn.execute(
            "SELECT id, action, contact_id, changes FROM history"
            " WHERE source = 'import' AND source_id = ? ORDER BY id",
            (import_id,),
        )
    ]
    skipped = changed_since(store, "import", import_id)
    erased = [
        row[0]
        for row in store.conn.execute(
            "SELECT DISTINCT contact_id FROM erasures WHERE contact_id IN"
            " (SELECT contact_id FROM history WHERE source = 'import' AND source_id = ?)",
            (import_id,),
        )
    ]
    if erased and not force:
        shown = ", ".join(str(contact_id) for contact_id in erased[:20])
        raise CrmError(
            f"import {import_id} touched contacts erased under GDPR ({shown}); an erased"
            " person cannot be brought back: add --force to undo the rest"
        )
    if skipped and not force:
        shown = ", ".join(str(contact_id) for contact_id in skipped[:20])
        more = f" and {len(skipped) - 20} more" if len(skipped) > 20 else ""
        raise CrmError(
            f"import {import_id} cannot be undone: contacts {shown}{more} changed after it"
            " (`crm history ID` shows how); add --force to undo the rest and leave them"
        )
    left = set(skipped)
    created = [
        contact_id
        for _, action, contact_id, _ in entries
        if action == "add" and contact_id not in left
    ]
    updates = [
        (contact_id, changes)
        for _, action, contact_id, changes in entries
        if action not in _OTHER_ACTIONS and changes and contact_id not in left
    ]
    campaigns = [
        (entry_id, action, contact_id, changes)
        for entry_id, action, contact_id, changes in entries
        if action in _CAMPAIGN_ACTIONS and contact_id not in left
    ]
    events = int(store.one("SELECT count(*) FROM events WHERE import_id = ?", (import_id,)))
    records = _imported_records(store, import_id, left)
    result: dict[str, Any] = {
        "import_id": import_id,
        "removed": created,
        "restored": sorted(
            {contact_id for contact_id, _ in updates}
            | {entry[2] for entry in campaigns if entry[1] == "campaign set"}
        ),
        "events": events,
        "records": len(records),
        "enrollments": sum(1 for entry in campaigns if entry[1] == "campaign enroll"),
        "skipped": skipped,
        "dry_run": dry_run,
    }
    if dry_run:
        return result
    origin = Origin(user, "undo", import_id)
    log = HistoryLog(store, origin, utc_now(), action=f"undo import {import_id}")
    with store.transaction() as conn:
        # Contacts edited by someone else since the plan was made would lose the edit.
        store.lock_contacts([*created, *result["restored"]])
        if set(changed_since(store, "import", import_id)) - left:
            raise CrmError(
                f"contacts of import {import_id} were changed by someone else while undoing;"
                " nothing was undone, try again"
            )
        with log.watch(result["restored"]):
            for contact_id, changes in reversed(updates):
                write_fields(store, contact_id, {field: old for field, old, _ in changes})
            _restore_touches(store, import_id, left)
        _undo_campaigns(store, log, campaigns, set(created))
        _delete_records(store, log, records, set(created))
        files = _delete_contacts(store, log, created)
        conn.execute("DELETE FROM events WHERE import_id = ?", (import_id,))
        conn.execute("UPDATE imports SET status = 'undone' WHERE id = ?", (import_id,))
        log.flush()
    FileStore.for_store(store).prune(store, files)
    return result


def changed_since(store: Store, source: str, source_id: int) -> list[int]:
    """Return the contacts an import or merge touched that changed after it, by id.

    Changes that were taken back do not count: those of an undone import or merge,
    and the undo's own, which together leave a contact as it was before them.
    """
    return [
        row[0]
        for row in store.conn.execute(
            "SELECT DISTINCT h.contact_id FROM history AS h JOIN"
            " (SELECT contact_id, max(id) AS last FROM history"
            "  WHERE source = ? AND source_id = ? GROUP BY contact_id) AS mine"
            " ON h.contact_id = mine.contact_id AND h.id > mine.last"
            " WHERE h.source != 'undo'"
            " AND NOT (h.source = 'import'"
            "  AND h.source_id IN (SELECT id FROM imports WHERE status = 'undone'))"
            " AND NOT (h.source = 'merge'"
            "  AND h.source_id IN (SELECT id FROM merges WHERE status = 'undone'))"
            " ORDER BY h.contact_id",
            (source, source_id),
        )
    ]


def _restore_touches(store: Store, import_id: int, left: set[int]) -> None:
    """Give contacts found unchanged the `updated_at` they had, where it is still the
    import's (a contact changed since has a newer one)."""
    conn = store.conn
    for before, after, ids in conn.execute(
        "SELECT before, after, ids FROM import_touches WHERE import_id = ?", (import_id,)
    ).fetchall():
        wanted = [contact_id for contact_id in json.loads(ids) if contact_id not in left]
        conn.execute(
            f"UPDATE contacts SET updated_at = ? WHERE updated_at = ? AND id {IN_BATCH}",
            (before, after, json.dumps(wanted)),
        )


def _imported_records(store: Store, import_id: int, left: set[int]) -> list[tuple[Any, ...]]:
    """Return the group records import `import_id` added, but those of contacts left alone:
    (id, contact, group key, values)."""
    return [
        row
        for row in store.conn.execute(
            "SELECT r.id, r.contact_id, g.key, r.fields FROM group_records r"
            " JOIN field_groups g ON g.id = r.group_id WHERE r.import_id = ? ORDER BY r.id",
            (import_id,),
        )
        if row[1] not in left
    ]


def _delete_records(
    store: Store, log: HistoryLog, records: list[tuple[Any, ...]], removed: set[int]
) -> None:
    """Delete the import's group records, each recorded as `crm record delete` records it
    (but on contacts about to go, which are recorded as removed)."""
    for record_id, contact_id, group, fields in records:
        if contact_id not in removed:
            changes = [[f"{group}.{key}", value, None] for key, value in json.loads(fields).items()]
            log.add(log.action, contact_id, changes, {"group": group, "record": record_id})
    store.conn.executemany(
        "DELETE FROM group_records WHERE id = ?", [(record[0],) for record in records]
    )


def _undo_campaigns(
    store: Store, log: HistoryLog, entries: list[tuple[Any, ...]], removed: set[int]
) -> None:
    """Take out the contacts the import enrolled, and give back the statuses (and
    call-backs) it replaced, newest entry first."""
    conn = store.conn
    ids = {name_key(name): ident for ident, name in conn.execute("SELECT id, name FROM campaigns")}
    for entry_id, action, contact_id, changes in reversed(entries):
        detail = store.one("SELECT detail FROM history WHERE id = ?", (entry_id,))
        name = json.loads(detail or "{}").get("campaign")
        campaign_id = ids.get(name_key(name)) if isinstance(name, str) else None
        if campaign_id is None or contact_id in removed:
            continue
        where = (campaign_id, contact_id)
        if action == "campaign enroll":
            conn.execute(
                "DELETE FROM campaign_contacts WHERE campaign_id = ? AND contact_id = ?", where
            )
            log.add(log.action, contact_id, [[field, new, None] for field, _, new in changes])
            continue
        old = {field.rsplit(".", 1)[1]: value for field, value, _ in changes}
        conn.execute(
            "UPDATE campaign_contacts SET status = coalesce(?, status),"
            " callback_at = CASE WHEN ? THEN ? ELSE callback_at END, updated_at = ?"
            " WHERE campaign_id = ? AND contact_id = ?",
            (old.get("status"), "callback" in old, old.get("callback"), log.at, *where),
        )
        log.add(log.action, contact_id, [[field, new, old] for field, old, new in changes])


def _delete_contacts(store: Store, log: HistoryLog, ids: list[int]) -> list[str]:
    """Delete these contacts (recorded by id); return their files' hashes."""
    if not ids:
        return []
    conn = store.conn
    payload = json.dumps(ids)
    hashes = [
        row[0]
        for row in conn.execute(f"SELECT sha256 FROM files WHERE contact_id {IN_BATCH}", (payload,))
    ]
    members = [
        row[0]
        for row in conn.execute(
            f"SELECT person_id FROM memberships WHERE organization_id {IN_BATCH}", (payload,)
        )
    ]
    # Like their creation, their removal is recorded by id: their values came from
    # the import's file, and keeping a copy here would outlive the contacts.
    for contact_id in ids:
        log.add(log.action, contact_id, detail="removed")
    conn.execute(f"DELETE FROM contacts WHERE id {IN_BATCH}", (payload,))
    refresh_search_index(store, [*ids, *members])
    return hashes

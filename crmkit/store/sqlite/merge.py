"""Merging contacts into one, and taking a merge back exactly.

A merge gives KEEP the united values (see `merged_values`), moves the others'
events, notes, files, memberships, group records and cases to it, and their places
in campaigns KEEP is not in (in a campaign KEEP is in, its own place stays and the
others' go, kept in the merge row for undo), keeps their external ids as
aliases of KEEP (so that a re-import finds KEEP), deletes them and remembers
that they were merged into KEEP. The merge row holds what undoing it needs:
the others' records and the ids of every row that moved. Undo puts it all
back with the same ids, and gives KEEP the values the history says it had.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from crmkit.errors import CrmError, NotFound
from crmkit.store.sqlite.connection import Store
from crmkit.store.sqlite.history import HistoryLog, Origin
from crmkit.store.sqlite.record_fields import flatten_record, insert_record, write_fields
from crmkit.store.sqlite.records import get_record, iter_records
from crmkit.store.sqlite.search_index import refresh_search_index
from crmkit.store.sqlite.undo import changed_since
from crmkit.values.datetimes import utc_now

__all__ = ["merge_contacts", "undo_merge", "list_merges", "merged_into", "merged_values"]

# Fields that stay KEEP's own: ids and times, and links (moved as rows).
_OWN = frozenset({"external_id", "created_at", "updated_at", "organizations", "name"})
# Rows that follow their contact: (table, column holding the contact).
_MOVED = (
    ("events", "contact_id"),
    ("notes", "contact_id"),
    ("files", "contact_id"),
    ("memberships", "person_id"),
    ("memberships", "organization_id"),
    ("group_records", "contact_id"),
    ("cases", "contact_id"),
)


# Campaign places: moved where KEEP is not in the campaign, else dropped (whole rows kept).
_ENROLLMENTS = "campaign_contacts.contact_id"
_DROPPED = "dropped enrollments"
_ENROLLMENT_COLUMNS = (
    "id, campaign_id, contact_id, status, agent_id, callback_at, note, enrolled_at, updated_at"
)


class _DryRun(Exception):
    """Raised inside the merge's transaction to discard it."""


def merged_values(
    keep: Mapping[str, Any], others: Sequence[Mapping[str, Any]], take: Mapping[str, int]
) -> dict[str, Any]:
    """Return KEEP's fields after the merge.

    KEEP's filled fields win; its empty ones are filled from the others in the
    order given; lists (phones, e-mails, tags, users, multiselect values) are
    united; `take` (field -> contact id) picks a field's value from one contact.
    """
    values = flatten_record(keep)
    for other in others:
        for field, value in flatten_record(other).items():
            if field in _OWN:
                continue
            held = values.get(field)
            if held is None:
                values[field] = value
            elif isinstance(held, list) and isinstance(value, list):
                values[field] = _united(field, held, value)
    by_id = {record["id"]: record for record in (keep, *others)}
    for field, contact_id in take.items():
        if contact_id not in by_id:
            raise CrmError(
                f"--take {field}={contact_id}: contact {contact_id} is not in this merge"
            )
        known = {key for record in by_id.values() for key in flatten_record(record)}
        if field not in known:
            raise CrmError(f"--take {field}: no contact of this merge has a field {field!r}")
        values[field] = flatten_record(by_id[contact_id]).get(field)
    if keep["kind"] == "person" and ("first_name" in values or "last_name" in values):
        values["name"] = " ".join(
            part for part in (values.get("first_name"), values.get("last_name")) if part
        )
    return values


def _united(field: str, held: list[Any], more: list[Any]) -> list[Any]:
    """Return `held` with the items of `more` it lacks, in order."""

    def key(item: Any) -> Any:
        if field == "phones":
            return item["number"]
        if field == "emails":
            return item["address"].lower()
        return item.casefold() if isinstance(item, str) else json.dumps(item)

    seen = {key(item) for item in held}
    united = list(held)
    for item in more:
        if key(item) not in seen:
            seen.add(key(item))
            united.append(item)
    return united


def merge_contacts(
    store: Store,
    keep_id: int,
    other_ids: Sequence[int],
    *,
    take: Mapping[str, int],
    user: str | None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Merge the others into KEEP; return the merge id, KEEP's record and what moved."""
    keep, others = _records(store, keep_id, other_ids)
    values = merged_values(keep, others, take)
    result: dict[str, Any] = {}
    try:
        with store.transaction() as conn:
            # What was read above must still hold: an edit that came in between would
            # otherwise be lost with the merged contacts.
            store.lock_contacts([keep_id, *other_ids])
            if _records(store, keep_id, other_ids) != (keep, others):
                raise CrmError(
                    f"contacts {keep_id}, {', '.join(map(str, other_ids))} were changed by"
                    " someone else while merging; nothing was merged, try again"
                )
            now = utc_now()
            cursor = conn.execute(
                "INSERT INTO merges (at, user, keep_id, merged_ids, snapshot)"
                " VALUES (?, ?, ?, ?, '{}')",
                (now, user, keep_id, json.dumps(list(other_ids))),
            )
            merge_id = int(cursor.lastrowid or 0)
            log = HistoryLog(store, Origin(user, "merge", merge_id), now, action="merge")
            moved = _move_rows(store, keep_id, other_ids, merge_id)
            # KEEP's record is read after the moves: the memberships it gains are rows
            # that undo moves back, not values to write. The entry is kept even when only
            # `updated_at` changes: undo gives that back too.
            with log.watch([keep_id], always=True):
                old = flatten_record(keep)
                changes = {
                    field: values.get(field)
                    for field in {*old, *values}
                    if field not in ("organizations",) and old.get(field) != values.get(field)
                }
                write_fields(store, keep_id, {**changes, "updated_at": now})
            conn.executemany("DELETE FROM contacts WHERE id = ?", [(other,) for other in other_ids])
            log.compare(
                {other["id"]: other for other in others}, other_ids, f"merged into {keep_id}"
            )
            conn.executemany(
                "INSERT INTO merged_contacts (contact_id, into_id, merge_id) VALUES (?, ?, ?)",
                [(other, keep_id, merge_id) for other in other_ids],
            )
            snapshot = {"others": others, "moved": moved}
            conn.execute(
                "UPDATE merges SET snapshot = ? WHERE id = ?",
                (json.dumps(snapshot, ensure_ascii=False), merge_id),
            )
            refresh_search_index(store, [keep_id, *other_ids, *_linked(store, keep_id)])
            log.flush()
            result = {
                "merge_id": merge_id,
                "record": get_record(store, keep_id),
                "moved": {name: len(ids) for name, ids in moved.items() if name != _DROPPED},
                "merged_ids": list(other_ids),
            }
            if dry_run:
                raise _DryRun
    except _DryRun:
        result["merge_id"] = None
    return result


def _records(
    store: Store, keep_id: int, other_ids: Sequence[int]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Return KEEP's and the others' records, checked: all there, distinct, one kind."""
    if not other_ids:
        raise CrmError("give at least one contact to merge into KEEP")
    wanted = [keep_id, *other_ids]
    if len(set(wanted)) != len(wanted):
        raise CrmError("a contact appears twice in the merge; give each id once")
    found = {record["id"]: record for record in iter_records(store, wanted)}
    for contact_id in wanted:
        if contact_id not in found:
            into = merged_into(store, contact_id)
            if into is not None:
                raise CrmError(f"contact {contact_id} was already merged into {into}")
            raise NotFound(f"no contact with id {contact_id}")
    keep = found[keep_id]
    for other_id in other_ids:
        if found[other_id]["kind"] != keep["kind"]:
            raise CrmError(
                f"contact {other_id} is a {found[other_id]['kind']} and contact {keep_id} a"
                f" {keep['kind']}; persons and organizations do not merge"
            )
    return keep, [found[other_id] for other_id in other_ids]


def _move_rows(
    store: Store, keep_id: int, other_ids: Sequence[int], merge_id: int
) -> dict[str, list[list[Any]]]:
    """Move the others' rows to KEEP; return what moved (row id, from whom) per kind."""
    conn = store.conn
    moved: dict[str, list[list[Any]]] = {}
    for other in other_ids:
        for table, column in _MOVED:
            ids = [
                row[0]
                for row in conn.execute(f"SELECT id FROM {table} WHERE {column} = ?", (other,))
            ]
            moved.setdefault(f"{table}.{column}", []).extend([row_id, other] for row_id in ids)
            conn.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ?", (keep_id, other))
        _move_enrollments(store, keep_id, other, moved)
        for (alias,) in conn.execute(
            "SELECT external_id FROM contact_aliases WHERE contact_id = ?", (other,)
        ).fetchall():
            moved.setdefault("aliases", []).append([alias, other])
        conn.execute(
            "UPDATE contact_aliases SET contact_id = ? WHERE contact_id = ?", (keep_id, other)
        )
        for (earlier,) in conn.execute(
            "SELECT contact_id FROM merged_contacts WHERE into_id = ?", (other,)
        ).fetchall():
            moved.setdefault("merged", []).append([earlier, other])
        conn.execute("UPDATE merged_contacts SET into_id = ? WHERE into_id = ?", (keep_id, other))
        external_id = store.one("SELECT external_id FROM contacts WHERE id = ?", (other,))
        if external_id is not None:
            conn.execute("UPDATE contacts SET external_id = NULL WHERE id = ?", (other,))
            conn.execute(
                "INSERT INTO contact_aliases (external_id, contact_id, merge_id) VALUES (?, ?, ?)",
                (external_id, keep_id, merge_id),
            )
    return moved


def _move_enrollments(
    store: Store, keep_id: int, other: int, moved: dict[str, list[list[Any]]]
) -> None:
    """Move another contact's campaign places to KEEP where KEEP is not in the campaign;
    drop the rest, whole rows kept under `dropped enrollments` for undo."""
    conn = store.conn
    for row in conn.execute(
        f"SELECT {_ENROLLMENT_COLUMNS} FROM campaign_contacts WHERE contact_id = ? ORDER BY id",
        (other,),
    ).fetchall():
        row_id, campaign_id = row[0], row[1]
        if store.one(
            "SELECT 1 FROM campaign_contacts WHERE campaign_id = ? AND contact_id = ?",
            (campaign_id, keep_id),
        ):
            moved.setdefault(_DROPPED, []).append(list(row))
            conn.execute("DELETE FROM campaign_contacts WHERE id = ?", (row_id,))
        else:
            moved.setdefault(_ENROLLMENTS, []).append([row_id, other])
            conn.execute(
                "UPDATE campaign_contacts SET contact_id = ? WHERE id = ?", (keep_id, row_id)
            )


def _linked(store: Store, contact_id: int) -> list[int]:
    """Return the contacts linked to this one by a membership (their documents name it)."""
    return [
        row[0]
        for row in store.conn.execute(
            "SELECT person_id FROM memberships WHERE organization_id = ?1"
            " UNION SELECT organization_id FROM memberships WHERE person_id = ?1",
            (contact_id,),
        )
    ]


def undo_merge(
    store: Store, merge_id: int, *, user: str | None, dry_run: bool = False, force: bool = False
) -> dict[str, Any]:
    """Bring back the contacts of merge `merge_id` and give KEEP back what it had.

    If KEEP changed after the merge, raise `CrmError` unless `force`; with it,
    KEEP's fields changed since keep their new values (`skipped` names them).
    """
    row = store.conn.execute(
        "SELECT keep_id, merged_ids, snapshot, status FROM merges WHERE id = ?", (merge_id,)
    ).fetchone()
    if row is None:
        raise NotFound(f"no merge with id {merge_id}")
    keep_id, merged_ids, snapshot_text, status = row
    if status == "undone":
        raise CrmError(f"merge {merge_id} is already undone")
    if status == "erased":
        raise CrmError(
            f"merge {merge_id} involved a person erased under GDPR, who cannot be brought back"
        )
    if store.one("SELECT 1 FROM contacts WHERE id = ?", (keep_id,)) is None:
        into = merged_into(store, keep_id)
        later = f" (merged into {into} since; undo that merge first)" if into else ""
        raise CrmError(f"merge {merge_id} cannot be undone: contact {keep_id} is gone{later}")
    changed = changed_since(store, "merge", merge_id)
    if changed and not force:
        raise CrmError(
            f"merge {merge_id} cannot be undone: contact {keep_id} changed after it"
            " (`crm history ID` shows how); add --force to keep those changes"
        )
    entry = store.conn.execute(
        "SELECT changes FROM history WHERE source = 'merge' AND source_id = ?"
        " AND contact_id = ? AND action = 'merge'",
        (merge_id, keep_id),
    ).fetchone()
    changes = json.loads(entry[0]) if entry and entry[0] else []
    current = flatten_record(get_record(store, keep_id))
    restore = {field: old for field, old, new in changes if current.get(field) == new}
    skipped = sorted(field for field, _, _ in changes if field not in restore)
    snapshot = json.loads(snapshot_text)
    others = json.loads(merged_ids)
    result = {"merge_id": merge_id, "keep_id": keep_id, "restored": others, "skipped": skipped}
    if dry_run:
        return result
    now = utc_now()
    log = HistoryLog(store, Origin(user, "undo", merge_id), now, action=f"undo merge {merge_id}")
    with store.transaction() as conn:
        conn.execute("DELETE FROM merged_contacts WHERE merge_id = ?", (merge_id,))
        conn.execute("DELETE FROM contact_aliases WHERE merge_id = ?", (merge_id,))
        for record in snapshot["others"]:
            insert_record(store, record)
        _move_back(store, snapshot["moved"])
        with log.watch([keep_id]):
            write_fields(store, keep_id, restore)
        log.compare({}, others)
        conn.execute("UPDATE merges SET status = 'undone' WHERE id = ?", (merge_id,))
        refresh_search_index(store, [keep_id, *others, *_linked(store, keep_id)])
        for other in others:
            refresh_search_index(store, _linked(store, other))
        log.flush()
    return result


def _move_back(store: Store, moved: Mapping[str, list[list[Any]]]) -> None:
    """Give each moved row back to the contact it came from."""
    conn = store.conn
    for kind, rows in moved.items():
        if kind == "aliases":
            conn.executemany(
                "UPDATE contact_aliases SET contact_id = ? WHERE external_id = ?",
                [(owner, alias) for alias, owner in rows],
            )
        elif kind == "merged":
            conn.executemany(
                "UPDATE merged_contacts SET into_id = ? WHERE contact_id = ?",
                [(owner, contact_id) for contact_id, owner in rows],
            )
        elif kind == _ENROLLMENTS:
            conn.executemany(
                "UPDATE campaign_contacts SET contact_id = ? WHERE id = ?",
                [(owner, row_id) for row_id, owner in rows],
            )
        elif kind == _DROPPED:
            marks = ", ".join("?" * len(_ENROLLMENT_COLUMNS.split(",")))
            conn.executemany(
                f"INSERT OR IGNORE INTO campaign_contacts ({_ENROLLMENT_COLUMNS}) VALUES ({marks})",
                [tuple(row) for row in rows],
            )
        else:
            table, column = kind.split(".")
            if (table, column) not in _MOVED:
                raise CrmError(f"the merge holds rows of an unknown kind {kind!r}")
            conn.executemany(
                f"UPDATE {table} SET {column} = ? WHERE id = ?",
                [(owner, row_id) for row_id, owner in rows],
            )


def list_merges(store: Store) -> list[dict[str, Any]]:
    """Return every merge, newest first: id, time, user, KEEP, the merged ids, status."""
    return [
        {**dict(row), "merged_ids": json.loads(row["merged_ids"])}
        for row in store.rows(
            "SELECT id, at, user, keep_id, merged_ids, status FROM merges ORDER BY id DESC"
        )
    ]


def merged_into(store: Store, contact_id: int) -> int | None:
    """Return the contact this one was merged into, or None."""
    into: int | None = store.one(
        "SELECT into_id FROM merged_contacts WHERE contact_id = ?", (contact_id,)
    )
    return into

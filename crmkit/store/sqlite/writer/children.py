"""Replacing stored contacts' phones, e-mails, tags and users, writing only what changes.

An update replaces the phones of the types a draft gives (every phone for `*`),
the e-mails of the labels it gives, and the tags and users of a role when it
gives them. Re-importing a file hands most contacts what they already have, so
the stored rows of a whole batch are read with one query per table, and a
contact whose rows would come out the same keeps them as they are (with their
positions) instead of losing and regaining them.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from crmkit.store.sqlite.bulk import IN_BATCH, batch_condition
from crmkit.store.sqlite.connection import Store
from crmkit.targets import ContactDraft

__all__ = ["ChildChanges", "LaterPositions", "plan_child_changes"]


@dataclass
class ChildChanges:
    """What replacing the children of a batch of updated contacts writes."""

    # DELETE statement -> its parameter rows
    removals: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    # (contact id, phones to add, e-mails to add) for contacts whose lists changed
    additions: list[tuple[int, list[tuple[str, str, str | None]], list[tuple[str, str | None]]]] = (
        field(default_factory=list)
    )
    tags: list[tuple[int, int]] = field(default_factory=list)
    users: list[tuple[int, int, str]] = field(default_factory=list)
    # Contacts whose phones or e-mails change: their search documents change too.
    reindex: set[int] = field(default_factory=set)
    # Contacts whose phones, e-mails, tags or users change.
    changed: set[int] = field(default_factory=set)

    def remove(self, sql: str, params: tuple[Any, ...]) -> None:
        self.removals.setdefault(sql, []).append(params)
        self.changed.add(params[0])


class LaterPositions:
    """Positions after every stored phone and e-mail, so that added ones sort last.

    One counter for the whole import replaces a max() query per updated contact.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._next: int | None = None

    def take(self, count: int) -> int:
        """The first of `count` positions no phone or e-mail holds yet (0 for none)."""
        if not count:
            return 0
        if self._next is None:
            self._next = 1 + max(
                self.store.one("SELECT coalesce(max(position), 0) FROM phones"),
                self.store.one("SELECT coalesce(max(position), 0) FROM emails"),
            )
        start = self._next
        self._next += count
        return start


def plan_child_changes(
    conn: sqlite3.Connection, replacing: Sequence[tuple[int, ContactDraft]]
) -> ChildChanges:
    """Deletes and inserts that give each contact the children its draft names."""
    changes = ChildChanges()
    batch = batch_condition([contact_id for contact_id, _ in replacing])
    phones = _stored(conn, "phones", "number, type, label", batch, ordered=True)
    emails = _stored(conn, "emails", "address, label", batch, ordered=True)
    tags = _stored(conn, "contact_tags", "tag_id", batch)
    users = _stored(conn, "contact_users", "user_id, role", batch)
    for contact_id, draft in replacing:
        new_phones = _replaced_phones(changes, contact_id, draft, phones.get(contact_id, []))
        new_emails = _replaced_emails(changes, contact_id, draft, emails.get(contact_id, []))
        if new_phones or new_emails:
            changes.additions.append((contact_id, new_phones or [], new_emails or []))
        if new_phones is not None or new_emails is not None:
            changes.reindex.add(contact_id)
        if draft.tags is not None:
            stored_tags = {tag_id for (tag_id,) in tags.get(contact_id, [])}
            if stored_tags != set(draft.tags):
                changes.remove("DELETE FROM contact_tags WHERE contact_id = ?", (contact_id,))
                changes.tags.extend((contact_id, tag_id) for tag_id in draft.tags)
        for role, wanted in (("guardian", draft.guardians), ("observer", draft.observers)):
            if wanted is None:
                continue
            stored = users.get(contact_id, [])
            if {user for user, held in stored if held == role} != set(wanted):
                changes.remove(
                    "DELETE FROM contact_users WHERE contact_id = ? AND role = ?",
                    (contact_id, role),
                )
                changes.users.extend((contact_id, user_id, role) for user_id in wanted)
    return changes


def _stored(
    conn: sqlite3.Connection,
    table: str,
    columns: str,
    batch: tuple[str, tuple[Any, ...]],
    *,
    ordered: bool = False,
) -> dict[int, list[tuple[Any, ...]]]:
    """The table's rows for a batch of contacts (see `batch_condition`), by contact id."""
    condition, params = batch
    order = " ORDER BY contact_id, position" if ordered else ""
    grouped: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    sql = f"SELECT contact_id, {columns} FROM {table} WHERE contact_id {condition}{order}"
    for row in conn.execute(sql, params):
        grouped[row[0]].append(row[1:])
    return grouped


def _changes(stored: list[tuple[Any, ...]], scope: set[Any], wanted: list[Any]) -> bool:
    """Whether the stored rows within `scope` (types or labels; `*` for all) differ from
    `wanted`, in order. Each row holds its type or label second."""
    if not scope:
        return False
    every = "*" in scope
    return [tuple(row) for row in stored if every or row[1] in scope] != wanted


def _replaced_phones(
    changes: ChildChanges, contact_id: int, draft: ContactDraft, stored: list[tuple[Any, ...]]
) -> list[tuple[str, str, str | None]] | None:
    """The phones to add once the replaced ones are removed; None if nothing changes."""
    types = draft.phone_types
    if not _changes(stored, types, draft.phones):
        return None
    if "*" in types:
        changes.remove("DELETE FROM phones WHERE contact_id = ?", (contact_id,))
    elif len(types) == 1:
        (phone_type,) = types
        changes.remove(
            "DELETE FROM phones WHERE contact_id = ? AND type = ?", (contact_id, phone_type)
        )
    else:
        changes.remove(
            f"DELETE FROM phones WHERE contact_id = ? AND type {IN_BATCH}",
            (contact_id, json.dumps(sorted(types))),
        )
    return list(draft.phones)


def _replaced_emails(
    changes: ChildChanges, contact_id: int, draft: ContactDraft, stored: list[tuple[Any, ...]]
) -> list[tuple[str, str | None]] | None:
    """The e-mails to add once the replaced ones are removed; None if nothing changes."""
    labels = draft.email_labels
    if not _changes(stored, labels, draft.emails):
        return None
    if "*" in labels:
        changes.remove("DELETE FROM emails WHERE contact_id = ?", (contact_id,))
    else:
        for label in labels:
            changes.remove(
                "DELETE FROM emails WHERE contact_id = ? AND label IS ?", (contact_id, label)
            )
    return list(draft.emails)

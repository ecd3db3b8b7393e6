"""Contacts in SQLite: counting, deleting one, and linking a person to an organization.

Adding and editing go through `crmkit.store.sqlite.writer`; reading through
`crmkit.store.sqlite.records`.
"""

from __future__ import annotations

from collections.abc import Iterable

from crmkit.store.sqlite.connection import Store
from crmkit.store.sqlite.files import FileStore
from crmkit.store.sqlite.history import HistoryLog, Origin
from crmkit.store.sqlite.search_index import refresh_search_index
from crmkit.values.datetimes import utc_now

__all__ = ["count_contacts", "delete_contact", "insert_membership"]


def count_contacts(store: Store) -> int:
    return int(store.one("SELECT count(*) FROM contacts"))


def delete_contact(
    store: Store, contact_id: int, member_ids: Iterable[int], *, name: str, user: str | None
) -> None:
    """Delete a contact with its phones, links, events, notes and files."""
    hashes = [
        row[0]
        for row in store.conn.execute(
            "SELECT sha256 FROM files WHERE contact_id = ?", (contact_id,)
        )
    ]
    log = HistoryLog(store, Origin(user, store.source), utc_now(), action="delete")
    with store.transaction() as conn:
        with log.watch([contact_id]):
            conn.execute("DELETE FROM contacts WHERE id = ?", (contact_id,))
            refresh_search_index(store, [contact_id, *member_ids])
        log.flush()
    FileStore.for_store(store).prune(store, hashes)


def insert_membership(
    store: Store,
    person_id: int,
    organization_id: int,
    since: str | None,
    until: str | None,
    *,
    user: str | None,
) -> None:
    """Make a person a member of an organization for a checked period."""
    log = HistoryLog(store, Origin(user, store.source), utc_now(), action="link")
    with store.transaction() as conn:
        with log.watch([person_id]):
            conn.execute(
                "INSERT INTO memberships (person_id, organization_id, since, until)"
                " VALUES (?, ?, ?, ?)",
                (person_id, organization_id, since, until),
            )
            refresh_search_index(store, [person_id])
        log.flush()

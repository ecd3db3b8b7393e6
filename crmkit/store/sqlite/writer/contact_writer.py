"""The contact write path: create, update, match, link and delete.

`ContactWriter` buffers new contacts and writes them per table, a few dozen
rows to a statement (`insert_rows`), assigning ids itself so that child rows
(phones, tags, ...) need no round trip. It must be used inside one
`Store.transaction()`; the caller decides whether that transaction commits.

The writer owns every buffer and the flush that writes them. What it asks
about stored contacts is answered by three collaborators it creates:
`matching` (contacts by match key), `organizations` (organizations by name or
NIP, created when missing) and `unchanged` (the row digests a re-import
compares). What changes in stored contacts is worked out per batch at flush,
by `updates` (contact columns), `children` (phones, e-mails, tags, users) and
`organizations` (memberships).
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from crmkit.errors import CrmError
from crmkit.store.sqlite.bulk import insert_rows
from crmkit.store.sqlite.connection import Store
from crmkit.store.sqlite.history import HistoryLog, ids_ever_used
from crmkit.store.sqlite.schema import CONTACT_COLUMNS
from crmkit.store.sqlite.search_index import (
    PendingDocument,
    add_search_documents,
    refresh_search_index,
)
from crmkit.store.sqlite.writer.children import LaterPositions, plan_child_changes
from crmkit.store.sqlite.writer.matching import ContactMatching
from crmkit.store.sqlite.writer.new_contacts import (
    IDENTIFIER_POSITIONS,
    NewContact,
    PreparedContact,
    new_contact,
    new_document,
    prepare_contact,
)
from crmkit.store.sqlite.writer.organizations import UNLINK, OrganizationLinks, plan_memberships
from crmkit.store.sqlite.writer.unchanged import UnchangedContacts, write_touches
from crmkit.store.sqlite.writer.updates import PendingUpdate, pending_update, plan_updates
from crmkit.targets import ContactDraft

__all__ = ["ContactWriter"]

# The one-row INSERTs the buffers of child rows are written with (see `insert_rows`).
_INSERT_PHONE = (
    "INSERT INTO phones (contact_id, position, number, type, label) VALUES (?, ?, ?, ?, ?)"
)
_INSERT_EMAIL = "INSERT INTO emails (contact_id, position, address, label) VALUES (?, ?, ?, ?)"
_INSERT_TAG = "INSERT OR IGNORE INTO contact_tags (contact_id, tag_id) VALUES (?, ?)"
_INSERT_USER = "INSERT OR IGNORE INTO contact_users (contact_id, user_id, role) VALUES (?, ?, ?)"
_INSERT_MEMBER = (
    "INSERT INTO memberships (person_id, organization_id, since, until) VALUES (?, ?, ?, ?)"
)


class ContactWriter:
    """Writes many contacts in one transaction, batching inserts per table."""

    def __init__(
        self,
        store: Store,
        *,
        now: str,
        batch_size: int = 5000,
        columns: Sequence[str] = CONTACT_COLUMNS,
        keeps_digests: bool = False,
        history: HistoryLog | None = None,
    ) -> None:
        """`columns`: the contact columns new contacts may fill (others stay NULL).

        With `keeps_digests` (an import, its digest triggers paused) every update
        writes the digest of its row, or clears it (see `row_digests`). With
        `history`, each flush records the contacts it creates (ids only) and, for
        each contact whose values change, the fields' old and new values.
        """
        self.store = store
        self.keeps_digests = keeps_digests
        self.history = history
        positions = [1 + CONTACT_COLUMNS.index(column) for column in columns]
        self._insert_contact = (
            f"INSERT INTO contacts (id, {', '.join(columns)}, row_digest)"
            f" VALUES (?, {', '.join('?' * len(columns))}, ?)"
        )
        # The id, the chosen columns and the digest of a buffered (id, *all columns,
        # digest) row.
        self._columns_of = itemgetter(0, *positions, 1 + len(CONTACT_COLUMNS))
        self.conn = store.conn
        self.now = now
        self.batch_size = batch_size
        self.next_id = ids_ever_used(store) + 1
        self._contacts: list[tuple[Any, ...]] = []
        self._phones: list[tuple[Any, ...]] = []
        self._emails: list[tuple[Any, ...]] = []
        self._tags: list[tuple[int, int]] = []
        self._users: list[tuple[int, int, str]] = []
        self._members: list[tuple[int, int, str | None, str | None]] = []
        self._documents: list[PendingDocument] = []
        # (updated_at, contact id) of contacts whose rows came unchanged (see `touch`)
        self._touches: list[tuple[str, int]] = []
        # Changes to stored contacts, run at flush in this order: contact updates
        # (see `updates`), then removal of replaced child rows.
        self._pending_updates: list[PendingUpdate] = []
        self._removals: dict[str, list[tuple[Any, ...]]] = {}
        self._replacing: list[tuple[int, ContactDraft]] = []
        # (person, wanted (organization id, since, until), whether others are unlinked)
        self._linking: list[tuple[int, list[tuple[int, str | None, str | None]], bool]] = []
        # Updated contacts whose search documents change: a name, city or hidden flag,
        # phones, e-mails or organizations. Found while writing, so that a re-import
        # of unchanged contacts rewrites no document.
        self._reindex: set[int] = set()
        # Match keys of the contacts buffered in this batch, and the contacts it touched.
        self._pending_keys: dict[tuple[str, str], int] = {}
        self.touched: set[int] = set()
        self.created = 0
        self._positions = LaterPositions(store)
        # The collaborators share the buffers and sets they need (never rebound,
        # only emptied) and call back into the writer to flush or to create.
        self.matching = ContactMatching(
            store,
            batch_size=batch_size,
            pending_keys=self._pending_keys,
            touched=self.touched,
            flush=self.flush,
        )
        self.organizations = OrganizationLinks(
            store, pending_keys=self._pending_keys, members=self._members, create=self.create
        )
        self.unchanged = UnchangedContacts(store)
        # What callers ask per row goes straight to the collaborator that answers
        # it: bound here, a call costs what a method of the writer would.
        self.find = self.matching.find
        self.kind_of = self.matching.kind_of
        self.external_id_owner = self.matching.external_id_owner
        self.organization_id = self.organizations.organization_id
        self.find_organization = self.organizations.find_organization
        self._link_organizations = self.organizations.link
        self.stored_digest = self.unchanged.stored_digest
        self._remember_digest = self.unchanged.remember_digest

    # -- creating -------------------------------------------------------------

    def create(
        self,
        draft: ContactDraft,
        kind: str,
        prepared: PreparedContact | None = None,
        digest: int | None = None,
    ) -> int:
        """Buffer a new contact; `prepared` is `prepare_contact(draft, kind, now)` if known.

        `digest`: that of the row the draft comes from, if it had no problem.
        """
        if prepared is None:
            prepared = prepare_contact(draft, kind, self.now)
        contact_id = self.create_new(new_contact(draft, prepared, digest), kind)
        pending = self._pending_keys
        for address, _ in draft.emails:
            pending[("email", address.lower())] = contact_id
        for number, _, _ in draft.phones:
            pending[("phone", number)] = contact_id
        return contact_id

    def create_new(self, new: NewContact, kind: str) -> int:
        """Buffer a contact worked out by `new_contact`.

        Its e-mails and phones are not remembered as match keys: an import that
        matches on them goes through `create`.
        """
        contact_id = self.next_id
        self.next_id += 1
        texts = self._link_organizations_of(contact_id, new)
        self._buffer_new([(contact_id, new)], texts)
        row = new[0]
        pending = self._pending_keys
        if row[1] is not None:
            pending[("external_id", row[1])] = contact_id
        for key, position in IDENTIFIER_POSITIONS:
            if row[position]:
                pending[(key, row[position])] = contact_id
        if kind == "organization" and row[4]:
            self.organizations.remember(contact_id, row[4])
        return contact_id

    def create_persons(self, news: list[NewContact]) -> None:
        """`create_new` for many persons: the same ids and rows, built per table.

        Ids are handed out row by row first, because an organization a person
        brings in takes the id after the person's. No match keys are remembered
        (see `importers.contacts.creates_only_persons`).
        """
        cells = {org for new in news if new[7] for org, _, _ in new[7]}
        if cells:
            self.organizations.prefetch(cells)
        pairs = []
        texts: dict[int, str] = {}
        for new in news:
            contact_id = self.next_id
            self.next_id += 1
            pairs.append((contact_id, new))
            if new[7]:
                texts.update(self._link_organizations_of(contact_id, new))
        self._buffer_new(pairs, texts)
        self.organizations.forget_prefetched()

    def _link_organizations_of(self, contact_id: int, new: NewContact) -> dict[int, str]:
        """Link the new contact to its organizations; their names as its document holds them."""
        if not new[7]:
            return {}
        return {contact_id: self._link_organizations(contact_id, new[7])}

    def _buffer_new(self, pairs: list[tuple[int, NewContact]], texts: dict[int, str]) -> None:
        """Buffer the rows of new contacts (with their ids), one comprehension per table."""
        self.created += len(pairs)
        self.touched.update([contact_id for contact_id, _ in pairs])
        self._contacts += [(contact_id, *new[0], new[8]) for contact_id, new in pairs]
        self._phones += [
            (contact_id, position, *phone)
            for contact_id, new in pairs
            for position, phone in enumerate(new[2])
        ]
        self._emails += [
            (contact_id, position, *email)
            for contact_id, new in pairs
            for position, email in enumerate(new[3])
        ]
        self._tags += [(contact_id, tag) for contact_id, new in pairs if new[4] for tag in new[4]]
        self._users += [
            (contact_id, user, role)
            for contact_id, new in pairs
            for role, users in (("guardian", new[5]), ("observer", new[6]))
            if users
            for user in users
        ]
        self._documents += [
            (contact_id, new[0][22], new_document(new), texts.get(contact_id))
            for contact_id, new in pairs
        ]

    def maybe_flush(self) -> None:
        """Flush once the buffer is full; called between rows, never inside one."""
        if len(self._contacts) >= self.batch_size or len(self.touched) >= self.batch_size:
            self.flush()

    # -- updating -------------------------------------------------------------

    def update(
        self,
        contact_id: int,
        draft: ContactDraft,
        *,
        kind: str | None = None,
        replace_links: bool = False,
        digest: int | None = None,
    ) -> None:
        """Change what the draft gives; everything else stays as it is.

        Child rows are buffered like those of new contacts; a contact touched
        earlier in the same batch is flushed first, so changes apply in row order.
        `digest` is written where the writer keeps digests (see `__init__`).
        """
        if contact_id in self.touched:
            self.flush()
        if kind is None:
            kind = self.store.one("SELECT kind FROM contacts WHERE id = ?", (contact_id,))
        if kind is None:
            raise CrmError(f"no contact with id {contact_id}")
        if draft.kind is not None and draft.kind != kind:
            raise CrmError(f"contact {contact_id} is a {kind}; its kind cannot change")
        update = pending_update(contact_id, kind, draft, self.now)
        if "external_id" in update.values and self.matching.is_alias(
            contact_id, draft.scalars["external_id"]
        ):
            # A row of a contact merged into this one keeps this one's own external id.
            del update.values["external_id"]
        if self.keeps_digests:
            update.values["row_digest"] = digest
            self._remember_digest(contact_id, digest)
        self._pending_updates.append(update)
        self._replace_children(contact_id, draft, replace_links)
        pending = self._pending_keys
        for address, _ in draft.emails:
            pending[("email", address.lower())] = contact_id
        for number, _, _ in draft.phones:
            pending[("phone", number)] = contact_id

    def _replace_children(self, contact_id: int, draft: ContactDraft, replace_links: bool) -> None:
        """Buffer the contact's new children; what changes is worked out at flush.

        Organizations are found (or created) now, so that ids are handed out in row
        order; the stored memberships are read with those of the whole batch.
        """
        if draft.organizations is not None:
            self.link_later(contact_id, draft.organizations, replace_links)
        self._replacing.append((contact_id, draft))
        self.touched.add(contact_id)

    def link_later(
        self,
        contact_id: int,
        organizations: list[tuple[str, str | None, str | None]],
        replace_links: bool = False,
    ) -> None:
        """Find (or create) the organizations now; the memberships are planned at flush."""
        wanted = [(self.organization_id(org), since, until) for org, since, until in organizations]
        self._linking.append((contact_id, wanted, replace_links))

    def touch(
        self,
        contact_id: int,
        updated_at: str,
        organizations: list[tuple[str, str | None, str | None]] | None,
    ) -> None:
        """Buffer what importing an unchanged contact's row still writes (see `unchanged`)."""
        self._touches.append((updated_at, contact_id))
        if organizations is not None:
            self.link_later(contact_id, organizations)
        self.touched.add(contact_id)

    def _plan_links(self) -> set[int]:
        """Buffer the memberships the updated contacts gain and, replacing, lose.

        Return the persons whose memberships change.
        """
        added, removed, reindex = plan_memberships(self.conn, self._linking)
        self._members.extend(added)
        if removed:
            self._removals.setdefault(UNLINK, []).extend(removed)
        self._reindex.update(reindex)
        self._linking.clear()
        return reindex

    def _plan_children(self) -> set[int]:
        """Buffer what replacing the updated contacts' children takes (see `children`).

        Return the contacts whose phones, e-mails, tags or users change.
        """
        changes = plan_child_changes(self.conn, self._replacing)
        for sql, params in changes.removals.items():
            self._removals.setdefault(sql, []).extend(params)
        for contact_id, phones, emails in changes.additions:
            start = self._positions.take(len(phones) + len(emails))
            for offset, (number, phone_type, label) in enumerate(phones):
                self._phones.append((contact_id, start + offset, number, phone_type, label))
            for offset, (address, label) in enumerate(emails):
                self._emails.append((contact_id, start + offset, address, label))
        self._tags.extend(changes.tags)
        self._users.extend(changes.users)
        self._reindex.update(changes.reindex)
        return changes.changed

    # -- writing --------------------------------------------------------------

    def flush(self) -> None:
        """Write every buffered change, and index new contacts and changed documents.

        Every change is planned first (reading the stored rows of the batch), so
        that the history reads the old values of just the contacts that change.
        """
        conn = self.conn
        self.matching.forget_prefetched()
        # Organizations created in this batch are about to be stored, beyond the caches.
        self.organizations.forget_prefetched()
        statements: dict[str, list[tuple[Any, ...]]] = {}
        # Contacts whose columns change (with their changes), and whose lists change.
        changing: dict[int, list[list[Any]]] = {}
        relisted: set[int] = set()
        updated = self._pending_updates
        if updated:
            statements, reindex, changing = plan_updates(conn, updated)
            # Only documents whose parts change are rewritten (see _reindex).
            self._reindex.update(reindex)
        if self._linking:
            relisted |= self._plan_links()
        if self._replacing:
            relisted |= self._plan_children()
        history = self.history
        before = (
            history.before_flush(changing, relisted, updated, self._touches)
            if history is not None
            else {}
        )
        updated.clear()
        for sql, params in statements.items():
            conn.executemany(sql, params)
        if self._touches:
            write_touches(conn, self._touches)
        for sql, params in self._removals.items():
            conn.executemany(sql, params)
        self._removals.clear()
        self._replacing.clear()
        if self._contacts:
            columns_of = self._columns_of
            insert_rows(conn, self._insert_contact, [columns_of(row) for row in self._contacts])
        for sql, rows in (
            (_INSERT_PHONE, self._phones),
            (_INSERT_EMAIL, self._emails),
            (_INSERT_TAG, self._tags),
            (_INSERT_USER, self._users),
            (_INSERT_MEMBER, self._members),
        ):
            if rows:
                insert_rows(conn, sql, rows)
        if self._documents:
            add_search_documents(self.store, self._documents)
            self._reindex.difference_update(source[0] for source in self._documents)
        refresh_search_index(self.store, self._reindex)
        self._reindex.clear()
        if history is not None:
            history.created(row[0] for row in self._contacts)
            history.compare(before, sorted(before))
            history.flush()
        for buffer in (
            self._contacts,
            self._phones,
            self._emails,
            self._tags,
            self._users,
            self._members,
            self._documents,
        ):
            buffer.clear()
        self._pending_keys.clear()
        self.touched.clear()
        self.organizations.trim_caches()

"""The contact write path: create, update, match, link and delete.

`ContactWriter` buffers new contacts and writes them per table, a few dozen
rows to a statement (`insert_rows`), assigning ids itself so that child rows (phones, tags, ...)
need no round trip. It must be used inside one `Store.transaction()`; the
caller decides whether that transaction commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from crmkit.errors import CrmError
from crmkit.query.fulltext import fold_for_index
from crmkit.store import Store
from crmkit.store.sqlite.bulk import batch_condition, insert_rows
from crmkit.store.sqlite.schema import CONTACT_COLUMNS
from crmkit.store.sqlite.search_index import (
    PendingDocument,
    add_search_documents,
    refresh_search_index,
)
from crmkit.store.sqlite.writer.children import plan_child_changes
from crmkit.store.sqlite.writer.matching import ContactMatching
from crmkit.store.sqlite.writer.new_contacts import (
    IDENTIFIER_POSITIONS,
    NewContact,
    PreparedContact,
    new_contact,
    new_document,
    prepare_contact,
)
from crmkit.store.sqlite.writer.organizations import OrganizationLinks
from crmkit.store.sqlite.writer.prefetch import PrefetchedMatches
from crmkit.store.sqlite.writer.unchanged import UnchangedContacts
from crmkit.store.sqlite.writer.updates import PendingUpdate, pending_update, plan_updates
from crmkit.targets import ContactDraft
from crmkit.values.names import name_key

__all__ = ["ContactWriter", "MATCH_KEYS"]

MATCH_KEYS = ("external_id", "email", "phone", "nip", "pesel", "regon", "krs")


class ContactWriter(ContactMatching, OrganizationLinks, UnchangedContacts):
    """Writes many contacts in one transaction, batching inserts per table."""

    def __init__(
        self,
        store: Store,
        *,
        now: str,
        batch_size: int = 5000,
        columns: Sequence[str] = CONTACT_COLUMNS,
        keeps_digests: bool = False,
    ) -> None:
        """`columns`: the contact columns new contacts may fill (others stay NULL).

        With `keeps_digests` (an import, its digest triggers paused) every update
        writes the digest of its row, or clears it (see `row_digests`).
        """
        self.store = store
        self.keeps_digests = keeps_digests
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
        self.next_id = int(store.one("SELECT coalesce(max(id), 0) FROM contacts")) + 1
        self._contacts: list[tuple[Any, ...]] = []
        self._phones: list[tuple[Any, ...]] = []
        self._emails: list[tuple[Any, ...]] = []
        self._tags: list[tuple[int, int]] = []
        self._users: list[tuple[int, int, str]] = []
        self._members: list[tuple[int, int, str | None, str | None]] = []
        self._documents: list[PendingDocument] = []
        self._touches: list[tuple[str, int]] = []
        self._digests: dict[int, int | None] = {}
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
        self._org_texts: dict[int, str] = {}
        self._org_names: dict[int, str] = {}
        # Kinds of contacts found by the latest lookups (a kind never changes).
        self._kinds: dict[int, str] = {}
        self._pending_keys: dict[tuple[str, str], int] = {}
        self._orgs: dict[str, int] = {}
        self._org_lookups: dict[str, int | None] = {}
        self.touched: set[int] = set()
        self.created = 0
        self._position: int | None = None
        self.prefetched = PrefetchedMatches(self.conn)

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
            self._orgs.setdefault(name_key(row[4]), contact_id)
            self._org_texts[contact_id] = fold_for_index(row[4])
        return contact_id

    def create_persons(self, news: list[NewContact]) -> None:
        """`create_new` for many persons: the same ids and rows, built per table.

        Ids are handed out row by row first, because an organization a person
        brings in takes the id after the person's. No match keys are remembered
        (see `importers.contacts.creates_only_persons`).
        """
        cells = {org for new in news if new[7] for org, _, _ in new[7]}
        if cells:
            self.prefetch_organizations(cells)
        pairs = []
        texts: dict[int, str] = {}
        for new in news:
            contact_id = self.next_id
            self.next_id += 1
            pairs.append((contact_id, new))
            if new[7]:
                texts.update(self._link_organizations_of(contact_id, new))
        self._buffer_new(pairs, texts)
        self.forget_prefetched_organizations()

    def _link_organizations_of(self, contact_id: int, new: NewContact) -> dict[int, str]:
        """Link the new contact to its organizations; their names as its document holds them."""
        if not new[7]:
            return {}
        org_ids = self._link_organizations(contact_id, new[7])
        return {contact_id: " ".join([self._organization_text(org) for org in org_ids])}

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
        if self.keeps_digests:
            update.values["row_digest"] = digest
            self.remember_digest(contact_id, digest)
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

    def _plan_links(self) -> None:
        """Buffer the memberships the updated contacts gain and, replacing, lose."""
        linked: dict[int, set[int]] = {}
        condition, params = batch_condition([contact_id for contact_id, _, _ in self._linking])
        sql = f"SELECT person_id, organization_id FROM memberships WHERE person_id {condition}"
        for person_id, org_id in self.conn.execute(sql, params):
            linked.setdefault(person_id, set()).add(org_id)
        for contact_id, wanted, replace_links in self._linking:
            stored = linked.get(contact_id, set())
            for org_id, since, until in wanted:
                if org_id not in stored:
                    self._members.append((contact_id, org_id, since, until))
                    self._reindex.add(contact_id)
            gone = stored - {org_id for org_id, _, _ in wanted} if replace_links else set()
            if gone:
                for org_id in gone:
                    self._remove(
                        "DELETE FROM memberships WHERE person_id = ? AND organization_id = ?",
                        (contact_id, org_id),
                    )
                self._reindex.add(contact_id)
        self._linking.clear()

    def _plan_children(self) -> None:
        """Buffer what replacing the updated contacts' children takes (see `children`)."""
        changes = plan_child_changes(self.conn, self._replacing)
        for sql, params in changes.removals.items():
            self._removals.setdefault(sql, []).extend(params)
        for contact_id, phones, emails in changes.additions:
            start = self._later_positions(len(phones) + len(emails))
            for offset, (number, phone_type, label) in enumerate(phones):
                self._phones.append((contact_id, start + offset, number, phone_type, label))
            for offset, (address, label) in enumerate(emails):
                self._emails.append((contact_id, start + offset, address, label))
        self._tags.extend(changes.tags)
        self._users.extend(changes.users)
        self._reindex.update(changes.reindex)

    def _remove(self, sql: str, params: tuple[Any, ...]) -> None:
        self._removals.setdefault(sql, []).append(params)

    def _later_positions(self, count: int) -> int:
        """Positions after every stored phone and e-mail, so added ones sort last.

        One counter for the whole import replaces a max() query per updated contact.
        """
        if not count:
            return 0
        if self._position is None:
            self._position = 1 + max(
                self.store.one("SELECT coalesce(max(position), 0) FROM phones"),
                self.store.one("SELECT coalesce(max(position), 0) FROM emails"),
            )
        start = self._position
        self._position += count
        return start

    # -- writing --------------------------------------------------------------

    def flush(self) -> None:
        """Write every buffered change, and index new contacts and changed documents."""
        conn = self.conn
        self.prefetched.clear()
        # Organizations created in this batch are about to be stored, beyond the caches.
        self.forget_prefetched_organizations()
        if self._pending_updates:
            statements, reindex = plan_updates(conn, self._pending_updates)
            for sql, params in statements.items():
                conn.executemany(sql, params)
            # Only documents whose parts change are rewritten (see _reindex).
            self._reindex.update(reindex)
            self._pending_updates.clear()
        if self._touches:
            self.write_touches()
        if self._linking:
            self._plan_links()
        if self._replacing:
            self._plan_children()
        for sql, params in self._removals.items():
            conn.executemany(sql, params)
        self._removals.clear()
        self._replacing.clear()
        if self._contacts:
            columns_of = self._columns_of
            insert_rows(conn, self._insert_contact, [columns_of(row) for row in self._contacts])
        if self._phones:
            insert_rows(
                conn,
                "INSERT INTO phones (contact_id, position, number, type, label)"
                " VALUES (?, ?, ?, ?, ?)",
                self._phones,
            )
        if self._emails:
            insert_rows(
                conn,
                "INSERT INTO emails (contact_id, position, address, label) VALUES (?, ?, ?, ?)",
                self._emails,
            )
        if self._tags:
            insert_rows(
                conn,
                "INSERT OR IGNORE INTO contact_tags (contact_id, tag_id) VALUES (?, ?)",
                self._tags,
            )
        if self._users:
            insert_rows(
                conn,
                "INSERT OR IGNORE INTO contact_users (contact_id, user_id, role) VALUES (?, ?, ?)",
                self._users,
            )
        if self._members:
            insert_rows(
                conn,
                "INSERT INTO memberships (person_id, organization_id, since, until)"
                " VALUES (?, ?, ?, ?)",
                self._members,
            )
        if self._documents:
            add_search_documents(self.store, self._documents)
            self._reindex.difference_update(source[0] for source in self._documents)
        refresh_search_index(self.store, self._reindex)
        self._reindex.clear()
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
        self._trim_organization_caches()

"""Linking persons to organizations named in their rows, by name or NIP.

`OrganizationLinks` belongs to a `ContactWriter`. A cell names an
organization by NIP or by name; one the store lacks is created. Names are
matched as SQLite's NOCASE does (ASCII letters without regard to case), and
the organizations of a whole batch of rows can be looked up in one query
(`prefetch`): in a large file most rows name an organization,
and a query per row would cost more than the row.
"""

from __future__ import annotations

import json
import sqlite3
import string
from collections.abc import Callable, Sequence

from crmkit.store.sqlite.bulk import batch_condition
from crmkit.store.sqlite.connection import Store
from crmkit.store.sqlite.query.fulltext import fold_for_index
from crmkit.targets import ContactDraft
from crmkit.values.names import name_key

__all__ = [
    "OrganizationLinks",
    "ORGANIZATION_CACHE_LIMIT",
    "ORGANIZATIONS_BY_NAMES",
    "UNLINK",
    "plan_memberships",
]

# Organizations remembered by name (and their indexed names) between batches.
ORGANIZATION_CACHE_LIMIT = 4096
# What SQLite's NOCASE compares: ASCII capitals folded, nothing else.
_NOCASE = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
# SQLite's planner, without statistics, prefers the index of every contact's name and
# reads each person of the same name from the table to check its kind; the index of
# organizations' names answers alone (about 4x faster for a batch, measured at 1M).
_ORGANIZATION_NAMES = "contacts INDEXED BY contacts_org_name"
ORGANIZATIONS_BY_NAMES = (
    f"SELECT id, name FROM {_ORGANIZATION_NAMES} WHERE kind = 'organization'"
    " AND name COLLATE NOCASE IN (SELECT value FROM json_each(?)) ORDER BY id"
)


def _same_name(stored: str, wanted: str) -> bool:
    """Whether two names are equal as SQLite's NOCASE compares them.

    PostgreSQL's `nocase` folds the case of every letter; what it finds is
    narrowed here to what SQLite finds, so both stores link the same organization.
    """
    return stored == wanted or stored.translate(_NOCASE) == wanted.translate(_NOCASE)


class OrganizationLinks:
    """Organization lookups and memberships of a contact writer (see `ContactWriter`)."""

    def __init__(
        self,
        store: Store,
        *,
        pending_keys: dict[tuple[str, str], int],
        members: list[tuple[int, int, str | None, str | None]],
        create: Callable[[ContactDraft, str], int],
    ) -> None:
        """`pending_keys`, `members` and `create` are the writer's: the match keys of
        the contacts it buffers, its buffer of new memberships, and how it creates
        (buffers) a contact, here an organization none matches."""
        self.store = store
        self.conn = store.conn
        self._pending_keys = pending_keys
        self._members = members
        self._create = create
        # Organization ids by name_key, and their names as members' documents index them.
        self._orgs: dict[str, int] = {}
        self._org_texts: dict[int, str] = {}
        # Stored organizations by cleaned cell text, as looked up for the current batch,
        # and the names of those found (folded for documents only if a document needs them).
        self._org_lookups: dict[str, int | None] = {}
        self._org_names: dict[int, str] = {}
        # Organizations an organization row of this import has landed on.
        self._claimed: set[int] = set()

    def organization_id(self, name_or_nip: str) -> int:
        """The organization with this NIP or name, created (buffered) if there is none."""
        clean = " ".join(name_or_nip.split())
        key = name_key(clean)
        cached = self._orgs.get(key)
        if cached is not None:
            return cached
        found = None
        digits = _nip_digits(clean)
        if digits is not None:
            found = self._organization_by("nip", digits)
        if found is None:
            found = self._organization_by("name", clean)
        if found is None:
            found = self._create(ContactDraft(scalars={"name": clean}), "organization")
        self._orgs[key] = found
        return int(found)

    def find_organization(self, draft: ContactDraft) -> list[int]:
        """An existing organization with the draft's NIP, else its name.

        Organizations are linked by name or NIP, so an organization row must land on
        the one a person row may already have created, not beside it. It lands
        only on one no earlier organization row of the import landed on (see
        `claim`): two rows of one file are two organizations, though they share a
        name. By name, it lands only on one without a NIP or with the row's own.
        """
        nip = draft.scalars.get("nip")
        if nip:
            found = self._unclaimed("nip", nip, None)
            if found is not None:
                return [found]
        name = draft.scalars.get("name")
        if name:
            found = self._unclaimed("name", name, nip)
            if found is not None:
                return [found]
        return []

    def claim(self, org_id: int) -> None:
        """An organization row has landed on this organization: no other row may."""
        self._claimed.add(org_id)

    def _unclaimed(self, key: str, value: str, nip: str | None) -> int | None:
        """The first organization with this NIP or name that no row has claimed.

        `nip`, when looking by name: the NIP a found organization may have.
        """
        claimed = self._claimed
        pending = self._pending_keys.get(("nip", value)) if key == "nip" else None
        if key == "name":
            pending = self._orgs.get(name_key(value))
        if pending is not None and pending not in claimed:
            # Buffered in this batch: by name, one a person's row linked (no NIP).
            return pending
        if key == "nip":
            sql = (
                "SELECT id, nip, NULL FROM contacts WHERE kind = 'organization' AND nip = ?"
                " ORDER BY id"
            )
        else:
            sql = (
                f"SELECT id, nip, name FROM {_ORGANIZATION_NAMES} WHERE kind = 'organization'"
                " AND name = ? COLLATE NOCASE ORDER BY id"
            )
        for org_id, stored_nip, name in self.conn.execute(sql, (value,)):
            if name is not None and not _same_name(name, value):
                continue
            if org_id not in claimed and (not nip or stored_nip in (None, "", nip)):
                return int(org_id)
        return None

    def prefetch(self, cells: set[str]) -> None:
        """Look up by name, in one query, the organizations these cells name.

        Good until `forget_prefetched`; organizations created
        meanwhile are found through the name cache, which is asked first.
        """
        wanted: dict[str, list[str]] = {}
        for cell in cells:
            clean = " ".join(cell.split())
            if name_key(clean) in self._orgs or _nip_digits(clean) is not None:
                continue
            wanted.setdefault(clean.translate(_NOCASE), []).append(clean)
        if not wanted:
            return
        names = [clean for cleans in wanted.values() for clean in cleans]
        first: dict[str, tuple[int, str]] = {}
        for org_id, name in self.conn.execute(ORGANIZATIONS_BY_NAMES, (json.dumps(names),)):
            first.setdefault(name.translate(_NOCASE), (org_id, name))
        for folded, cleans in wanted.items():
            hit = first.get(folded)
            for clean in cleans:
                self._org_lookups[clean] = None if hit is None else hit[0]
            if hit is not None and hit[0] not in self._org_texts:
                self._org_names[hit[0]] = hit[1]

    def forget_prefetched(self) -> None:
        self._org_lookups.clear()
        self._org_names.clear()

    def link(self, contact_id: int, organizations: list[tuple[str, str | None, str | None]]) -> str:
        """Buffer memberships in these organizations (created if missing).

        Returns their names as the member's search document holds them.
        """
        org_ids = []
        for org, since, until in organizations:
            org_id = self.organization_id(org)
            org_ids.append(org_id)
            self._members.append((contact_id, org_id, since, until))
        return " ".join([self._text(org) for org in org_ids])

    def remember(self, org_id: int, name: str) -> None:
        """An organization the writer has just created (buffered), for rows that name it."""
        self._orgs.setdefault(name_key(name), org_id)
        self._org_texts[org_id] = fold_for_index(name)

    def _text(self, org_id: int) -> str:
        """An organization's name as its members' documents index it."""
        text = self._org_texts.get(org_id)
        if text is None:
            name = self._org_names.get(org_id)
            if name is None:
                name = self.store.one("SELECT name FROM contacts WHERE id = ?", (org_id,)) or ""
            text = self._org_texts[org_id] = fold_for_index(name)
        return text

    def _organization_by(self, key: str, value: str) -> int | None:
        if key == "nip":
            pending = self._pending_keys.get(("nip", value))
            sql = "SELECT id FROM contacts WHERE kind = 'organization' AND nip = ? ORDER BY id"
        else:
            pending = self._orgs.get(name_key(value))
            if pending is None and value in self._org_lookups:
                return self._org_lookups[value]
            if pending is not None:
                return pending
            sql = (
                f"SELECT id, name FROM {_ORGANIZATION_NAMES} WHERE kind = 'organization'"
                " AND name = ? COLLATE NOCASE"
                " ORDER BY id"
            )
            for org_id, name in self.conn.execute(sql, (value,)):
                if _same_name(name, value):
                    return int(org_id)
            return None
        return pending if pending is not None else self.store.one(sql, (value,))

    def trim_caches(self) -> None:
        """Keep the name caches bounded: emptied once either passes the limit."""
        if len(self._orgs) > ORGANIZATION_CACHE_LIMIT or len(self._org_texts) > (
            ORGANIZATION_CACHE_LIMIT
        ):
            self._orgs.clear()
            self._org_texts.clear()


# Removes one membership: (person id, organization id).
UNLINK = "DELETE FROM memberships WHERE person_id = ? AND organization_id = ?"


def plan_memberships(
    conn: sqlite3.Connection,
    linking: Sequence[tuple[int, list[tuple[int, str | None, str | None]], bool]],
) -> tuple[list[tuple[int, int, str | None, str | None]], list[tuple[int, int]], set[int]]:
    """The memberships updated contacts gain and, replacing, lose (`UNLINK` rows).

    `linking` holds (person, wanted (organization id, since, until), whether others
    are unlinked). Also returns the persons whose search documents change.
    """
    linked: dict[int, set[int]] = {}
    condition, params = batch_condition([contact_id for contact_id, _, _ in linking])
    sql = f"SELECT person_id, organization_id FROM memberships WHERE person_id {condition}"
    for person_id, org_id in conn.execute(sql, params):
        linked.setdefault(person_id, set()).add(org_id)
    added: list[tuple[int, int, str | None, str | None]] = []
    removed: list[tuple[int, int]] = []
    reindex: set[int] = set()
    for contact_id, wanted, replace_links in linking:
        stored = linked.get(contact_id, set())
        for org_id, since, until in wanted:
            if org_id not in stored:
                added.append((contact_id, org_id, since, until))
                reindex.add(contact_id)
        gone = stored - {org_id for org_id, _, _ in wanted} if replace_links else set()
        if gone:
            for org_id in gone:
                removed.append((contact_id, org_id))
            reindex.add(contact_id)
    return added, removed, reindex


def _nip_digits(clean: str) -> str | None:
    """The NIP a cell holds (`PL 526-025-02-74` too), or None if it holds a name."""
    digits = clean.replace("-", "").replace(" ", "").removeprefix("PL")
    return digits if digits.isdigit() and len(digits) == 10 else None

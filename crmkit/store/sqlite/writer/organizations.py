"""Linking persons to organizations named in their rows, by name or NIP.

Mixed into `ContactWriter`. A cell names an organization by NIP or by name;
one the store lacks is created. Names are matched as SQLite's NOCASE does (ASCII
letters without regard to case), and the organizations of a whole batch of rows
can be looked up in one query (`prefetch_organizations`): in a large file most
rows name an organization, and a query per row would cost more than the row.
"""

from __future__ import annotations

import json
import sqlite3
import string

from crmkit.query.fulltext import fold_for_index
from crmkit.store import Store
from crmkit.targets import ContactDraft
from crmkit.values.names import name_key

__all__ = ["OrganizationLinks", "ORGANIZATION_CACHE_LIMIT", "ORGANIZATIONS_BY_NAMES"]

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


class OrganizationLinks:
    """Organization lookups and memberships of a contact writer (see `ContactWriter`)."""

    store: Store
    conn: sqlite3.Connection
    _pending_keys: dict[tuple[str, str], int]
    _members: list[tuple[int, int, str | None, str | None]]
    # Organization ids by name_key, and their names as members' documents index them.
    _orgs: dict[str, int]
    _org_texts: dict[int, str]
    # Stored organizations by cleaned cell text, as looked up for the current batch,
    # and the names of those found (folded for documents only if a document needs them).
    _org_lookups: dict[str, int | None]
    _org_names: dict[int, str]

    def create(self, draft: ContactDraft, kind: str) -> int:
        """Buffer a new contact; the writer provides it."""
        raise NotImplementedError

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
            found = self.create(ContactDraft(scalars={"name": clean}), "organization")
        self._orgs[key] = found
        return int(found)

    def find_organization(self, draft: ContactDraft) -> list[int]:
        """An existing organization with the draft's NIP, else its name.

        Organizations are linked by name or NIP, so an organization row must land on
        the one a person row may already have created, not beside it.
        """
        for key in ("nip", "name"):
            value = draft.scalars.get(key)
            if value:
                found = self._organization_by(key, value)
                if found is not None:
                    return [found]
        return []

    def prefetch_organizations(self, cells: set[str]) -> None:
        """Look up by name, in one query, the organizations these cells name.

        Good until `forget_prefetched_organizations`; organizations created
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

    def forget_prefetched_organizations(self) -> None:
        self._org_lookups.clear()
        self._org_names.clear()

    def _link_organizations(
        self, contact_id: int, organizations: list[tuple[str, str | None, str | None]]
    ) -> list[int]:
        """Buffer memberships in these organizations (created if missing); their ids."""
        org_ids = []
        for org, since, until in organizations:
            org_id = self.organization_id(org)
            org_ids.append(org_id)
            self._members.append((contact_id, org_id, since, until))
        return org_ids

    def _organization_text(self, org_id: int) -> str:
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
            sql = (
                f"SELECT id FROM {_ORGANIZATION_NAMES} WHERE kind = 'organization'"
                " AND name = ? COLLATE NOCASE"
                " ORDER BY id"
            )
        return pending if pending is not None else self.store.one(sql, (value,))

    def _trim_organization_caches(self) -> None:
        """Keep the name caches bounded: emptied once either passes the limit."""
        if len(self._orgs) > ORGANIZATION_CACHE_LIMIT or len(self._org_texts) > (
            ORGANIZATION_CACHE_LIMIT
        ):
            self._orgs.clear()
            self._org_texts.clear()


def _nip_digits(clean: str) -> str | None:
    """The NIP a cell holds (`PL 526-025-02-74` too), or None if it holds a name."""
    digits = clean.replace("-", "").replace(" ", "").removeprefix("PL")
    return digits if digits.isdigit() and len(digits) == 10 else None

"""Erasing a person (GDPR art. 17) so that no byte of them is left, and keeping them out.

The contact goes with its child rows (or, keeping events, becomes an empty
"[erased]" contact holding events with their text and numbers removed); every
other place `personal_data` finds them is scrubbed: other contacts' notes and
events, file names, history values, the raw cells of import problems, saved
views and the records merges keep. All of it happens in one transaction with
`secure_delete` on, so SQLite overwrites what it frees; the search index is
optimized (FTS5 keeps deleted terms until its segments are merged) and the WAL
is checkpointed and truncated. (On PostgreSQL the same rows are deleted and
updated; the server keeps their old versions until its vacuum reclaims them.)
The erasure is recorded without personal data.

Salted hashes of the person's numbers, e-mails, PESEL and NIP go to the
suppression list: an import row matching one is skipped.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from crmkit.errors import CrmError, NotFound
from crmkit.store.sqlite.connection import Store
from crmkit.store.sqlite.files import FileStore
from crmkit.store.sqlite.personal_data import ERASED, Terms, find_places, scrub_json, scrub_text
from crmkit.store.sqlite.records import get_record
from crmkit.store.sqlite.search_index import refresh_search_index
from crmkit.values.datetimes import utc_now

__all__ = ["erase_contact", "erased_on", "suppression_keys", "erasure_of", "Suppression"]

# Columns a contact kept for its events loses (all but id, kind and times).
_KEPT = ("id", "kind", "created_at", "updated_at", "name", "custom", "vip", "hidden")


def erase_contact(
    store: Store,
    contact_id: int,
    *,
    reason: str | None,
    user: str | None,
    keep_events: bool = False,
) -> dict[str, Any]:
    """Erase the contact everywhere; return the erasure's id, time and what was scrubbed."""
    record = get_record(store, contact_id)
    if record is None:
        erased = erasure_of(store, contact_id)
        if erased is not None:
            raise CrmError(f"contact {contact_id} was already erased on {erased['at'][:10]}")
        raise NotFound(f"no contact with id {contact_id}")
    merged = _merged_records(store, contact_id)
    terms = Terms.of_record(record)
    for other in merged:
        more = Terms.of_record(other)
        terms.names += more.names
        terms.phones += more.phones
        terms.emails += more.emails
        terms.numbers += more.numbers
    pattern = terms.pattern()
    keys = suppression_keys(store, [record, *merged])
    now = utc_now()
    conn = store.conn
    files = [
        row[0]
        for row in conn.execute("SELECT sha256 FROM files WHERE contact_id = ?", (contact_id,))
    ]
    members = [
        row[0]
        for row in conn.execute(
            "SELECT person_id FROM memberships WHERE organization_id = ?1"
            " UNION SELECT organization_id FROM memberships WHERE person_id = ?1",
            (contact_id,),
        )
    ]
    conn.execute("PRAGMA secure_delete = ON")
    try:
        with store.transaction():
            erasure_id = int(
                conn.execute(
                    "INSERT INTO erasures (contact_id, at, user, reason) VALUES (?, ?, ?, ?)",
                    (contact_id, now, user, reason),
                ).lastrowid
                or 0
            )
            _erase_own_history(store, contact_id)
            if keep_events:
                _empty_contact(store, contact_id)
            else:
                conn.execute("DELETE FROM contacts WHERE id = ?", (contact_id,))
            scrubbed = _scrub_places(store, pattern)
            conn.execute(
                "UPDATE merges SET status = 'erased', snapshot = '{}' WHERE keep_id = ?1"
                " OR id IN (SELECT merge_id FROM merged_contacts WHERE contact_id = ?1)",
                (contact_id,),
            )
            conn.execute(
                "DELETE FROM merged_contacts WHERE contact_id = ?1 OR into_id = ?1", (contact_id,)
            )
            conn.executemany(
                "INSERT OR IGNORE INTO suppression (hash, erasure_id) VALUES (?, ?)",
                [(key, erasure_id) for key in keys],
            )
            conn.execute(
                "INSERT INTO history (at, user, source, action, contact_id, detail)"
                " VALUES (?, ?, ?, 'erase', ?, ?)",
                (now, user, store.source, contact_id, json.dumps({"erasure": erasure_id})),
            )
            refresh_search_index(store, [contact_id, *members])
            conn.execute("INSERT INTO contacts_fts (contacts_fts) VALUES ('optimize')")
    finally:
        conn.execute("PRAGMA secure_delete = OFF")
    FileStore.for_store(store).prune(store, files)
    busy = _checkpoint(store)
    return {
        "erasure_id": erasure_id,
        "contact_id": contact_id,
        "at": now,
        "scrubbed": scrubbed,
        "suppressed": len(keys),
        "wal_cleared": not busy,
        "kept_events": keep_events,
    }


def _checkpoint(store: Store) -> bool:
    """Move the WAL into the file and empty it; return whether a reader kept it busy.

    PostgreSQL has no such file of the base's own: the rows are deleted, and their
    old versions wait in the server's tables and WAL for its vacuum and checkpoints.
    """
    if getattr(store, "dialect", "sqlite") == "postgresql":
        return False
    busy, _, _ = store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return bool(busy)


def _merged_records(store: Store, contact_id: int) -> list[dict[str, Any]]:
    """Return the records of contacts merged into this one (the same person)."""
    records = []
    for (snapshot,) in store.conn.execute(
        "SELECT snapshot FROM merges WHERE keep_id = ? AND status = 'done'", (contact_id,)
    ):
        records += json.loads(snapshot).get("others", [])
    return records


def _erase_own_history(store: Store, contact_id: int) -> None:
    """Keep the contact's history entries (who, when, what) with their values erased."""
    conn = store.conn
    rows = conn.execute(
        "SELECT id, changes, detail FROM history WHERE contact_id = ?", (contact_id,)
    ).fetchall()
    updates = []
    for entry_id, changes, detail in rows:
        erased = [
            [field, None if old is None else ERASED, None if new is None else ERASED]
            for field, old, new in (json.loads(changes) if changes else [])
        ]
        updates.append(
            (json.dumps(erased) if erased else None, None if detail is None else ERASED, entry_id)
        )
    conn.executemany("UPDATE history SET changes = ?, detail = ? WHERE id = ?", updates)


def _empty_contact(store: Store, contact_id: int) -> None:
    """Leave an empty hidden "[erased]" contact holding its events, their text removed."""
    from crmkit.store.sqlite.schema import CONTACT_COLUMNS

    conn = store.conn
    emptied = [column for column in CONTACT_COLUMNS if column not in _KEPT]
    conn.execute(
        f"UPDATE contacts SET {', '.join(f'{c} = NULL' for c in emptied)}, name = ?,"
        " custom = '{}', vip = 0, hidden = 1, row_digest = NULL WHERE id = ?",
        (ERASED, contact_id),
    )
    for table in ("phones", "emails", "contact_tags", "contact_users", "consents", "files",
                  "notes", "contact_aliases"):  # fmt: skip
        conn.execute(f"DELETE FROM {table} WHERE contact_id = ?", (contact_id,))
    conn.execute("DELETE FROM memberships WHERE person_id = ?1 OR organization_id = ?1",
                 (contact_id,))  # fmt: skip
    conn.execute(
        "UPDATE events SET subject = NULL, body = NULL, external_id = NULL WHERE contact_id = ?",
        (contact_id,),
    )


def _scrub_places(store: Store, pattern: Any) -> int:
    """Replace the person's data in every other place it was copied to; return how many."""
    conn = store.conn
    changed = 0
    for place in list(find_places(store, pattern)):
        table, column = place["table"], place["field"]
        if table == "contacts" and column == "name":
            continue  # another contact's own name: a namesake, not this person
        key = "rowid" if table == "import_problems" else "id"
        value = conn.execute(
            f"SELECT {column} FROM {table} WHERE {key} = ?", (place["row"],)
        ).fetchone()[0]
        json_column = column in ("changes", "filters", "snapshot") or (
            table == "history" and column == "detail"
        )
        new = scrub_json(value, pattern) if json_column else scrub_text(str(value), pattern)
        if table == "import_problems":
            new = ERASED
        conn.execute(f"UPDATE {table} SET {column} = ? WHERE {key} = ?", (new, place["row"]))
        changed += 1
    return changed


def suppression_keys(store: Store, records: Iterable[Mapping[str, Any]]) -> list[str]:
    """Return the salted hashes of the records' numbers, e-mails, PESEL and NIP."""
    salt = _salt(store)
    values: set[str] = set()
    for record in records:
        values.update(f"phone:{phone['number']}" for phone in record.get("phones") or [])
        values.update(f"email:{e['address'].lower()}" for e in record.get("emails") or [])
        for key in ("pesel", "nip"):
            if record.get(key):
                values.add(f"{key}:{''.join(ch for ch in str(record[key]) if ch.isdigit())}")
    return sorted(hashlib.sha256((salt + value).encode()).hexdigest() for value in values)


def erased_on(store: Store, record: Mapping[str, Any]) -> str | None:
    """Return the date a person matching this record's values was erased, or None."""
    if store.one("SELECT 1 FROM suppression LIMIT 1") is None:
        return None
    keys = suppression_keys(store, [record])
    if not keys:
        return None
    at: str | None = store.one(
        "SELECT e.at FROM suppression s JOIN erasures e ON e.id = s.erasure_id"
        " WHERE s.hash IN (SELECT value FROM json_each(?)) ORDER BY e.at LIMIT 1",
        (json.dumps(keys),),
    )
    return at[:10] if at else None


class Suppression:
    """The suppression list held in memory for one import: is a row an erased person?"""

    def __init__(self, salt: str, keys: dict[str, str]) -> None:
        self._salt = salt
        self._keys = keys

    @classmethod
    def load(cls, store: Store) -> Suppression | None:
        """Return the base's suppression list, or None if nobody was ever erased."""
        keys = {
            key: at[:10]
            for key, at in store.conn.execute(
                "SELECT s.hash, e.at FROM suppression s JOIN erasures e ON e.id = s.erasure_id"
            )
        }
        return cls(_salt(store), keys) if keys else None

    def erased_on(self, draft: Any) -> str | None:
        """Return the date a person with one of the draft's values was erased, or None."""
        values = [f"phone:{number}" for number, _, _ in draft.phones]
        values += [f"email:{address.lower()}" for address, _ in draft.emails]
        for key in ("pesel", "nip"):
            if draft.scalars.get(key):
                digits = "".join(ch for ch in str(draft.scalars[key]) if ch.isdigit())
                values.append(f"{key}:{digits}")
        for value in values:
            found = self._keys.get(hashlib.sha256((self._salt + value).encode()).hexdigest())
            if found is not None:
                return found
        return None


def erasure_of(store: Store, contact_id: int) -> dict[str, Any] | None:
    """Return the erasure of this contact (id, time, user, reason), or None."""
    rows = store.rows(
        "SELECT id, at, user, reason FROM erasures WHERE contact_id = ? ORDER BY id DESC LIMIT 1",
        (contact_id,),
    )
    return dict(rows[0]) if rows else None


def _salt(store: Store) -> str:
    """Return the base's secret salt, made on first use."""
    salt: str | None = store.one("SELECT value FROM secrets WHERE name = 'suppression_salt'")
    if salt is None:
        salt = secrets.token_hex(16)
        with store.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO secrets (name, value) VALUES ('suppression_salt', ?)",
                (salt,),
            )
        salt = store.one("SELECT value FROM secrets WHERE name = 'suppression_salt'")
    return str(salt)

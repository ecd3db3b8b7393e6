"""Reading what duplicates are found by: shared keys, name blocks and a few facts per contact.

Everything here streams. A key held by two or more contacts is a `GROUP BY ... HAVING
count(DISTINCT contact_id) > 1` over the index of its column (`phones_number`,
`emails_address`, `contacts_nip`); PESEL and REGON have no index and are read in one
scan of the contacts each, and e-mail addresses with letters beyond ASCII (which
NOCASE does not fold) are grouped by their Python lower case. For name blocks each
contact's name key is worked out once into a temporary table, then each kind of block
(city, postal code, organization, e-mail domain) comes out of one query sorted by block
and name key, so the caller holds one stretch of one block at a time. SQLite sorts in
temporary files (`temp_store = FILE` meanwhile), so a base of millions of contacts
sorts in the same little memory as a small one.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from itertools import groupby
from typing import Any, NamedTuple

from crmkit.store.sqlite.connection import Store
from crmkit.values.names import fold_text, match_name_key

__all__ = ["ContactFacts", "SHARED_KEYS", "contact_facts", "name_blocks", "shared_keys"]


class ContactFacts(NamedTuple):
    """What the reasons of a duplicate group name: the display name and the address."""

    name: str
    city: str | None
    postal_code: str | None
    street: str | None


# For each key: the rows (group key, value as stored, contact id, kind) of the values held
# by two or more contacts, in group-key order. Phones are E.164, registry numbers bare
# digits (both canonical when written), e-mails compared case-insensitively.
SHARED_KEYS: dict[str, str] = {
    "phone": "SELECT p.number, p.number, p.contact_id, c.kind FROM phones p"
    " JOIN contacts c ON c.id = p.contact_id WHERE p.number IN"
    " (SELECT number FROM phones GROUP BY number HAVING count(DISTINCT contact_id) > 1)"
    " ORDER BY p.number, p.contact_id",
    # Addresses in plain ASCII, where NOCASE is the whole of case, go by the index;
    # the others (Polish letters before the @) are folded in Python, see `_FOLDED_EMAILS`.
    "email": "SELECT lower(e.address), e.address, e.contact_id, c.kind FROM emails e"
    " JOIN contacts c ON c.id = e.contact_id WHERE e.address COLLATE NOCASE IN"
    " (SELECT address COLLATE NOCASE FROM emails WHERE address NOT GLOB '*[^ -~]*'"
    " GROUP BY address COLLATE NOCASE HAVING count(DISTINCT contact_id) > 1)"
    " ORDER BY e.address COLLATE NOCASE, e.contact_id",
    "nip": "SELECT nip, nip, id, kind FROM contacts WHERE nip IN"
    " (SELECT nip FROM contacts WHERE nip IS NOT NULL GROUP BY nip HAVING count(*) > 1)"
    " ORDER BY nip, id",
    "pesel": "SELECT pesel, pesel, id, kind FROM contacts WHERE pesel IN"
    " (SELECT pesel FROM contacts WHERE pesel IS NOT NULL GROUP BY pesel HAVING count(*) > 1)"
    " ORDER BY pesel, id",
    "regon": "SELECT regon, regon, id, kind FROM contacts WHERE regon IN"
    " (SELECT regon FROM contacts WHERE regon IS NOT NULL GROUP BY regon HAVING count(*) > 1)"
    " ORDER BY regon, id",
}

# E-mail addresses with other than ASCII letters, grouped by their Python lower case.
_FOLDED_EMAILS = """
WITH folded AS MATERIALIZED (
    SELECT crm_dup_lower(address) AS key, address, contact_id FROM emails
     WHERE address GLOB '*[^ -~]*'
)
SELECT f.key, f.address, f.contact_id, c.kind FROM folded f JOIN contacts c ON c.id = f.contact_id
 WHERE f.key IN (SELECT key FROM folded GROUP BY key HAVING count(DISTINCT contact_id) > 1)
 ORDER BY f.key, f.contact_id
"""

# Each contact's name key, folded city, postal code and folded street, worked out once:
# a contact is in up to four kinds of block, and a Python function costs more than the
# rest of a row.
_NAME_KEYS = (
    "CREATE TEMP TABLE crm_dup_names (id INTEGER PRIMARY KEY, kind TEXT NOT NULL,"
    " key TEXT NOT NULL, city TEXT NOT NULL, postal_code TEXT NOT NULL, street TEXT NOT NULL)",
    "INSERT INTO temp.crm_dup_names SELECT id, kind, crm_dup_key(name, kind), crm_dup_fold(city),"
    " trim(coalesce(postal_code, '')), crm_dup_fold(street) FROM contacts WHERE name <> ''",
    "DELETE FROM temp.crm_dup_names WHERE key = ''",
)

# Per kind of block, the rows (block, name key, contact id, street) sorted by the first
# three; a block is the first letter of the contacts' kind and the value they share
# ("p gliwice"). Each kind is sorted on its own: three sorts of a million rows cost less
# than one of three million.
_NAME_BLOCKS: dict[str, str] = {
    "city": "SELECT substr(kind, 1, 1) || ' ' || city, key, id, street"
    " FROM temp.crm_dup_names WHERE city <> '' ORDER BY 1, 2, 3",
    "postal_code": "SELECT substr(kind, 1, 1) || ' ' || postal_code, key, id, street"
    " FROM temp.crm_dup_names WHERE postal_code <> '' ORDER BY 1, 2, 3",
    "organization": "SELECT 'p ' || m.organization_id, n.key, n.id, n.street FROM memberships m"
    " JOIN temp.crm_dup_names n ON n.id = m.person_id ORDER BY 1, 2, 3",
    "domain": "SELECT substr(n.kind, 1, 1) || ' ' || e.domain, n.key, n.id, n.street FROM"
    " (SELECT contact_id, lower(substr(address, instr(address, '@') + 1)) AS domain"
    " FROM emails) e JOIN temp.crm_dup_names n ON n.id = e.contact_id"
    " WHERE e.domain <> '' AND e.domain NOT IN (SELECT value FROM json_each(?))"
    " ORDER BY 1, 2, 3",
}


def shared_keys(store: Store, key: str) -> Iterator[tuple[str, list[tuple[int, str, str]]]]:
    """Yield each value of `key` held by two or more contacts, with its holders.

    A holder is (contact id, kind, the value as that contact has it), in id order;
    e-mail addresses are yielded in lower case.
    """
    if getattr(store, "dialect", "sqlite") == "postgresql":
        from crmkit.store.postgres.duplicates import ASCII_EMAILS, folded_email_rows

        found: list[Any] = store.rows(ASCII_EMAILS if key == "email" else SHARED_KEYS[key])
        if key == "email":
            found += folded_email_rows(store)
        for value, group in groupby(found, key=lambda row: row[0]):
            yield value, [(contact_id, kind, raw) for _, raw, contact_id, kind in group]
        return
    queries = [SHARED_KEYS[key]]
    if key == "email":
        store.conn.create_function("crm_dup_lower", 1, str.lower, deterministic=True)
        queries.append(_FOLDED_EMAILS)
    for query in queries:
        with _sorting_on_disk(store):
            cursor = store.conn.execute(query)
            try:
                for value, rows in groupby(cursor, key=lambda row: row[0]):
                    yield value, [(contact_id, kind, raw) for _, raw, contact_id, kind in rows]
            finally:
                cursor.close()


def name_blocks(
    store: Store, free_domains: Collection[str]
) -> Iterator[tuple[str, Iterator[tuple[str, str, int, str]]]]:
    """Yield, for each thing contacts can share, the rows of its blocks, sorted.

    The things are "city" (folded), "postal_code", "organization" (persons only) and
    "domain" of an e-mail address, where addresses at `free_domains` (free mail
    services, shared by strangers) make no block. A row is (block, name key, contact
    id, folded street or ""), sorted by the first three; a block holds contacts of
    one kind, and a contact may be in it more than once (two addresses at one
    domain). Contacts with an empty name are left out. Read each kind's rows before
    taking the next.
    """
    if getattr(store, "dialect", "sqlite") == "postgresql":
        from crmkit.store.postgres.duplicates import name_block_rows

        for shared, rows in name_block_rows(
            store, free_domains, _name_key_or_empty, _fold_or_empty
        ):
            yield shared, iter(rows)
        return
    conn = store.conn
    conn.create_function("crm_dup_fold", 1, _fold_or_empty, deterministic=True)
    conn.create_function("crm_dup_key", 2, _name_key_or_empty, deterministic=True)
    with _sorting_on_disk(store):
        conn.execute("DROP TABLE IF EXISTS temp.crm_dup_names")
        for statement in _NAME_KEYS:
            conn.execute(statement)
        try:
            for shared, query in _NAME_BLOCKS.items():
                params = (json.dumps(sorted(free_domains)),) if shared == "domain" else ()
                cursor = conn.execute(query, params)
                try:
                    yield shared, iter(cursor)
                finally:
                    cursor.close()
        finally:
            conn.execute("DROP TABLE temp.crm_dup_names")


def contact_facts(store: Store, ids: Iterable[int]) -> dict[int, ContactFacts]:
    """Return the name and address of these contacts (unknown ids are left out)."""
    wanted = sorted(set(ids))
    found: dict[int, ContactFacts] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        cursor = store.conn.execute(
            "SELECT id, name, city, postal_code, street FROM contacts"
            " WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(chunk),),
        )
        for contact_id, *facts in cursor:
            found[contact_id] = ContactFacts(*facts)
    return found


@contextmanager
def _sorting_on_disk(store: Store) -> Iterator[None]:
    """Let SQLite sort in temporary files, not in memory, while the block runs.

    The store keeps temporary data in memory, which is quicker for the small sorts of
    everyday queries; sorting every contact of a base there would cost memory in
    proportion to the base. SQLite refuses the change inside a transaction: it stays.
    """
    if store.in_transaction:
        yield
        return
    store.conn.execute("PRAGMA temp_store = FILE")
    try:
        yield
    finally:
        store.conn.execute("PRAGMA temp_store = MEMORY")


def _fold_or_empty(text: str | None) -> str:
    return " ".join(fold_text(text).split()) if text else ""


def _name_key_or_empty(name: str | None, kind: str) -> str:
    return match_name_key(name, kind == "organization") if name else ""

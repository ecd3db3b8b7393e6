"""Reading duplicates on PostgreSQL: what SQLite does with Python functions inside SQL.

`crmkit.store.sqlite.duplicates` asks SQLite to call Python (a name key, a
folded city, the lower case of an address beyond ASCII) for each row. The server
cannot, so here those values are worked out in Python: the contacts are read a
batch at a time, by id, into a temporary table of name keys, and the few e-mail
addresses with other than ASCII letters are grouped in Python. The blocks come
out sorted as SQLite sorts them (bytes of UTF-8, the collation "C"), so that the
same names are neighbours on both.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crmkit.store import Store

__all__ = ["ASCII_EMAILS", "folded_email_rows", "name_block_rows"]

_BATCH = 5000
_ASCII = "e.address !~ '[^ -~]'"

# Addresses in plain ASCII, grouped by their lower case (ASCII's is the same everywhere).
ASCII_EMAILS = (
    "SELECT lower(e.address), e.address, e.contact_id, c.kind FROM emails e"
    f" JOIN contacts c ON c.id = e.contact_id WHERE {_ASCII} AND lower(e.address) IN"
    f" (SELECT lower(e.address) FROM emails e WHERE {_ASCII}"
    " GROUP BY lower(e.address) HAVING count(DISTINCT e.contact_id) > 1)"
    " ORDER BY lower(e.address), e.contact_id"
)

_NAME_KEYS = (
    "CREATE TEMP TABLE crm_dup_names (id BIGINT PRIMARY KEY, kind TEXT NOT NULL,"
    ' key TEXT COLLATE "C" NOT NULL, city TEXT COLLATE "C" NOT NULL,'
    ' postal_code TEXT COLLATE "C" NOT NULL, street TEXT COLLATE "C" NOT NULL)'
)
_BLOCK_ORDER = ' ORDER BY ({block}) COLLATE "C", {alias}key, {alias}id'
_NAME_BLOCKS: dict[str, tuple[str, str, str]] = {
    "city": (
        "substr(kind, 1, 1) || ' ' || city",
        "",
        " FROM crm_dup_names WHERE city <> ''",
    ),
    "postal_code": (
        "substr(kind, 1, 1) || ' ' || postal_code",
        "",
        " FROM crm_dup_names WHERE postal_code <> ''",
    ),
    "organization": (
        "'p ' || m.organization_id",
        "n.",
        " FROM memberships m JOIN crm_dup_names n ON n.id = m.person_id",
    ),
    "domain": (
        "substr(n.kind, 1, 1) || ' ' || e.domain",
        "n.",
        " FROM (SELECT contact_id, lower(substr(address, instr(address, '@') + 1)) AS domain"
        " FROM emails) e JOIN crm_dup_names n ON n.id = e.contact_id"
        " WHERE e.domain <> '' AND e.domain NOT IN (SELECT value FROM json_each(?))",
    ),
}


def folded_email_rows(store: Store) -> list[tuple[str, str, int, str]]:
    """Return (lower case, address, contact id, kind) of the addresses beyond ASCII whose
    lower case two or more contacts hold, sorted by it and by contact."""
    rows = store.rows(
        "SELECT e.address, e.contact_id, c.kind FROM emails e"
        f" JOIN contacts c ON c.id = e.contact_id WHERE NOT ({_ASCII})"
    )
    holders: dict[str, set[int]] = defaultdict(set)
    for address, contact_id, _ in rows:
        holders[address.lower()].add(contact_id)
    shared = [
        (address.lower(), address, contact_id, kind)
        for address, contact_id, kind in rows
        if len(holders[address.lower()]) > 1
    ]
    return sorted(shared, key=lambda row: (row[0], row[2]))


def name_block_rows(
    store: Store,
    free_domains: Collection[str],
    key_of: Callable[[str | None, str], str],
    fold: Callable[[str | None], str],
) -> Iterator[tuple[str, list[Any]]]:
    """Yield each kind of block with its rows, as `sqlite.duplicates.name_blocks` does.

    `key_of(name, kind)` gives a contact's name key ("" for none), `fold` a folded
    city or street.
    """
    conn = store.conn
    conn.execute("DROP TABLE IF EXISTS crm_dup_names")
    conn.execute(_NAME_KEYS)
    try:
        _fill_name_keys(store, key_of, fold)
        for shared, (block, alias, source) in _NAME_BLOCKS.items():
            params = (json.dumps(sorted(free_domains)),) if shared == "domain" else ()
            sql = (
                f"SELECT {block}, {alias}key, {alias}id, {alias}street{source}"
                + _BLOCK_ORDER.format(block=block, alias=alias)
            )
            yield shared, store.rows(sql, params)
    finally:
        conn.execute("DROP TABLE crm_dup_names")


def _fill_name_keys(
    store: Store, key_of: Callable[[str | None, str], str], fold: Callable[[str | None], str]
) -> None:
    """Put each named contact's name key, folded city, postal code and folded street
    into the temporary table, a batch of contacts at a time."""
    last = 0
    while True:
        batch = store.rows(
            "SELECT id, kind, name, city, postal_code, street FROM contacts"
            f" WHERE name <> '' AND id > ? ORDER BY id LIMIT {_BATCH}",
            (last,),
        )
        rows = []
        for contact_id, kind, name, city, postal_code, street in batch:
            key = key_of(name, kind)
            if key:
                rows.append(
                    (
                        contact_id,
                        kind,
                        key,
                        fold(city),
                        (postal_code or "").strip(" "),
                        fold(street),
                    )
                )
        if rows:
            store.conn.executemany("INSERT INTO crm_dup_names VALUES (?, ?, ?, ?, ?, ?)", rows)
        if len(batch) < _BATCH:
            return
        last = batch[-1][0]

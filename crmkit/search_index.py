"""The full-text index: one folded document per contact in `contacts_fts`.

The document is written by the store's write path (not triggers), so a bulk
import can refresh it once per batch instead of once per changed row. Text is
folded in Python (`fold_for_index`) because SQLite's `remove_diacritics`
leaves letters such as `ł` alone; queries are folded the same way.

A document has two columns, `name` and `body` (city, e-mails, phone digits,
organization names), so that a match in the name can rank first. Its rowid
is a name-order key (`crmkit.query.fulltext.name_rowid`), not the contact id.
`contacts_fts_keys` remembers it (so that the old document can be removed
when the name changes) with the folded name and the hidden flag, so that a
ranked search can order and filter matches without reading `contacts`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from crmkit.query.fulltext import ID_MASK, fold_for_index, name_rowid
from crmkit.store import Store
from crmkit.values.names import fold_text
from crmkit.values.phones import phone_search_tokens

__all__ = [
    "DocumentSource",
    "add_search_documents",
    "refresh_search_index",
    "rebuild_search_index",
    "document_text",
    "indexed_ids",
]

_DOCUMENT_SQL = """
SELECT c.id, c.hidden, c.name, c.city,
    (SELECT group_concat(address, ' ') FROM emails WHERE contact_id = c.id),
    (SELECT group_concat(number, ' ') FROM phones WHERE contact_id = c.id),
    (SELECT group_concat(o.name, ' ') FROM memberships m JOIN contacts o ON o.id = m.organization_id
        WHERE m.person_id = c.id)
FROM contacts c
"""
_IN_PAYLOAD = "IN (SELECT value FROM json_each(?))"
_INSERT_DOCUMENT = "INSERT INTO contacts_fts (rowid, name, body) VALUES (?, ?, ?)"
_INSERT_KEY = (
    "INSERT OR REPLACE INTO contacts_fts_keys (contact_id, doc, sort_key, hidden)"
    " VALUES (?, ?, ?, ?)"
)

Document = tuple[int, str, str]
Key = tuple[int, int, str, int]
# What a document is made of, as `_DOCUMENT_SQL` reads it: id, hidden, name, city, and the
# e-mails, phone numbers and organization names each joined by spaces (or None).
DocumentSource = tuple[int, int, str, "str | None", "str | None", "str | None", "str | None"]


def document_text(
    city: str | None,
    emails: str | None,
    phones: str | None,
    organizations: str | None,
) -> str:
    """The folded `body` indexed for one contact (everything but the name)."""
    text = " ".join(part for part in (city, emails, organizations) if part)
    body = fold_for_index(text) if text else ""
    if phones:
        tokens = [token for number in phones.split(" ") for token in phone_search_tokens(number)]
        body = f"{body} {' '.join(tokens)}" if body else " ".join(tokens)
    return body


def _documents(rows: Iterable[tuple[Any, ...]]) -> tuple[list[Document], list[Key]]:
    """FTS rows and key rows for rows of `_DOCUMENT_SQL`."""
    documents: list[Document] = []
    keys: list[Key] = []
    for contact_id, hidden, name, city, emails, phones, organizations in rows:
        name_text = name or ""
        sort_key = fold_text(name_text)
        rowid = name_rowid(sort_key, contact_id)
        body = document_text(city, emails, phones, organizations)
        documents.append((rowid, fold_for_index(name_text), body))
        keys.append((contact_id, rowid, sort_key, hidden))
    # FTS5 flushes its pending terms whenever a rowid is not above the last one;
    # rowids lead with a name bucket, so unsorted batches would flush on most rows.
    documents.sort()
    return documents, keys


def refresh_search_index(store: Store, ids: Iterable[int]) -> None:
    """Rewrite the documents of these contacts (deleted ones simply drop out)."""
    id_list = list(ids)
    if not id_list:
        return
    payload = json.dumps(id_list)
    conn = store.conn
    conn.execute(
        "DELETE FROM contacts_fts WHERE rowid IN"
        f" (SELECT doc FROM contacts_fts_keys WHERE contact_id {_IN_PAYLOAD})",
        (payload,),
    )
    conn.execute(f"DELETE FROM contacts_fts_keys WHERE contact_id {_IN_PAYLOAD}", (payload,))
    rows = conn.execute(_DOCUMENT_SQL + f" WHERE c.id {_IN_PAYLOAD}", (payload,)).fetchall()
    documents, keys = _documents(rows)
    conn.executemany(_INSERT_DOCUMENT, documents)
    conn.executemany(_INSERT_KEY, keys)


def add_search_documents(store: Store, sources: list[DocumentSource]) -> None:
    """Index contacts that have no document yet, from values the writer already holds.

    A bulk import creates most contacts it indexes; reading them back with
    `_DOCUMENT_SQL` would cost a query per batch for values still in memory.
    """
    if sources:
        documents, keys = _documents(sources)
        store.conn.executemany(_INSERT_DOCUMENT, documents)
        store.conn.executemany(_INSERT_KEY, keys)


def rebuild_search_index(store: Store, batch: int = 20000) -> int:
    """Drop and rebuild every document; used by `crm init` and after schema upgrades."""
    with store.transaction() as conn:
        conn.execute("DELETE FROM contacts_fts")
        conn.execute("DELETE FROM contacts_fts_keys")
        last = 0
        total = 0
        while True:
            rows = conn.execute(
                _DOCUMENT_SQL + " WHERE c.id > ? ORDER BY c.id LIMIT ?", (last, batch)
            ).fetchall()
            if not rows:
                break
            documents, keys = _documents(rows)
            conn.executemany(_INSERT_DOCUMENT, documents)
            conn.executemany(_INSERT_KEY, keys)
            last = rows[-1][0]
            total += len(rows)
    return total


def indexed_ids(store: Store, fts_query: str) -> list[int]:
    """Contact ids whose documents match an FTS5 query, by id (for checks and tests)."""
    return sorted(
        rowid & ID_MASK
        for (rowid,) in store.conn.execute(
            "SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH ?", (fts_query,)
        )
    )

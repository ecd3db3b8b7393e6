"""The full-text index: one folded document per contact in `contacts_fts`.

The document is written by the store's write path (not triggers), so a bulk
import can refresh it once per batch instead of once per changed row. Text is
folded in Python (`fold_for_index`) because SQLite's `remove_diacritics`
leaves letters such as `ł` alone; queries are folded the same way.

A document has two columns, `name` and `body` (city, e-mails, phone digits,
organization names), so that a match in the name can rank first. Its rowid
is a name-order key (`crmkit.store.sqlite.query.fulltext.name_rowid`), not the contact id.
`contacts_fts_keys` remembers it with the folded name and the hidden flag, so
that a ranked search can order and filter matches without reading `contacts`,
and with the indexed text itself: the FTS5 table keeps no copy of its documents
(`content=''`), and removing one from it means naming the text it was made of.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from crmkit.store.sqlite.bulk import insert_rows
from crmkit.store.sqlite.connection import Store
from crmkit.store.sqlite.query import pg_search
from crmkit.store.sqlite.query.fulltext import (
    ID_MASK,
    bucket_rowid,
    fold_for_index,
    name_bucket,
    split_letters_from_digits,
)
from crmkit.store.sqlite.query.pg_search import is_postgresql_conn
from crmkit.values.names import fold_text
from crmkit.values.phones import phone_search_tokens

__all__ = [
    "PreparedDocument",
    "PendingDocument",
    "prepare_document",
    "finish_documents",
    "add_search_documents",
    "refresh_search_index",
    "rebuild_search_index",
    "indexed_ids",
    "index_entries",
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
# FTS5 flushes its pending terms whenever a rowid is not above the last one; rowids
# lead with a name bucket, so documents go in sorted by rowid, or it would flush on
# most of them. They are read back from the key rows just written, which costs less
# than binding the same text a second time.
_INDEX_KEYS = (
    "INSERT INTO contacts_fts (rowid, name, body)"
    " SELECT doc, name, body FROM contacts_fts_keys WHERE contact_id IN"
    " (SELECT value FROM json_each(?)) ORDER BY doc"
)
_INSERT_KEY = (
    "INSERT OR REPLACE INTO contacts_fts_keys (contact_id, doc, sort_key, hidden, name, body)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)
_INSERT_NEW_KEY = _INSERT_KEY.replace("INSERT OR REPLACE", "INSERT", 1)
# The index keeps no copy of its documents: removing one names the text it was made of.
_REMOVE_DOCUMENTS = (
    "INSERT INTO contacts_fts (contacts_fts, rowid, name, body)"
    " SELECT 'delete', doc, name, body FROM contacts_fts_keys WHERE contact_id "
)

Key = tuple[int, int, str, int, str, str]
# A document without its contact id and organizations: name bucket, sort key (folded
# name), indexed name, and body. Computable from a draft before the contact has an id.
PreparedDocument = tuple[int, str, str, str]
# A contact's document ready to write: id, hidden flag, prepared parts, and its
# organizations' names as folded text (or None).
PendingDocument = tuple[int, int, PreparedDocument, "str | None"]


def prepare_document(
    name: str | None, city: str | None, emails: str | None, phones: str | None
) -> PreparedDocument:
    """Everything of a document that does not depend on the id or the organizations.

    `emails` and `phones` are joined by spaces. The body holds the city, the
    e-mails and the digits of each phone number; organization names follow.
    """
    name_text = name or ""
    sort_key = fold_text(name_text)
    indexed_name = split_letters_from_digits(sort_key)
    text = f"{city} {emails}" if city and emails else (city or emails)
    body = fold_for_index(text) if text else ""
    if phones:
        tokens = " ".join(
            [token for number in phones.split(" ") for token in phone_search_tokens(number)]
        )
        body = f"{body} {tokens}" if body else tokens
    return name_bucket(sort_key), sort_key, indexed_name, body


def finish_documents(pending: Iterable[PendingDocument]) -> list[Key]:
    """The key rows of documents with their ids: where each goes in the index, and its text."""
    keys: list[Key] = []
    for contact_id, hidden, (bucket, sort_key, indexed_name, body), organizations in pending:
        if organizations:
            body = f"{body} {organizations}" if body else organizations
        keys.append(
            (contact_id, bucket_rowid(bucket, contact_id), sort_key, hidden, indexed_name, body)
        )
    return keys


def _write_documents(conn: sqlite3.Connection, keys: list[Key]) -> None:
    """Store the key rows of contacts without a document, and index their text."""
    if is_postgresql_conn(conn):
        # No key row to replace: the rows go straight into the table, by COPY (the
        # last of a contact's, as a REPLACE would keep), and the index follows them.
        insert_rows(conn, _INSERT_NEW_KEY, list({key[0]: key for key in keys}.values()))
        return
    insert_rows(conn, _INSERT_KEY, keys)
    conn.execute(_INDEX_KEYS, (json.dumps([key[0] for key in keys]),))


def _documents(rows: Iterable[tuple[Any, ...]]) -> list[Key]:
    """Key rows for rows of `_DOCUMENT_SQL`."""
    return finish_documents(
        (
            contact_id,
            hidden,
            prepare_document(name, city, emails, phones),
            fold_for_index(organizations) if organizations else None,
        )
        for contact_id, hidden, name, city, emails, phones, organizations in rows
    )


def add_search_documents(store: Store, pending: list[PendingDocument]) -> None:
    """Index contacts that have no document yet, from values the writer already holds.

    A bulk import creates most contacts it indexes; reading them back with
    `_DOCUMENT_SQL` would cost a query per batch for values still in memory.
    """
    if pending:
        _write_documents(store.conn, finish_documents(pending))


def refresh_search_index(store: Store, ids: Iterable[int]) -> None:
    """Rewrite the documents of these contacts (deleted ones simply drop out).

    A document that comes out as it was stays: removing a document from FTS5
    costs as much as adding one, and re-importing a file changes few of them.
    """
    id_list = list(ids)
    if not id_list:
        return
    payload = json.dumps(id_list)
    conn = store.conn
    stored = {
        row[0]: row[1:]
        for row in conn.execute(
            "SELECT contact_id, doc, sort_key, hidden, name, body FROM contacts_fts_keys"
            f" WHERE contact_id {_IN_PAYLOAD}",
            (payload,),
        )
    }
    rows = conn.execute(_DOCUMENT_SQL + f" WHERE c.id {_IN_PAYLOAD}", (payload,)).fetchall()
    keys = _documents(rows)
    changed = [key for key in keys if stored.pop(key[0], None) != key[1:]]
    if not changed and not stored:
        return
    # Old documents of changed contacts, and of contacts no longer there, go.
    gone = [contact_id for contact_id, *_ in changed] + list(stored)
    gone_payload = json.dumps(gone)
    conn.execute(_REMOVE_DOCUMENTS + _IN_PAYLOAD, (gone_payload,))
    conn.execute(f"DELETE FROM contacts_fts_keys WHERE contact_id {_IN_PAYLOAD}", (gone_payload,))
    _write_documents(conn, changed)


def rebuild_search_index(store: Store, batch: int = 20000) -> int:
    """Drop and rebuild every document; used by `crm init` and after schema upgrades."""
    with store.transaction() as conn:
        conn.execute("INSERT INTO contacts_fts (contacts_fts) VALUES ('delete-all')")
        conn.execute("DELETE FROM contacts_fts_keys")
        last = 0
        total = 0
        while True:
            rows = conn.execute(
                _DOCUMENT_SQL + " WHERE c.id > ? ORDER BY c.id LIMIT ?", (last, batch)
            ).fetchall()
            if not rows:
                break
            _write_documents(conn, _documents(rows))
            last = rows[-1][0]
            total += len(rows)
    return total


def indexed_ids(store: Store, fts_query: str) -> list[int]:
    """Contact ids whose documents match an FTS5 query, by id (for checks and tests)."""
    if is_postgresql_conn(store.conn):
        return pg_search.indexed_ids(store.conn, fts_query)
    return sorted(
        rowid & ID_MASK
        for (rowid,) in store.conn.execute(
            "SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH ?", (fts_query,)
        )
    )


def index_entries(store: Store) -> list[tuple[int, str, int, str]]:
    """Every (rowid, column, offset, term) the index holds, in order (for checks and tests).

    The index keeps no copy of its documents, so this is the way to see what it
    holds: a document removed with the wrong text would leave terms behind here.
    On PostgreSQL the entries are read from the documents' generated `words`.
    """
    if is_postgresql_conn(store.conn):
        return pg_search.index_entries(store.conn)
    store.conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.contacts_fts_instances"
        " USING fts5vocab(main, 'contacts_fts', 'instance')"
    )
    return sorted(
        (doc, column, offset, term)
        for term, doc, column, offset in store.conn.execute(
            "SELECT term, doc, col, offset FROM temp.contacts_fts_instances"
        )
    )

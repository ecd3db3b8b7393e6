"""The full-text index: one folded document per contact in `contacts_fts`.

The document is written by the store's write path (not triggers), so a bulk
import can refresh it once per batch instead of once per changed row. Text is
folded in Python (`fold_text`) because SQLite's `remove_diacritics` leaves
letters such as `ł` alone; queries are folded the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from crmkit.store import Store
from crmkit.values.names import fold_text
from crmkit.values.phones import phone_search_tokens

__all__ = ["refresh_search_index", "rebuild_search_index", "document_text"]

_DOCUMENT_SQL = """
SELECT c.id, c.name, c.city,
    (SELECT group_concat(address, ' ') FROM emails WHERE contact_id = c.id),
    (SELECT group_concat(number, ' ') FROM phones WHERE contact_id = c.id),
    (SELECT group_concat(o.name, ' ') FROM memberships m JOIN contacts o ON o.id = m.organization_id
        WHERE m.person_id = c.id)
FROM contacts c
"""


def document_text(
    name: str | None,
    city: str | None,
    emails: str | None,
    phones: str | None,
    organizations: str | None,
) -> str:
    """The folded text indexed for one contact."""
    parts = [name or "", city or "", emails or "", organizations or ""]
    if phones:
        for number in phones.split(" "):
            parts.extend(phone_search_tokens(number))
    return fold_text(" ".join(part for part in parts if part))


def refresh_search_index(store: Store, ids: Iterable[int]) -> None:
    """Rewrite the documents of these contacts (deleted ones simply drop out)."""
    id_list = list(ids)
    if not id_list:
        return
    payload = json.dumps(id_list)
    conn = store.conn
    conn.execute(
        "DELETE FROM contacts_fts WHERE rowid IN (SELECT value FROM json_each(?))", (payload,)
    )
    rows = conn.execute(
        _DOCUMENT_SQL + " WHERE c.id IN (SELECT value FROM json_each(?))", (payload,)
    ).fetchall()
    conn.executemany(
        "INSERT INTO contacts_fts (rowid, body) VALUES (?, ?)",
        [(row[0], document_text(*row[1:])) for row in rows],
    )


def rebuild_search_index(store: Store, batch: int = 20000) -> int:
    """Drop and rebuild every document; used by `crm init` and after schema upgrades."""
    with store.transaction() as conn:
        conn.execute("DELETE FROM contacts_fts")
        last = 0
        total = 0
        while True:
            rows = conn.execute(
                _DOCUMENT_SQL + " WHERE c.id > ? ORDER BY c.id LIMIT ?", (last, batch)
            ).fetchall()
            if not rows:
                break
            conn.executemany(
                "INSERT INTO contacts_fts (rowid, body) VALUES (?, ?)",
                [(row[0], document_text(*row[1:])) for row in rows],
            )
            last = rows[-1][0]
            total += len(rows)
    return total

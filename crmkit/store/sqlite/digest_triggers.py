"""The triggers that keep a contact's row digest true (see `row_digests`).

A digest says "this contact is as the row with this digest left it". Any
write that changes what an import compares clears it: a change to the
contact's row (unless the write sets the digest itself), to its phones,
e-mails, tags or users, a renamed or deleted tag or user (for the contacts
linked to it), and any change to the custom fields (for every contact). The
database does this, so no write path can forget.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["DIGEST_TRIGGERS", "digest_triggers_paused"]

_CLEAR = "UPDATE contacts SET row_digest = NULL WHERE row_digest IS NOT NULL"


def _child_triggers(table: str) -> dict[str, str]:
    """Triggers that clear a contact's digest when one of its rows in `table` changes."""
    clear = f"{_CLEAR} AND id = {{row}}.contact_id;"
    return {
        f"{table}_digest_insert": f"AFTER INSERT ON {table} BEGIN {clear.format(row='NEW')} END",
        f"{table}_digest_delete": f"AFTER DELETE ON {table} BEGIN {clear.format(row='OLD')} END",
        f"{table}_digest_update": (
            f"AFTER UPDATE ON {table} BEGIN {clear.format(row='OLD')} {clear.format(row='NEW')} END"
        ),
    }


def _reference_triggers(table: str, links: str, link_column: str) -> dict[str, str]:
    """Triggers that clear the digests of the contacts linked to a renamed or deleted entry."""
    clear = f"{_CLEAR} AND id IN (SELECT contact_id FROM {links} WHERE {link_column} = OLD.id);"
    return {
        f"{table}_digest_update": f"AFTER UPDATE ON {table} BEGIN {clear} END",
        f"{table}_digest_delete": f"BEFORE DELETE ON {table} BEGIN {clear} END",
    }


# name -> what follows CREATE TRIGGER name
DIGEST_TRIGGERS: dict[str, str] = {
    # An update that does not set the digest itself clears it.
    "contacts_digest_update": (
        "AFTER UPDATE ON contacts WHEN OLD.row_digest IS NOT NULL"
        f" AND NEW.row_digest IS OLD.row_digest BEGIN {_CLEAR} AND id = NEW.id; END"
    ),
    **_child_triggers("phones"),
    **_child_triggers("emails"),
    **_child_triggers("contact_tags"),
    **_child_triggers("contact_users"),
    **_reference_triggers("tags", "contact_tags", "tag_id"),
    **_reference_triggers("users", "contact_users", "user_id"),
    **{
        f"custom_fields_digest_{event.lower()}": (
            f"AFTER {event} ON custom_fields BEGIN {_CLEAR}; END"
        )
        for event in ("INSERT", "UPDATE", "DELETE")
    },
}


@contextmanager
def digest_triggers_paused(conn: sqlite3.Connection) -> Iterator[None]:
    """Drop the digest triggers for the body of an import's transaction.

    The importer writes each contact's digest itself, and the triggers would
    clear it again with every child row it inserts. Run inside the transaction:
    nobody else writes meanwhile, and a rollback brings the triggers back too.
    A store without the triggers (PostgreSQL, whose imports keep no digests)
    has nothing to pause.
    """
    if not isinstance(conn, sqlite3.Connection):
        yield
        return
    for name in DIGEST_TRIGGERS:
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
    yield
    for name, body in DIGEST_TRIGGERS.items():
        conn.execute(f"CREATE TRIGGER {name} {body}")

"""Records found by the keys a file gives for them: contacts by external id, e-mail
address or phone, users by e-mail address, events by external id.

For what an import does beside its rows: a vCard's picture goes to the contact its
card became, a message to the contacts whose addresses it names.
"""

from __future__ import annotations

from collections.abc import Iterable

from crmkit.store import Store

__all__ = [
    "contact_with_keys",
    "contacts_by_email",
    "user_emails",
    "avatar_sha256",
    "event_with_external_id",
]


def contact_with_keys(
    store: Store,
    *,
    external_id: str | None = None,
    emails: Iterable[str] = (),
    phones: Iterable[str] = (),
) -> int | None:
    """The one contact the first key that finds any names; None if none or several."""
    queries: list[tuple[str, str]] = []
    if external_id:
        queries.append(("SELECT id FROM contacts WHERE external_id = ?", external_id))
    queries += [
        ("SELECT DISTINCT contact_id FROM emails WHERE address = ? COLLATE NOCASE", email)
        for email in emails
    ]
    queries += [
        ("SELECT DISTINCT contact_id FROM phones WHERE number = ?", phone) for phone in phones
    ]
    for sql, value in queries:
        found = [row[0] for row in store.conn.execute(sql, (value,))]
        if found:
            return found[0] if len(found) == 1 else None
    return None


def contacts_by_email(store: Store, addresses: Iterable[str]) -> dict[str, list[int]]:
    """The contacts of each address (lower-cased), for those that have any."""
    found: dict[str, list[int]] = {}
    for address in {address.lower() for address in addresses}:
        rows = store.conn.execute(
            "SELECT DISTINCT contact_id FROM emails WHERE address = ? COLLATE NOCASE"
            " ORDER BY contact_id",
            (address,),
        )
        ids = [row[0] for row in rows]
        if ids:
            found[address] = ids
    return found


def user_emails(store: Store) -> dict[str, int]:
    """The users' e-mail addresses (lower-cased) and their ids."""
    rows = store.conn.execute("SELECT lower(email), id FROM users WHERE email IS NOT NULL")
    return {email: user_id for email, user_id in rows if email}


def event_with_external_id(store: Store, source: str, external_id: str) -> int | None:
    """The id of the event that source and external id name, or None."""
    return store.one(
        "SELECT id FROM events WHERE source = ? AND external_id = ?", (source, external_id)
    )


def avatar_sha256(store: Store, contact_id: int) -> str | None:
    """The sha256 of the contact's avatar, or None if it has none."""
    return store.one(
        "SELECT sha256 FROM files WHERE contact_id = ? AND is_avatar = 1 ORDER BY id DESC LIMIT 1",
        (contact_id,),
    )

"""What the contact card shows, gathered once for the terminal and the HTML card.

`card_data` returns the contact's JSON record (CONTRACT section 6) plus its latest
timeline items, its files and its avatar; `crm show --format json` prints exactly
this, and both renderers draw from it, so the two cards cannot disagree.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from crmkit.errors import CrmError, MergedContact, NotFound
from crmkit.files import IMAGE_TYPES
from crmkit.store import Store
from crmkit.store.sqlite.files import FileStore, avatar_file, list_files, stored_blob
from crmkit.store.sqlite.records import get_record
from crmkit.store.sqlite.reference import list_fields
from crmkit.store.sqlite.timeline import timeline_items

__all__ = [
    "CARD_TIMELINE",
    "card_data",
    "gravatar_url",
    "custom_field_rows",
    "avatar_data_uri",
    "period_text",
    "phone_text",
    "size_text",
    "DETAIL_FIELDS",
]

CARD_TIMELINE = 10
_GRAVATAR = "https://www.gravatar.com/avatar/"


def gravatar_url(email: str) -> str:
    """The Gravatar address of an e-mail: md5 of the trimmed, lower-case address."""
    digest = hashlib.md5(email.strip().lower().encode("utf-8"), usedforsecurity=False)
    return _GRAVATAR + digest.hexdigest()


# How many of the latest changes the card shows (`crm history ID` shows all).
CARD_HISTORY = 5


def card_data(
    store: Store, contact_id: int, *, timeline_limit: int = CARD_TIMELINE
) -> dict[str, Any]:
    """The record plus `timeline` (latest items), `files` and `avatar`."""
    record = get_record(store, contact_id)
    if record is None:
        from crmkit.store.sqlite.merge import merged_into

        into = merged_into(store, contact_id)
        if into is not None:
            raise MergedContact(contact_id, into)
        raise NotFound(f"no contact with id {contact_id}")
    files = list_files(store, contact_id)
    avatar = avatar_file(store, contact_id)
    emails = record.get("emails") or []
    data = dict(record)
    data["timeline"] = timeline_items(store, contact_id, limit=timeline_limit)
    data["history"] = _recent_changes(store, contact_id)
    data["consents"] = list_consents(store, contact_id)
    data["files"] = [info for info in files if not info["avatar"]]
    data["avatar"] = {
        "file_id": avatar["id"] if avatar else None,
        "gravatar": gravatar_url(emails[0]["address"]) if emails and not avatar else None,
    }
    return data


def list_consents(store: Store, contact_id: int) -> list[dict[str, Any]]:
    """Return the contact's consents (see `store.sqlite.consents`)."""
    from crmkit.store.sqlite.consents import list_consents as stored_consents

    return stored_consents(store, contact_id)


def _recent_changes(store: Store, contact_id: int) -> list[dict[str, Any]]:
    """Return the latest few history entries of the contact, as `crm history` prints them."""
    from crmkit.history import entry_from_row
    from crmkit.store.sqlite.history import history_rows

    return [
        {**entry.to_record(), "summary": entry.summary}
        for entry in map(entry_from_row, history_rows(store, contact_id, CARD_HISTORY))
    ]


def custom_field_rows(store: Store, record: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, shown value) for the contact's custom fields, in field-key order."""
    values = record.get("custom") or {}
    rows: list[tuple[str, str]] = []
    for definition in list_fields(store):
        if definition.key not in values:
            continue
        value = values[definition.key]
        if isinstance(value, bool):
            shown = "yes" if value else "no"
        elif isinstance(value, list):
            shown = ", ".join(str(item) for item in value)
        else:
            shown = str(value)
        rows.append((definition.label, shown))
    return rows


def avatar_data_uri(store: Store, file_id: int | None) -> str | None:
    """The avatar image inline (`data:image/png;base64,...`), for the self-contained page."""
    if file_id is None:
        return None
    row = stored_blob(store, file_id)
    if row is None or row[1] not in IMAGE_TYPES:
        return None
    try:
        content = FileStore.for_store(store).read_bytes(row[0])
    except CrmError:  # a card is still worth showing without its picture
        return None
    return f"data:{row[1]};base64,{base64.b64encode(content).decode('ascii')}"


# Fields the card lists under "Details" (the short profile shows the rest).
DETAIL_FIELDS: tuple[str, ...] = (
    "external_id",
    "stage",
    "source",
    "segment",
    "pesel",
    "id_document",
    "nip",
    "krs",
    "regon",
    "vip",
    "hidden",
    "note",
    "created_at",
    "updated_at",
)


def period_text(since: str | None, until: str | None) -> str:
    """`2021-03-01 – now` for a membership period (dates only; open ends spelled out)."""
    start = since[:10] if since else "the start"
    end = until[:10] if until else "now"
    return f"{start} – {end}"


def size_text(size: int) -> str:
    """`12.3 kB` style sizes for people."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"


def phone_text(number: str) -> str:
    """`+48 601 234 567`: E.164 grouped for reading; anything unreadable as stored."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

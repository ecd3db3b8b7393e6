"""What creating a contact writes, worked out before it has an id.

Everything here is pure: it needs the draft and the time, not the database,
so an import can do it in the process that reads the file (see
`importers.draft_feed`) and hand the writer only what it inserts.
"""

from __future__ import annotations

from typing import Any

from crmkit.store.sqlite.schema import CONTACT_COLUMNS
from crmkit.store.sqlite.search_index import PreparedDocument, prepare_document
from crmkit.store.sqlite.writer.updates import encode_custom
from crmkit.targets import ContactDraft

__all__ = [
    "NewContact",
    "PreparedContact",
    "IDENTIFIER_POSITIONS",
    "new_contact",
    "new_document",
    "person_name",
    "prepare_contact",
]

# A new contact's contacts-table values (all but the id) and its search document
# (None when the writer is to work it out).
PreparedContact = tuple[tuple[Any, ...], "PreparedDocument | None"]
# A new contact as the writer takes it: the prepared row and document, then the
# draft's phones, e-mails, tags, guardians, observers and organizations, and the
# digest of the row it comes from (see `row_digests`; None if none). A plain
# tuple, so that it crosses a pipe as a handful of objects rather than a draft
# with its dictionaries and sets.
NewContact = tuple[
    tuple[Any, ...],
    "PreparedDocument | None",
    list[tuple[str, str, "str | None"]],
    list[tuple[str, "str | None"]],
    "list[int] | None",
    "list[int] | None",
    "list[int] | None",
    "list[tuple[str, str | None, str | None]] | None",
    "int | None",
]
# Identifiers a later row may match on, with their places in a prepared row.
IDENTIFIER_POSITIONS = tuple(
    (key, CONTACT_COLUMNS.index(key)) for key in ("nip", "pesel", "regon", "krs")
)


# Encoded custom values by their repr: rows of one file repeat a few combinations
# (an industry, a consent flag), and the repr of text, numbers, flags and lists of
# them tells apart exactly what JSON tells apart. Emptied when it reaches the limit.
_ENCODED_CUSTOM: dict[str, str] = {}
_ENCODED_CUSTOM_LIMIT = 4096


def person_name(first: str | None, last: str | None) -> str:
    return " ".join(part for part in (first, last) if part)


def prepare_contact(
    draft: ContactDraft,
    kind: str,
    now: str,
    defaults: dict[str, Any] | None = None,
    document: bool = True,
) -> PreparedContact:
    """The contacts-table row and search document of a contact created from the draft.

    `defaults` are custom values a new contact gets for cells left empty (an
    empty checkbox is false). Without `document` the document is None, for the
    writer to work out (`new_document`).
    """
    row: list[Any] = list(map(draft.scalars.get, CONTACT_COLUMNS))
    row[0] = kind
    if kind == "person" and row[4] is None:
        row[4] = person_name(row[2], row[3])
    elif row[4] is None:
        row[4] = ""
    custom = {k: v for k, v in draft.custom.items() if v is not None}
    if defaults:
        custom.update(defaults)
    row[20] = _encoded_custom(custom) if custom else "{}"
    row[21] = int(bool(row[21]))
    row[22] = int(bool(row[22]))
    row[24] = row[24] or now
    row[25] = row[25] or now
    values = tuple(row)
    if not document:
        return values, None
    return values, _document(values, draft.phones, draft.emails)


def new_document(new: NewContact) -> PreparedDocument:
    """A new contact's search document: the one it came with, else worked out here."""
    return new[1] if new[1] is not None else _document(new[0], new[2], new[3])


def _document(
    row: tuple[Any, ...],
    phones: list[tuple[str, str, str | None]],
    emails: list[tuple[str, str | None]],
) -> PreparedDocument:
    """The document of a prepared row (name and city) with its phones and e-mails."""
    addresses = " ".join([address for address, _ in emails]) if emails else None
    numbers = " ".join([number for number, _, _ in phones]) if phones else None
    return prepare_document(row[4], row[12], addresses, numbers)


def _encoded_custom(custom: dict[str, Any]) -> str:
    """`encode_custom`, once per distinct combination of values."""
    key = repr(custom)
    text = _ENCODED_CUSTOM.get(key)
    if text is None:
        if len(_ENCODED_CUSTOM) >= _ENCODED_CUSTOM_LIMIT:
            _ENCODED_CUSTOM.clear()
        text = _ENCODED_CUSTOM[key] = encode_custom(custom)
    return text


def new_contact(
    draft: ContactDraft, prepared: PreparedContact, digest: int | None = None
) -> NewContact:
    """The draft reduced to what creating its contact writes."""
    row, document = prepared
    return (
        row,
        document,
        draft.phones,
        draft.emails,
        draft.tags,
        draft.guardians,
        draft.observers,
        draft.organizations,
        digest,
    )

"""Rows of a re-import that a stored contact was written from (see `row_digests`).

Such a row comes read for its identity only (`identity_columns`); the writer
passes over it when `unchanged_contact` finds the contact it would leave as it
is, and reads it in full otherwise.
"""

from __future__ import annotations

from typing import Any

from crmkit.drafts import DraftBuilder, Problem
from crmkit.mapping import Mapping
from crmkit.store.sqlite.row_digests import RowDigester, digest_key
from crmkit.store.sqlite.writer import ContactWriter
from crmkit.targets import ContactDraft, Target

__all__ = ["row_digester", "identity_columns", "unchanged_contact", "external_id_clash"]

# Targets that an unchanged row is still checked or written by (see `unchanged_contact`),
# besides its match keys.
_IDENTITY_NAMES = frozenset(
    {"kind", "external_id", "updated_at", "organization", "campaign.status"}
)
# The target kinds a match key is read from.
_MATCH_KINDS = {"email": {"email", "email_list"}, "phone": {"phone", "phone_list"}}


def row_digester(
    header: list[str], columns: list[tuple[str, Target]], mapping: Mapping
) -> RowDigester:
    """The digests of this import's rows, keyed by all that decides what a row writes."""
    targets = [(target.name, target.kind, target.sub) for _, target in columns]
    settings = (mapping.kind, mapping.region, mapping.timezone, mapping.dayfirst)
    return RowDigester(digest_key(header, targets, (*settings, mapping.separator)))


def identity_columns(
    columns: list[tuple[str, Target]], match: list[str]
) -> list[tuple[str, Target]]:
    """The columns, all ignored but those an unchanged row needs (see `RowParser.known`)."""
    names = _IDENTITY_NAMES.union(match)
    kinds = {kind for key in match for kind in _MATCH_KINDS.get(key, ())}
    return [
        (column, target)
        if target.kind in kinds or target.name in names
        else (column, Target(column, "ignore"))
        for column, target in columns
    ]


def unchanged_contact(
    writer: ContactWriter,
    draft: ContactDraft,
    digest: int,
    builder: DraftBuilder,
    mapping: Mapping,
) -> int | None:
    """The contact a known row finds, if the row would leave it unchanged; else None.

    That is when it finds exactly one contact, which holds the row's digest (so
    is as this row left it), is of the row's kind, and no other contact has the
    row's external_id: every check a full row goes through that could fail.
    """
    found = writer.find(draft, mapping.match)
    if len(found) != 1 or writer.stored_digest(found[0]) != digest:
        return None
    contact_id = found[0]
    if writer.kind_of(contact_id) != (draft.kind or mapping.kind):
        return None
    if external_id_clash(writer, draft, contact_id, builder):
        return None
    return contact_id


def external_id_clash(
    writer: ContactWriter, draft: Any, contact_id: int | None, builder: DraftBuilder
) -> list[Problem]:
    external_id = draft.scalars.get("external_id")
    if not external_id:
        return []
    owner = writer.external_id_owner(external_id)
    if owner is None or owner == contact_id:
        return []
    column = builder.target_columns.get("external_id", "external_id")
    return [("error", column, external_id, f"external_id is already used by contact {owner}")]

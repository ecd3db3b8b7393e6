"""What a filter, a sort key or a column may name, checked against the database.

`QuerySchema` reads the custom fields, tags and users straight from SQLite, in one
query each, because `crm search` and `crm lookup` must start quickly.
A name that is not a field raises `CrmError` naming it and listing the valid ones.
"""

from __future__ import annotations

import json
import sqlite3
from typing import NamedTuple

from crmkit.errors import CrmError
from crmkit.model import PHONE_TYPES

__all__ = [
    "PHONE_TYPES",
    "ADDRESS_PARTS",
    "CustomFieldDef",
    "CampaignDef",
    "CAMPAIGN_PARTS",
    "FILTER_HEADS",
    "GroupDef",
    "FieldSpec",
    "QuerySchema",
    "resolve_filter_field",
    "resolve_sort_field",
]

ADDRESS_PARTS: tuple[str, ...] = ("street", "street2", "postal_code", "city", "region", "country")
# Plain text columns of `contacts` (the address parts are added below).
_TEXT_COLUMNS: tuple[str, ...] = (
    "external_id",
    "first_name",
    "last_name",
    "name",
    "position",
    "stage",
    "source",
    "segment",
    "note",
    "id_document",
)
_IDENTIFIER_COLUMNS: tuple[str, ...] = ("pesel", "nip", "krs", "regon")
_SCALAR_KINDS: dict[str, str] = {
    "id": "number",
    "kind": "kind",
    "vip": "flag",
    "hidden": "flag",
    "created_at": "datetime",
    "updated_at": "datetime",
    **{name: "text" for name in _TEXT_COLUMNS},
    **{name: "text" for name in ADDRESS_PARTS},
    **{name: "identifier" for name in _IDENTIFIER_COLUMNS},
}
# Singular and plural spellings of the list fields a contact "has".
_LIST_FIELDS: dict[str, str] = {
    "tag": "tag",
    "tags": "tag",
    "guardian": "guardian",
    "guardians": "guardian",
    "observer": "observer",
    "observers": "observer",
    "phone": "phone",
    "phones": "phone",
    "email": "email",
    "emails": "email",
    "organization": "organization",
    "organizations": "organization",
    "member": "member",
    "members": "member",
    # yes: the contact has a blacklisted number; no: none of its numbers is.
    "blacklisted": "blacklisted",
    "campaign": "campaign",
    "campaigns": "campaign",
}
# What `campaign.NAME.PART` may name of a contact's place in a campaign.
CAMPAIGN_PARTS: tuple[str, ...] = ("status", "callback", "agent")
# Names a filter field starts with on every base; a group of special fields takes none.
FILTER_HEADS = frozenset(
    {*_SCALAR_KINDS, *_LIST_FIELDS, "address", "custom", "phone", "email", "campaign"}
)


# The channels a consent is kept for (see `store.sqlite.consents`).
CONSENT_CHANNELS = ("email", "phone", "sms", "marketing")


class CustomFieldDef(NamedTuple):
    """A custom field as the query code needs it: key, type, options, kinds it applies to."""

    key: str
    type: str
    options: tuple[str, ...] = ()
    applies_to: str = "both"


class CampaignDef(NamedTuple):
    """A campaign as the query code needs it: id, name and the statuses it allows."""

    id: int
    name: str
    statuses: tuple[str, ...]


class GroupDef(NamedTuple):
    """A group of special fields as the query code needs it: id, key and its fields."""

    id: int
    key: str
    fields: dict[str, CustomFieldDef]


class FieldSpec(NamedTuple):
    """A checked field name.

    `kind` is one of: number, kind, flag, datetime, text, identifier (a column of
    `contacts`), tag, guardian, observer, phone, email, organization, member (lists
    a contact has), blacklisted (whether a number it has is), custom, campaign (the
    campaigns a contact is in), campaign_status, campaign_callback, campaign_agent,
    group_field (a field of any record of a group), group_count (how many records).
    `column` is the contacts column, `sub` a phone type or e-mail label, `custom`
    the custom field (or the group's field), `campaign` the campaign of a
    `campaign.NAME.PART` field, `group` the group of `GROUP.FIELD` or `GROUP.count`.
    """

    name: str
    kind: str
    column: str | None = None
    sub: str | None = None
    custom: CustomFieldDef | None = None
    campaign: CampaignDef | None = None
    group: GroupDef | None = None


class QuerySchema:
    """The parts of the database a query is checked against, loaded on first use."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._fields: dict[str, CustomFieldDef] | None = None
        self._tags: dict[str, tuple[int, str]] | None = None
        self._users: dict[str, tuple[int, str]] | None = None
        self._campaigns: dict[str, CampaignDef] | None = None
        self._groups: dict[str, GroupDef] | None = None

    @property
    def custom_fields(self) -> dict[str, CustomFieldDef]:
        if self._fields is None:
            self._fields = {
                key: CustomFieldDef(key, type_, tuple(json.loads(options)), applies_to)
                for key, type_, options, applies_to in self.conn.execute(
                    "SELECT key, type, options, applies_to FROM custom_fields ORDER BY key"
                )
            }
        return self._fields

    @property
    def tags(self) -> dict[str, tuple[int, str]]:
        """Matching key -> (id, name)."""
        if self._tags is None:
            self._tags = {
                key: (ident, name)
                for ident, name, key in self.conn.execute("SELECT id, name, key FROM tags")
            }
        return self._tags

    @property
    def users(self) -> dict[str, tuple[int, str]]:
        """Matching key -> (id, full name)."""
        if self._users is None:
            self._users = {
                key: (ident, name)
                for ident, name, key in self.conn.execute("SELECT id, full_name, key FROM users")
            }
        return self._users

    @property
    def campaigns(self) -> dict[str, CampaignDef]:
        """Matching key -> campaign."""
        if self._campaigns is None:
            self._campaigns = {
                key: CampaignDef(ident, name, tuple(json.loads(statuses)))
                for ident, name, key, statuses in self.conn.execute(
                    "SELECT id, name, key, statuses FROM campaigns"
                )
            }
        return self._campaigns

    @property
    def groups(self) -> dict[str, GroupDef]:
        """Key -> group of special fields."""
        if self._groups is None:
            self._groups = {}
            for ident, key, fields in self.conn.execute("SELECT id, key, fields FROM field_groups"):
                defined = {
                    entry["key"]: CustomFieldDef(
                        entry["key"], entry["type"], tuple(entry["options"])
                    )
                    for entry in json.loads(fields)
                }
                self._groups[key] = GroupDef(ident, key, defined)
        return self._groups

    def filter_field_names(self) -> list[str]:
        names = [*_SCALAR_KINDS]
        names += ["tag", "guardian", "observer", "phone", "phone.<type>", "email", "email.<label>"]
        names += ["organization", "member", "blacklisted", "consent.<channel>", "campaign"]
        names += [f"campaign.<name>.{part}" for part in CAMPAIGN_PARTS]
        names += [f"custom.{key}" for key in self.custom_fields]
        for key, group in self.groups.items():
            names += [f"{key}.{field}" for field in group.fields] + [f"{key}.count"]
        return names


def resolve_filter_field(name: str, schema: QuerySchema) -> FieldSpec:
    """The field a filter names; CrmError naming it and listing the valid ones."""
    clean = name.strip().lower()
    kind = _SCALAR_KINDS.get(clean)
    if kind is not None:
        return FieldSpec(clean, kind, column=clean)
    listed = _LIST_FIELDS.get(clean)
    if listed is not None:
        return FieldSpec(listed, listed)
    head, _, tail = clean.partition(".")
    if head == "address" and tail in ADDRESS_PARTS:
        return FieldSpec(tail, "text", column=tail)
    if head in ("phone", "phones") and tail in PHONE_TYPES:
        return FieldSpec(clean, "phone", sub=tail)
    if head in ("email", "emails") and tail:
        return FieldSpec(clean, "email", sub=tail)
    if head == "consent":
        if tail not in CONSENT_CHANNELS:
            raise CrmError(
                f"unknown consent channel {tail!r} in filter field {name!r};"
                f" use one of: {', '.join(CONSENT_CHANNELS)}"
            )
        return FieldSpec(clean, "consent", sub=tail)
    if head == "custom":
        definition = schema.custom_fields.get(tail)
        if definition is None:
            known = ", ".join(f"custom.{key}" for key in schema.custom_fields) or "none defined yet"
            raise CrmError(f"unknown custom field {tail!r} in filter; custom fields: {known}")
        return FieldSpec(clean, "custom", custom=definition)
    if head in ("campaign", "campaigns") and tail:
        return _campaign_field(clean, tail, schema)
    group = schema.groups.get(head) if tail else None
    if group is not None:
        if tail == "count":
            return FieldSpec(clean, "group_count", group=group)
        definition = group.fields.get(tail)
        if definition is None:
            raise CrmError(
                f"group {head!r} has no field {tail!r} in filter; fields:"
                f" {', '.join([*group.fields, 'count'])}"
            )
        return FieldSpec(clean, "group_field", custom=definition, group=group)
    if head in ("phone", "phones") and tail:
        raise CrmError(
            f"unknown phone type {tail!r} in filter field {name!r};"
            f" use one of: {', '.join(PHONE_TYPES)}"
        )
    raise CrmError(
        f"unknown filter field {name!r}; valid fields are: {', '.join(schema.filter_field_names())}"
    )


def _campaign_field(name: str, tail: str, schema: QuerySchema) -> FieldSpec:
    """`campaign.NAME.status`, `.callback` or `.agent`: a part of a contact's place in NAME."""
    from crmkit.values.names import name_key

    campaign_name, _, part = tail.rpartition(".")
    if not campaign_name or part not in CAMPAIGN_PARTS:
        raise CrmError(
            f"filter field {name!r}: write campaign.NAME.PART, PART being one of"
            f" {', '.join(CAMPAIGN_PARTS)} (e.g. campaign.Jesień 2025.status=Dzwonić)"
        )
    campaign = schema.campaigns.get(name_key(campaign_name))
    if campaign is None:
        known = ", ".join(sorted(c.name for c in schema.campaigns.values())) or "none yet"
        raise CrmError(f"no campaign named {campaign_name!r} in filter; campaigns: {known}")
    return FieldSpec(name, f"campaign_{part}", campaign=campaign)


def resolve_sort_field(name: str, schema: QuerySchema) -> FieldSpec:
    """A field contacts can be ordered by: a column of `contacts` or a custom field."""
    spec = resolve_filter_field(name, schema)
    if spec.column is None and spec.kind != "custom":
        raise CrmError(
            f"cannot sort by {name!r}, a list; sort by a single-valued field such as name,"
            " city, created_at or custom.<key>"
        )
    return spec

"""Targets: the names a mapping, `--set` or a CSV header can write to.

`resolve_target` checks a name against the schema once; `ValueConverter`
then turns raw cells into canonical values for a `ContactDraft`. The same code
serves imports, `crm add` and `crm edit`, so a value means the same wherever
it is typed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from crmkit.errors import CrmError, InvalidValue
from crmkit.model import PHONE_TYPES, Address, CustomField, Email, Membership, Phone
from crmkit.store.sqlite.schema import CONTACT_COLUMNS
from crmkit.values.checkbox import parse_checkbox
from crmkit.values.datetimes import parse_date, parse_datetime
from crmkit.values.identifiers import normalize_krs, normalize_nip, normalize_pesel, normalize_regon
from crmkit.values.multivalues import split_multi
from crmkit.values.numbers import parse_number
from crmkit.values.phones import normalize_phone
from crmkit.values.urls import normalize_url

__all__ = [
    "target_pairs",
    "TEXT_FIELDS",
    "ADDRESS_PARTS",
    "PERSON_ONLY",
    "ORGANIZATION_ONLY",
    "Target",
    "ContactDraft",
    "ConversionSettings",
    "resolve_target",
    "valid_target_names",
    "convert_custom",
    "parse_contact_kind",
    "convert_phones",
    "convert_identifier",
    "convert_flag",
    "convert_datetime",
    "contact_columns_written",
]

TEXT_FIELDS = (
    "first_name",
    "last_name",
    "name",
    "position",
    "stage",
    "source",
    "segment",
    "note",
    "id_document",
    "external_id",
)
ADDRESS_PARTS = ("street", "street2", "postal_code", "city", "region", "country")
IDENTIFIERS: dict[str, Callable[[str], str]] = {
    "pesel": normalize_pesel,
    "nip": normalize_nip,
    "krs": normalize_krs,
    "regon": normalize_regon,
}
PERSON_ONLY = frozenset({"first_name", "last_name", "position", "pesel", "id_document"})
ORGANIZATION_ONLY = frozenset({"nip", "krs", "regon"})
_KIND_WORDS = {
    "person": "person",
    "osoba": "person",
    "organization": "organization",
    "organisation": "organization",
    "organizacja": "organization",
    "firma": "organization",
    "company": "organization",
}


@dataclass(frozen=True)
class Target:
    """A checked target name: `kind` says which part of a contact it writes."""

    name: str
    kind: str  # text, address, identifier, flag, datetime, contact_kind, phone, email,
    # tags, guardians, observers, organization, custom, campaign_status, record_part, ignore
    sub: str | None = None
    field: CustomField | None = None


@dataclass(slots=True)
class ContactDraft:
    """Canonical values for one contact, as read from one row or one `--set` list.

    Only what the input gave is present, so an update changes exactly that.
    """

    kind: str | None = None
    scalars: dict[str, Any] = field(default_factory=dict)
    phones: list[tuple[str, str, str | None]] = field(default_factory=list)
    phone_types: set[str] = field(default_factory=set)
    emails: list[tuple[str, str | None]] = field(default_factory=list)
    email_labels: set[str | None] = field(default_factory=set)
    tags: list[int] | None = None
    guardians: list[int] | None = None
    observers: list[int] | None = None
    custom: dict[str, Any] = field(default_factory=dict)
    organizations: list[tuple[str, str | None, str | None]] | None = None
    empty_checkboxes: list[str] = field(default_factory=list)
    # The row's status in the campaign of the mapping's `campaign:` setting.
    campaign_status: str | None = None
    # A JSON record's `groups` and `campaigns`, written once the contact is.
    parts: dict[str, Any] | None = None

    def is_empty(self) -> bool:
        return not (
            self.kind
            or self.scalars
            or self.phone_types
            or self.email_labels
            or self.tags is not None
            or self.guardians is not None
            or self.observers is not None
            or self.custom
            or self.organizations is not None
        )


@dataclass(frozen=True)
class ConversionSettings:
    """How raw text is read: the mapping's region, zone, date order and separator."""

    region: str = "PL"
    timezone: str = "UTC"
    dayfirst: bool = True
    separator: str = " | "


def valid_target_names(fields: dict[str, CustomField]) -> list[str]:
    names = [*TEXT_FIELDS, "kind", "vip", "hidden", "created_at", "updated_at"]
    names += list(IDENTIFIERS)
    names += [f"address.{part}" for part in ADDRESS_PARTS]
    names += ["phone", *(f"phone.{t}" for t in PHONE_TYPES), "email", "email.<label>"]
    names += ["tags", "guardians", "observers", "organization"]
    names += [f"custom.{key}" for key in fields]
    return names


def resolve_target(name: str, fields: dict[str, CustomField]) -> Target:
    """Check one target name; a wrong one raises CrmError listing the valid ones."""
    clean = name.strip()
    if clean in TEXT_FIELDS:
        return Target(clean, "text")
    if clean in IDENTIFIERS:
        return Target(clean, "identifier")
    if clean in ("vip", "hidden"):
        return Target(clean, "flag")
    if clean in ("created_at", "updated_at"):
        return Target(clean, "datetime")
    if clean == "kind":
        return Target(clean, "contact_kind")
    if clean in ("tags", "tag"):
        return Target("tags", "tags")
    if clean in ("guardians", "guardian"):
        return Target("guardians", "guardians")
    if clean in ("observers", "observer"):
        return Target("observers", "observers")
    if clean in ("organization", "organizations"):
        return Target("organization", "organization")
    if clean in ADDRESS_PARTS:
        return Target(f"address.{clean}", "address", clean)
    head, _, tail = clean.partition(".")
    if head == "address" and tail in ADDRESS_PARTS:
        return Target(clean, "address", tail)
    if clean in ("id", "members", "cases"):
        # Kept in tables of their own (an organization's members are its persons' links;
        # cases have their commands and the dump).
        return Target(clean, "ignore")
    if clean in ("campaigns", "groups"):
        # A JSON record's enrollments and group records, added once its contact is written.
        return Target(clean, "record_part")
    if clean == "phones":
        return Target("phones", "phone_list")
    if clean == "emails":
        return Target("emails", "email_list")
    if clean == "phone":
        return Target("phone", "phone", "other")
    if head == "phone" and tail in PHONE_TYPES:
        return Target(clean, "phone", tail)
    if clean == "email":
        return Target("email", "email", None)
    if head == "email" and tail and "." not in tail:
        return Target(clean, "email", tail)
    if head == "custom" and tail in fields:
        return Target(clean, "custom", tail, fields[tail])
    if head == "custom":
        known = ", ".join(fields) or "none defined yet"
        raise CrmError(f"unknown custom field {tail!r} in target {name!r}; defined fields: {known}")
    if head == "phone":
        raise CrmError(
            f"unknown phone type {tail!r} in target {name!r}; use one of: {', '.join(PHONE_TYPES)}"
        )
    raise CrmError(
        f"unknown target {name!r}; valid targets are: {', '.join(valid_target_names(fields))}"
    )


# Contact columns every new contact gets a value for, whatever the input names.
_ALWAYS_WRITTEN = frozenset({"kind", "name", "custom", "vip", "hidden", "created_at", "updated_at"})


def contact_columns_written(targets: Iterable[Target]) -> tuple[str, ...]:
    """The contacts-table columns new contacts from these targets can have a value in.

    A bulk insert names only those: every other column would only bind a NULL.
    """
    named = set(_ALWAYS_WRITTEN)
    for target in targets:
        if target.kind in ("text", "identifier", "flag", "datetime"):
            named.add(target.name)
        elif target.kind == "address" and target.sub:
            named.add(target.sub)
    return tuple(column for column in CONTACT_COLUMNS if column in named)


def parse_contact_kind(raw: str) -> str:
    kind = _KIND_WORDS.get(raw.strip().lower())
    if kind is None:
        raise InvalidValue("kind must be person or organization")
    return kind


def convert_custom(field_def: CustomField, raw: Any, settings: ConversionSettings) -> Any:
    """A custom field's canonical value, except select options (matched by the caller)."""
    kind = field_def.type
    if isinstance(raw, str):
        raw = raw.strip()
    elif isinstance(raw, dict) or (isinstance(raw, list) and kind != "multiselect"):
        raise InvalidValue(
            f"{'a list' if isinstance(raw, list) else 'an object'} is not a {kind} value"
        )
    if kind == "checkbox":
        return parse_checkbox(raw)
    if raw is None or raw == "" or raw == []:
        return None
    if kind == "text":
        return str(raw)
    if kind == "url":
        return normalize_url(str(raw))
    if kind == "number":
        return parse_number(raw)
    if kind == "date":
        return parse_date(str(raw), settings.dayfirst)
    if kind == "datetime":
        return parse_datetime(str(raw), settings.timezone, settings.dayfirst)
    if kind == "select":
        return str(raw)
    if isinstance(raw, list):
        if any(isinstance(item, (list, dict)) for item in raw):
            raise InvalidValue("options are names, not lists or objects")
        return [str(item).strip() for item in raw if item is not None and str(item).strip()]
    return split_multi(str(raw), settings.separator)


def convert_phones(raw: Any, settings: ConversionSettings) -> list[str]:
    """Phone numbers in one cell (several are separated like any multi-value)."""
    parts = raw if isinstance(raw, list) else split_multi(str(raw), settings.separator)
    return [normalize_phone(part, settings.region) for part in parts]


def convert_identifier(name: str, raw: str) -> str:
    return IDENTIFIERS[name](raw)


def convert_flag(raw: Any) -> bool:
    return parse_checkbox(raw)


def convert_datetime(raw: Any, settings: ConversionSettings) -> str:
    return parse_datetime(str(raw), settings.timezone, settings.dayfirst)


def target_pairs(
    values: Mapping[str, Any] | Iterable[tuple[str, Any]] | None, fields: Mapping[str, Any]
) -> list[tuple[str, Any]]:
    """Return (target, value) pairs of mapping-style values and Python keyword values.

    `values` name targets as a mapping does (`{"phone.mobile": "601 234 567"}`);
    `fields` are the keyword arguments of `crm.contacts.add`/`edit`
    (`phones=["601 234 567"]`, `custom={"budget": 1500}`), each standing for one
    or more targets.
    """
    pairs: list[tuple[str, Any]] = []
    if values is not None:
        pairs += list(values.items()) if isinstance(values, Mapping) else list(values)
    for key, value in fields.items():
        pairs += _targets_of(key, value)
    return pairs


def _targets_of(key: str, value: Any) -> list[tuple[str, Any]]:
    """Return the mapping targets one keyword value stands for."""
    if key == "address":
        parts = asdict(value) if isinstance(value, Address) else dict(value or {})
        return [(f"address.{part}", _cell(cell)) for part, cell in parts.items()]
    if key == "custom":
        return [(f"custom.{name}", _cell(cell)) for name, cell in dict(value or {}).items()]
    if key in ("phones", "emails") and isinstance(value, Mapping):
        prefix = key[:-1]
        return [(f"{prefix}.{kind}", _listed(items)) for kind, items in value.items()]
    if key in ("phones", "emails", "organizations"):
        return [(key, [_item(item) for item in _listed(value)])]
    if key in ("tags", "guardians", "observers"):
        return [(key, _listed(value))]
    return [(key, _cell(value))]


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (str, Phone, Email, Membership, Mapping)):
        return [value]
    return list(value)


def _item(item: Any) -> Any:
    if isinstance(item, (Phone, Email, Membership)):
        return asdict(item)
    return item


def _cell(value: Any) -> Any:
    """Return a date or time as the text the parsers read; other values as they are."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value

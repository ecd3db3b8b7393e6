"""Groups of special fields, as `crm.groups`, and their records on contacts, as `crm.records`.

    >>> crm.groups.add("orders", label="Zamówienia", fields=[
    ...     "product:text", "amount:number", "ordered_at:date", "status:select=nowe|wysłane"])
    >>> crm.records.add(7, "orders", {"product": "Laptop", "amount": "1 500,00",
    ...                               "ordered_at": "05.03.2024", "status": "NOWE"})
    GroupRecord(id=1, contact_id=7, group='orders', fields={'product': 'Laptop',
                'amount': 1500, 'ordered_at': '2024-03-05', 'status': 'nowe'}, ...)

Where a custom field holds one value per contact, a group holds many records per
contact, each with the group's fields. Values are read like custom fields (the
same types, canonical forms and option matching); dates and times in the
settings' time zone. Filters: `orders.amount>=1000` (any record), `orders.count>=3`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from crmkit.errors import CrmError, InvalidValue
from crmkit.model import FIELD_TYPES, CustomField

if TYPE_CHECKING:
    from crmkit.settings import Settings
    from crmkit.store import Store
    from crmkit.targets import ConversionSettings

__all__ = [
    "FieldGroup",
    "GroupRecord",
    "FieldGroups",
    "GroupRecords",
    "parse_group_field",
    "group_fields",
    "convert_record_value",
]

_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
# Names a filter reads as the group's own (`orders.count`, and what the record carries).
_RESERVED_FIELDS = frozenset({"count", "id", "contact_id", "created_at", "updated_at"})


@dataclass
class FieldGroup:
    """A group of special fields: key (used in filters), label (shown) and its fields."""

    id: int
    key: str
    label: str
    fields: list[CustomField]
    records: int = 0

    def to_record(self) -> dict[str, Any]:
        """Return the group as JSON-ready values; each field as `key:type[=options]`."""
        return {
            "key": self.key,
            "label": self.label,
            "fields": [_field_text(each) for each in self.fields],
            "records": self.records,
        }


@dataclass
class GroupRecord:
    """One record of a group on a contact: its id and its values by field key."""

    id: int
    contact_id: int
    group: str
    fields: dict[str, Any] = field(default_factory=dict)
    created_at: str | None = None
    updated_at: str | None = None

    def to_record(self) -> dict[str, Any]:
        """Return `{"id", "group", ...values, "created_at", "updated_at"}`."""
        return {
            "id": self.id,
            "contact_id": self.contact_id,
            "group": self.group,
            **self.fields,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def parse_group_field(text: str) -> CustomField:
    """Read `amount:number` or `status:select=nowe|wysłane|zwrócone` into a field."""
    name, colon, rest = text.partition(":")
    kind, equals, options = rest.partition("=")
    key, kind = name.strip(), kind.strip()
    if not colon or not key:
        raise CrmError(f"--field {text!r} must look like NAME:TYPE, e.g. amount:number")
    if not _KEY.match(key) or key in _RESERVED_FIELDS:
        raise CrmError(
            f"field name {key!r} must start with a letter, hold only a-z, 0-9 and '_',"
            f" and not be one of {', '.join(sorted(_RESERVED_FIELDS))}"
        )
    if kind not in FIELD_TYPES:
        raise CrmError(
            f"--field {text!r}: unknown type {kind!r}; use one of: {', '.join(FIELD_TYPES)}"
        )
    listed = [" ".join(option.split()) for option in options.split("|")] if equals else []
    listed = list(dict.fromkeys(option for option in listed if option))
    if kind in ("select", "multiselect") and not listed:
        raise CrmError(f"--field {text!r}: a {kind} field needs options, e.g. {key}:{kind}=a|b")
    if kind not in ("select", "multiselect") and listed:
        raise CrmError(f"--field {text!r}: only select and multiselect fields take options")
    return CustomField(id=0, key=key, type=kind, label=key, options=listed)


def _field_text(definition: CustomField) -> str:
    text = f"{definition.key}:{definition.type}"
    return text + ("=" + "|".join(definition.options) if definition.options else "")


class FieldGroups:
    """The groups of special fields of a base, as `crm.groups`."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._settings = settings

    def add(
        self, key: str, *, label: str | None = None, fields: Iterable[str | CustomField]
    ) -> FieldGroup:
        """Define a group; `fields` as `NAME:TYPE[=opt|opt]` texts or `CustomField`s.

        Raise `CrmError` for a bad or taken key, a bad field, or a key a filter
        already means (`city`, `tag`, `custom`, ...).
        """
        from crmkit.store.sqlite.groups import insert_group
        from crmkit.store.sqlite.query.fields import FILTER_HEADS

        clean = key.strip()
        if not _KEY.match(clean):
            raise CrmError(
                f"group key {key!r} must start with a letter and hold only a-z, 0-9 and '_'"
            )
        if clean in FILTER_HEADS:
            raise CrmError(f"group key {clean!r} is a field of every contact; choose another")
        chosen = [parse_group_field(f) if isinstance(f, str) else f for f in fields]
        if not chosen:
            raise CrmError("a group needs at least one --field NAME:TYPE")
        keys = [definition.key for definition in chosen]
        repeated = sorted({name for name in keys if keys.count(name) > 1})
        if repeated:
            raise CrmError(f"field {repeated[0]!r} is listed twice")
        stored = [
            {"key": d.key, "type": d.type, "label": d.label, "options": d.options} for d in chosen
        ]
        return _group(insert_group(self._store, clean, label or clean, stored))

    def list(self) -> list[FieldGroup]:
        """Return every group, by key, with how many records it holds."""
        from crmkit.store.sqlite.groups import group_rows

        return [_group(row) for row in group_rows(self._store)]

    def __iter__(self) -> Iterator[FieldGroup]:
        return iter(self.list())

    def __getitem__(self, key: str) -> FieldGroup:
        """Return the group with this key; raise `NotFound`."""
        from crmkit.store.sqlite.groups import group_row

        return _group(group_row(self._store, key.strip()))


class GroupRecords:
    """The records of groups on contacts, as `crm.records`."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._settings = settings

    def add(self, contact_id: int, group: str, values: Mapping[str, Any]) -> GroupRecord:
        """Add a record of `group` to a contact; values are read like custom fields."""
        from crmkit.store.sqlite.groups import group_row, insert_group_record

        definition = group_row(self._store, group.strip())
        checked = self._values(definition, values)
        row = insert_group_record(
            self._store, definition, int(contact_id), checked, self._settings.user
        )
        return GroupRecord(**row)

    def edit(
        self,
        record_id: int,
        values: Mapping[str, Any],
        *,
        contact_id: int | None = None,
        group: str | None = None,
    ) -> GroupRecord:
        """Change some values of a record ("" or None empties one); return it.

        `contact_id` and `group`, when given, must be the record's (a check against
        editing the wrong record by a mistyped id).
        """
        from crmkit.store.sqlite.groups import group_row, update_group_record

        before = self._checked(record_id, contact_id, group)
        checked = self._values(group_row(self._store, before.group), values)
        return GroupRecord(
            **update_group_record(self._store, before.id, checked, self._settings.user)
        )

    def delete(
        self, record_id: int, *, contact_id: int | None = None, group: str | None = None
    ) -> GroupRecord:
        """Delete a record; return what it held (`contact_id`, `group`: as for `edit`)."""
        from crmkit.store.sqlite.groups import delete_group_record

        before = self._checked(record_id, contact_id, group)
        return GroupRecord(**delete_group_record(self._store, before.id, self._settings.user))

    def _checked(self, record_id: int, contact_id: int | None, group: str | None) -> GroupRecord:
        record = self[record_id]
        if contact_id is not None and record.contact_id != int(contact_id):
            raise CrmError(f"record {record.id} is not a record of contact {contact_id}")
        if group is not None and record.group != group.strip():
            raise CrmError(f"record {record.id} is a record of {record.group}, not of {group}")
        return record

    def __getitem__(self, record_id: int) -> GroupRecord:
        from crmkit.store.sqlite.groups import group_record_row

        return GroupRecord(**group_record_row(self._store, int(record_id)))

    def list(self, contact_id: int, group: str | None = None) -> list[GroupRecord]:
        """Return a contact's records, of one group or of all, by group and id."""
        from crmkit.store.sqlite.groups import group_record_rows, group_row

        definition = group_row(self._store, group.strip()) if group else None
        return [
            GroupRecord(**row)
            for row in group_record_rows(self._store, int(contact_id), definition)
        ]

    def _values(self, group: dict[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
        """Return the values in canonical form (None: empty); `CrmError` names a bad one."""
        from crmkit.targets import ConversionSettings

        fields = group_fields(group)
        settings = ConversionSettings(
            self._settings.region, self._settings.timezone, self._settings.dayfirst
        )
        checked: dict[str, Any] = {}
        for key, raw in values.items():
            definition = fields.get(str(key).strip())
            if definition is None:
                raise CrmError(
                    f"group {group['key']!r} has no field {key!r}; fields: {', '.join(fields)}"
                )
            try:
                checked[definition.key] = convert_record_value(definition, raw, settings)
            except InvalidValue as exc:
                raise CrmError(f"{group['key']}.{definition.key} = {raw!r}: {exc}") from None
        return checked


def group_fields(group: dict[str, Any]) -> dict[str, CustomField]:
    """Return a stored group's fields by key, as custom field definitions."""
    return {entry["key"]: CustomField(id=0, **entry) for entry in group["fields"]}


def convert_record_value(definition: CustomField, raw: Any, settings: ConversionSettings) -> Any:
    """Return one value of a record in canonical form, read like a custom field's (select
    options matched in any case); `InvalidValue` says why a value is not one."""
    from crmkit.targets import convert_custom
    from crmkit.values.names import name_key

    value = convert_custom(definition, raw, settings)
    if definition.type in ("select", "multiselect") and value is not None:
        by_key = {name_key(option): option for option in definition.options}
        chosen = value if isinstance(value, list) else [value]
        unknown = [item for item in chosen if name_key(item) not in by_key]
        if unknown:
            raise InvalidValue(f"{unknown[0]!r} is not an option ({', '.join(definition.options)})")
        matched = [by_key[name_key(item)] for item in chosen]
        value = matched if isinstance(value, list) else matched[0]
    return value


def _group(row: dict[str, Any]) -> FieldGroup:
    return FieldGroup(
        id=row["id"],
        key=row["key"],
        label=row["label"],
        fields=[CustomField(id=0, **entry) for entry in row["fields"]],
        records=row.get("records", 0),
    )

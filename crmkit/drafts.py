"""Turn one row of raw cells into a `ContactDraft`, or into row problems.

The builder is made once per import (or per `crm add`/`crm edit`) with the
targets already checked, so the per-row work is one small function call per
non-empty cell. Tags, users and select options are resolved here, because
whether an unknown one is a warning, an error or a new entry is a per-import
choice.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, Literal

from crmkit.draft_parts import part_handler, status_handler, text_value
from crmkit.errors import InvalidValue
from crmkit.model import PHONE_TYPES, CustomField
from crmkit.reference import add_field_option, add_tag, add_user
from crmkit.store import Store
from crmkit.store.sqlite.reference import deactivated_users, fields_by_key, tag_ids, user_ids
from crmkit.targets import (
    ORGANIZATION_ONLY,
    PERSON_ONLY,
    ContactDraft,
    ConversionSettings,
    Target,
    convert_custom,
    convert_datetime,
    convert_flag,
    convert_identifier,
    convert_phones,
    parse_contact_kind,
)
from crmkit.values.multivalues import split_multi
from crmkit.values.names import name_key
from crmkit.values.phones import phone_type as typed_as

__all__ = ["DraftBuilder", "LEFT_OUT", "MISSING", "Problem", "UnknownPolicy"]

# A JSON record's key that is not there at all, unlike one that is null (an empty cell).
MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING"})()

UnknownPolicy = Literal["warn", "strict", "create"]
# (level, column, value, reason); the importer adds the row number.
Problem = tuple[str, str | None, str | None, str]
# The level of a value left out for want of its reference data (a tag, user, option or
# custom field); the reason says what is missing: "tag", "user", "option:KEY" or
# "field:KEY". The importer sums these up, one warning per missing thing
# (`importers.left_out`).
LEFT_OUT = "left out"
Handler = Callable[[ContactDraft, Any], None]


class DraftBuilder:
    """Builds drafts for a fixed list of (column, target) pairs."""

    def __init__(
        self,
        store: Store,
        columns: Sequence[tuple[str, Target]],
        settings: ConversionSettings,
        *,
        unknown: UnknownPolicy = "warn",
        empty_clears: bool = False,
    ) -> None:
        self.store = store
        self.settings = settings
        self.unknown = unknown
        self.empty_clears = empty_clears
        self.tags = tag_ids(store)
        self.users = user_ids(store)
        self.deactivated = deactivated_users(store)
        self.fields = fields_by_key(store)
        self.columns = list(columns)
        self.target_columns = {target.name: column for column, target in self.columns}
        self.handlers: list[tuple[int, str, str, Handler]] = [
            (index, column, target.kind, self._handler(target))
            for index, (column, target) in enumerate(self.columns)
            if target.kind != "ignore"
        ]
        # Required checkboxes: an empty cell is an unticked box on a new contact.
        self._checkbox_at = {
            index: target.field.key
            for index, (_, target) in enumerate(self.columns)
            if target.field is not None
            and target.field.type == "checkbox"
            and target.field.required
        }
        self._problems: list[Problem] = []
        self._column: str | None = None
        self._options: dict[str, dict[str, str]] = {}

    # -- per row ------------------------------------------------------------

    def build(
        self, cells: Sequence[Any], default_kind: str | None = None
    ) -> tuple[ContactDraft | None, list[Problem]]:
        """The draft for one row and its problems; the draft is None if any is an error."""
        draft = ContactDraft()
        problems = self._problems = []
        failed = False
        clears = self.empty_clears
        for index, column, kind, handler in self.handlers:
            raw = cells[index]
            if raw.__class__ is str:
                if not raw or raw.isspace():
                    if kind == "custom" and index in self._checkbox_at:
                        draft.empty_checkboxes.append(self._checkbox_at[index])
                    if not clears or kind == "contact_kind":
                        continue
                    raw = None
            elif raw is None or raw is MISSING or raw == []:
                if raw is None and kind == "custom" and index in self._checkbox_at:
                    draft.empty_checkboxes.append(self._checkbox_at[index])
                if raw is MISSING or not clears or kind == "contact_kind":
                    continue
                raw = None
            self._column = column
            try:
                handler(draft, raw)
            except InvalidValue as exc:
                failed = True
                problems.append(("error", column, _show(raw), str(exc)))
        if draft.kind is None:
            draft.kind = default_kind
        if not failed:
            failed = self._check_kind(draft, problems)
        return (None if failed else draft), problems

    def missing_required(self, draft: ContactDraft, kind: str) -> list[Problem]:
        """What a new contact of this kind lacks: a name, or a required custom field.

        A required checkbox left empty is an unticked box on a new contact, so it is
        filled in here (see `creation_defaults`).
        """
        draft.custom.update(self.creation_defaults(draft, kind))
        problems: list[Problem] = []
        values = draft.scalars
        if not (values.get("name") or values.get("first_name") or values.get("last_name")):
            wanted = "name" if kind == "organization" else "first_name, last_name or name"
            problems.append(("error", None, None, f"a new {kind} needs a {wanted}"))
        for key, definition in self.fields.items():
            if definition.required and definition.applies(kind):
                value = draft.custom.get(key)
                if value is None or value == [] or value == "":
                    column = self.target_columns.get(f"custom.{key}")
                    problems.append(("error", column, "", f"required field {key!r} is empty"))
        return problems

    def creation_defaults(self, draft: ContactDraft, kind: str) -> dict[str, Any]:
        """Custom values a new contact gets for the draft's empty cells.

        Only a required checkbox gets one (false, an unticked box; `empty_checkboxes`
        holds no other): any other empty cell leaves the new contact without a
        value, as the file had none, so an exported contact imports back as it was.
        """
        if not draft.empty_checkboxes:
            return {}
        return {
            key: False
            for key in draft.empty_checkboxes
            if key not in draft.custom and self.fields[key].applies(kind)
        }

    def _check_kind(self, draft: ContactDraft, problems: list[Problem]) -> bool:
        kind = draft.kind
        if kind is None:
            return False
        wrong = ORGANIZATION_ONLY if kind == "person" else PERSON_ONLY
        failed = False
        for name in wrong & draft.scalars.keys():
            if draft.scalars[name] is None:
                continue
            problems.append(
                (
                    "error",
                    self.target_columns.get(name, name),
                    _show(draft.scalars[name]),
                    f"{name} is not a field of {kind}s",
                )
            )
            failed = True
        if kind == "organization" and draft.organizations:
            column = self.target_columns.get("organization", "organization")
            problems.append(("error", column, None, "an organization cannot belong to another"))
            failed = True
        org_name = draft.scalars.get("name")
        if kind == "organization" and org_name and split_multi(org_name) != [org_name]:
            # Persons name their organizations in one cell, separated by " | ".
            problems.append(
                (
                    "error",
                    self.target_columns.get("name", "name"),
                    org_name,
                    "an organization's name cannot hold ' | ', which separates the"
                    " organizations a person belongs to",
                )
            )
            failed = True
        for key in draft.custom:
            definition = self.fields[key]
            if not definition.applies(kind):
                problems.append(
                    (
                        "error",
                        self.target_columns.get(f"custom.{key}", key),
                        None,
                        f"field {key!r} is for {definition.applies_to}s only",
                    )
                )
                failed = True
        return failed

    # -- handlers -------------------------------------------------------------

    def _handler(self, target: Target) -> Handler:
        settings = self.settings
        name = target.name
        kind = target.kind
        if kind == "text":

            def text(draft: ContactDraft, raw: Any) -> None:
                draft.scalars[name] = raw.strip() if raw.__class__ is str else text_value(raw)

            return text
        if kind == "address":
            part = target.sub or ""

            def address(draft: ContactDraft, raw: Any) -> None:
                draft.scalars[part] = raw.strip() if raw.__class__ is str else text_value(raw)

            return address
        if kind == "identifier":

            def identifier(draft: ContactDraft, raw: Any) -> None:
                value = text_value(raw)
                draft.scalars[name] = None if value is None else convert_identifier(name, value)

            return identifier
        if kind == "flag":

            def flag(draft: ContactDraft, raw: Any) -> None:
                draft.scalars[name] = convert_flag(raw)

            return flag
        if kind == "datetime":

            def when(draft: ContactDraft, raw: Any) -> None:
                draft.scalars[name] = None if raw is None else convert_datetime(raw, settings)

            return when
        if kind == "contact_kind":

            def contact_kind(draft: ContactDraft, raw: Any) -> None:
                draft.kind = parse_contact_kind(str(raw))

            return contact_kind
        if kind == "phone":
            phone_type = target.sub or "other"

            def phone(draft: ContactDraft, raw: Any) -> None:
                draft.phone_types.add(phone_type)
                if raw is None:
                    return
                for number in convert_phones(raw, settings):
                    draft.phones.append((number, phone_type, None))

            return phone
        if kind == "email":
            label = target.sub

            def email(draft: ContactDraft, raw: Any) -> None:
                draft.email_labels.add(label)
                if raw is None:
                    return
                parts = raw if isinstance(raw, list) else split_multi(str(raw), settings.separator)
                for part in parts:
                    address = str(part).strip()
                    if not _looks_like_email(address):
                        raise InvalidValue("not an e-mail address")
                    draft.emails.append((address, label))

            return email
        if kind == "phone_list":
            return self._phone_list
        if kind == "email_list":
            return self._email_list
        if kind in ("tags", "guardians", "observers"):
            return self._names_handler(kind)
        if kind == "organization":

            def organization(draft: ContactDraft, raw: Any) -> None:
                if isinstance(raw, list):
                    links = [self._membership(item) for item in raw if item is not None]
                    draft.organizations = [link for link in links if link[0]]
                    return
                names = [] if raw is None else split_multi(str(raw), settings.separator)
                draft.organizations = [(org, None, None) for org in names]

            return organization
        if kind == "custom":
            assert target.field is not None
            return self._custom_handler(target.field)
        if kind == "undefined_field":
            return self._undefined_field_handler(target.sub or "")
        if kind == "campaign_status":
            assert target.field is not None
            return status_handler(target.field)
        if kind == "record_part":
            return part_handler(name)
        raise AssertionError(f"no handler for target kind {kind}")

    def _phone_list(self, draft: ContactDraft, raw: Any) -> None:
        """`phones` as in a JSON record: a list of {number, type, label}, or plain numbers
        (typed mobile or landline by the number itself, else other)."""
        draft.phone_types.add("*")
        items = raw if isinstance(raw, list) else [] if raw is None else [raw]
        for item in items:
            if isinstance(item, dict):
                phone_type = item.get("type") or "other"
                if phone_type not in PHONE_TYPES:
                    raise InvalidValue(f"unknown phone type {phone_type!r}")
                number, label = item.get("number"), item.get("label")
            else:
                number, phone_type, label = item, None, None
            for canonical in convert_phones(str(number or ""), self.settings):
                draft.phones.append((canonical, phone_type or typed_as(canonical), label))

    def _email_list(self, draft: ContactDraft, raw: Any) -> None:
        """`emails` as in a JSON record: a list of {address, label} (or plain addresses)."""
        draft.email_labels.add("*")
        items = raw if isinstance(raw, list) else [] if raw is None else [raw]
        for item in items:
            address = item.get("address") if isinstance(item, dict) else item
            label = item.get("label") if isinstance(item, dict) else None
            address = str(address or "").strip()
            if not _looks_like_email(address):
                raise InvalidValue("not an e-mail address")
            draft.emails.append((address, label))

    def _membership(self, item: Any) -> tuple[str, str | None, str | None]:
        if not isinstance(item, dict):
            return (text_value(item) or "", None, None)
        name = str(item.get("name") or "").strip()
        if not name:
            raise InvalidValue("a membership needs the organization's name")
        since, until = item.get("since"), item.get("until")
        return (
            name,
            convert_datetime(since, self.settings) if since else None,
            convert_datetime(until, self.settings) if until else None,
        )

    def _names_handler(self, kind: str) -> Handler:
        separator = self.settings.separator
        known = self.tags if kind == "tags" else self.users
        what = "tag" if kind == "tags" else "user"
        seen: dict[Any, int] = {}  # cell text -> id, so a repeated name is keyed once

        def names(draft: ContactDraft, raw: Any) -> None:
            parts = (
                []
                if raw is None
                else raw
                if isinstance(raw, list)
                else split_multi(str(raw), separator)
            )
            found: list[int] = []
            for item in parts:
                part = item if isinstance(item, str) else str(item)
                ident = seen.get(part)
                if ident is None:
                    ident = known.get(name_key(part))
                    if ident is not None and len(seen) < 10_000:
                        seen[part] = ident
                if ident is None:
                    ident = self._unknown(what, part)
                if ident is not None and ident not in found:
                    found.append(ident)
            setattr(draft, kind, found)

        return names

    def _unknown(self, what: str, name: str) -> int | None:
        if what == "user" and name_key(name) in self.deactivated:
            self._deactivated(self.deactivated[name_key(name)])
            return None
        if self.unknown == "strict":
            raise InvalidValue(f"unknown {what} {name.strip()!r}")
        if self.unknown == "create":
            if what == "tag":
                ident = add_tag(self.store, name, exist_ok=True).id
                self.tags[name_key(name)] = ident
            else:
                ident = add_user(self.store, name, exist_ok=True).id
                self.users[name_key(name)] = ident
            return ident
        self._problems.append((LEFT_OUT, self._column, name, what))
        return None

    def _deactivated(self, full_name: str) -> None:
        """Refuse a deactivated user (strict), else leave it out with a warning.

        `create` does not bring the user back: `crm user activate` does.
        """
        if self.unknown == "strict":
            raise InvalidValue(f"user {full_name!r} is deactivated")
        self._problems.append(
            ("warning", self._column, full_name, f"user {full_name!r} is deactivated; left out")
        )

    def _custom_handler(self, definition: CustomField) -> Handler:
        key = definition.key
        settings = self.settings

        def custom(draft: ContactDraft, raw: Any) -> None:
            value = None if raw is None else convert_custom(self.fields[key], raw, settings)
            if value is not None and definition.type in ("select", "multiselect"):
                value = self._match_options(key, value)
            draft.custom[key] = value

        return custom

    def _undefined_field_handler(self, key: str) -> Handler:
        """A `custom.KEY` column with no field KEY: its values are left out (see LEFT_OUT)."""

        def undefined(draft: ContactDraft, raw: Any) -> None:
            if self.unknown == "strict":
                raise InvalidValue(
                    f"custom field {key!r} is not defined; define it with `crm field add`"
                )
            self._problems.append((LEFT_OUT, self._column, None, f"field:{key}"))

        return undefined

    def _match_options(self, key: str, value: Any) -> Any:
        wanted = value if isinstance(value, list) else [value]
        matched: list[str] = []
        by_key = self._options.get(key)
        if by_key is None:
            by_key = self._options[key] = {name_key(o): o for o in self.fields[key].options}
        for option in wanted:
            found = by_key.get(name_key(option))
            if found is None:
                if self.unknown == "strict":
                    raise InvalidValue(f"{option.strip()!r} is not an option of {key!r}")
                if self.unknown == "create":
                    self.fields[key] = add_field_option(self.store, self.fields[key], option)
                    found = by_key[name_key(option)] = " ".join(option.split())
                else:
                    self._problems.append((LEFT_OUT, self._column, option, f"option:{key}"))
                    continue
            if found not in matched:
                matched.append(found)
        if isinstance(value, list):
            return matched
        return matched[0] if matched else None


def _looks_like_email(address: str) -> bool:
    local, at, domain = address.rpartition("@")
    return bool(at and local and "." in domain) and " " not in address and not domain.endswith(".")


def _show(raw: Any) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        return raw
    return json.dumps(raw, ensure_ascii=False) if isinstance(raw, (list, dict)) else str(raw)

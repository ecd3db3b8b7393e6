"""Reference data: tags, users and custom fields (`crm.tags`, `crm.users`, `crm.fields`).

They are created explicitly and matched by exact name (case-insensitive,
trimmed), so a typo in an import file is reported instead of silently
becoming a new tag.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from crmkit.errors import CrmError, NotFound
from crmkit.model import FIELD_TYPES, CustomField, Tag, User
from crmkit.store import Store
from crmkit.store.sqlite.reference import (
    field_exists,
    fields_by_key,
    find_tag,
    find_user,
    find_user_id,
    insert_field,
    insert_tag,
    insert_user,
    list_fields,
    list_tags,
    list_users,
    update_field_options,
)
from crmkit.values.names import name_key

__all__ = [
    "Tags",
    "Users",
    "Fields",
    "add_tag",
    "add_user",
    "add_field",
    "add_field_option",
    "user_id",
    "is_field_key",
]

_FIELD_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


def is_field_key(key: str) -> bool:
    """Whether a custom field can have this key: a letter, then a-z, 0-9 and '_'."""
    return _FIELD_KEY.fullmatch(key) is not None


def add_tag(store: Store, name: str, *, exist_ok: bool = False) -> Tag:
    clean = " ".join(name.split())
    if not clean:
        raise CrmError("a tag name cannot be empty")
    if "|" in clean:
        raise CrmError(f"tag name {clean!r} cannot contain '|', the multi-value separator")
    key = name_key(clean)
    existing = find_tag(store, key)
    if existing is not None:
        if exist_ok:
            return existing
        raise CrmError(f"tag {clean!r} already exists")
    return insert_tag(store, clean, key)


def add_user(
    store: Store, full_name: str, email: str | None = None, *, exist_ok: bool = False
) -> User:
    clean = " ".join(full_name.split())
    if not clean:
        raise CrmError("a user's full name cannot be empty")
    if "|" in clean:
        raise CrmError(f"user name {clean!r} cannot contain '|', the multi-value separator")
    key = name_key(clean)
    existing = find_user(store, key)
    if existing is not None:
        if exist_ok:
            return existing
        raise CrmError(f"user {clean!r} already exists")
    return insert_user(store, clean, key, email or None)


def add_field(
    store: Store,
    key: str,
    type: str,
    *,
    label: str | None = None,
    options: list[str] | None = None,
    required: bool = False,
    applies_to: str = "both",
) -> CustomField:
    """Define a custom field; select and multiselect fields need their options here."""
    if not is_field_key(key):
        raise CrmError(f"field key {key!r} must start with a letter and hold only a-z, 0-9 and '_'")
    if type not in FIELD_TYPES:
        raise CrmError(f"unknown field type {type!r}; use one of: {', '.join(FIELD_TYPES)}")
    if applies_to not in ("person", "organization", "both"):
        raise CrmError(f"--for must be person, organization or both, not {applies_to!r}")
    clean_options: list[str] = []
    seen: set[str] = set()
    for option in options or []:
        clean = " ".join(option.split())
        if not clean or name_key(clean) in seen:
            continue
        if "|" in clean:
            raise CrmError(f"option {clean!r} cannot contain '|', the multi-value separator")
        seen.add(name_key(clean))
        clean_options.append(clean)
    if type in ("select", "multiselect") and not clean_options:
        raise CrmError(f"a {type} field needs at least one --option")
    if type not in ("select", "multiselect") and clean_options:
        raise CrmError(f"only select and multiselect fields take options, not {type}")
    if field_exists(store, key):
        raise CrmError(f"custom field {key!r} already exists")
    return insert_field(
        store,
        CustomField(
            id=0,
            key=key,
            type=type,
            label=label or key,
            options=clean_options,
            required=required,
            applies_to=applies_to,  # type: ignore[arg-type]
        ),
    )


def add_field_option(store: Store, field: CustomField, option: str) -> CustomField:
    """Append an option to a select/multiselect field (used by --create-missing)."""
    return update_field_options(store, field, [*field.options, " ".join(option.split())])


def user_id(store: Store, full_name: str) -> int:
    found = find_user_id(store, name_key(full_name))
    if found is None:
        raise NotFound(f"no user named {full_name!r}; add one with `crm user add`")
    return found


class Tags:
    """The tags of a base, as `crm.tags`.

    >>> crm.tags.add("VIP", "Lead")
    [Tag(id=1, name='VIP'), Tag(id=2, name='Lead')]
    >>> [tag.name for tag in crm.tags]
    ['Lead', 'VIP']
    """

    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, *names: str) -> list[Tag]:
        """Create tags and return them; raise `CrmError` if one exists (then none is added)."""
        with self._store.transaction():
            return [add_tag(self._store, name) for name in names]

    def list(self) -> list[Tag]:
        """Return every tag, by name."""
        return list_tags(self._store)

    def __iter__(self) -> Iterator[Tag]:
        return iter(self.list())


class Users:
    """The users who can be guardians, observers and agents, as `crm.users`.

    >>> crm.users.add("Jan Kowalski", email="jan@example.pl")
    User(id=1, full_name='Jan Kowalski', email='jan@example.pl')
    """

    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, full_name: str, *, email: str | None = None) -> User:
        """Create a user and return it; raise `CrmError` if the name is taken."""
        return add_user(self._store, full_name, email)

    def list(self) -> list[User]:
        """Return every user, by name."""
        return list_users(self._store)

    def __iter__(self) -> Iterator[User]:
        return iter(self.list())


class Fields:
    """The custom fields of a base, as `crm.fields`.

    >>> crm.fields.add("industry", type="multiselect", options=["IT", "Handel"])
    """

    def __init__(self, store: Store) -> None:
        self._store = store

    def add(
        self,
        key: str,
        *,
        type: str,
        label: str | None = None,
        options: Sequence[str] | None = None,
        required: bool = False,
        applies_to: str = "both",
    ) -> CustomField:
        """Define a custom field and return it.

        `type` is one of `FIELD_TYPES`; select and multiselect fields need their
        `options`; `applies_to` is person, organization or both. Raise `CrmError`
        for a bad key, type or option, or a key already taken.
        """
        return add_field(
            self._store,
            key,
            type,
            label=label,
            options=list(options or []),
            required=required,
            applies_to=applies_to,
        )

    def list(self) -> list[CustomField]:
        """Return every custom field, by key."""
        return list_fields(self._store)

    def __getitem__(self, key: str) -> CustomField:
        """Return the field with this key; raise `NotFound` if there is none."""
        found = fields_by_key(self._store).get(key)
        if found is None:
            raise NotFound(f"no custom field {key!r}; `crm field list` shows them")
        return found

    def __iter__(self) -> Iterator[CustomField]:
        return iter(self.list())

"""Reference data: tags, users and custom fields (`crm.tags`, `crm.users`, `crm.fields`).

They are created explicitly and matched by exact name (case-insensitive,
trimmed), so a typo in an import file is reported instead of silently
becoming a new tag.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from crmkit.reference_fixes import ReferenceFix
    from crmkit.settings import Settings

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
    from crmkit.reference_fixes import clean_name

    clean = clean_name(name, "tag")
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
    >>> crm.tags.rename("Lead", "Prospect").contacts     # contacts that hold it
    12

    Renaming, deleting and merging change the contacts holding the tag, and each of
    them gets a history entry (`tags` old → new) in the acting user's name.
    """

    def __init__(self, store: Store, settings: Settings | None = None) -> None:
        self._store = store
        self._user = settings.user if settings is not None else None

    def add(self, *names: str) -> list[Tag]:
        """Create tags and return them; raise `CrmError` if one exists (then none is added)."""
        with self._store.transaction():
            return [add_tag(self._store, name) for name in names]

    def list(self) -> list[Tag]:
        """Return every tag, by name."""
        return list_tags(self._store)

    def rename(self, old: str, new: str) -> ReferenceFix:
        """Rename a tag; raise `NotFound` for an unknown one, `CrmError` if `new` is taken
        (merge the two instead)."""
        from crmkit import reference_fixes as fixes

        return fixes.rename_tag(self._store, old, new, self._user)

    def delete(self, name: str) -> ReferenceFix:
        """Take a tag off every contact and delete it; `contacts` says how many lost it."""
        from crmkit import reference_fixes as fixes

        return fixes.delete_tag(self._store, name, self._user)

    def merge(self, source: str, into: str) -> ReferenceFix:
        """Give the contacts tagged `source` the tag `into`, then delete `source`."""
        from crmkit import reference_fixes as fixes

        return fixes.merge_tags(self._store, source, into, self._user)

    def __iter__(self) -> Iterator[Tag]:
        return iter(self.list())


class Users:
    """The users who can be guardians, observers and agents, as `crm.users`.

    >>> crm.users.add("Jan Kowalski", email="jan@example.pl")
    User(id=1, full_name='Jan Kowalski', email='jan@example.pl', active=True)
    >>> crm.users.deactivate("Jan Kowalski").active
    False

    A deactivated user stays on past events, in the history and on the contacts
    it already guards or observes, but is no longer assigned: naming it as a
    guardian, observer, agent or note author is refused (a warning in imports).
    """

    def __init__(self, store: Store, settings: Settings | None = None) -> None:
        self._store = store
        self._user = settings.user if settings is not None else None

    def add(self, full_name: str, *, email: str | None = None) -> User:
        """Create a user and return it; raise `CrmError` if the name is taken."""
        return add_user(self._store, full_name, email)

    def list(self) -> list[User]:
        """Return every user, by name."""
        return list_users(self._store)

    def rename(self, old: str, new: str) -> ReferenceFix:
        """Rename a user wherever the name shows; `contacts` counts those it guards or observes.

        Contacts and events name users by id and follow; notes the user wrote are
        given the new name too. The history keeps the names it was written with.
        """
        from crmkit import reference_fixes as fixes

        return fixes.rename_user(self._store, old, new, self._user)

    def deactivate(self, name: str) -> User:
        """Stop a user from being assigned anew; raise `CrmError` if already deactivated."""
        from crmkit import reference_fixes as fixes

        return fixes.set_user_active(self._store, name, False)

    def activate(self, name: str) -> User:
        """Make a deactivated user assignable again."""
        from crmkit import reference_fixes as fixes

        return fixes.set_user_active(self._store, name, True)

    def __iter__(self) -> Iterator[User]:
        return iter(self.list())


class Fields:
    """The custom fields of a base, as `crm.fields`.

    >>> crm.fields.add("industry", type="multiselect", options=["IT", "Handel"])
    >>> crm.fields.add_options("industry", "Budownictwo")
    >>> crm.fields.rename_option("industry", "Handel", "Handel detaliczny").contacts
    4

    Renaming or deleting an option, or the whole field, changes the contacts
    holding it; each gets a history entry (`custom.<key>` old → new).
    """

    def __init__(self, store: Store, settings: Settings | None = None) -> None:
        self._store = store
        self._user = settings.user if settings is not None else None

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

    def add_options(self, key: str, *options: str) -> CustomField:
        """Add options to a select or multiselect field and return it; raise `CrmError`
        for an option it has already."""
        from crmkit import reference_fixes as fixes

        return fixes.add_options(self._store, key, list(options))

    def rename_option(self, key: str, old: str, new: str) -> ReferenceFix:
        """Rename an option, in the field and in every contact's value."""
        from crmkit import reference_fixes as fixes

        return fixes.rename_option(self._store, key, old, new, self._user)

    def delete_option(self, key: str, option: str) -> ReferenceFix:
        """Remove an option from the field and from every contact's value."""
        from crmkit import reference_fixes as fixes

        return fixes.delete_option(self._store, key, option, self._user)

    def rename(self, key: str, *, label: str) -> CustomField:
        """Give a field a new label (the key, which mappings and filters use, stays)."""
        from crmkit import reference_fixes as fixes

        return fixes.relabel_field(self._store, key, label)

    def delete(self, key: str, *, force: bool = False) -> ReferenceFix:
        """Delete a field and every contact's value of it.

        Without `force`, raise `CrmError` when contacts hold a value, saying how many.
        """
        from crmkit import reference_fixes as fixes

        return fixes.delete_field(self._store, key, force, self._user)

    def __getitem__(self, key: str) -> CustomField:
        """Return the field with this key; raise `NotFound` if there is none."""
        found = fields_by_key(self._store).get(key)
        if found is None:
            raise NotFound(f"no custom field {key!r}; `crm field list` shows them")
        return found

    def __iter__(self) -> Iterator[CustomField]:
        return iter(self.list())

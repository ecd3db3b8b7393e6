"""Fixing reference data: renaming, merging, deleting and deactivating what contacts name.

These are the checks behind `crm.tags.rename(...)`, `crm.users.deactivate(...)`,
`crm.fields.rename_option(...)` and the rest (`crmkit.reference`): names are
matched as imports match them (trimmed, case-insensitive), a new name must not
clash with another entry, and a refusal changes nothing. The store then makes
the change in one transaction and records, for each contact whose values it
changes, the field's old and new value in the history.
"""

from __future__ import annotations

from dataclasses import dataclass

from crmkit.errors import CrmError, NotFound
from crmkit.model import CustomField, Tag, User
from crmkit.store import Store
from crmkit.store.sqlite.reference import fields_by_key, find_tag, find_user
from crmkit.values.names import name_key

__all__ = [
    "ReferenceFix",
    "clean_name",
    "rename_tag",
    "delete_tag",
    "merge_tags",
    "rename_user",
    "set_user_active",
    "add_options",
    "rename_option",
    "delete_option",
    "relabel_field",
    "delete_field",
]


@dataclass(frozen=True)
class ReferenceFix:
    """What a fix did: to which kind of entry (`tag`, `user`, `option`, `field`), its old
    name, its new one (None: deleted), and how many contacts' values changed with it."""

    what: str
    old: str
    new: str | None
    contacts: int = 0


def clean_name(name: str, what: str) -> str:
    """Return a name trimmed, its spaces collapsed; raise `CrmError` if empty or holding '|'."""
    clean = " ".join(name.split())
    if not clean:
        raise CrmError(f"a {what} name cannot be empty")
    if "|" in clean:
        raise CrmError(f"{what} name {clean!r} cannot contain '|', the multi-value separator")
    return clean


def _tag(store: Store, name: str) -> Tag:
    found = find_tag(store, name_key(name))
    if found is None:
        raise NotFound(f"no tag named {name.strip()!r}; `crm tag list` shows them")
    return found


def _user(store: Store, name: str) -> User:
    found = find_user(store, name_key(name))
    if found is None:
        raise NotFound(f"no user named {name.strip()!r}; `crm user list` shows them")
    return found


def rename_tag(store: Store, old: str, new: str, user: str | None) -> ReferenceFix:
    """Rename a tag on every contact; refuse a name another tag has (merge them instead)."""
    import shlex

    from crmkit.store.sqlite import reference_fixes

    tag = _tag(store, old)
    clean = clean_name(new, "tag")
    other = find_tag(store, name_key(clean))
    if other is not None and other.id != tag.id:
        raise CrmError(
            f"tag {other.name!r} already exists; to give its contacts one tag, use"
            f" `crm tag merge {shlex.quote(tag.name)} {shlex.quote(other.name)}`"
        )
    count = reference_fixes.rename_tag(store, tag.id, tag.name, clean, name_key(clean), user)
    return ReferenceFix("tag", tag.name, clean, count)


def delete_tag(store: Store, name: str, user: str | None) -> ReferenceFix:
    """Take a tag off every contact and delete it."""
    from crmkit.store.sqlite import reference_fixes

    tag = _tag(store, name)
    return ReferenceFix("tag", tag.name, None, reference_fixes.delete_tag(store, tag.id, user))


def merge_tags(store: Store, source: str, into: str, user: str | None) -> ReferenceFix:
    """Give the contacts of tag `source` the tag `into`, and delete `source`."""
    from crmkit.store.sqlite import reference_fixes

    merged, kept = _tag(store, source), _tag(store, into)
    if merged.id == kept.id:
        raise CrmError(f"cannot merge tag {merged.name!r} into itself")
    count = reference_fixes.merge_tags(store, merged.id, kept.id, user)
    return ReferenceFix("tag", merged.name, kept.name, count)


def rename_user(store: Store, old: str, new: str, user: str | None) -> ReferenceFix:
    """Rename a user wherever the name shows: contacts, events, notes they wrote."""
    from crmkit.store.sqlite import reference_fixes

    found = _user(store, old)
    clean = clean_name(new, "user")
    other = find_user(store, name_key(clean))
    if other is not None and other.id != found.id:
        raise CrmError(f"user {other.full_name!r} already exists")
    count = reference_fixes.rename_user(
        store, found.id, found.full_name, clean, name_key(clean), user
    )
    return ReferenceFix("user", found.full_name, clean, count)


def set_user_active(store: Store, name: str, active: bool) -> User:
    """Make a user assignable again (`active`) or not; refuse what is so already."""
    from crmkit.store.sqlite import reference_fixes

    found = _user(store, name)
    if found.active == active:
        state = "active" if active else "deactivated"
        raise CrmError(f"user {found.full_name!r} is already {state}")
    reference_fixes.set_user_active(store, found.id, active)
    return User(found.id, found.full_name, found.email, active)


def _field(store: Store, key: str, *, with_options: bool = False) -> CustomField:
    found = fields_by_key(store).get(key.strip())
    if found is None:
        raise NotFound(f"no custom field {key.strip()!r}; `crm field list` shows them")
    if with_options and found.type not in ("select", "multiselect"):
        raise CrmError(
            f"field {found.key!r} is a {found.type} field; only select and multiselect"
            " fields have options"
        )
    return found


def _option(field: CustomField, name: str) -> str:
    """Return an option as the field spells it; raise `NotFound` if it has none such."""
    for option in field.options:
        if name_key(option) == name_key(name):
            return option
    raise NotFound(
        f"{name.strip()!r} is not an option of {field.key!r} (options: {', '.join(field.options)})"
    )


def add_options(store: Store, key: str, options: list[str]) -> CustomField:
    """Add options to a select or multiselect field; refuse one it has already."""
    from crmkit.store.sqlite.field_fixes import save_options

    field = _field(store, key, with_options=True)
    known = {name_key(option): option for option in field.options}
    added: list[str] = []
    for option in options:
        clean = clean_name(option, "option")
        if name_key(clean) in known:
            raise CrmError(f"{known[name_key(clean)]!r} is already an option of {field.key!r}")
        known[name_key(clean)] = clean
        added.append(clean)
    if not added:
        raise CrmError("give at least one option to add")
    return save_options(store, field, [*field.options, *added])


def rename_option(store: Store, key: str, old: str, new: str, user: str | None) -> ReferenceFix:
    """Rename an option of a field, and the value on every contact holding it."""
    from crmkit.store.sqlite import field_fixes

    field = _field(store, key, with_options=True)
    stored = _option(field, old)
    clean = clean_name(new, "option")
    if clean == stored:
        return ReferenceFix("option", stored, clean, 0)
    for option in field.options:
        if option != stored and name_key(option) == name_key(clean):
            raise CrmError(f"{option!r} is already an option of {field.key!r}")
    _, count = field_fixes.rename_option(store, field, stored, clean, user)
    return ReferenceFix("option", stored, clean, count)


def delete_option(store: Store, key: str, option: str, user: str | None) -> ReferenceFix:
    """Remove an option from a field and from every contact holding it."""
    from crmkit.store.sqlite import field_fixes

    field = _field(store, key, with_options=True)
    stored = _option(field, option)
    if len(field.options) == 1:
        raise CrmError(
            f"{stored!r} is the only option of {field.key!r}; a {field.type} field needs one"
            f" (`crm field delete {field.key}` deletes the field)"
        )
    _, count = field_fixes.delete_option(store, field, stored, user)
    return ReferenceFix("option", stored, None, count)


def relabel_field(store: Store, key: str, label: str) -> CustomField:
    """Give a field a new label, the name people see."""
    from crmkit.store.sqlite.field_fixes import save_label

    field = _field(store, key)
    clean = " ".join(label.split())
    if not clean:
        raise CrmError("a field's label cannot be empty")
    return save_label(store, field, clean)


def delete_field(store: Store, key: str, force: bool, user: str | None) -> ReferenceFix:
    """Delete a field and every contact's value of it.

    Without `force`, refuse when a contact holds a value, saying how many do.
    """
    from crmkit.store.sqlite import field_fixes

    field = _field(store, key)
    if not force:
        held = field_fixes.count_values(store, field.key)
        if held:
            many = "contacts hold a value" if held > 1 else "contact holds a value"
            raise CrmError(
                f"{held} {many} of {field.key!r}; repeat with --yes to delete the field"
                " and those values"
            )
    return ReferenceFix("field", field.key, None, field_fixes.delete_field(store, field, user))

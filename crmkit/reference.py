"""Reference data: tags, users and custom fields (`crm.tags`, `crm.users`, `crm.fields`).

They are created explicitly and matched by exact name (case-insensitive,
trimmed), so a typo in an import file is reported instead of silently
becoming a new tag.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence

from crmkit.errors import CrmError, NotFound
from crmkit.model import FIELD_TYPES, CustomField, Tag, User
from crmkit.store import Store
from crmkit.values.names import name_key

__all__ = [
    "Tags",
    "Users",
    "Fields",
    "add_tag",
    "list_tags",
    "add_user",
    "list_users",
    "add_field",
    "list_fields",
    "fields_by_key",
    "tag_ids",
    "user_ids",
    "add_field_option",
    "tag_names",
    "user_names",
    "user_id",
]

_FIELD_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


def add_tag(store: Store, name: str, *, exist_ok: bool = False) -> Tag:
    clean = " ".join(name.split())
    if not clean:
        raise CrmError("a tag name cannot be empty")
    if "|" in clean:
        raise CrmError(f"tag name {clean!r} cannot contain '|', the multi-value separator")
    key = name_key(clean)
    existing = store.one("SELECT id FROM tags WHERE key = ?", (key,))
    if existing is not None:
        if exist_ok:
            return Tag(
                id=existing, name=store.one("SELECT name FROM tags WHERE id = ?", (existing,))
            )
        raise CrmError(f"tag {clean!r} already exists")
    with store.transaction() as conn:
        cursor = conn.execute("INSERT INTO tags (name, key) VALUES (?, ?)", (clean, key))
    return Tag(id=int(cursor.lastrowid or 0), name=clean)


def list_tags(store: Store) -> list[Tag]:
    return [
        Tag(id=r[0], name=r[1])
        for r in store.conn.execute("SELECT id, name FROM tags ORDER BY key")
    ]


def add_user(
    store: Store, full_name: str, email: str | None = None, *, exist_ok: bool = False
) -> User:
    clean = " ".join(full_name.split())
    if not clean:
        raise CrmError("a user's full name cannot be empty")
    if "|" in clean:
        raise CrmError(f"user name {clean!r} cannot contain '|', the multi-value separator")
    key = name_key(clean)
    existing = store.one("SELECT id FROM users WHERE key = ?", (key,))
    if existing is not None:
        if exist_ok:
            row = store.conn.execute(
                "SELECT full_name, email FROM users WHERE id = ?", (existing,)
            ).fetchone()
            return User(id=existing, full_name=row[0], email=row[1])
        raise CrmError(f"user {clean!r} already exists")
    with store.transaction() as conn:
        cursor = conn.execute(
            "INSERT INTO users (full_name, key, email) VALUES (?, ?, ?)",
            (clean, key, email or None),
        )
    return User(id=int(cursor.lastrowid or 0), full_name=clean, email=email or None)


def list_users(store: Store) -> list[User]:
    return [
        User(id=r[0], full_name=r[1], email=r[2])
        for r in store.conn.execute("SELECT id, full_name, email FROM users ORDER BY key")
    ]


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
    if not _FIELD_KEY.match(key):
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
    if store.one("SELECT 1 FROM custom_fields WHERE key = ?", (key,)):
        raise CrmError(f"custom field {key!r} already exists")
    with store.transaction() as conn:
        cursor = conn.execute(
            "INSERT INTO custom_fields (key, type, label, options, required, applies_to)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                key,
                type,
                label or key,
                json.dumps(clean_options, ensure_ascii=False),
                int(required),
                applies_to,
            ),
        )
    return CustomField(
        id=int(cursor.lastrowid or 0),
        key=key,
        type=type,
        label=label or key,
        options=clean_options,
        required=required,
        applies_to=applies_to,  # type: ignore[arg-type]
    )


def add_field_option(store: Store, field: CustomField, option: str) -> CustomField:
    """Append an option to a select/multiselect field (used by --create-missing)."""
    options = [*field.options, " ".join(option.split())]
    with store.transaction() as conn:
        conn.execute(
            "UPDATE custom_fields SET options = ? WHERE id = ?",
            (json.dumps(options, ensure_ascii=False), field.id),
        )
    return field.with_options(options)


def list_fields(store: Store) -> list[CustomField]:
    return [
        CustomField(
            id=r[0],
            key=r[1],
            type=r[2],
            label=r[3],
            options=json.loads(r[4]),
            required=bool(r[5]),
            applies_to=r[6],
        )
        for r in store.conn.execute(
            "SELECT id, key, type, label, options, required, applies_to FROM custom_fields"
            " ORDER BY key"
        )
    ]


def fields_by_key(store: Store) -> dict[str, CustomField]:
    return {field.key: field for field in list_fields(store)}


def tag_ids(store: Store) -> dict[str, int]:
    """Matching key -> tag id, for resolving names in bulk."""
    return dict(store.conn.execute("SELECT key, id FROM tags").fetchall())


def user_ids(store: Store) -> dict[str, int]:
    """Matching key -> user id, for resolving names in bulk."""
    return dict(store.conn.execute("SELECT key, id FROM users").fetchall())


def tag_names(store: Store) -> dict[int, str]:
    return dict(store.conn.execute("SELECT id, name FROM tags").fetchall())


def user_names(store: Store) -> dict[int, str]:
    return dict(store.conn.execute("SELECT id, full_name FROM users").fetchall())


def user_id(store: Store, full_name: str) -> int:
    found = store.one("SELECT id FROM users WHERE key = ?", (name_key(full_name),))
    if found is None:
        raise NotFound(f"no user named {full_name!r}; add one with `crm user add`")
    return int(found)


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

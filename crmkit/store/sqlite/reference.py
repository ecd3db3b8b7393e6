"""Reference data: the tags, users and custom fields tables.

Plain statements that both backends read (no sqlite-utils here: importing it
costs about 40 ms, which took `crm tag list` from 98 ms to 124 ms on a 1M base).
"""

from __future__ import annotations

import json
from typing import Any

from crmkit.errors import CrmError, NotFound
from crmkit.model import CustomField, Tag, User
from crmkit.store.sqlite.connection import Store
from crmkit.values.names import name_key

__all__ = [
    "find_tag",
    "insert_tag",
    "list_tags",
    "find_user",
    "insert_user",
    "list_users",
    "field_exists",
    "insert_field",
    "update_field_options",
    "list_fields",
    "fields_by_key",
    "tag_ids",
    "user_ids",
    "deactivated_users",
    "tag_names",
    "user_names",
    "find_user_id",
    "active_user_id",
]


def _first(store: Store, table: str, key: str, select: str) -> dict[str, Any] | None:
    """Return the row of `table` with this key (the columns `select` names), or None."""
    rows = store.rows(f"SELECT {select} FROM {table} WHERE key = ? LIMIT 1", (key,))
    return dict(rows[0]) if rows else None


def find_tag(store: Store, key: str) -> Tag | None:
    """The tag with this matching key, or None."""
    row = _first(store, "tags", key, "id, name")
    return None if row is None else Tag(id=row["id"], name=row["name"])


def insert_tag(store: Store, name: str, key: str) -> Tag:
    with store.transaction():
        pk = store.conn.execute("INSERT INTO tags (name, key) VALUES (?, ?)", (name, key)).lastrowid
    return Tag(id=int(pk or 0), name=name)


def list_tags(store: Store) -> list[Tag]:
    rows = store.conn.execute("SELECT id, name FROM tags ORDER BY key")
    return [Tag(id=tag_id, name=name) for tag_id, name in rows]


def find_user(store: Store, key: str) -> User | None:
    """The user with this matching key, or None."""
    row = _first(store, "users", key, "id, full_name, email, active")
    if row is None:
        return None
    return User(
        id=row["id"], full_name=row["full_name"], email=row["email"], active=bool(row["active"])
    )


def insert_user(store: Store, full_name: str, key: str, email: str | None) -> User:
    with store.transaction():
        pk = store.conn.execute(
            "INSERT INTO users (full_name, key, email) VALUES (?, ?, ?)", (full_name, key, email)
        ).lastrowid
    return User(id=int(pk or 0), full_name=full_name, email=email)


def list_users(store: Store) -> list[User]:
    rows = store.conn.execute("SELECT id, full_name, email, active FROM users ORDER BY key")
    return [
        User(id=user_id, full_name=name, email=email, active=bool(active))
        for user_id, name, email, active in rows
    ]


def field_exists(store: Store, key: str) -> bool:
    return _first(store, "custom_fields", key, "1") is not None


def insert_field(store: Store, field: CustomField) -> CustomField:
    """Store a new custom field (its `id` is ignored) and return it with its id."""
    with store.transaction():
        pk = store.conn.execute(
            "INSERT INTO custom_fields (key, type, label, options, required, applies_to)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                field.key,
                field.type,
                field.label,
                json.dumps(field.options, ensure_ascii=False),
                int(field.required),
                field.applies_to,
            ),
        ).lastrowid
    return CustomField(
        id=int(pk or 0),
        key=field.key,
        type=field.type,
        label=field.label,
        options=field.options,
        required=field.required,
        applies_to=field.applies_to,
    )


def update_field_options(store: Store, field: CustomField, options: list[str]) -> CustomField:
    with store.transaction():
        store.conn.execute(
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
    """Matching key -> id of the users who can be assigned (the active ones), in bulk."""
    return dict(store.conn.execute("SELECT key, id FROM users WHERE active").fetchall())


def deactivated_users(store: Store) -> dict[str, str]:
    """Matching key -> full name of the deactivated users, to say why a name is refused."""
    return dict(store.conn.execute("SELECT key, full_name FROM users WHERE NOT active").fetchall())


def tag_names(store: Store) -> dict[int, str]:
    return dict(store.conn.execute("SELECT id, name FROM tags").fetchall())


def user_names(store: Store) -> dict[int, str]:
    return dict(store.conn.execute("SELECT id, full_name FROM users").fetchall())


def find_user_id(store: Store, key: str) -> int | None:
    found = store.one("SELECT id FROM users WHERE key = ?", (key,))
    return None if found is None else int(found)


def active_user_id(store: Store, name: str) -> int:
    """Return the id of an active user named so; `NotFound` or `CrmError` say why not."""
    found = store.conn.execute(
        "SELECT id, full_name, active FROM users WHERE key = ?", (name_key(name),)
    ).fetchone()
    if found is None:
        raise NotFound(f"no user named {name.strip()!r}; add one with `crm user add`")
    if not found[2]:
        raise CrmError(f"user {found[1]!r} is deactivated")
    return int(found[0])

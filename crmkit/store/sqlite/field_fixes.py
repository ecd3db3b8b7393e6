"""Fixing custom fields in SQLite: options added, renamed and deleted, labels, whole fields.

Values live in each contact's `custom` JSON, so renaming or deleting an option
rewrites the contacts holding it (a select's value, or an item of a
multiselect's list), and deleting a field removes its key from every contact.
Each fix is one transaction; each changed contact gets a history entry with
`custom.<key>` old → new and a new `updated_at`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from crmkit.model import CustomField
from crmkit.store.sqlite.connection import Store
from crmkit.store.sqlite.reference_fixes import IN_CHUNK, history_log, in_chunks, touch_contacts
from crmkit.store.sqlite.writer.updates import encode_custom

__all__ = [
    "save_options",
    "save_label",
    "rename_option",
    "delete_option",
    "count_values",
    "delete_field",
]

# A value becomes another value, or None: the key is removed.
Rewrite = Callable[[Any], Any]


def _path(key: str) -> str:
    """Return the JSON path of a custom field's value (keys are checked `[a-z0-9_]`)."""
    return f'$."{key}"'


def save_options(store: Store, field: CustomField, options: list[str]) -> CustomField:
    """Store a field's list of options and return the field with it."""
    with store.transaction() as conn:
        conn.execute(
            "UPDATE custom_fields SET options = ? WHERE id = ?",
            (json.dumps(options, ensure_ascii=False), field.id),
        )
    return field.with_options(options)


def save_label(store: Store, field: CustomField, label: str) -> CustomField:
    """Store a field's label and return the field with it."""
    with store.transaction() as conn:
        conn.execute("UPDATE custom_fields SET label = ? WHERE id = ?", (label, field.id))
    return replace(field, label=label)


def _option_holders(store: Store, key: str, option: str) -> list[int]:
    """Return the contacts whose value of `key` is `option` or a list holding it."""
    return [
        row[0]
        for row in store.conn.execute(
            "SELECT c.id FROM contacts c WHERE c.custom <> '{}' AND EXISTS"
            " (SELECT 1 FROM json_each(c.custom, ?) j WHERE j.value = ?) ORDER BY c.id",
            (_path(key), option),
        )
    ]


def _value_holders(store: Store, key: str) -> list[int]:
    return [
        row[0]
        for row in store.conn.execute(
            "SELECT id FROM contacts WHERE custom <> '{}' AND json_type(custom, ?) IS NOT NULL"
            " ORDER BY id",
            (_path(key),),
        )
    ]


def _rewrite_values(
    store: Store, ids: list[int], key: str, rewrite: Rewrite, user: str | None, action: str
) -> None:
    """Give each of these contacts `rewrite(value)` for `key`, recording the changes."""
    log = history_log(store, user, action)
    conn = store.conn
    for chunk in in_chunks(ids):
        with log.watch(chunk):
            rows = conn.execute(
                f"SELECT id, custom FROM contacts WHERE id {IN_CHUNK}", (json.dumps(chunk),)
            ).fetchall()
            updates = []
            for contact_id, text in rows:
                custom = json.loads(text)
                value = rewrite(custom.get(key))
                if value is None:
                    custom.pop(key, None)
                else:
                    custom[key] = value
                updates.append((encode_custom(custom) if custom else "{}", contact_id))
            conn.executemany("UPDATE contacts SET custom = ? WHERE id = ?", updates)
            touch_contacts(store, chunk, log.at)
        log.flush()


def _replace_option(old: str, new: str | None) -> Rewrite:
    """Return the rewrite of a select or multiselect value that puts `new` for `old`."""

    def rewrite(value: Any) -> Any:
        if isinstance(value, list):
            items: list[Any] = []
            for item in value:
                item = new if item == old else item
                if item is not None and item not in items:
                    items.append(item)
            return items or None
        return new if value == old else value

    return rewrite


def rename_option(
    store: Store, field: CustomField, old: str, new: str, user: str | None
) -> tuple[CustomField, int]:
    """Rename an option in the definition and on every contact; return the field and
    how many contacts held it."""
    options = [new if option == old else option for option in field.options]
    with store.transaction():
        ids = _option_holders(store, field.key, old)
        _rewrite_values(
            store, ids, field.key, _replace_option(old, new), user, "field option rename"
        )
        renamed = save_options(store, field, options)
    return renamed, len(ids)


def delete_option(
    store: Store, field: CustomField, option: str, user: str | None
) -> tuple[CustomField, int]:
    """Remove an option from the definition and from every contact; return the field and
    how many contacts held it."""
    options = [kept for kept in field.options if kept != option]
    with store.transaction():
        ids = _option_holders(store, field.key, option)
        _rewrite_values(
            store, ids, field.key, _replace_option(option, None), user, "field option delete"
        )
        left = save_options(store, field, options)
    return left, len(ids)


def count_values(store: Store, key: str) -> int:
    """Return how many contacts hold a value of this field."""
    return int(
        store.one(
            "SELECT count(*) FROM contacts WHERE custom <> '{}' AND json_type(custom, ?)"
            " IS NOT NULL",
            (_path(key),),
        )
    )


def delete_field(store: Store, field: CustomField, user: str | None) -> int:
    """Remove a field's value from every contact, then the field; return how many held one."""
    with store.transaction() as conn:
        ids = _value_holders(store, field.key)
        _rewrite_values(store, ids, field.key, lambda value: None, user, "field delete")
        conn.execute("DELETE FROM custom_fields WHERE id = ?", (field.id,))
    return len(ids)

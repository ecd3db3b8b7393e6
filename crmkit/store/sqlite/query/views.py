"""Saved views: a named set of columns, filters and sort order, kept per user.

The acting user (`--as` / `CRM_USER`) owns the views they save; without one,
views belong to "no user" and are seen only without `--as`. A view is checked
against the schema when it is saved, and again when it is used (a custom
field may have been removed since).
"""

from __future__ import annotations

import json
from typing import Any

from crmkit.errors import CrmError, NotFound
from crmkit.store import Store
from crmkit.store.sqlite.query.columns import resolve_columns
from crmkit.store.sqlite.query.compiler import FilterSettings
from crmkit.store.sqlite.query.fields import QuerySchema
from crmkit.store.sqlite.query.selection import Query, compile_query

__all__ = ["save_view", "list_views", "get_view", "delete_view", "apply_view"]


def _owner(user: str | None) -> str:
    return " ".join(user.split()) if user else ""


def _who(user: str | None) -> str:
    return repr(" ".join(user.split())) if user else "the shared list (no --as user)"


def _clean_name(name: str) -> str:
    clean = " ".join(name.split())
    if not clean:
        raise CrmError("a view needs a name")
    return clean


def save_view(
    store: Store,
    user: str | None,
    name: str,
    *,
    columns: list[str] | None = None,
    filters: list[str] | tuple[str, ...] = (),
    sort: list[str] | tuple[str, ...] = (),
    settings: FilterSettings | None = None,
) -> tuple[dict[str, Any], bool]:
    """Save (or replace) a view; return it and whether it replaced an older one."""
    clean = _clean_name(name)
    if not columns and not filters and not sort:
        raise CrmError("a view needs --columns, --filter or --sort")
    if columns:
        resolve_columns(columns, QuerySchema(store.conn))
    compile_query(store.conn, Query(filters=tuple(filters), sort=tuple(sort), limit=0), settings)
    owner = _owner(user)
    existed = (
        store.one("SELECT 1 FROM views WHERE user = ? AND name = ?", (owner, clean)) is not None
    )
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO views (user, name, columns, filters, sort) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (user, name) DO UPDATE SET columns = excluded.columns,"
            " filters = excluded.filters, sort = excluded.sort",
            (
                owner,
                clean,
                json.dumps(list(columns or []), ensure_ascii=False),
                json.dumps(list(filters), ensure_ascii=False),
                json.dumps(list(sort), ensure_ascii=False),
            ),
        )
    return get_view(store, user, clean), existed


def list_views(store: Store, user: str | None) -> list[dict[str, Any]]:
    """The user's views, by name."""
    rows = store.conn.execute(
        "SELECT name, columns, filters, sort FROM views WHERE user = ?"
        " ORDER BY name COLLATE NOCASE",
        (_owner(user),),
    )
    return [_view(*row) for row in rows]


def get_view(store: Store, user: str | None, name: str) -> dict[str, Any]:
    clean = " ".join(name.split())
    row = store.conn.execute(
        "SELECT name, columns, filters, sort FROM views WHERE user = ? AND name = ?",
        (_owner(user), clean),
    ).fetchone()
    if row is None:
        names = [view["name"] for view in list_views(store, user)]
        known = f" (views: {', '.join(names)})" if names else " (no views saved yet)"
        raise NotFound(f"{_who(user)} has no view named {clean!r}{known}")
    return _view(*row)


def delete_view(store: Store, user: str | None, name: str) -> None:
    view = get_view(store, user, name)
    with store.transaction() as conn:
        conn.execute("DELETE FROM views WHERE user = ? AND name = ?", (_owner(user), view["name"]))


def _view(name: str, columns: str, filters: str, sort: str) -> dict[str, Any]:
    return {
        "name": name,
        "columns": json.loads(columns),
        "filters": json.loads(filters),
        "sort": json.loads(sort),
    }


def apply_view(
    store: Store,
    user: str | None,
    name: str | None,
    *,
    filters: list[str] | tuple[str, ...] = (),
    columns: list[str] | None = None,
    sort: list[str] | tuple[str, ...] = (),
) -> tuple[list[str], list[str] | None, list[str]]:
    """Filters, columns and sort with a view's underneath: its filters are ANDed with the
    given ones; given columns or sort replace the view's."""
    if not name:
        return list(filters), columns or None, list(sort)
    view = get_view(store, user, name)
    return (
        [*view["filters"], *filters],
        columns or view["columns"] or None,
        list(sort) or view["sort"],
    )

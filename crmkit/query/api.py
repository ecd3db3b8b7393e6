"""The search, export, lookup and view methods of `crmkit.CRM`.

>>> crm.search("nowak", filters=["tag=VIP"], limit=20)      # JSON records
>>> crm.export("vip.csv", filters=["tag=VIP"])               # number written
>>> crm.lookup("601 234 567")                                # the caller's records
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from crmkit.query.compiler import FilterSettings
from crmkit.query.selection import EXPORT_ORDER, NAME_ORDER, Query, Selection, compile_query

if TYPE_CHECKING:
    from crmkit.store import Store
    from crmkit.targets import ConversionSettings

__all__ = ["QueryMethods"]


def _texts(values: str | Sequence[str] | None) -> list[str]:
    """One filter or several."""
    if values is None:
        return []
    return [values] if isinstance(values, str) else list(values)


def _names(values: str | Sequence[str] | None) -> list[str]:
    """Column names or sort keys: a list, or one text with commas (`name,-created_at`)."""
    if isinstance(values, str):
        return [part.strip() for part in values.split(",") if part.strip()]
    return _texts(values)


class QueryMethods:
    """Mixed into `CRM`; uses its `store`, `user` and `settings`."""

    store: Store
    user: str | None
    settings: ConversionSettings

    def _filter_settings(self, region: str | None = None) -> FilterSettings:
        return FilterSettings(
            region=(region or self.settings.region).upper(),
            timezone=self.settings.timezone,
            dayfirst=self.settings.dayfirst,
        )

    def _selection(
        self,
        text: str | None,
        filters: str | Sequence[str] | None,
        include_hidden: bool,
        sort: str | Sequence[str] | None,
        limit: int | None,
        view: str | None,
        columns: str | Sequence[str] | None,
        order: str,
    ) -> tuple[Selection, list[str] | None]:
        from crmkit.query.views import apply_view

        all_filters, chosen, all_sort = apply_view(
            self.store,
            self.user,
            view,
            filters=_texts(filters),
            columns=_names(columns) or None,
            sort=_names(sort),
        )
        query = Query(text, tuple(all_filters), include_hidden, tuple(all_sort), limit)
        selection = compile_query(
            self.store.conn, query, self._filter_settings(), default_order=order
        )
        return selection, chosen

    def search(
        self,
        text: str | None = None,
        *,
        filters: str | Sequence[str] | None = None,
        include_hidden: bool = False,
        sort: str | Sequence[str] | None = None,
        limit: int | None = None,
        view: str | None = None,
    ) -> list[dict[str, Any]]:
        """Records of the contacts found: ranked (name matches first), then by name."""
        from crmkit.store.sqlite.records import iter_records

        return list(
            iter_records(
                self.store,
                self.search_ids(
                    text,
                    filters=filters,
                    include_hidden=include_hidden,
                    sort=sort,
                    limit=limit,
                    view=view,
                ),
            )
        )

    def search_ids(
        self,
        text: str | None = None,
        *,
        filters: str | Sequence[str] | None = None,
        include_hidden: bool = False,
        sort: str | Sequence[str] | None = None,
        limit: int | None = None,
        view: str | None = None,
    ) -> list[int]:
        """Ids of the contacts `search` would return, in the same order."""
        selection, _ = self._selection(
            text, filters, include_hidden, sort, limit, view, None, NAME_ORDER
        )
        return list(selection.ids())

    def export(
        self,
        target: str | Path | IO[str] | None = None,
        *,
        format: str = "csv",
        text: str | None = None,
        filters: str | Sequence[str] | None = None,
        columns: str | Sequence[str] | None = None,
        include_hidden: bool = False,
        sort: str | Sequence[str] | None = None,
        limit: int | None = None,
        view: str | None = None,
        escape: bool = True,
        bom: bool = False,
    ) -> int:
        """Write contacts to a file (atomically), a text stream or stdout; return the count.

        CSV columns are mapping targets, so the file imports back with no mapping.
        """
        from crmkit.exporters.export import export_selection, text_output

        selection, chosen = self._selection(
            text, filters, include_hidden, sort, limit, view, columns, EXPORT_ORDER
        )
        if format != "csv" and not columns:
            chosen = None
        if target is not None and not isinstance(target, (str, Path)):
            return export_selection(
                self.store, selection, target, fmt=format, columns=chosen, escape=escape, bom=bom
            )
        with text_output(target) as out:
            return export_selection(
                self.store, selection, out, fmt=format, columns=chosen, escape=escape, bom=bom
            )

    def lookup(
        self, phone: str, *, region: str | None = None, include_hidden: bool = False
    ) -> list[dict[str, Any]]:
        """Records of the contacts that own this number (any input format); [] if none."""
        from crmkit.query.lookup import lookup_phone
        from crmkit.store.sqlite.records import iter_records

        found = lookup_phone(
            self.store.conn,
            phone,
            self._filter_settings(region).region,
            include_hidden=include_hidden,
        )
        return list(iter_records(self.store, found.ids))

    def save_view(
        self,
        name: str,
        *,
        columns: str | Sequence[str] | None = None,
        filters: str | Sequence[str] | None = None,
        sort: str | Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """Save (or replace) a view of the acting user."""
        from crmkit.query.views import save_view

        view, _ = save_view(
            self.store,
            self.user,
            name,
            columns=_names(columns) or None,
            filters=_texts(filters),
            sort=_names(sort),
            settings=self._filter_settings(),
        )
        return view

    def views(self) -> list[dict[str, Any]]:
        """The acting user's views, by name."""
        from crmkit.query.views import list_views

        return list_views(self.store, self.user)

    def view(self, name: str) -> dict[str, Any]:
        from crmkit.query.views import get_view

        return get_view(self.store, self.user, name)

    def delete_view(self, name: str) -> None:
        from crmkit.query.views import delete_view

        delete_view(self.store, self.user, name)

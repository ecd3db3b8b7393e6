"""Selections of contacts and saved views: what `crm.contacts.select()` and `crm.views` give.

    >>> found = crm.contacts.select("nowak", filters={"tag": "VIP"}, limit=20)
    >>> [contact.name for contact in found]               # Contact objects, streamed
    >>> headers, rows = found.table(["name", "phones"])   # text cells, as `crm search` prints
    >>> found.write("vip.csv")                            # what `crm export` writes

A selection is compiled when it is made (a bad filter fails there) and read when
it is used, a chunk of contacts at a time, so a million contacts cost no more
memory than a thousand.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from crmkit.errors import CrmError

if TYPE_CHECKING:
    from crmkit.model import Contact, View
    from crmkit.settings import Settings
    from crmkit.store import Store
    from crmkit.store.sqlite.query.compiler import FilterSettings
    from crmkit.store.sqlite.query.selection import Selection

__all__ = [
    "ContactSelection",
    "Views",
    "Filters",
    "filter_texts",
    "name_list",
    "select_contacts",
    "filter_settings",
]

Filters = str | Sequence[str] | Mapping[str, Any] | None
"""Filters as one text (`"tag=VIP"`), several, or a dict (`{"tag": "VIP", "city": "Łódź"}`)."""

_OPERATOR_ENDS = ("=", "~", ">", "<")


def filter_texts(filters: Filters) -> list[str]:
    """Return filters as `FIELD OP VALUE` texts.

    A dict maps a field to its value (`=`), or a field with its operator to a value
    (`{"custom.budget>=": 1000}`); a list value means any of them (`" | "`).
    """
    if filters is None:
        return []
    if isinstance(filters, str):
        return [filters]
    if isinstance(filters, Mapping):
        texts = []
        for key, value in filters.items():
            joined = " | ".join(map(str, value)) if isinstance(value, (list, tuple)) else value
            shown = "" if joined is None else str(joined)
            operator = "" if str(key).endswith(_OPERATOR_ENDS) else "="
            texts.append(f"{key}{operator}{shown}")
        return texts
    return list(filters)


def name_list(values: str | Sequence[str] | None) -> list[str]:
    """Return column names or sort keys given as a list or one text with commas."""
    if values is None:
        return []
    if isinstance(values, str):
        return [part.strip() for part in values.split(",") if part.strip()]
    return [str(value) for value in values]


class ContactSelection:
    """Contacts chosen by text, filters, a view or a phone number, read when used.

    Iterating gives `Contact` objects; `ids()`, `records()`, `table()` and `write()`
    read the same contacts in the shapes the CLI prints. For a phone lookup,
    `number` is the number as stored (E.164), `hidden` counts hidden owners
    left out, and `blacklisted` says whether the number is on the blacklist
    (`blacklist_reason`: why); JSON written then carries both in every record.
    """

    def __init__(
        self,
        store: Store,
        selection: Selection,
        columns: list[str] | None = None,
        *,
        number: str | None = None,
        hidden: int = 0,
        blacklisted: bool = False,
        blacklist_reason: str | None = None,
    ) -> None:
        self._store = store
        self._selection = selection
        self.columns = columns
        self.number = number
        self.hidden = hidden
        self.blacklisted = blacklisted
        self.blacklist_reason = blacklist_reason

    def blacklist_record(self) -> dict[str, Any]:
        """Return what JSON says of a blacklisted number nobody owns:
        `{"number", "blacklisted": true, "blacklist_reason"}`."""
        return {
            "number": self.number,
            "blacklisted": self.blacklisted,
            "blacklist_reason": self.blacklist_reason,
        }

    @property
    def compiled(self) -> Selection:
        """Return the compiled query, for writes that take a whole selection in SQL."""
        return self._selection

    def ids(self) -> Iterator[int]:
        """Return the ids of the selected contacts, in order, streamed."""
        return self._selection.ids()

    def records(self) -> Iterator[dict[str, Any]]:
        """Return the JSON records (CONTRACT section 6) of the selected contacts."""
        from crmkit.store.sqlite.records import iter_records

        return iter_records(self._store, self._selection.ids())

    def __iter__(self) -> Iterator[Contact]:
        from crmkit.model import Contact

        return (Contact.from_record(record) for record in self.records())

    def table(
        self, columns: str | Sequence[str] | None = None, *, escape: bool = False
    ) -> tuple[list[str], Iterator[list[str]]]:
        """Return (headers, rows of text cells) for these columns.

        Columns are the names an import understands (`name`, `phones`,
        `custom.industry`, ...); default: the selection's, else the list columns.
        With `escape`, cells are made safe for a spreadsheet (CSV).
        """
        from crmkit.store.sqlite.query.columns import LIST_COLUMNS
        from crmkit.store.sqlite.tabular import read_table

        chosen = name_list(columns) or self.columns or list(LIST_COLUMNS)
        return read_table(self._store, self._selection, chosen, escape=escape)

    def write(
        self,
        target: str | Path | IO[str] | IO[bytes] | None = None,
        *,
        format: str = "csv",
        columns: str | Sequence[str] | None = None,
        escape: bool = True,
        bom: bool = False,
        every_field: bool = True,
        vcard_version: str = "4.0",
    ) -> int:
        """Write the contacts to a path (atomically), a text or binary stream, or stdout.

        `format` is csv, json, jsonl, xlsx (a workbook with the CSV columns), vcard
        (cards of `vcard_version` 3.0 or 4.0), google or outlook (their CSV files).
        CSV columns default to the selection's, else every field as a mapping
        target (so the file imports back with no mapping), or with
        `every_field=False` the columns `crm search` lists.
        The JSON records of a blacklisted number's owners carry `blacklisted`
        and `blacklist_reason`. Return how many contacts were written.
        """
        from crmkit.exporters.formats import OTHER_FORMATS

        if format in OTHER_FORMATS:
            from crmkit.exporters.formats import write_other_format

            if bom:
                raise CrmError("--bom is for CSV files (it tells Excel the file is UTF-8)")
            chosen_columns = name_list(columns) or None
            return write_other_format(
                self._store,
                self._selection,
                target,
                fmt=format,
                columns=chosen_columns,
                vcard_version=vcard_version,
            )
        from crmkit.exporters.outputs import text_output, text_stream
        from crmkit.store.sqlite.export import export_selection

        chosen = name_list(columns) or (self.columns if format == "csv" else None) or None
        if chosen is None and format == "csv" and not every_field:
            from crmkit.store.sqlite.query.columns import LIST_COLUMNS

            chosen = list(LIST_COLUMNS)
        options: dict[str, Any] = {"fmt": format, "columns": chosen, "escape": escape, "bom": bom}
        if self.blacklisted:
            options["extra"] = {"blacklisted": True, "blacklist_reason": self.blacklist_reason}
        if target is None or isinstance(target, (str, Path)):
            with text_output(target) as out:
                return export_selection(self._store, self._selection, out, **options)
        with text_stream(target) as out:
            return export_selection(self._store, self._selection, out, **options)


def filter_settings(settings: Settings) -> FilterSettings:
    """Return how filter values are read (phone region, time zone, day order)."""
    from crmkit.store.sqlite.query.compiler import FilterSettings

    return FilterSettings(settings.region, settings.timezone, settings.dayfirst)


def select_contacts(
    store: Store,
    user: str | None,
    settings: FilterSettings,
    *,
    text: str | None,
    filters: Filters,
    include_hidden: bool,
    sort: str | Sequence[str] | None,
    limit: int | None,
    view: str | None,
    columns: str | Sequence[str] | None,
    order: str,
) -> ContactSelection:
    """Compile a selection, with a saved view's settings under the ones given."""
    from crmkit.store.sqlite.query.selection import Query, compile_selection
    from crmkit.store.sqlite.query.views import apply_view

    chosen = name_list(columns) or None
    if columns is not None and not chosen:
        raise CrmError("--columns needs at least one column name, e.g. --columns name,phones")
    all_filters, chosen, all_sort = apply_view(
        store, user, view, filters=filter_texts(filters), columns=chosen, sort=name_list(sort)
    )
    query = Query(text, tuple(all_filters), include_hidden, tuple(all_sort), limit)
    selection = compile_selection(store, query, settings, order=order)
    return ContactSelection(store, selection, chosen)


class Views:
    """The acting user's saved views, as `crm.views`.

    >>> crm.views.save("vip", filters=["tag=VIP"], columns="name,phones")
    >>> crm.contacts.search(view="vip")
    """

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._user = settings.user
        self._settings = filter_settings(settings)

    def save(
        self,
        name: str,
        *,
        columns: str | Sequence[str] | None = None,
        filters: Filters = None,
        sort: str | Sequence[str] | None = None,
    ) -> View:
        """Save (or replace) a view and return it (`replaced` says which); raise
        `CrmError` for a bad filter."""
        from crmkit.store.sqlite.query.views import save_view

        view, replaced = save_view(
            self._store,
            self._user,
            name,
            columns=name_list(columns) or None,
            filters=filter_texts(filters),
            sort=name_list(sort),
            settings=self._settings,
        )
        return _view({**view, "replaced": replaced})

    def list(self) -> list[View]:
        """Return the acting user's views, by name."""
        from crmkit.store.sqlite.query.views import list_views

        return [_view(view) for view in list_views(self._store, self._user)]

    def __getitem__(self, name: str) -> View:
        """Return the view with this name; raise `NotFound` if there is none."""
        from crmkit.store.sqlite.query.views import get_view

        return _view(get_view(self._store, self._user, name))

    def delete(self, name: str) -> None:
        """Delete the view with this name; raise `NotFound` if there is none."""
        from crmkit.store.sqlite.query.views import delete_view

        delete_view(self._store, self._user, name)

    def __iter__(self) -> Iterator[View]:
        return iter(self.list())


def _view(data: dict[str, Any]) -> View:
    from crmkit.model import View

    return View(**data)

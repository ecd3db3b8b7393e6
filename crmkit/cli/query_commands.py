"""The bodies of `crm search`, `crm lookup` and `crm export`, importable without Typer.

`crmkit.cli.entry` calls these directly for a quick start (a phone system runs
`crm lookup` on every call); the Typer commands in `crmkit.cli.search` call the
same functions, so both paths print exactly the same thing. Only sqlite3 and
crmkit's own light modules are imported up front.
"""

from __future__ import annotations

import os
import sys
from typing import IO, Any, NamedTuple

from crmkit.errors import CrmError
from crmkit.query.compiler import FilterSettings
from crmkit.query.selection import (
    EXPORT_ORDER,
    NAME_ORDER,
    Query,
    Selection,
    compile_query,
    select_ids,
)
from crmkit.query.views import apply_view
from crmkit.store import Store

__all__ = [
    "QueryOptions",
    "open_store",
    "filter_settings",
    "run_search",
    "run_lookup",
    "run_export",
    "FORMATS",
]

FORMATS = ("table", "csv", "json", "jsonl")


class QueryOptions(NamedTuple):
    """Options shared by search, lookup and export, as typed on the command line."""

    text: str | None = None
    filters: tuple[str, ...] = ()
    columns: str | None = None
    sort: str | None = None
    limit: int | None = None
    fmt: str = "table"
    include_hidden: bool = False
    view: str | None = None


def open_store(db: str | None) -> Store:
    """The database named by --db, else CRM_DB, else ./crm.db (as `crmkit.open_crm`)."""
    return Store(db or os.environ.get("CRM_DB") or "crm.db")


def filter_settings(region: str | None = None) -> FilterSettings:
    """Region and time zone for reading filter values, from options and the environment."""
    return FilterSettings(
        region=(region or os.environ.get("CRM_REGION") or "PL").upper(),
        timezone=os.environ.get("CRM_TIMEZONE", "UTC"),
    )


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def resolve_query(
    store: Store, user: str | None, options: QueryOptions
) -> tuple[Query, list[str] | None]:
    """The query and column names, with a saved view's settings under the options."""
    columns = _split(options.columns) or None
    if options.columns is not None and not columns:
        raise CrmError("--columns needs at least one column name, e.g. --columns name,phones")
    filters, columns, sort = apply_view(
        store,
        user,
        options.view,
        filters=options.filters,
        columns=columns,
        sort=_split(options.sort),
    )
    query = Query(
        text=options.text,
        filters=tuple(filters),
        include_hidden=options.include_hidden,
        sort=tuple(sort),
        limit=options.limit,
    )
    return query, columns


def write_contacts(
    store: Store,
    selection: Selection,
    columns: list[str] | None,
    fmt: str,
    out: IO[str],
) -> int:
    """Print selected contacts: table or CSV of columns, or JSON records."""
    if fmt in ("json", "jsonl"):
        from crmkit.exporters.jsonfile import write_json, write_jsonl
        from crmkit.store.sqlite.records import iter_records

        records = iter_records(store, selection.ids())
        return write_json(out, records) if fmt == "json" else write_jsonl(out, records)
    from crmkit.exporters.tabular import TabularReader
    from crmkit.query.columns import LIST_COLUMNS, resolve_columns
    from crmkit.query.fields import QuerySchema

    specs = resolve_columns(columns or list(LIST_COLUMNS), QuerySchema(store.conn))
    headers = [spec.header for spec in specs]
    reader = TabularReader(store.conn, specs, escape=fmt == "csv")
    rows = reader.rows_for_selection(selection)
    if fmt == "csv":
        from crmkit.exporters.csvfile import write_csv

        return write_csv(out, headers, rows)
    from crmkit.cli.output import render_table

    table = list(rows)
    if table:
        out.write(render_table(headers, table) + "\n")
    return len(table)


def run_search(
    store: Store, user: str | None, options: QueryOptions, out: IO[str], err: IO[str]
) -> int:
    """`crm search`: print the matching contacts; exit code 0."""
    _check_format(options.fmt)
    query, columns = resolve_query(store, user, options)
    selection = compile_query(store.conn, query, filter_settings(), default_order=NAME_ORDER)
    count = write_contacts(store, selection, columns, options.fmt, out)
    if count == 0 and options.fmt == "table":
        err.write("No contacts match.\n")
    return 0


def run_lookup(
    store: Store,
    phone: str,
    options: QueryOptions,
    out: IO[str],
    err: IO[str],
    *,
    region: str | None = None,
) -> int:
    """`crm lookup PHONE`: the owners of the number (exit 0), or exit 1 when none."""
    from crmkit.query.lookup import lookup_phone

    _check_format(options.fmt)
    settings = filter_settings(region)
    found = lookup_phone(store.conn, phone, settings.region, include_hidden=options.include_hidden)
    if not found.ids:
        hidden = ""
        if found.hidden:
            many = "contacts do" if found.hidden > 1 else "contact does"
            hidden = f" ({found.hidden} hidden {many}; add --include-hidden)"
        err.write(f"no contact has {found.number}{hidden}\n")
        return 1
    columns = _split(options.columns) or None
    if options.columns is not None and not columns:
        raise CrmError("--columns needs at least one column name, e.g. --columns name,phones")
    selection = select_ids(
        store.conn, found.ids, sort=tuple(_split(options.sort)), limit=options.limit
    )
    write_contacts(store, selection, columns, options.fmt, out)
    return 0


def run_export(
    store: Store,
    user: str | None,
    options: QueryOptions,
    err: IO[str],
    *,
    output: str | None,
    escape: bool,
    bom: bool,
) -> int:
    """`crm export`: write the selection (saying so on `err` for a file); exit code 0."""
    from crmkit.exporters.export import export_selection, text_output

    if options.fmt == "table":
        raise CrmError("export writes csv, json or jsonl; choose one with --format")
    query, columns = resolve_query(store, user, options)
    if options.columns is None and options.fmt != "csv":
        columns = None
    selection = compile_query(store.conn, query, filter_settings(), default_order=EXPORT_ORDER)
    with text_output(output) as out:
        count = export_selection(
            store, selection, out, fmt=options.fmt, columns=columns, escape=escape, bom=bom
        )
    if output and output != "-":
        err.write(f"Exported {count} {'contact' if count == 1 else 'contacts'} to {output}.\n")
    return 0


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise CrmError(f"unknown format {fmt!r}; use one of: {', '.join(FORMATS)}")


def guarded(run: Any, *args: Any, err: IO[str] | None = None, **kwargs: Any) -> int:
    """Run a command body the way the CLI does: CrmError -> "Error: ..." and exit 1."""
    err = err or sys.stderr
    try:
        return int(run(*args, **kwargs))
    except CrmError as exc:
        err.write(f"Error: {exc}\n")
        return 1
    except BrokenPipeError:
        return 0

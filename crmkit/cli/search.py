"""`crm search`, `crm export`, `crm lookup` and `crm view`: finding and handing out contacts.

Contacts are printed by `crmkit.cli.contact_output`, shared with the quick path
of `crm lookup` (`crmkit.cli.entry`), so a command prints the same thing
whichever way it was started.
"""

from __future__ import annotations

from enum import Enum

import typer

from crmkit.cli.app import get_crm
from crmkit.cli.contact_output import print_contacts, print_owners
from crmkit.cli.output import OutputFormat, emit

__all__ = ["register"]

view_app = typer.Typer(
    help="Saved views: named columns, filters and sort order.", no_args_is_help=True
)


class ExportFormat(str, Enum):
    csv = "csv"
    json = "json"
    jsonl = "jsonl"
    xlsx = "xlsx"
    vcard = "vcard"
    google = "google"
    outlook = "outlook"


FILTER = typer.Option(
    None, "--filter", help="FIELD OP VALUE, e.g. city=Gliwice or tag='VIP | Lead'; repeat to AND."
)
COLUMNS = typer.Option(
    None, "--columns", "-c", help="Columns for table/CSV, e.g. name,phones,custom.industry."
)
SORT = typer.Option(None, "--sort", help="Sort by fields, e.g. name or -created_at,name.")
LIMIT = typer.Option(None, "--limit", "-n", min=0, help="At most N contacts.")
FORMAT = typer.Option(OutputFormat.table, "--format", "-f", help="table, csv, json or jsonl.")
HIDDEN = typer.Option(False, "--include-hidden", help="Include hidden contacts.")
VIEW = typer.Option(None, "--view", help="Start from a saved view (its filters, columns, sort).")


def search(
    ctx: typer.Context,
    text: list[str] = typer.Argument(None, metavar="TEXT", help="Words to look for."),
    filters: list[str] = FILTER,
    columns: str = COLUMNS,
    sort: str = SORT,
    limit: int = LIMIT,
    fmt: OutputFormat = FORMAT,
    include_hidden: bool = HIDDEN,
    view: str = VIEW,
) -> None:
    """Find contacts by name, e-mail, phone, organization or city, and by filters.

    Examples: `crm search nowak`, `crm search lodz --filter tag=VIP --limit 20`,
    `crm search --filter "custom.industry=IT | Handel" --format csv`
    """
    found = get_crm(ctx, create=False).contacts.select(
        " ".join(text) if text else None,
        filters=filters,
        columns=columns,
        sort=sort,
        limit=limit,
        include_hidden=include_hidden,
        view=view,
    )
    if print_contacts(found, fmt.value) == 0 and fmt is OutputFormat.table:
        typer.echo("No contacts match.", err=True)


def lookup(
    ctx: typer.Context,
    phone: str = typer.Argument(..., help="The number, in any usual format."),
    region: str = typer.Option(
        None,
        "--region",
        help="Country of numbers without a country code (default CRM_REGION, else PL).",
    ),
    columns: str = COLUMNS,
    sort: str = SORT,
    limit: int = LIMIT,
    fmt: OutputFormat = FORMAT,
    include_hidden: bool = HIDDEN,
) -> None:
    """The contacts that own a phone number (caller identification); exit 1 if none.

    Example: `crm lookup "601 234 567"`
    """
    owners = get_crm(ctx, create=False).contacts.owners(
        phone,
        region=region,
        include_hidden=include_hidden,
        sort=sort,
        limit=limit,
        columns=columns,
    )
    raise typer.Exit(print_owners(owners, fmt.value))


def export(
    ctx: typer.Context,
    filters: list[str] = FILTER,
    text: str = typer.Option(None, "--text", help="Only contacts found by this full-text search."),
    columns: str = COLUMNS,
    fmt: ExportFormat = typer.Option(
        ExportFormat.csv,
        "--format",
        "-f",
        help="csv, json, jsonl, xlsx (needs -o), vcard, or google/outlook (their CSV).",
    ),
    vcard_version: str = typer.Option(
        "4.0", "--vcard-version", metavar="3.0|4.0", help="vCard version of --format vcard."
    ),
    output: str = typer.Option(None, "--output", "-o", help="File to write (default: stdout)."),
    no_escape: bool = typer.Option(
        False, "--no-escape", help="Do not protect cells that a spreadsheet would run as formulas."
    ),
    bom: bool = typer.Option(False, "--bom", help="Start the CSV with a BOM, for Excel."),
    sort: str = SORT,
    limit: int = LIMIT,
    include_hidden: bool = HIDDEN,
    view: str = VIEW,
) -> None:
    """Write contacts as CSV (re-importable with no mapping), JSON, JSON Lines, an Excel
    workbook, vCard cards, or CSV files for Google Contacts and Outlook.

    Examples: `crm export -o kontakty.csv --bom`, `crm export --filter tag=VIP --format jsonl`,
    `crm export --format xlsx -o kontakty.xlsx`, `crm export --format vcard -o telefon.vcf`
    """
    count = get_crm(ctx, create=False).export(
        output,
        format=fmt.value,
        text=text,
        filters=filters,
        columns=columns,
        sort=sort,
        limit=limit,
        include_hidden=include_hidden,
        view=view,
        escape=not no_escape,
        bom=bom,
        vcard_version=vcard_version,
    )
    if output and output != "-":
        noun = "contact" if count == 1 else "contacts"
        typer.echo(f"Exported {count} {noun} to {output}.", err=True)


@view_app.command("save")
def view_save(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Name of the view."),
    columns: str = COLUMNS,
    filters: list[str] = FILTER,
    sort: str = SORT,
) -> None:
    """Save (or replace) a view of your own.

    Example: `crm view save vip --columns name,phones --filter tag=VIP`
    """
    crm = get_crm(ctx)
    view = crm.views.save(name, columns=columns, filters=filters, sort=sort)
    owner = f" for {crm.user}" if crm.user else ""
    typer.echo(f"View {view.name!r} {'updated' if view.replaced else 'saved'}{owner}.")


@view_app.command("list")
def view_list(
    ctx: typer.Context,
    fmt: OutputFormat = FORMAT,
) -> None:
    """Your saved views (those of the --as / CRM_USER user)."""
    views = [view.to_record() for view in get_crm(ctx, create=False).views]
    if not views and fmt is OutputFormat.table:
        typer.echo(
            "No views saved yet; save one with `crm view save NAME --columns ...`.", err=True
        )
        return
    emit(views, fmt, ["name", "columns", "filters", "sort"])


@view_app.command("delete")
def view_delete(
    ctx: typer.Context, name: str = typer.Argument(..., help="Name of the view.")
) -> None:
    """Delete one of your views."""
    get_crm(ctx).views.delete(name)
    typer.echo(f"View {name!r} deleted.")


def register(app: typer.Typer) -> None:
    app.command("search")(search)
    app.command("export")(export)
    app.command("lookup")(lookup)
    app.add_typer(view_app, name="view")

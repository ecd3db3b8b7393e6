"""`crm blacklist`: phone numbers to block, kept in E.164 whatever the spelling typed."""

from __future__ import annotations

import typer

from crmkit.cli.app import get_crm
from crmkit.cli.listing import COLUMNS, LIMIT, SORT, emit_listing
from crmkit.cli.output import OutputFormat

__all__ = ["register"]

blacklist_app = typer.Typer(
    help="Blocked numbers: `crm blacklist add 601234567 --reason spam`, list, remove.",
    no_args_is_help=True,
)


@blacklist_app.command("add")
def blacklist_add(
    ctx: typer.Context,
    number: str = typer.Argument(..., help="The number, in any usual format."),
    reason: str = typer.Option(None, "--reason", help="Why it is blocked."),
) -> None:
    """Block a number; a number listed already gets the new reason."""
    entry = get_crm(ctx).blacklist.add(number, reason=reason)
    why = f" ({entry.reason})" if entry.reason else ""
    if entry.listed_before and reason:
        typer.echo(f"{entry.number} was blacklisted already; its reason is now {entry.reason!r}.")
    elif entry.listed_before:
        typer.echo(f"{entry.number} was blacklisted already{why}.")
    else:
        typer.echo(f"Blacklisted {entry.number}{why}.")


@blacklist_app.command("remove")
def blacklist_remove(
    ctx: typer.Context, number: str = typer.Argument(..., help="The number, in any format.")
) -> None:
    """Unblock a number; exit 1 if it is not listed."""
    entry = get_crm(ctx).blacklist.remove(number)
    typer.echo(f"{entry.number} is no longer blacklisted.")


@blacklist_app.command("list")
def blacklist_list(
    ctx: typer.Context,
    fmt: OutputFormat = typer.Option(
        OutputFormat.table, "--format", "-f", help="table, csv, json or jsonl."
    ),
    columns: str = COLUMNS,
    sort: str = SORT,
    limit: int = LIMIT,
) -> None:
    """Every blocked number with its reason, when and by whom it was added."""
    entries = [entry.to_record() for entry in get_crm(ctx, create=False).blacklist]
    if not entries and fmt is OutputFormat.table:
        typer.echo("No numbers are blacklisted; add one with `crm blacklist add NUMBER`.", err=True)
        return
    emit_listing(entries, fmt, ["number", "reason", "added_at", "user"], columns, sort, limit)


def register(app: typer.Typer) -> None:
    app.add_typer(blacklist_app, name="blacklist")

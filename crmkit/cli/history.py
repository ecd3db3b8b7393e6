"""`crm history`: what changed in a contact, who changed it and from where."""

from __future__ import annotations

from typing import Annotated

import typer

from crmkit.cli.app import get_crm
from crmkit.cli.output import OutputFormat, emit

__all__ = ["register"]


def history(
    ctx: typer.Context,
    contact_id: Annotated[int, typer.Argument(metavar="ID", help="The contact's id.")],
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", help="At most N entries (the newest).")
    ] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table, csv, json or jsonl.")
    ] = OutputFormat.table,
) -> None:
    """Changes of one contact, newest first, field by field (old → new).

    Example: `crm history 7`, `crm history 7 --format json`
    """
    entries = get_crm(ctx, create=False).contacts.history(contact_id, limit=limit)
    if fmt is OutputFormat.table or fmt is OutputFormat.csv:
        if not entries and fmt is OutputFormat.table:
            typer.echo(f"No changes recorded for contact {contact_id}.")
            return
        rows = [
            {
                "at": entry.at,
                "user": entry.user,
                "source": entry.source,
                "action": entry.action,
                "changes": entry.summary,
            }
            for entry in entries
        ]
        emit(rows, fmt, ["at", "user", "source", "action", "changes"])
        return
    emit((entry.to_record() for entry in entries), fmt)


def register(app: typer.Typer) -> None:
    app.command("history")(history)

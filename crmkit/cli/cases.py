"""`crm case open|close|list`: a contact's matters, gathering its events and notes."""

from __future__ import annotations

import typer

from crmkit.cli.app import get_crm
from crmkit.cli.output import OutputFormat, emit

__all__ = ["register"]

case_app = typer.Typer(
    help="Cases: a contact's matters; `--case` on events, notes and the timeline.",
    no_args_is_help=True,
)

FORMAT = typer.Option(OutputFormat.table, "--format", "-f", help="table, csv, json or jsonl.")


@case_app.command("open")
def case_open(
    ctx: typer.Context,
    contact_id: int = typer.Argument(..., help="The contact's id."),
    title: str = typer.Argument(..., help="What the case is about."),
    guardian: str = typer.Option(None, "--guardian", help="The user in charge of it."),
) -> None:
    """Open a case: `crm case open 7 "Reklamacja 2024/05" --guardian "Anna Zając"`."""
    case = get_crm(ctx).cases.open(contact_id, title, guardian=guardian)
    typer.echo(f"Case {case.id} opened for {case.contact_name}: {case.title}.")


@case_app.command("close")
def case_close(
    ctx: typer.Context, case_id: int = typer.Argument(..., help="The case's id.")
) -> None:
    """Close a case."""
    case = get_crm(ctx).cases.close(case_id)
    typer.echo(f"Case {case.id} ({case.title}) closed.")


@case_app.command("list")
def case_list(
    ctx: typer.Context,
    contact_id: int = typer.Argument(None, help="Only this contact's cases."),
    open_only: bool = typer.Option(False, "--open", help="Only cases not closed."),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Cases, newest first, with how many events and notes each holds."""
    cases = [
        case.to_record()
        for case in get_crm(ctx, create=False).cases.list(contact_id, open_only=open_only)
    ]
    if not cases and fmt is OutputFormat.table:
        typer.echo("No cases.", err=True)
        return
    columns = ["id", "contact_id", "contact_name", "title", "status", "guardian", "opened_at",
               "closed_at", "events", "notes"]  # fmt: skip
    emit(cases, fmt, columns)


def register(app: typer.Typer) -> None:
    app.add_typer(case_app, name="case")

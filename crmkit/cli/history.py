"""`crm history`, `crm merge`, `crm merges` and `crm undo`: what changed, and taking it back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from crmkit.cli.app import get_crm
from crmkit.cli.output import OutputFormat, emit

if TYPE_CHECKING:
    from crmkit.history import UndoReport

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


undo_app = typer.Typer(help="Take an import or a merge back: `crm undo import 3`.")

DryRun = Annotated[
    bool, typer.Option("--dry-run", help="Say what would be undone; change nothing.")
]
Force = Annotated[
    bool,
    typer.Option("--force", help="Undo what is still as it was left; skip contacts changed since."),
]


@undo_app.command("import")
def undo_import(
    ctx: typer.Context,
    import_id: Annotated[int, typer.Argument(metavar="N", help="The import's id (`crm imports`).")],
    dry_run: DryRun = False,
    force: Force = False,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table or json.")
    ] = OutputFormat.table,
) -> None:
    """Remove what import N created and give back what it replaced.

    Example: `crm undo import 3 --dry-run`, then `crm undo import 3`
    """
    report = get_crm(ctx).imports.undo(import_id, dry_run=dry_run, force=force)
    _print_undo(report, fmt)


@undo_app.command("merge")
def undo_merge(
    ctx: typer.Context,
    merge_id: Annotated[int, typer.Argument(metavar="N", help="The merge's id (`crm merges`).")],
    dry_run: DryRun = False,
    force: Annotated[
        bool, typer.Option("--force", help="Undo even if KEEP changed since (its new values stay).")
    ] = False,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table or json.")
    ] = OutputFormat.table,
) -> None:
    """Bring back the contacts merge N merged, with their ids, events, notes and files.

    Example: `crm undo merge 2`
    """
    report = get_crm(ctx).merges.undo(merge_id, dry_run=dry_run, force=force)
    _print_undo(report, fmt)


def merge(
    ctx: typer.Context,
    keep: Annotated[int, typer.Argument(metavar="KEEP", help="The contact that stays.")],
    others: Annotated[
        list[int], typer.Argument(metavar="OTHER...", help="Contacts merged into KEEP.")
    ],
    take: Annotated[
        list[str] | None,
        typer.Option(
            "--take", metavar="FIELD=ID", help="Take FIELD from contact ID, e.g. stage=40."
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the contact that would result; change nothing.")
    ] = False,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table or json.")
    ] = OutputFormat.table,
) -> None:
    """Make one contact of duplicates: KEEP's values win, empty ones are filled, lists united.

    Example: `crm merge 12 40 --take address.city=40`
    """
    chosen = {}
    for pair in take or []:
        name, _, contact_id = pair.partition("=")
        if not name.strip() or not contact_id.strip().isdigit():
            raise typer.BadParameter(
                f"{pair!r} is not FIELD=ID, e.g. stage=40", param_hint="--take"
            )
        chosen[name.strip()] = int(contact_id)
    result = get_crm(ctx).contacts.merge(keep, *others, take=chosen, dry_run=dry_run)
    if fmt is not OutputFormat.table:
        emit([result.to_record()], fmt)
        return
    merged = ", ".join(str(other) for other in result.merged_ids)
    moved = ", ".join(f"{count} {name}" for name, count in result.moved.items() if count)
    if dry_run:
        typer.echo(
            f"Merge (dry run): {merged} into {keep} would give this contact; nothing changed."
        )
    else:
        typer.echo(
            f"Merge {result.id}: {merged} into {keep}. Undo with `crm undo merge {result.id}`."
        )
    if moved:
        typer.echo(f"Moved to {keep}: {moved}.")
    contact = result.contact
    if contact is not None:
        typer.echo(f"{contact.id}: {contact.name}")
        for label, values in (
            ("phones", [phone.number for phone in contact.phones]),
            ("e-mails", [email.address for email in contact.emails]),
            ("tags", contact.tags),
        ):
            if values:
                typer.echo(f"  {label}: {', '.join(values)}")


def merges(
    ctx: typer.Context,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table, csv, json or jsonl.")
    ] = OutputFormat.table,
) -> None:
    """The merges made in this base, newest first.

    Example: `crm merges`
    """
    found = get_crm(ctx, create=False).merges.list()
    if not found and fmt is OutputFormat.table:
        typer.echo("No merges yet.")
        return
    emit(
        (merge.to_record() for merge in found),
        fmt,
        ["id", "at", "user", "keep", "merged", "status"],
    )


def _print_undo(report: UndoReport, fmt: OutputFormat) -> None:
    if fmt is OutputFormat.table:
        typer.echo(report.summary)
    else:
        emit([report.to_record()], fmt)


def register(app: typer.Typer) -> None:
    app.command("history")(history)
    app.command("merge")(merge)
    app.command("merges")(merges)
    app.add_typer(undo_app, name="undo")

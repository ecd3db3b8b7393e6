"""`crm duplicates`: groups of contacts that are probably the same."""

from __future__ import annotations

import typer

from crmkit.cli.app import get_crm
from crmkit.cli.output import OutputFormat, emit

__all__ = ["register"]

_COLUMNS = ["score", "ids", "names", "reasons"]


def duplicates(
    ctx: typer.Context,
    by: str = typer.Option(
        None,
        "--by",
        help="Evidence to use, comma separated: phone, email, nip, pesel, regon, name"
        " (default: all).",
    ),
    min_score: float = typer.Option(
        0.8,
        "--min-score",
        min=0.0,
        max=1.0,
        help="Lowest score of a link that groups two contacts (0 to 1).",
    ),
    fmt: OutputFormat = typer.Option(
        OutputFormat.table, "--format", "-f", help="table, csv, json or jsonl."
    ),
) -> None:
    """Groups of probable duplicates, each with a score and the reasons.

    Phones compare as E.164, e-mails without case, PESEL/NIP/REGON by digits, and
    names (word order, case and Polish letters aside) among contacts with the same
    city, postal code, organization or company e-mail domain (in a big city: the
    same name at the same street). Persons and organizations are never grouped.

    Examples: `crm duplicates`, `crm duplicates --by phone,email --min-score 0.9 -f json`
    """
    groups = get_crm(ctx, create=False).contacts.duplicates(by=by, min_score=min_score)
    if not groups and fmt is OutputFormat.table:
        typer.echo(f"No duplicates found (score {min_score:g} or more).", err=True)
        return
    records = [group.to_record() for group in groups]
    if fmt in (OutputFormat.table, OutputFormat.csv):
        for record in records:
            record["score"] = f"{record['score']:.2f}"
    emit(records, fmt, _COLUMNS)


def register(app: typer.Typer) -> None:
    app.command("duplicates")(duplicates)

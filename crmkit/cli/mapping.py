"""`crm mapping suggest FILE`: a mapping guessed from a file, to check and then import with."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from crmkit.cli.app import get_crm

__all__ = ["register"]

mapping_app = typer.Typer(help="Mappings: `crm mapping suggest FILE -o map.yaml`.")


@mapping_app.command("suggest")
def mapping_suggest(
    ctx: typer.Context,
    file: str = typer.Argument(..., help="CSV, TSV, JSON, JSON Lines or workbook file."),
    output: str = typer.Option(
        None, "--output", "-o", help="Write the mapping to this file (default: stdout)."
    ),
    force: bool = typer.Option(False, "--force", help="Replace an existing output file."),
    sheet: str = typer.Option(None, "--sheet", metavar="NAME|N", help="The workbook's sheet."),
    encoding: str = typer.Option(None, "--encoding", help="Force the file's encoding."),
    delimiter: str = typer.Option(None, "--delimiter", help="Force the CSV delimiter."),
) -> None:
    """Guess a commented YAML mapping from the file's header and a sample of its values.

    Tags, users and custom fields of the base (if it exists) are recognised in the
    values. Example: `crm mapping suggest kontakty.csv -o map.yaml`, then
    `crm import kontakty.csv --mapping map.yaml --dry-run`.
    """
    if output and output != "-" and Path(output).exists() and not force:
        raise typer.BadParameter(f"{output} exists; give --force to replace it", param_hint="-o")
    if _base_exists(ctx):
        suggestion = get_crm(ctx, create=False).imports.suggest(
            file, sheet=sheet, encoding=encoding, delimiter=delimiter
        )
    else:
        from crmkit.suggest import suggest_mapping

        suggestion = suggest_mapping(
            None, file, sheet=sheet, encoding=encoding, delimiter=delimiter
        )
    if not output or output == "-":
        typer.echo(suggestion.text, nl=False)
        return
    Path(output).write_text(suggestion.text, encoding="utf-8")
    mapped = sum(guess.target is not None for guess in suggestion.columns)
    typer.echo(
        f"Wrote {output}: {mapped} of {len(suggestion.columns)} columns mapped"
        f" (target {suggestion.target}); check it, then"
        f" crm import {file} --mapping {output} --dry-run",
        err=True,
    )


def _base_exists(ctx: typer.Context) -> bool:
    """Whether the base the command names is there (a server address always counts)."""
    db = ctx.find_root().obj.get("db") or os.environ.get("CRM_DB") or "crm.db"
    return "://" in str(db) or Path(db).exists()


def register(app: typer.Typer) -> None:
    app.add_typer(mapping_app, name="mapping")

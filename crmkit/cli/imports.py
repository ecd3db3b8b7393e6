"""`crm import FILE` and `crm imports`: bring files in and look back at what came in."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING, Any

import typer

from crmkit.cli.app import get_crm
from crmkit.cli.listing import COLUMNS, SORT, emit_listing
from crmkit.cli.output import OutputFormat, dump_json, emit

if TYPE_CHECKING:
    from crmkit.model import ImportReport

__all__ = ["register", "print_report"]


class ReportFormat(str, Enum):
    """What an import's summary can be printed as."""

    table = "table"
    json = "json"
    jsonl = "jsonl"


imports_app = typer.Typer(help="Import history: `crm imports`, `crm imports show ID`.")


def import_command(
    ctx: typer.Context,
    file: str = typer.Argument(
        ...,
        help="CSV, TSV, JSON array, JSON Lines, workbook (.xlsx .xls .ods) or vCard file,"
        " a mailbox (.mbox) or a folder of .eml messages; - for stdin.",
    ),
    mapping: str = typer.Option(
        None, "--mapping", "-m", help="YAML mapping of columns to targets."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Do all the work and report, but write nothing."
    ),
    create_missing: bool = typer.Option(
        False, "--create-missing", help="Create unknown tags, users, options and custom fields."
    ),
    strict: bool = typer.Option(
        False, "--strict", help="Reject rows with unknown tags, users, options or custom fields."
    ),
    all_or_nothing: bool = typer.Option(
        False, "--all-or-nothing", help="Write nothing if any row is rejected."
    ),
    encoding: str = typer.Option(
        None, "--encoding", help="Force the file's encoding (e.g. cp1250)."
    ),
    delimiter: str = typer.Option(None, "--delimiter", help="Force the CSV delimiter (, ; tab |)."),
    preset: str = typer.Option(
        None,
        "--preset",
        metavar="google|outlook|crmkit",
        help="Read a Google Contacts or Outlook CSV export, or target-named headers"
        " (default without --mapping: recognised from the header).",
    ),
    sheet: str = typer.Option(
        None,
        "--sheet",
        metavar="NAME|N",
        help="The workbook's sheet, by name or number from 1 (default: the first whose"
        " header holds the mapping's columns).",
    ),
    fmt: ReportFormat = typer.Option(
        ReportFormat.table, "--format", "-f", help="table or json summary."
    ),
    include_erased: bool = typer.Option(
        False, "--include-erased", help="Import rows of persons erased under GDPR too."
    ),
) -> None:
    """Import contacts (or events, with a `target: events` mapping).

    Google and Outlook exports and vCard files need no mapping; a mailbox or a folder
    of .eml files becomes e-mail events on the contacts its messages name.
    Examples: `crm import kontakty.csv --mapping map.yaml --dry-run`,
    `crm import kontakty.xlsx --sheet Klienci --mapping map.yaml`, `crm import telefon.vcf`
    """
    crm = get_crm(ctx)
    shown = OutputFormat(fmt.value)
    bar = _progress(shown)
    if file != "-" and os.path.isfile(file):
        bar.total = os.path.getsize(file)
    with bar as progress:
        report = crm.imports.run(
            file,
            mapping=mapping,
            dry_run=dry_run,
            create_missing=create_missing,
            strict=strict,
            all_or_nothing=all_or_nothing,
            encoding=encoding,
            delimiter=delimiter,
            sheet=sheet,
            preset=preset,
            progress=progress,
            include_erased=include_erased,
        )
    try:
        print_report(report, shown)
    except BrokenPipeError:
        # `crm import ... | head -3`: the import is done; its exit code still says how.
        sys.stderr.close()
    raise typer.Exit(report.exit_code)


def print_report(report: ImportReport, fmt: OutputFormat) -> None:
    """The summary at the end of an import, as sentences or as one JSON object."""
    if fmt in (OutputFormat.json, OutputFormat.jsonl):
        typer.echo(dump_json(report.to_record()))
        return
    if report.rows_read == 0 and report.status in ("nothing to import", "finished"):
        typer.echo(f"{report.file}: no rows to import (the file holds none); nothing imported.")
        return
    prefix = "Dry run, nothing written: " if report.dry_run else ""
    ident = f"Import {report.import_id}" if report.import_id else "Import"
    where = f", sheet {report.sheet!r}" if report.sheet else ""
    typer.echo(f"{prefix}{ident} of {report.file}{where}: {report.status}.")
    if report.preset:
        typer.echo(
            f"  preset: {report.preset} (the columns were read as {_PRESET_WORDS[report.preset]})"
        )
    typer.echo(
        f"  rows read {report.rows_read}, created {report.created}, updated {report.updated}, "
        f"skipped {report.skipped}, rejected {report.rejected}, warnings {report.warnings}"
    )
    if report.organizations_created:
        typer.echo(
            f"  organizations created for the organization links: {report.organizations_created}"
        )
    if report.campaign is not None:
        typer.echo(
            f"  campaign {report.campaign!r}: enrolled {report.enrolled},"
            f" status changed {report.statuses_set}"
        )
    elif report.enrolled:
        typer.echo(f"  campaign enrollments added: {report.enrolled}")
    if report.records_added:
        typer.echo(f"  group records added: {report.records_added}")
    if report.ignored_columns:
        typer.echo(f"  ignored columns: {', '.join(report.ignored_columns)}")
    for problem in report.errors:
        typer.echo(f"  rejected {problem.sentence()}")
    for problem in report.warning_details:
        typer.echo(f"  warning {problem.sentence()}")
    shown = len(report.errors) + len(report.warning_details)
    if shown < report.rejected + report.warnings and report.import_id:
        typer.echo(f"  ... all of them: crm imports show {report.import_id}")


_PRESET_WORDS = {
    "google": "a Google Contacts export",
    "outlook": "an Outlook export",
    "crmkit": "crmkit's target names",
}


class _progress:
    """A rich progress bar on stderr for imports that take more than a moment.

    Only on a terminal and never with JSON output; it appears after half a second,
    so small files print nothing but their summary.
    """

    _DELAY = 0.5

    def __init__(self, fmt: OutputFormat) -> None:
        self.enabled = fmt is OutputFormat.table and sys.stderr.isatty()
        self.bar: Any = None
        self.task: Any = None
        self.started = time.monotonic()

    def __enter__(self) -> Callable[[int, int], None] | None:
        return self.update if self.enabled else None

    def update(self, done: int, rows: int) -> None:
        if self.bar is None:
            if time.monotonic() - self.started < self._DELAY:
                return
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(
                TextColumn("importing"),
                BarColumn(),
                TextColumn("{task.fields[rows]} rows"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task("import", total=self.total, rows=0)
        self.bar.update(self.task, completed=done, rows=rows)

    total: int | None = None

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


@imports_app.callback(invoke_without_command=True)
def imports_list(
    ctx: typer.Context,
    limit: int = typer.Option(None, "--limit", "-n", help="Show only the newest N."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", "-f"),
    columns: str = COLUMNS,
    sort: str = SORT,
) -> None:
    """Import history, newest first."""
    if ctx.invoked_subcommand is not None:
        return
    default = [
        "id",
        "target",
        "file",
        "started_at",
        "status",
        "rows_read",
        "created",
        "updated",
        "rejected",
        "warnings",
    ]
    reports = get_crm(ctx, create=False).imports.list(limit)
    history = (
        {key: value for key, value in report.history_record().items() if key != "mapping"}
        for report in reports
    )
    emit_listing(history, fmt, default, columns, sort, None)


@imports_app.command("show")
def imports_show(
    ctx: typer.Context,
    import_id: int = typer.Argument(..., metavar="ID"),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", "-f"),
) -> None:
    """One import and its rejected rows and warnings."""
    report = get_crm(ctx, create=False).imports[import_id]
    summary = report.history_record()
    whole = fmt in (OutputFormat.json, OutputFormat.jsonl)  # a table or CSV cuts long values
    problems = [
        {
            "row": p.row,
            "column": p.column,
            "value": p.value if whole else p.value_shown(),
            "reason": p.reason,
            "level": p.level,
        }
        for p in report.problems
    ]
    if whole:
        typer.echo(dump_json({**summary, "problems": problems}))
        return
    typer.echo(
        f"Import {summary['id']} of {summary['file']} ({summary['target']}),"
        f" {summary['started_at']}: "
        f"{summary['status']}; rows read {summary['rows_read']}, created {summary['created']}, "
        f"updated {summary['updated']}, rejected {summary['rejected']},"
        f" warnings {summary['warnings']}."
    )
    if problems:
        emit(problems, fmt, ["row", "level", "column", "value", "reason"])


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)
    app.add_typer(imports_app, name="imports")

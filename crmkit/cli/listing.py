"""`--columns`, `--sort` and `--limit` for the commands that list reference data and imports.

The list commands (`crm tag list`, `crm user list`, `crm field list`, `crm imports`)
print plain dicts; these options choose, order and cut them the same way
everywhere. Contacts have their own, richer columns (`crmkit.store.sqlite.query.columns`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import typer

from crmkit.cli.output import OutputFormat, emit, parse_columns

__all__ = ["COLUMNS", "SORT", "LIMIT", "emit_listing"]

COLUMNS = typer.Option(None, "--columns", "-c", help="Columns for table/CSV, comma separated.")
SORT = typer.Option(None, "--sort", help="Sort by columns, e.g. name or -id.")
LIMIT = typer.Option(None, "--limit", "-n", min=0, help="At most N rows.")


def emit_listing(
    rows: Iterable[dict[str, Any]],
    fmt: OutputFormat,
    default_columns: Sequence[str],
    columns: str | None,
    sort: str | None,
    limit: int | None,
) -> int:
    """Print rows with the chosen (or default) columns, order and limit."""
    chosen = parse_columns(columns) or list(default_columns)
    return emit(rows, fmt, chosen, sort=sort, limit=limit)

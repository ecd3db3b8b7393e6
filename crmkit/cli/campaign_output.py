"""Printing a campaign's work list, shared by `crm campaign list` and its quick path.

It imports neither Typer nor Rich, so that the quick path (`crmkit.cli.entry`) prints
exactly what the Typer command prints.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, TYPE_CHECKING

from crmkit.cli.output import emit, parse_columns

if TYPE_CHECKING:
    from crmkit.campaigns import Enrollment

__all__ = ["ENROLLMENT_COLUMNS", "print_enrollments"]

# What a table or CSV shows unless --columns says otherwise: enough for a dialer.
ENROLLMENT_COLUMNS = ("id", "name", "phone", "status", "agent", "callback", "note")


def print_enrollments(
    rows: Iterable[Enrollment], fmt: str, columns: str | None, out: IO[str] | None = None
) -> int:
    """Print the rows as a table, CSV (chosen columns) or JSON; return how many."""
    chosen = parse_columns(columns) or list(ENROLLMENT_COLUMNS)
    return emit((row.to_record() for row in rows), fmt, chosen, out)

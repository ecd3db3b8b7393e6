"""Printing a campaign's work list, shared by `crm campaign list` and its quick path.

It imports neither Typer nor Rich, so that the quick path (`crmkit.cli.entry`) prints
exactly what the Typer command prints. CSV and JSON Lines are written as the rows
come, so a list of a million contacts for a dialer takes no more memory than fifty.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING

from crmkit.cli.output import cell_text, emit, parse_columns
from crmkit.errors import CrmError

if TYPE_CHECKING:
    from crmkit.campaigns import Enrollment

__all__ = ["ENROLLMENT_COLUMNS", "print_enrollments"]

# What a table or CSV shows unless --columns says otherwise: enough for a dialer.
ENROLLMENT_COLUMNS = ("id", "name", "phone", "status", "agent", "callback", "note")
_KNOWN = (*ENROLLMENT_COLUMNS, "phones", "email", "enrolled_at", "updated_at")


def print_enrollments(
    rows: Iterable[Enrollment], fmt: str, columns: str | None, out: IO[str] | None = None
) -> int:
    """Print the rows as a table, CSV (chosen columns) or JSON; return how many."""
    chosen = parse_columns(columns) or list(ENROLLMENT_COLUMNS)
    unknown = [name for name in chosen if name not in _KNOWN]
    if unknown:
        raise CrmError(f"unknown column {unknown[0]!r}; columns: {', '.join(_KNOWN)}")
    if fmt != "csv":
        return emit((row.to_record() for row in rows), fmt, chosen, out)
    writer = csv.writer(out or sys.stdout)
    writer.writerow(chosen)
    count = 0
    for row in rows:
        record = row.to_record()
        writer.writerow([cell_text(record[name]) for name in chosen])
        count += 1
    return count

"""Printing a selection of contacts, shared by `crm search`, `crm lookup` and `crm export`.

It imports neither Typer nor Rich, so that the quick path of `crm lookup`
(`crmkit.cli.entry`) prints exactly what the Typer command prints.
"""

from __future__ import annotations

import sys
from typing import IO

from crmkit import ContactSelection, CrmError

__all__ = ["FORMATS", "print_contacts", "print_owners"]

FORMATS = ("table", "csv", "json", "jsonl")


def print_contacts(selection: ContactSelection, fmt: str, out: IO[str] | None = None) -> int:
    """Print the selection as a table or CSV of its columns, or as JSON records.

    Return how many contacts were printed.
    """
    if fmt not in FORMATS:
        raise CrmError(f"unknown format {fmt!r}; use one of: {', '.join(FORMATS)}")
    if fmt != "table":
        return selection.write(out, format=fmt, every_field=False)
    from crmkit.cli.output import render_table

    headers, rows = selection.table()
    table = list(rows)
    if table:
        (out or sys.stdout).write(render_table(headers, table) + "\n")
    return len(table)


def print_owners(selection: ContactSelection, fmt: str) -> int:
    """Print a phone number's owners (exit code 0), or say that nobody has it (exit code 1)."""
    if print_contacts(selection, fmt):
        return 0
    hidden = ""
    if selection.hidden:
        many = "contacts do" if selection.hidden > 1 else "contact does"
        hidden = f" ({selection.hidden} hidden {many}; add --include-hidden)"
    sys.stderr.write(f"no contact has {selection.number}{hidden}\n")
    return 1

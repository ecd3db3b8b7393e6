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
    """Print a phone number's owners, or say that nobody has it; return the exit code.

    A blacklisted number is said first. A table starts with the line
    `BLACKLISTED: +48601234567 (reason)` (alone when nobody owns the number);
    CSV gets that line on stderr, so that the output stays one table. In JSON
    and JSON Lines every record carries `"blacklisted": true` and
    `"blacklist_reason"`, and when nobody owns the number the output is the one
    object `{"number", "blacklisted": true, "blacklist_reason"}`. The exit code
    is 0 when a contact owns the number or it is blacklisted, else 1.
    """
    if selection.blacklisted:
        return _print_blacklisted(selection, fmt)
    if print_contacts(selection, fmt):
        return 0
    _say_nobody(selection)
    return 1


def _print_blacklisted(selection: ContactSelection, fmt: str) -> int:
    reason = selection.blacklist_reason
    line = f"BLACKLISTED: {selection.number}" + (f" ({reason})" if reason else "") + "\n"
    if fmt in ("json", "jsonl") and next(iter(selection.ids()), None) is None:
        import json

        sys.stdout.write(json.dumps(selection.blacklist_record(), ensure_ascii=False) + "\n")
        _say_nobody(selection)
        return 0
    if fmt == "table":
        sys.stdout.write(line)
    elif fmt == "csv":
        sys.stderr.write(line)
    if not print_contacts(selection, fmt):
        _say_nobody(selection)
    return 0


def _say_nobody(selection: ContactSelection) -> None:
    """Say on stderr that no contact has the number, and how many hidden ones do."""
    hidden = ""
    if selection.hidden:
        many = "contacts do" if selection.hidden > 1 else "contact does"
        hidden = f" ({selection.hidden} hidden {many}; add --include-hidden)"
    sys.stderr.write(f"no contact has {selection.number}{hidden}\n")

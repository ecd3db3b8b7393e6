"""Spreadsheet-safe cells: text a spreadsheet would run as a formula gets a leading `'`.

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is
escaped, unless it is a number or a phone number (`-12,5`, `+48 601 234 567`),
which spreadsheets read as data and people want to see as written
(CONTRACT section 5). Most cells never start with those characters, so the
check is done by SQLite (`guard_sql`) and Python only sees the few that do.
"""

from __future__ import annotations

import sqlite3

from crmkit.errors import InvalidValue

__all__ = [
    "TRIGGERS",
    "needs_escape",
    "escape_cell",
    "guard_sql",
    "register_escaping",
]

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# The same characters as code points, for SQLite's unicode().
_TRIGGER_CODES = "(" + ", ".join(str(ord(char)) for char in TRIGGERS) + ")"


def needs_escape(text: str) -> bool:
    """Whether a spreadsheet could take this cell for a formula."""
    if not text or not text.startswith(TRIGGERS):
        return False
    from crmkit.values.numbers import parse_number

    try:
        parse_number(text)
    except InvalidValue:
        pass
    else:
        return False
    from crmkit.values.phones import is_phone_like

    return not is_phone_like(text)


def escape_cell(text: str) -> str:
    """The cell as written to CSV: with a leading apostrophe if it needs one."""
    return "'" + text if needs_escape(text) else text


def guard_sql(expression: str) -> str:
    """SQL for the expression's text ('' for NULL), escaped where needed.

    SQLite tests the first character; Python (crm_escape) only sees the rare cells
    that start with a trigger. The expression must not take parameters.
    """
    return (
        f"CASE WHEN unicode({expression}) IN {_TRIGGER_CODES}"
        f" THEN crm_escape({expression}) ELSE coalesce({expression}, '') END"
    )


def register_escaping(conn: sqlite3.Connection) -> None:
    conn.create_function("crm_escape", 1, _escape_or_none, deterministic=True)


def _escape_or_none(value: object) -> object:
    return escape_cell(value) if isinstance(value, str) else value

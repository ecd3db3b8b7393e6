"""Spreadsheet-safe cells: text a spreadsheet would run as a formula gets a leading `'`.

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is
escaped, unless it is a number or a phone number (`-12,5`, `+48 601 234 567`),
which spreadsheets read as data and people want to see as written
(CONTRACT section 5). `unescape_cell` is the exact inverse, for imports.

Most cells never start with those characters (or an apostrophe), so the first
test is done by SQLite (`guard_sql`) and Python only sees the few that might.
"""

from __future__ import annotations

import sqlite3

from crmkit.errors import InvalidValue

__all__ = [
    "TRIGGERS",
    "CANDIDATES",
    "needs_escape",
    "escape_cell",
    "unescape_cell",
    "unescape_row",
    "guard_sql",
    "register_escaping",
]

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# First characters of cells that may need escaping: the triggers and an apostrophe.
CANDIDATES = (*TRIGGERS, "'")
_CANDIDATE_CODES = "(" + ", ".join(str(ord(char)) for char in CANDIDATES) + ")"
# The candidates' codes lie between these (9 and 64), below the letters most text starts with.
_LOWEST_CODE = min(map(ord, CANDIDATES))
_HIGHEST_CODE = max(map(ord, CANDIDATES))


def _formula_like(text: str) -> bool:
    """Whether a spreadsheet could take this text for a formula."""
    if not text.startswith(TRIGGERS):
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


def needs_escape(text: str) -> bool:
    """Whether the cell gets a leading apostrophe in CSV output.

    Besides formula-like text, a cell that already starts with apostrophes before
    formula-like text gets one more, so that `unescape_cell` undoes exactly this.
    """
    if not text:
        return False
    if text[0] == "'":
        return _formula_like(text.lstrip("'"))
    return _formula_like(text)


def escape_cell(text: str) -> str:
    """The cell as written to CSV: with a leading apostrophe if it needs one."""
    return "'" + text if needs_escape(text) else text


def unescape_cell(text: str) -> str:
    """The value an escaped CSV cell stands for (what an import should store)."""
    if text[:1] == "'" and _formula_like(text.lstrip("'")):
        return text[1:]
    return text


def unescape_row(cells: list[str]) -> list[str]:
    """`unescape_cell` for each cell of a CSV row, in place; quick when no cell has a '."""
    if "'" in "".join(cells):
        for index, cell in enumerate(cells):
            if cell.startswith("'"):
                cells[index] = unescape_cell(cell)
    return cells


def guard_sql(expression: str) -> str:
    """SQL for the expression's text ('' for NULL), escaped where needed.

    SQLite tests the first character; Python (crm_escape) only sees the rare cells
    that start with a trigger. The expression must not take parameters.
    """
    # The range test spares most cells the IN list's lookup.
    return (
        f"CASE WHEN unicode({expression}) BETWEEN {_LOWEST_CODE} AND {_HIGHEST_CODE}"
        f" AND unicode({expression}) IN {_CANDIDATE_CODES}"
        f" THEN crm_escape({expression}) ELSE coalesce({expression}, '') END"
    )


def register_escaping(conn: sqlite3.Connection) -> None:
    conn.create_function("crm_escape", 1, _escape_or_none, deterministic=True)


def _escape_or_none(value: str | None) -> str | None:
    return escape_cell(value) if isinstance(value, str) else value

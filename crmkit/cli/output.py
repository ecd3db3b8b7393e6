"""Printing rows as a table, CSV, JSON or JSON Lines.

Commands hand over plain dicts (or, for contacts, rows of text cells); this
module decides how they look, so every command that prints records accepts
the same `--format`, `--columns`, `--sort` and `--limit`.

Tables are tabulate's "simple" format. Importing tabulate costs more than
starting Python, so `render_table` draws the common case (one-line cells of
Latin text) itself, byte for byte as tabulate would (tests hold it to that),
and hands anything else to tabulate. This keeps `crm lookup` and `crm search`
quick to start.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Sequence
from enum import Enum
from typing import IO, Any

from crmkit.errors import CrmError

__all__ = [
    "OutputFormat",
    "emit",
    "cell_text",
    "dump_json",
    "render_table",
    "parse_columns",
    "sort_rows",
]


class OutputFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    jsonl = "jsonl"


def dump_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def cell_text(value: Any) -> str:
    """One value as text for a table or CSV cell: lists joined with ' | '."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return " | ".join(
            cell_text(item.get("name") or item.get("number") or item.get("address"))
            if isinstance(item, dict)
            else cell_text(item)
            for item in value
        )
    if isinstance(value, dict):
        return dump_json(value)
    return str(value)


def parse_columns(text: str | None) -> list[str] | None:
    """`--columns a,b,c` as a list; None when the option was not given."""
    if text is None:
        return None
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise CrmError("--columns needs at least one column name")
    return names


# -- tables -----------------------------------------------------------------------------


def _simple_text(text: str) -> bool:
    """Text whose width is its length for tabulate: printable Latin, no line breaks."""
    for char in text:
        code = ord(char)
        if code < 0x20 or 0x7F <= code < 0xA0 or code == 0xAD or code > 0x24F:
            return False
    return True


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """tabulate(rows, headers, disable_numparse=True) in the "simple" format.

    Numbers are not parsed: a phone number such as +48601234567 must print as
    written, not as 4.86012e+10.
    """
    raw = [[str(text) for text in row] for row in rows]
    if not all(_simple_text(text) for row in (headers, *raw) for text in row):
        from tabulate import tabulate

        return tabulate(raw, headers=list(headers), disable_numparse=True)
    cells = [[text.strip() for text in row] for row in raw]
    widths = [len(header) + 2 for header in headers]
    for row in cells:
        for index, text in enumerate(row):
            if len(text) > widths[index]:
                widths[index] = len(text)
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * width for width in widths))
    for row in cells:
        lines.append("  ".join(text.ljust(w) for text, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


# -- dict rows ------------------------------------------------------------------------------


def sort_rows(rows: list[dict[str, Any]], sort: str | None) -> list[dict[str, Any]]:
    """Rows ordered by `key` or `-key` (several, comma separated); empty values last."""
    if not sort:
        return rows
    keys = [part.strip() for part in sort.split(",") if part.strip()]
    for key in reversed(keys):
        name = key.lstrip("+-")
        if rows and name not in rows[0]:
            raise CrmError(f"cannot sort by {name!r}; columns: {', '.join(rows[0])}")
        descending = key.startswith("-")
        present = [row for row in rows if row.get(name) is not None]
        missing = [row for row in rows if row.get(name) is None]
        present.sort(key=lambda row: _sort_key(row[name]), reverse=descending)
        rows = present + missing
    return rows


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value)
    return (1, cell_text(value).casefold())


def emit(
    rows: Iterable[dict[str, Any]],
    fmt: OutputFormat | str = OutputFormat.table,
    columns: Sequence[str] | None = None,
    out: IO[str] | None = None,
    *,
    sort: str | None = None,
    limit: int | None = None,
) -> int:
    """Write dict rows in the chosen format; return how many were written.

    `columns` picks and orders the keys shown in a table or CSV; JSON output
    keeps whole rows.
    """
    out = out or sys.stdout
    fmt = OutputFormat(fmt)
    if sort or limit is not None:
        if limit is not None and limit < 0:
            raise CrmError("--limit must be 0 or more")
        rows = sort_rows(list(rows), sort)[:limit]
    if fmt is OutputFormat.jsonl:
        count = 0
        for row in rows:
            out.write(dump_json(row) + "\n")
            count += 1
        return count
    if fmt is OutputFormat.json:
        count = 0
        out.write("[")
        for row in rows:
            out.write(("\n" if count == 0 else ",\n") + dump_json(row))
            count += 1
        out.write("\n]\n" if count else "]\n")
        return count
    table = list(rows)
    names = list(columns or (table[0].keys() if table else []))
    if table and columns:
        unknown = [name for name in names if name not in table[0]]
        if unknown:
            raise CrmError(f"unknown column {unknown[0]!r}; columns: {', '.join(table[0])}")
    matrix = [[cell_text(row.get(name)) for name in names] for row in table]
    if fmt is OutputFormat.table:
        if table:
            out.write(render_table(names, matrix) + "\n")
        return len(table)
    writer = csv.writer(out)
    if names:
        writer.writerow(names)
    writer.writerows(matrix)
    return len(table)

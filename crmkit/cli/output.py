"""Printing records as a table, CSV, JSON or JSON Lines.

Commands hand over plain dicts; this module decides how they look, so every
command that prints records accepts the same `--format` and `--columns`.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Sequence
from enum import Enum
from typing import IO, Any

__all__ = ["OutputFormat", "emit", "cell_text", "dump_json"]


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


def emit(
    rows: Iterable[dict[str, Any]],
    fmt: OutputFormat | str = OutputFormat.table,
    columns: Sequence[str] | None = None,
    out: IO[str] | None = None,
) -> int:
    """Write rows in the chosen format; return how many were written."""
    out = out or sys.stdout
    fmt = OutputFormat(fmt)
    count = 0
    if fmt is OutputFormat.jsonl:
        for row in rows:
            out.write(dump_json(_pick(row, columns) if columns else row) + "\n")
            count += 1
        return count
    if fmt is OutputFormat.json:
        out.write("[")
        for row in rows:
            out.write(
                ("\n" if count == 0 else ",\n") + dump_json(_pick(row, columns) if columns else row)
            )
            count += 1
        out.write("\n]\n" if count else "]\n")
        return count
    materialized = list(rows) if fmt is OutputFormat.table else rows
    if fmt is OutputFormat.table:
        from tabulate import tabulate

        table = list(materialized)
        names = list(columns or (table[0].keys() if table else []))
        if table:
            out.write(
                tabulate(
                    [[cell_text(row.get(name)) for name in names] for row in table], headers=names
                )
                + "\n"
            )
        return len(table)
    writer = csv.writer(out)
    names = list(columns) if columns else None
    if names is not None:
        writer.writerow(names)
    for row in materialized:
        if names is None:
            names = list(row.keys())
            writer.writerow(names)
        writer.writerow([cell_text(row.get(name)) for name in names])
        count += 1
    return count


def _pick(row: dict[str, Any], columns: Sequence[str]) -> dict[str, Any]:
    return {name: row.get(name) for name in columns}

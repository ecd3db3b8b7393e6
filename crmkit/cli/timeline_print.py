"""Printing a timeline as a table, CSV, JSON or JSON Lines.

Used by `crm timeline` through Typer and by the lean console entry, so it imports
only the standard library: importing tabulate (with wcwidth) would cost more than
the query itself, and a timeline table needs only left-aligned columns. JSON items
are exactly those of the contract; CSV and the table flatten each event's notes
into rows of their own right under it.
"""

from __future__ import annotations

import csv
import json
import unicodedata
from collections.abc import Iterator, Sequence
from typing import IO, Any

from crmkit.timeline import format_duration

__all__ = ["FORMATS", "write_timeline", "flat_rows", "text_table", "display_width", "CSV_COLUMNS"]

FORMATS = ("table", "csv", "json", "jsonl")
CSV_COLUMNS = (
    "id",
    "type",
    "event_id",
    "kind",
    "direction",
    "occurred_at",
    "duration",
    "contact_id",
    "contact_name",
    "agent",
    "channel",
    "subject",
    "body",
)
_TEXT_WIDTH = 60


def write_timeline(items: list[dict[str, Any]], fmt: str, out: IO[str], *, contact_id: int) -> None:
    """Write items in `fmt`; the table shows a "who" column when others' events appear."""
    if fmt == "json":
        out.write(json.dumps(items, ensure_ascii=False, indent=None) + "\n")
    elif fmt == "jsonl":
        for item in items:
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for row in flat_rows(items):
            writer.writerow(["" if row[name] is None else row[name] for name in CSV_COLUMNS])
    else:
        _write_table(items, out, contact_id)


def flat_rows(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Items and their nested notes as flat rows (a note row names its event)."""
    for item in items:
        if item["type"] == "note":
            yield {
                **dict.fromkeys(CSV_COLUMNS),
                "id": item["id"],
                "type": "note",
                "occurred_at": item["occurred_at"],
                "contact_id": item["contact_id"],
                "contact_name": item["contact_name"],
                "agent": item.get("author"),
                "body": item["body"],
            }
            continue
        yield {name: item.get(name) for name in CSV_COLUMNS} | {"type": "event"}
        for note in item.get("notes") or []:
            yield {
                **dict.fromkeys(CSV_COLUMNS),
                "id": note["id"],
                "type": "note",
                "event_id": item["id"],
                "occurred_at": note["created_at"],
                "contact_id": item["contact_id"],
                "contact_name": item["contact_name"],
                "agent": note.get("author"),
                "body": note["body"],
            }


def _write_table(items: list[dict[str, Any]], out: IO[str], contact_id: int) -> None:
    if not items:
        out.write("No events or notes.\n")
        return
    others = any(item["contact_id"] != contact_id for item in items)
    headers = [
        "id",
        "when",
        "what",
        "duration",
        *(["who"] if others else []),
        "agent",
        "channel",
        "text",
    ]
    table: list[list[Any]] = []
    for row in flat_rows(items):
        if row["type"] == "event":
            what = row["kind"] + (f" {row['direction']}" if row["direction"] else "")
            text = " — ".join(part for part in (row["subject"], row["body"]) if part)
        else:
            what = "  ↳ note" if row["event_id"] else "note"
            text = row["body"]
        who = [row["contact_name"] if row["contact_id"] != contact_id else ""] if others else []
        table.append(
            [
                row["id"],
                row["occurred_at"],
                what,
                format_duration(row["duration"]),
                *who,
                row["agent"] or "",
                row["channel"] or "",
                _short(text),
            ]
        )
    out.write(text_table(headers, table))


def _short(text: str | None) -> str:
    if not text:
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= _TEXT_WIDTH else flat[: _TEXT_WIDTH - 1] + "…"


def display_width(text: str) -> int:
    """Terminal columns a text takes: wide East Asian characters 2, combining marks 0."""
    if text.isascii():
        return len(text)
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def text_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Left-aligned columns under a dashed rule, two spaces apart (trailing blanks cut)."""
    cells = [[str(value) for value in row] for row in rows]
    widths = [display_width(header) for header in headers]
    for row in cells:
        for index, value in enumerate(row):
            widths[index] = max(widths[index], display_width(value))
    lines = [
        _line(list(headers), widths),
        "  ".join("-" * width for width in widths),
        *(_line(row, widths) for row in cells),
    ]
    return "\n".join(lines) + "\n"


def _line(values: list[str], widths: list[int]) -> str:
    padded = [
        value + " " * (width - display_width(value))
        for value, width in zip(values, widths, strict=True)
    ]
    return "  ".join(padded).rstrip()

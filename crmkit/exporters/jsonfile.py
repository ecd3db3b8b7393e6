"""JSON and JSON Lines output of contact records (CONTRACT section 6), streamed."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO, Any

__all__ = ["write_json", "write_jsonl"]


def write_json(out: IO[str], records: Iterable[dict[str, Any]]) -> int:
    """A JSON array, one record per line; return the number of records."""
    count = 0
    out.write("[")
    for record in records:
        out.write(("\n" if count == 0 else ",\n") + json.dumps(record, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def write_jsonl(out: IO[str], records: Iterable[dict[str, Any]]) -> int:
    """One record per line; return the number of records."""
    count = 0
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count

"""Reading the rows of a batch of contacts: by a range of ids when the batch is dense.

A batch read back at once (an import's updated contacts, a chunk of an export)
mostly holds neighbouring ids: a re-import meets the contacts in the order the
first import made them. `IN (SELECT value FROM json_each(?))` seeks once per id,
while a range of the same ids is one pass along the key, about a quarter cheaper
for a million contacts. A range may also take in a few contacts beyond the
batch, so callers look the rows up by id instead of using all of them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

__all__ = ["IN_BATCH", "IN_RANGE", "batch_condition"]

IN_BATCH = "IN (SELECT value FROM json_each(?))"
IN_RANGE = "BETWEEN ? AND ?"


def batch_condition(ids: Sequence[int]) -> tuple[str, tuple[Any, ...]]:
    """The test for an id column (after the column name) and its parameters.

    A range when it spans less than twice as many ids as the batch holds, else
    the ids themselves.
    """
    if ids:
        low, high = min(ids), max(ids)
        if high - low < 2 * len(ids):
            return IN_RANGE, (low, high)
    return IN_BATCH, (json.dumps(list(ids)),)

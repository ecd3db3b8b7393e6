"""Alike names within blocks: which contacts' names make them probable duplicates.

Names are compared only inside a block, a set of contacts of one kind that have
something in common that makes a match plausible: one city, one postal code, one
organization (persons), or one e-mail domain other than a free mail service
(`crmkit.store.sqlite.duplicates.name_blocks`). Never all pairs of a base.

A name is its `match_name_key`: folded (case, Polish letters with `ł`), words
sorted, so word order does not count; two keys are alike when their Indel similarity
(rapidfuzz's `ratio`, on the sorted words that is `token_sort_ratio`) is at least
`NAME_THRESHOLD`. Names with different numbers in them ("Firma 1" and "Firma 11")
are never alike.

Big blocks (a city of 100,000 contacts) are handled by a sorted neighbourhood: the
block is read in name-key order, and each distinct name is compared with the
`WINDOW` distinct names just before it. A block of up to `WINDOW + 1` names is
thus compared pair by pair, and a bigger one costs `WINDOW` comparisons per name
instead of one per contact of the block; only one window is in memory. What a big
block can miss is a pair whose keys sort apart (a typo in the first letter of the
alphabetically first word); the smaller blocks the same contacts are in (postal
code, organization) still compare them.

A name held by more than `MAX_NAMESAKES` contacts of one block ("Jan Kowalski" in
Warsaw) tells nobody apart, so it links nobody there: neither the namesakes among
themselves nor anyone whose name is merely like it. Phones, e-mails and registry
numbers still group such contacts.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import groupby
from operator import itemgetter
from typing import NamedTuple

from rapidfuzz.distance import Indel

__all__ = ["MAX_NAMESAKES", "NAME_THRESHOLD", "WINDOW", "NameLink", "alike_names"]

NAME_THRESHOLD = 0.88
WINDOW = 20
MAX_NAMESAKES = 3

_NUMBERS = re.compile(r"\d+")


class NameLink(NamedTuple):
    """Two contacts (`first` < `second`) whose names are `similarity` alike in a block
    of contacts that share `shared` (city, postal_code, organization or domain)."""

    first: int
    second: int
    similarity: float
    shared: str


def alike_names(rows: Iterable[tuple[str, str, int]], shared: str) -> Iterator[NameLink]:
    """Yield the links between contacts with alike names, block by block.

    `rows` are (block, name key, contact id) sorted by all three, of blocks whose
    contacts share `shared` (city, postal_code, organization or domain).
    """
    for _, block_rows in groupby(rows, key=itemgetter(0)):
        yield from _block_links(block_rows, shared)


def _block_links(rows: Iterable[tuple[str, str, int]], shared: str) -> Iterator[NameLink]:
    """Yield the links of one block: a sorted neighbourhood over its distinct names."""
    window: deque[tuple[str, list[int], list[str]]] = deque(maxlen=WINDOW)
    for key, run in groupby(rows, key=itemgetter(1)):
        ids = _few_distinct_ids(run)
        if ids is None:
            continue
        for index, first in enumerate(ids):
            for second in ids[index + 1 :]:
                yield NameLink(first, second, 1.0, shared)
        numbers = _NUMBERS.findall(key)
        for other_key, other_ids, other_numbers in window:
            if other_numbers != numbers:
                continue
            similarity = Indel.normalized_similarity(key, other_key, score_cutoff=NAME_THRESHOLD)
            if similarity:
                for first in ids:
                    for second in other_ids:
                        low, high = (first, second) if first < second else (second, first)
                        yield NameLink(low, high, similarity, shared)
        window.append((key, ids, numbers))


def _few_distinct_ids(run: Iterable[tuple[str, str, int]]) -> list[int] | None:
    """Return the contact ids of a run of rows sorted by id, each once; None when there
    are more than `MAX_NAMESAKES` (the rest of the run is then left unread)."""
    ids: list[int] = []
    for _, _, contact_id in run:
        if not ids or ids[-1] != contact_id:
            if len(ids) == MAX_NAMESAKES:
                return None
            ids.append(contact_id)
    return ids

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

A block of up to `BIG_BLOCK` contacts (a postal code, a company) is read as a sorted
neighbourhood: in name-key order, each distinct name compared with the `WINDOW`
distinct names just before it, so only one window is in memory. Up to `WINDOW + 1`
names that is every pair; beyond, `WINDOW` comparisons per name instead of one per
contact of the block, and names that sort apart (a typo in the first letter of the
alphabetically first word) do not meet.

A bigger block (a city of 100,000 contacts, a large company's domain) is streamed and
nothing in it is compared: among that many people two "Anna Nowak" are as likely two
people as one, and alike names ("Anna Nowacka", "Anna Nowacki") are so many that
linking them would chain whole stretches of the alphabet into one group. There only
equal names (after folding and sorting the words) of contacts at the same street
address link. The smaller blocks the same contacts are in (postal code, organization,
company domain) still compare names in full.

A name held by more than `MAX_NAMESAKES` contacts of one block ("Jan Kowalski" in
Warsaw) tells nobody apart, so it links nobody there: neither the namesakes among
themselves nor anyone whose name is merely like it. Phones, e-mails and registry
numbers still group such contacts.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import chain, groupby, islice
from operator import itemgetter
from typing import NamedTuple

from rapidfuzz.distance import Indel

__all__ = ["BIG_BLOCK", "MAX_NAMESAKES", "NAME_THRESHOLD", "WINDOW", "NameLink", "alike_names"]

NAME_THRESHOLD = 0.88
WINDOW = 20
MAX_NAMESAKES = 3
BIG_BLOCK = 1000

_NUMBERS = re.compile(r"\d+")


class NameLink(NamedTuple):
    """Two contacts (`first` < `second`) whose names are `similarity` alike in a block
    of contacts that share `shared` (city, postal_code, organization or domain)."""

    first: int
    second: int
    similarity: float
    shared: str


def alike_names(rows: Iterable[tuple[str, str, int, str]], shared: str) -> Iterator[NameLink]:
    """Yield the links between contacts with alike names, block by block.

    `rows` are (block, name key, contact id, folded street) sorted by the first three,
    of blocks whose contacts share `shared` (city, postal_code, organization or domain).
    """
    for _, block_rows in groupby(rows, key=itemgetter(0)):
        yield from _block_links(block_rows, shared)


def _block_links(rows: Iterable[tuple[str, str, int, str]], shared: str) -> Iterator[NameLink]:
    """Yield the links of one block: a sorted neighbourhood over its distinct names, or
    in a big block only the links of equal names at one street."""
    rows = iter(rows)
    head = list(islice(rows, BIG_BLOCK + 1))
    small = len(head) <= BIG_BLOCK
    window: deque[tuple[str, list[int], list[str]]] = deque(maxlen=WINDOW)
    for key, run in groupby(chain(head, rows), key=itemgetter(1)):
        holders = _few_holders(run)
        if holders is None:
            continue
        for index, (first, street) in enumerate(holders):
            for second, other_street in holders[index + 1 :]:
                if small or (street and street == other_street):
                    yield NameLink(first, second, 1.0, shared)
        if not small:
            continue
        ids = [contact_id for contact_id, _ in holders]
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


def _few_holders(run: Iterable[tuple[str, str, int, str]]) -> list[tuple[int, str]] | None:
    """Return (contact id, street) of a run of rows sorted by id, each contact once;
    None when there are more than `MAX_NAMESAKES` (the rest of the run is left unread)."""
    holders: list[tuple[int, str]] = []
    for _, _, contact_id, street in run:
        if not holders or holders[-1][0] != contact_id:
            if len(holders) == MAX_NAMESAKES:
                return None
            holders.append((contact_id, street))
    return holders

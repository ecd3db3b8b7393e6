"""Full-text search: folding, the index's row keys, and FTS5 query text.

Both the indexed documents and the typed query are folded the same way
(`fold_text`: lower case, no diacritics, `ł` -> `l`), so `lodz` finds `Łódź`.
Letters and digits are split apart (`nowak12` -> `nowak 12`): e-mail local
parts would otherwise make one distinct term per contact, and a prefix query
such as `now*` would have to merge tens of thousands of them.

Row keys: the FTS rowid of a contact is `bucket << 32 | contact id`, where
the bucket is an order-preserving code of the first six characters of the
folded name. FTS5 returns matches in rowid order, so a limited search reads
the matches bucket by bucket, in name order, and stops early instead of
sorting every match (a surname prefix matches a tenth of a large base).

On PostgreSQL the same FTS5 query text is translated into a `tsquery` over
the documents' `words` (`crmkit.store.sqlite.query.pg_search`).
"""

from __future__ import annotations

import re

from crmkit.values.names import fold_text

__all__ = [
    "ID_BITS",
    "ID_MASK",
    "fold_for_index",
    "split_letters_from_digits",
    "name_rowid",
    "name_bucket",
    "bucket_rowid",
    "bucket_bounds",
    "match_expression",
    "name_tier",
    "other_tier",
]

ID_BITS = 32
ID_MASK = (1 << ID_BITS) - 1
_BUCKET_CHARS = 6
_BUCKET_BITS = 5
_BUCKET_CACHE = 50_000
_BUCKETS: dict[str, int] = {}
_LETTER_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")
_TOKEN = re.compile(r"[^\W_]+")
_DIGIT = re.compile(r"\d")
_ASCII_DIGITS = re.compile(r"[0-9]+")
_PHONE_QUERY = re.compile(r"[0-9+\s().\-/]*[0-9][0-9+\s().\-/]*")


def fold_for_index(text: str) -> str:
    """The folded form of text as indexed and as searched for."""
    return split_letters_from_digits(fold_text(text))


def split_letters_from_digits(folded: str) -> str:
    """Folded text with runs of letters and digits apart: `nowak12` -> `nowak 12`."""
    if folded.isascii():
        # Nearly all text: pad each run of digits where a letter touches it, which
        # costs a third of testing the look-arounds at every position.
        return _ASCII_DIGITS.sub(_pad_digit_run, folded)
    return _LETTER_DIGIT.sub(" ", folded) if _DIGIT.search(folded) else folded


def _pad_digit_run(match: re.Match[str]) -> str:
    text, start, end = match.string, match.start(), match.end()
    before = " " if start and text[start - 1].isalpha() else ""
    after = " " if end < len(text) and text[end].isalpha() else ""
    return f"{before}{match.group()}{after}" if before or after else match.group()


def _char_code(char: str) -> tuple[int, bool]:
    """A 5-bit code that never decreases as characters increase, and whether it is exact.

    Letters a-z and the space have codes of their own; every other character shares
    a code with its neighbours, so the key must stop after it to stay in order.
    """
    if "a" <= char <= "z":
        return 4 + ord(char) - ord("a"), True
    if char == " ":
        return 2, True
    if char < " ":
        return 1, False
    if char < "a":
        return 3, False
    return 30, False


def name_rowid(folded_name: str, contact_id: int) -> int:
    """The FTS rowid of a contact: name-order bucket in the high bits, id in the low ones."""
    return bucket_rowid(name_bucket(folded_name), contact_id)


def name_bucket(folded_name: str) -> int:
    """The high bits of a rowid: an order-preserving code of the name's start.

    The bucket codes the first six characters of the folded name (0 after its end),
    so that a name sorting before another never gets a higher bucket. Names
    start alike (first names), so buckets are remembered by those characters.
    """
    start = folded_name[:_BUCKET_CHARS]
    bucket = _BUCKETS.get(start)
    if bucket is None:
        if len(_BUCKETS) >= _BUCKET_CACHE:
            _BUCKETS.clear()
        bucket = _BUCKETS[start] = _code_bucket(start)
    return bucket


def _code_bucket(folded_name: str) -> int:
    bucket = 0
    exact = True
    for position in range(_BUCKET_CHARS):
        code = 0
        if exact and position < len(folded_name):
            code, exact = _char_code(folded_name[position])
        bucket = (bucket << _BUCKET_BITS) | code
    return bucket


def bucket_rowid(bucket: int, contact_id: int) -> int:
    """The rowid of a contact whose name is in this bucket."""
    if not 0 < contact_id <= ID_MASK:
        raise ValueError(f"contact id {contact_id} does not fit the search index")
    return (bucket << ID_BITS) | contact_id


def bucket_bounds(rowid: int) -> tuple[int, int]:
    """The rowids [low, high) of the bucket this rowid is in."""
    bucket = rowid >> ID_BITS
    return bucket << ID_BITS, (bucket + 1) << ID_BITS


def match_expression(text: str) -> str | None:
    """FTS5 query text for what a person typed; None if it holds nothing searchable.

    Every word must match, as a prefix (people search as they type). A word that
    folds into several tokens (`anna.nowak`, `nowak12`) is a phrase of them. A
    query that looks like a phone number is one run of digits, without a `00`
    prefix, so `601 234 567` and `+48 601-234-567` find the stored number.
    """
    stripped = text.strip()
    if not stripped:
        return None
    if _PHONE_QUERY.fullmatch(stripped):
        digits = "".join(char for char in stripped if char.isdigit())
        if digits.startswith("00"):
            digits = digits[2:]
        return _phrase([digits]) if digits else None
    phrases = []
    pending_digits = ""
    for word in stripped.split():
        tokens = _TOKEN.findall(fold_for_index(word))
        if not tokens:
            continue
        if len(tokens) == 1 and tokens[0].isdigit():
            # Adjacent groups of digits are one phone number typed with spaces.
            pending_digits += tokens[0]
            continue
        if pending_digits:
            phrases.append(_phrase([pending_digits]))
            pending_digits = ""
        phrases.append(_phrase(tokens))
    if pending_digits:
        phrases.append(_phrase([pending_digits]))
    return " AND ".join(phrases) if phrases else None


def _phrase(tokens: list[str]) -> str:
    """A quoted FTS5 phrase whose last token is a prefix; quotes inside are doubled."""
    body = " ".join(token.replace('"', '""') for token in tokens)
    return f'"{body}"*'


def name_tier(expression: str) -> str:
    """Matches of every word within the name: the first rank."""
    return f"name : ({expression})"


def other_tier(expression: str) -> str:
    """Matches that need the e-mail, phone, organization or city: the second rank."""
    return f"({expression}) NOT name : ({expression})"

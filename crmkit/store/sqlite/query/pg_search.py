"""Full-text search on PostgreSQL: the FTS5 queries of `fulltext`, asked of a tsvector.

On PostgreSQL the search documents are the rows of `contacts_fts_keys` (the
same folded `name` and `body` SQLite indexes), and the index is the GIN index
on their generated `words`: the name's words weighted A, the body's left at D,
split the way FTS5's tokenizer splits them (see the schema). A query is built
by `fulltext` in FTS5's syntax, as for SQLite, and translated here into a
`tsquery`, so both backends read the same terms:

| FTS5 (the subset `fulltext` writes)  | tsquery                                    |
|--------------------------------------|--------------------------------------------|
| `"anna nowak"*`                      | `('anna' <-> 'nowak':*A) \\| (... D)`      |
| `name : (x)`                         | every word of x weighted A                 |
| `x AND y`, `x y`, `x OR y`           | `x & y`, `x \\| y`                         |
| `x NOT y`                            | `x & !y`                                   |

A phrase of several words is matched inside the name or inside the body, as
FTS5 matches it within one column; a single word anywhere.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from crmkit.values.names import fold_text

if TYPE_CHECKING:
    from crmkit.store.sqlite.query.compiler import Predicate

__all__ = [
    "is_postgresql_conn",
    "tsquery_text",
    "matching_sql",
    "ranked_ids",
    "indexed_ids",
    "index_entries",
]

_PIECE = re.compile(r'\s*("(?:[^"]|"")*"|[()*:]|[^\s()*:"]+)')
_WORD = re.compile(r"[^\W_]+")
_WEIGHTS = {"name": "A", "body": "D"}
_KEY_WORDS = frozenset({"AND", "OR", "NOT"})
_QUERY = "to_tsquery('simple', ?)"


def is_postgresql_conn(conn: Any) -> bool:
    """Whether a connection is the storage layer's view of a PostgreSQL database."""
    from crmkit.store.postgres.adapter import Connection

    return isinstance(conn, Connection)


def tsquery_text(expression: str) -> str:
    """The tsquery (for `to_tsquery('simple', ...)`) of an FTS5 query `fulltext` wrote."""
    parser = _Parser(expression)
    text = parser.expression(None)
    if parser.peek() is not None:
        raise ValueError(f"cannot read the search query {expression!r}")
    return text


class _Parser:
    """A reader of FTS5 query text: OR of ANDs of NOTs of phrases and groups."""

    def __init__(self, expression: str) -> None:
        self.pieces: list[str] = []
        position = 0
        stripped = expression.rstrip()
        while position < len(stripped):
            match = _PIECE.match(stripped, position)
            if match is None:
                raise ValueError(f"cannot read the search query {expression!r}")
            self.pieces.append(match.group(1))
            position = match.end()
        self.index = 0

    def peek(self) -> str | None:
        return self.pieces[self.index] if self.index < len(self.pieces) else None

    def take(self) -> str:
        piece = self.peek()
        if piece is None:
            raise ValueError("the search query ends too early")
        self.index += 1
        return piece

    def expression(self, weight: str | None) -> str:
        parts = [self.all_of(weight)]
        while self.peek() == "OR":
            self.take()
            parts.append(self.all_of(weight))
        return parts[0] if len(parts) == 1 else "(" + " | ".join(parts) + ")"

    def all_of(self, weight: str | None) -> str:
        parts = [self.without(weight)]
        while (piece := self.peek()) is not None and piece not in ("OR", ")"):
            if piece == "AND":
                self.take()
            parts.append(self.without(weight))
        return parts[0] if len(parts) == 1 else "(" + " & ".join(parts) + ")"

    def without(self, weight: str | None) -> str:
        text = self.unit(weight)
        while self.peek() == "NOT":
            self.take()
            text = f"({text} & !{self.unit(weight)})"
        return text

    def unit(self, weight: str | None) -> str:
        piece = self.take()
        if piece == "(":
            text = self.expression(weight)
            if self.take() != ")":
                raise ValueError("unbalanced parentheses in the search query")
            return text
        if self.peek() == ":":
            self.take()
            if piece not in _WEIGHTS:
                raise ValueError(f"the search index has no column {piece!r}")
            return self.unit(_WEIGHTS[piece])
        if piece in _KEY_WORDS or piece in ("*", ":", ")"):
            raise ValueError(f"unexpected {piece!r} in the search query")
        words = piece[1:-1].replace('""', '"') if piece.startswith('"') else piece
        prefix = self.peek() == "*"
        if prefix:
            self.take()
        return _phrase(_WORD.findall(fold_text(words)), prefix, weight)


def _phrase(words: list[str], prefix: bool, weight: str | None) -> str:
    """Words in a row, the last one a prefix if asked; within one column."""
    if not words:
        raise ValueError("a phrase of the search query has no words")
    if weight is None and len(words) > 1:
        return f"({_phrase(words, prefix, 'A')} | {_phrase(words, prefix, 'D')})"
    lexemes = []
    for place, word in enumerate(words):
        label = ("*" if prefix and place == len(words) - 1 else "") + (weight or "")
        lexemes.append(f"'{word}'" + (f":{label}" if label else ""))
    return "(" + " <-> ".join(lexemes) + ")"


def matching_sql(expression: str) -> tuple[str, tuple[Any, ...]]:
    """A condition on `c.id`: the contact's document matches the FTS5 query."""
    return (
        f"c.id IN (SELECT contact_id FROM contacts_fts_keys WHERE words @@ {_QUERY})",
        (tsquery_text(expression),),
    )


def ranked_ids(
    conn: sqlite3.Connection,
    expression: str,
    filters: Predicate | None,
    exclude_hidden: bool,
    limit: int | None,
) -> Iterator[int]:
    """Matching contacts, those matching in the name first, each part by name and id.

    One statement: the GIN index finds the matches, and PostgreSQL keeps only
    the first `limit` of them while it sorts.
    """
    if limit is not None and limit <= 0:
        return
    conditions = [f"k.words @@ {_QUERY}"]
    params: list[Any] = [tsquery_text(expression)]
    join = ""
    if exclude_hidden:
        conditions.append("k.hidden = 0")
    if filters is not None:
        join = " JOIN contacts c ON c.id = k.contact_id"
        conditions.append(f"({filters.sql})")
        params += filters.params
    params.append(tsquery_text(f"name : ({expression})"))
    sql = (
        f"SELECT k.contact_id FROM contacts_fts_keys k{join} WHERE {' AND '.join(conditions)}"
        f" ORDER BY NOT (k.words @@ {_QUERY}), k.sort_key, k.contact_id"
    )
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    for (contact_id,) in conn.execute(sql, params).fetchall():
        yield contact_id


def indexed_ids(conn: sqlite3.Connection, expression: str) -> list[int]:
    """Contact ids whose documents match an FTS5 query, by id."""
    rows = conn.execute(
        f"SELECT contact_id FROM contacts_fts_keys WHERE words @@ {_QUERY} ORDER BY contact_id",
        (tsquery_text(expression),),
    )
    return [row[0] for row in rows]


def index_entries(conn: sqlite3.Connection) -> list[tuple[int, str, int, str]]:
    """Every (document key, column, word offset, term) of the documents' words, in order.

    The same entries FTS5 lists for the same documents: name words come first
    in `words`, so a body word's offset counts from the name's last position.
    """
    rows = conn.execute(
        "SELECT k.doc, w.lexeme, w.weights, w.positions,"
        " (SELECT coalesce(max(p), 0) FROM unnest(k.words) AS n, unnest(n.positions) AS p"
        "  WHERE 'A' = ANY(n.weights)) AS name_words"
        " FROM contacts_fts_keys k, unnest(k.words) AS w"
    )
    entries = []
    for doc, term, weights, positions, name_words in rows:
        for weight, position in zip(weights, positions, strict=True):
            if weight == "A":
                entries.append((doc, "name", position - 1, term))
            else:
                entries.append((doc, "body", position - name_words - 1, term))
    return sorted(entries)

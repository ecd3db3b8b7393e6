"""Which contacts a search or an export selects, and in what order.

A `Query` (text, filters, hidden, sort, limit) is compiled once into a
`Selection`: SQL passes over `contacts c` (WHERE + ORDER BY, parameters
bound), or — for text without an explicit sort — a ranked walk over the
full-text index. Callers stream either ids or rows from it.

Orders: a search is ranked (name matches first), then by name; a search
without text is by name; an export is organizations first, then people, each
by id, so that a re-import creates an organization before the people who
link to it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from itertools import chain
from typing import TYPE_CHECKING, Any, NamedTuple

from crmkit.errors import CrmError
from crmkit.query.filters import parse_filter
from crmkit.store.sqlite.query import pg_search
from crmkit.store.sqlite.query.compiler import (
    FilterSettings,
    Predicate,
    compile_filter,
    prepare_connection,
)
from crmkit.store.sqlite.query.fields import QuerySchema, resolve_sort_field
from crmkit.store.sqlite.query.fulltext import (
    ID_MASK,
    bucket_bounds,
    match_expression,
    name_tier,
    other_tier,
)
from crmkit.store.sqlite.query.lookup import LookupResult, lookup_phone
from crmkit.store.sqlite.tabular import read_in_chunks

if TYPE_CHECKING:
    from crmkit.store import Store

__all__ = [
    "compile_selection",
    "select_owners",
    "Query",
    "Selection",
    "SqlPass",
    "compile_query",
    "select_ids",
    "NAME_ORDER",
    "EXPORT_ORDER",
]

NAME_ORDER = "name"
EXPORT_ORDER = "export"
_NAME_SQL = "(SELECT sort_key FROM contacts_fts_keys WHERE contact_id = c.id), c.id"
# A ranked search that has looked at this many name buckets without filling its limit
# finishes with one query over the rest instead of going on bucket by bucket.
_MAX_BUCKET_STEPS = 64
_MATCHING = "c.id IN (SELECT rowid & ? FROM contacts_fts WHERE contacts_fts MATCH ?)"


class Query(NamedTuple):
    """What a user asked for; every part optional."""

    text: str | None = None
    filters: tuple[str, ...] = ()
    include_hidden: bool = False
    sort: tuple[str, ...] = ()
    limit: int | None = None


class SqlPass(NamedTuple):
    """One SELECT over `contacts c`: WHERE and ORDER BY with their parameters in order."""

    where: str
    order: str
    params: tuple[Any, ...]


class Selection:
    """A compiled query, ready to stream contact ids (or to drive a row reader)."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        passes: list[SqlPass],
        limit: int | None,
        ranked: _Ranked | None = None,
    ) -> None:
        self.conn = conn
        self.passes = passes
        self.limit = limit
        self.ranked = ranked

    def ids(self) -> Iterator[int]:
        """Selected contact ids in order (streamed unless the search is ranked)."""
        if self.ranked is not None:
            yield from _ranked_ids(self.conn, self.ranked, self.limit)
            return
        remaining = self.limit
        for sql_pass in self.passes:
            limit_sql, limit_params = ("", ()) if remaining is None else (" LIMIT ?", (remaining,))
            chunks = read_in_chunks(
                self.conn,
                f"SELECT c.id FROM contacts c WHERE {sql_pass.where}"
                f" ORDER BY {sql_pass.order}{limit_sql}",
                (*sql_pass.params, *limit_params),
            )
            for (contact_id,) in chain.from_iterable(chunks):
                if remaining is not None:
                    if remaining <= 0:
                        return
                    remaining -= 1
                yield contact_id


def compile_query(
    conn: sqlite3.Connection,
    query: Query,
    settings: FilterSettings | None = None,
    *,
    default_order: str = NAME_ORDER,
) -> Selection:
    """Check and compile a query; CrmError for anything the user must fix."""
    settings = settings or FilterSettings()
    prepare_connection(conn)
    schema = QuerySchema(conn)
    if query.limit is not None and query.limit < 0:
        raise CrmError("--limit must be 0 or more")
    predicates: list[Predicate] = []
    mentions_hidden = False
    for text in query.filters:
        comparison = parse_filter(text)
        predicates.append(compile_filter(comparison, schema, settings))
        mentions_hidden = mentions_hidden or comparison.field == "hidden"
    exclude_hidden = not query.include_hidden and not mentions_hidden
    expression = None
    if query.text is not None and query.text.strip():
        expression = match_expression(query.text)
        if expression is None:
            raise CrmError(f"search text {query.text!r} has no letters or digits to look for")
    if expression is not None and not query.sort:
        filters = _all_of(predicates) if predicates else None
        return Selection(conn, [], query.limit, _Ranked(expression, filters, exclude_hidden))
    if exclude_hidden:
        predicates.append(Predicate("c.hidden = 0"))
    where = _all_of(predicates)
    if expression is not None:
        where = _all_of([_matching(conn, expression), where])
    if query.sort:
        order, order_params = _order(query.sort, schema)
        passes = [SqlPass(where.sql, order, (*where.params, *order_params))]
    elif default_order == EXPORT_ORDER:
        passes = [
            SqlPass(f"c.kind = 'organization' AND {where.sql}", "c.id", where.params),
            SqlPass(f"c.kind = 'person' AND {where.sql}", "c.id", where.params),
        ]
    else:
        passes = [SqlPass(where.sql, _NAME_SQL, where.params)]
    return Selection(conn, passes, query.limit)


def select_ids(
    conn: sqlite3.Connection,
    ids: Sequence[int],
    *,
    sort: Sequence[str] = (),
    limit: int | None = None,
) -> Selection:
    """A selection of known contacts (say, a caller's), by name or by `sort`."""
    prepare_connection(conn)
    if limit is not None and limit < 0:
        raise CrmError("--limit must be 0 or more")
    where = "c.id IN (SELECT value FROM json_each(?))"
    payload = json.dumps(list(ids))
    if sort:
        order, order_params = _order(sort, QuerySchema(conn))
        return Selection(conn, [SqlPass(where, order, (payload, *order_params))], limit)
    return Selection(conn, [SqlPass(where, _NAME_SQL, (payload,))], limit)


def _matching(conn: sqlite3.Connection, expression: str) -> Predicate:
    """The condition that a contact's document matches the FTS5 query."""
    if pg_search.is_postgresql_conn(conn):
        return Predicate(*pg_search.matching_sql(expression))
    return Predicate(_MATCHING, (ID_MASK, expression))


def _all_of(predicates: Sequence[Predicate]) -> Predicate:
    if not predicates:
        return Predicate("1")
    return Predicate(
        " AND ".join(f"({p.sql})" for p in predicates),
        tuple(param for p in predicates for param in p.params),
    )


def _order(sort: Sequence[str], schema: QuerySchema) -> tuple[str, tuple[Any, ...]]:
    """ORDER BY text for `--sort name,-created_at`; empty values last either way."""
    terms: list[str] = []
    params: list[Any] = []
    for raw in sort:
        name = raw.strip()
        descending = name.startswith("-")
        spec = resolve_sort_field(name.lstrip("+-"), schema)
        direction = " DESC" if descending else ""
        if spec.kind == "custom":
            assert spec.custom is not None
            path = f"$.{spec.custom.key}"
            value = "json_extract(c.custom, ?)"
            if spec.custom.type == "number":
                # A number, not its text, on PostgreSQL too (where json_extract gives text).
                value = f"CAST({value} AS REAL)"
            if spec.custom.type in ("number", "date", "datetime", "checkbox"):
                terms.append(f"({value} IS NULL), {value}{direction}")
            else:
                terms.append(f"({value} IS NULL), crm_fold({value}){direction}")
            params += [path, path]
        elif spec.kind in ("text", "identifier"):
            terms.append(f"(c.{spec.column} IS NULL), crm_fold(c.{spec.column}){direction}")
        else:
            terms.append(f"c.{spec.column}{direction}")
    terms.append("c.id")
    return ", ".join(terms), tuple(params)


# -- ranked full-text search ---------------------------------------------------------------


class _Ranked(NamedTuple):
    """A text search in rank order: the FTS query, other filters, and the hidden rule."""

    expression: str
    filters: Predicate | None
    exclude_hidden: bool


def _ranked_ids(conn: sqlite3.Connection, ranked: _Ranked, limit: int | None) -> Iterator[int]:
    """Name matches first, then the rest; each by folded name, then id."""
    if pg_search.is_postgresql_conn(conn):
        yield from pg_search.ranked_ids(
            conn, ranked.expression, ranked.filters, ranked.exclude_hidden, limit
        )
        return
    remaining = limit
    for tier in (name_tier(ranked.expression), other_tier(ranked.expression)):
        if remaining is not None and remaining <= 0:
            return
        found = _tier_ids(conn, tier, ranked, remaining)
        if remaining is not None:
            remaining -= len(found)
        yield from found


def _matches_sql(ranked: _Ranked, *, bounded: bool, limited: bool) -> tuple[str, tuple[Any, ...]]:
    """Matching contact ids in name order, from a rowid (up to another if `bounded`).

    The parameters to bind are: ID_MASK, the FTS query, the low rowid, the high rowid
    if bounded, then the returned ones, then the limit if `limited`.
    """
    join = ""
    conditions = ["contacts_fts MATCH ?", "f.rowid >= ?"]
    if bounded:
        conditions.append("f.rowid < ?")
    if ranked.exclude_hidden:
        conditions.append("k.hidden = 0")
    params: tuple[Any, ...] = ()
    if ranked.filters is not None:
        join = " JOIN contacts c ON c.id = k.contact_id"
        conditions.append(f"({ranked.filters.sql})")
        params = ranked.filters.params
    sql = (
        "SELECT k.contact_id FROM contacts_fts f"
        f" JOIN contacts_fts_keys k ON k.contact_id = (f.rowid & ?){join}"
        f" WHERE {' AND '.join(conditions)} ORDER BY k.sort_key, k.contact_id"
    )
    return sql + (" LIMIT ?" if limited else ""), params


def _tier_ids(conn: sqlite3.Connection, tier: str, ranked: _Ranked, limit: int | None) -> list[int]:
    """One rank's contacts in name order.

    Without a limit: all matches, sorted by SQLite. With one: walk the index's name
    buckets in order (FTS rowids are name-order keys) and sort only inside the
    buckets needed, so a query matching a tenth of a large base stops early.
    """
    open_sql, params = _matches_sql(ranked, bounded=False, limited=limit is not None)
    if limit is None:
        return [row[0] for row in conn.execute(open_sql, (ID_MASK, tier, 0, *params))]
    bucket_sql, _ = _matches_sql(ranked, bounded=True, limited=True)
    first_sql = (
        "SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH ? AND rowid >= ?"
        " ORDER BY rowid LIMIT 1"
    )
    found: list[int] = []
    low = 0
    for _ in range(_MAX_BUCKET_STEPS):
        need = limit - len(found)
        if need <= 0:
            return found
        first = conn.execute(first_sql, (tier, low)).fetchone()
        if first is None:
            return found
        bucket_low, bucket_high = bucket_bounds(first[0])
        rows = conn.execute(bucket_sql, (ID_MASK, tier, bucket_low, bucket_high, *params, need))
        found += [row[0] for row in rows]
        low = bucket_high
    need = limit - len(found)
    if need > 0:
        found += [row[0] for row in conn.execute(open_sql, (ID_MASK, tier, low, *params, need))]
    return found


def compile_selection(
    store: Store, query: Query, settings: FilterSettings, *, order: str = NAME_ORDER
) -> Selection:
    """Return the selection of a query on this store (see `compile_query`)."""
    return compile_query(store.conn, query, settings, default_order=order)


def select_owners(
    store: Store,
    phone: str,
    region: str,
    *,
    include_hidden: bool = False,
    sort: Sequence[str] = (),
    limit: int | None = None,
) -> tuple[LookupResult, Selection]:
    """Return who owns a phone number, and those owners as a selection by name or `sort`."""
    found = lookup_phone(store.conn, phone, region, include_hidden=include_hidden)
    return found, select_ids(store.conn, found.ids, sort=sort, limit=limit)

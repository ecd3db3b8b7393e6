"""Rows of text cells for chosen columns, read straight from the tables in chunks.

This is the fast read path behind tables and CSV. One SELECT reads every
single-valued column (spreadsheet escaping is tested by SQLite); each list
table (phones, e-mails, tags, users, memberships) is read once per chunk of
about a thousand contacts — by id range when the chunk is dense, as in a full
export — and joined with ` | `. Custom fields are decoded once per distinct
JSON text (they repeat a lot: selects, checkboxes). No record dicts are
built, and memory holds one chunk whatever the selection size.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from itertools import groupby, islice
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from crmkit.exporters.escaping import CANDIDATES, escape_cell, guard_sql, register_escaping
from crmkit.store.sqlite.bulk import IN_BATCH, batch_condition
from crmkit.store.sqlite.query.columns import NO_LABEL, ColumnSpec

if TYPE_CHECKING:
    from crmkit.store import Store
    from crmkit.store.sqlite.query.selection import Selection

__all__ = ["TabularReader", "CHUNK", "custom_text", "read_table", "read_in_chunks"]

CHUNK = 1000
_CUSTOM_CACHE_LIMIT = 4096
_ORGANIZATION_CACHE_LIMIT = 100_000
_NAME_SETS_LIMIT = 50_000
# List kinds read as sets of ids, and the table that names them.
_NAME_SETS = {"tags": "tags", "guardians": "users", "observers": "users"}
_FIRST = itemgetter(0)
_SECOND = itemgetter(1)
# Each list table as (contact id, value), with a `{where}` slot for the contact id test
# and an `{extra}` slot for a phone type or e-mail label, in the order the contract
# lists values: phones and e-mails as entered, names sorted, organizations by start.
_LIST_SQL = {
    "phones": "SELECT contact_id, number FROM phones"
    " WHERE contact_id {where}{extra} ORDER BY contact_id, position",
    "emails": "SELECT contact_id, address FROM emails"
    " WHERE contact_id {where}{extra} ORDER BY contact_id, position",
    # Tags and users as each contact's set of ids, named and sorted by `_NameSets`.
    "tags": "SELECT contact_id, group_concat(tag_id) FROM contact_tags"
    " WHERE contact_id {where} GROUP BY contact_id",
    "guardians": "SELECT contact_id, group_concat(user_id) FROM contact_users"
    " WHERE role = 'guardian' AND contact_id {where} GROUP BY contact_id",
    "observers": "SELECT contact_id, group_concat(user_id) FROM contact_users"
    " WHERE role = 'observer' AND contact_id {where} GROUP BY contact_id",
    # Organization ids; their names come from a cache (few organizations, many members).
    "organizations": "SELECT m.person_id, m.organization_id FROM memberships m"
    " WHERE m.person_id {where} ORDER BY m.person_id, m.since IS NOT NULL, m.since, m.id",
    "members": "SELECT m.organization_id, p.name FROM memberships m"
    " JOIN contacts p ON p.id = m.person_id"
    " WHERE m.organization_id {where}"
    " ORDER BY m.organization_id, m.since IS NOT NULL, m.since, m.id",
}


def read_in_chunks(
    conn: sqlite3.Connection, sql: str, params: Sequence[Any] = (), size: int = CHUNK
) -> Iterator[list[Any]]:
    """Yield a query's rows `size` at a time, never the whole result at once.

    A PostgreSQL connection reads through a server-side cursor (`stream`); a
    SQLite cursor steps through the rows by itself.
    """
    stream = getattr(conn, "stream", None)
    if stream is not None:
        yield from stream(sql, params, size)
        return
    cursor = conn.execute(sql, params)
    while rows := cursor.fetchmany(size):
        yield rows


def custom_text(value: Any, field_type: str | None) -> str:
    """A custom field's stored value as the text an import reads back.

    No value is an empty cell, a checkbox's too: "no" would import back as an
    unticked box, a value the contact did not have.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return " | ".join(str(item) for item in value)
    if field_type == "number" and isinstance(value, (int, float)):
        from crmkit.values.numbers import format_number

        return format_number(value)
    return str(value)


class TabularReader:
    """Reads the cells of `columns` for selected contacts; every cell is a string.

    With `escape`, text that a spreadsheet would run as a formula is escaped
    (CSV output); tables leave it alone.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        columns: Sequence[ColumnSpec],
        *,
        escape: bool = False,
        keep_id: bool = False,
    ) -> None:
        self.conn = conn
        self.columns = list(columns)
        self.escape = escape
        # With keep_id, each row ends with the contact id (an int) after its cells.
        self.keep_id = keep_id
        # SQLite tests which cells to escape (`guard_sql`); elsewhere Python does.
        in_sql = isinstance(conn, sqlite3.Connection)
        if in_sql:
            register_escaping(conn)
        self._guarded: list[int] = []
        select = []
        for position, spec in enumerate(self.columns):
            if spec.kind != "sql":
                select.append("''")
            elif escape and spec.guarded and in_sql:
                select.append(guard_sql(spec.sql))
            else:
                select.append(f"coalesce({spec.sql}, '')")
                if escape and spec.guarded:
                    self._guarded.append(position)
        self._custom = [
            (position, spec.sub or "", spec.field_type)
            for position, spec in enumerate(self.columns)
            if spec.kind == "custom"
        ]
        extra = ", c.custom" if self._custom else ""
        self._select = f"SELECT {', '.join(select)}, c.id{extra} FROM contacts c"
        self._width = len(self.columns)
        self._slots: dict[str, list[tuple[int, str | None]]] = {}
        for position, spec in enumerate(self.columns):
            if spec.kind not in ("sql", "custom"):
                self._slots.setdefault(spec.kind, []).append((position, spec.sub))
        self._custom_cache: dict[str, list[tuple[int, str]]] = {}
        self._organization_cache: dict[int, str] = {}
        self._name_set_cache: dict[str, _NameSets] = {}

    # -- selections -----------------------------------------------------------------

    def rows_for_selection(self, selection: Selection) -> Iterator[list[str]]:
        """Rows for the selected contacts, in the selection's order."""
        if selection.ranked is not None:
            yield from self.rows_for_ids(selection.ids())
            return
        remaining = selection.limit
        for sql_pass in selection.passes:
            if remaining is not None and remaining <= 0:
                return
            for row in self.rows_for_query(
                sql_pass.where, sql_pass.params, sql_pass.order, limit=remaining
            ):
                yield row
                if remaining is not None:
                    remaining -= 1

    def rows_for_ids(self, ids: Iterable[int], chunk: int = CHUNK) -> Iterator[list[str]]:
        """Rows for contacts given by id, in that order; unknown ids are skipped."""
        iterator = iter(ids)
        sql = f"{self._select} WHERE c.id {IN_BATCH}"
        width = self._width
        while True:
            batch = list(islice(iterator, chunk))
            if not batch:
                return
            found = {row[width]: row for row in self.conn.execute(sql, (json.dumps(batch),))}
            yield from self._complete([found[i] for i in batch if i in found])

    def rows_for_query(
        self,
        where: str,
        params: Sequence[Any],
        order: str,
        *,
        limit: int | None = None,
        chunk: int = CHUNK,
    ) -> Iterator[list[str]]:
        """Rows for `WHERE where ORDER BY order` over `contacts c`, streamed in chunks."""
        sql = f"{self._select} WHERE {where} ORDER BY {order}"
        if limit is not None:
            sql, params = sql + " LIMIT ?", (*params, limit)
        for rows in read_in_chunks(self.conn, sql, params, chunk):
            yield from self._complete(rows)

    # -- filling a chunk ---------------------------------------------------------------

    def _complete(self, rows: list[tuple[Any, ...]]) -> Iterator[list[str]]:
        """Cells of one chunk of SELECT rows, with list and custom columns filled in."""
        width = self._width
        filled: list[tuple[int, dict[int, str]]] = []
        if self._slots and rows:
            where, params = batch_condition([row[width] for row in rows])
            for kind, slots in self._slots.items():
                filled += self._gather(kind, slots, where, params)
        custom = self._custom
        guarded = self._guarded
        for row in rows:
            cells = list(row[:width])
            for position in guarded:
                if cells[position].startswith(CANDIDATES):
                    cells[position] = escape_cell(cells[position])
            if filled:
                contact_id = row[width]
                for position, texts in filled:
                    text = texts.get(contact_id)
                    if text is not None:
                        cells[position] = text
            if custom:
                for position, text in self._custom_cells(row[width + 1]):
                    cells[position] = text
            if self.keep_id:
                cells.append(row[width])
            yield cells

    def _custom_cells(self, stored: str) -> list[tuple[int, str]]:
        """(position, text) of the custom columns for a stored JSON text, cached."""
        found = self._custom_cache.get(stored)
        if found is not None:
            return found
        values = json.loads(stored) if stored else {}
        found = []
        for position, key, field_type in self._custom:
            text = custom_text(values.get(key), field_type)
            if (
                self.escape
                and field_type not in ("number", "checkbox")
                and text.startswith(CANDIDATES)
            ):
                text = escape_cell(text)
            found.append((position, text))
        if len(self._custom_cache) >= _CUSTOM_CACHE_LIMIT:
            self._custom_cache.clear()
        self._custom_cache[stored] = found
        return found

    def _name_sets(self, kind: str) -> _NameSets:
        table = _NAME_SETS[kind]
        found = self._name_set_cache.get(table)
        if found is None:
            name = "name" if table == "tags" else "full_name"
            known = {
                ident: (key, text)
                for ident, key, text in self.conn.execute(f"SELECT id, key, {name} FROM {table}")
            }
            found = self._name_set_cache[table] = _NameSets(known, self.escape)
        return found

    def _organization_names(self, rows: list[tuple[int, int]]) -> list[tuple[int, str]]:
        """(person id, organization name) for (person id, organization id) rows."""
        names = self._organization_cache
        missing = list({org for _, org in rows if org not in names})
        if missing:
            if len(names) + len(missing) > _ORGANIZATION_CACHE_LIMIT:
                names.clear()
            names.update(
                self.conn.execute(
                    f"SELECT id, name FROM contacts WHERE id {IN_BATCH}", (json.dumps(missing),)
                )
            )
        return [(person, names[org]) for person, org in rows]

    def _gather(
        self,
        kind: str,
        slots: list[tuple[int, str | None]],
        where: str,
        params: tuple[Any, ...],
    ) -> list[tuple[int, dict[int, str]]]:
        """Read one list table for the chunk: (cell position, contact id -> text) per slot."""
        escape = self.escape and kind != "phones"
        named = [sub for _, sub in slots if sub is not None and sub != NO_LABEL]
        result = []
        for position, sub in slots:
            extra, extra_params = _sub_condition(kind, sub, named)
            sql = _LIST_SQL[kind].format(where=where, extra=extra)
            texts: dict[int, str] = {}
            rows: Iterable[tuple[int, Any]] = self.conn.execute(sql, (*params, *extra_params))
            if kind in _NAME_SETS:
                names = self._name_sets(kind)
                result.append((position, {contact: names.text(ids) for contact, ids in rows}))
                continue
            if kind == "organizations":
                rows = self._organization_names(list(rows))
            for contact_id, group in groupby(rows, key=_FIRST):
                text = " | ".join(map(_SECOND, group))
                if escape and text.startswith(CANDIDATES):
                    text = escape_cell(text)
                texts[contact_id] = text
            result.append((position, texts))
        return result


class _NameSets:
    """The text of a set of tag or user ids: names in name order, cached per set."""

    def __init__(self, known: dict[int, tuple[str, str]], escape: bool) -> None:
        self.known = known
        self.escape = escape
        self.texts: dict[str, str] = {}

    def text(self, ids: str) -> str:
        text = self.texts.get(ids)
        if text is None:
            ordered = sorted(self.known[int(ident)] for ident in ids.split(","))
            text = " | ".join(name for _, name in ordered)
            if self.escape and text.startswith(CANDIDATES):
                text = escape_cell(text)
            if len(self.texts) >= _NAME_SETS_LIMIT:
                self.texts.clear()
            self.texts[ids] = text
        return text


def _sub_condition(kind: str, sub: str | None, named: list[str]) -> tuple[str, tuple[str, ...]]:
    """The extra test of a typed phone or labelled e-mail column."""
    if sub is None or kind not in ("phones", "emails"):
        return "", ()
    if kind == "phones":
        return " AND type = ?", (sub,)
    if sub != NO_LABEL:
        return " AND label = ?", (sub,)
    if not named:
        return "", ()
    return f" AND (label IS NULL OR label NOT IN ({', '.join('?' * len(named))}))", tuple(named)


def read_table(
    store: Store, selection: Selection, columns: Sequence[str], *, escape: bool = False
) -> tuple[list[str], Iterator[list[str]]]:
    """Return (headers, rows of text cells) of these columns for the selected contacts."""
    from crmkit.store.sqlite.query.columns import resolve_columns
    from crmkit.store.sqlite.query.fields import QuerySchema

    specs = resolve_columns(list(columns), QuerySchema(store.conn))
    reader = TabularReader(store.conn, specs, escape=escape)
    return [spec.header for spec in specs], reader.rows_for_selection(selection)

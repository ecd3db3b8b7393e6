"""Rows of text cells for chosen columns, read straight from the tables in chunks.

This is the fast read path behind tables and CSV. One SELECT computes every
single-valued column in SQLite (custom fields and spreadsheet escaping
included); each list table (phones, e-mails, tags, users, memberships) is
read once per chunk of about a thousand contacts — by id range when the chunk
is dense, as in a full export — and joined with ` | ` in Python. No record
dicts are built, and memory holds one chunk whatever the selection size.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from itertools import groupby, islice
from operator import itemgetter
from typing import Any

from crmkit.exporters.escaping import (
    GUARD_REPEATS,
    TRIGGERS,
    escape_cell,
    guard_sql,
    register_escaping,
)
from crmkit.query.columns import NO_LABEL, ColumnSpec

__all__ = ["TabularReader", "CHUNK"]

CHUNK = 1000
_FIRST = itemgetter(0)
_SECOND = itemgetter(1)
_IN_CHUNK = "IN (SELECT value FROM json_each(?))"
_IN_RANGE = "BETWEEN ? AND ?"
# Each list table: (contact id, value) with a `{where}` slot for the contact id test and a
# `{extra}` slot for a phone type or e-mail label, ordered the way the contract lists
# values (phones and e-mails as entered, names sorted).
_LIST_SQL = {
    "phones": "SELECT contact_id, number FROM phones"
    " WHERE contact_id {where}{extra} ORDER BY contact_id, position",
    "emails": "SELECT contact_id, address FROM emails"
    " WHERE contact_id {where}{extra} ORDER BY contact_id, position",
    "tags": "SELECT ct.contact_id, t.name FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id"
    " WHERE ct.contact_id {where} ORDER BY ct.contact_id, t.key",
    "guardians": "SELECT cu.contact_id, u.full_name FROM contact_users cu"
    " JOIN users u ON u.id = cu.user_id"
    " WHERE cu.role = 'guardian' AND cu.contact_id {where} ORDER BY cu.contact_id, u.key",
    "observers": "SELECT cu.contact_id, u.full_name FROM contact_users cu"
    " JOIN users u ON u.id = cu.user_id"
    " WHERE cu.role = 'observer' AND cu.contact_id {where} ORDER BY cu.contact_id, u.key",
    "organizations": "SELECT m.person_id, o.name FROM memberships m"
    " JOIN contacts o ON o.id = m.organization_id"
    " WHERE m.person_id {where} ORDER BY m.person_id, m.since IS NOT NULL, m.since, m.id",
    "members": "SELECT m.organization_id, p.name FROM memberships m"
    " JOIN contacts p ON p.id = m.person_id"
    " WHERE m.organization_id {where}"
    " ORDER BY m.organization_id, m.since IS NOT NULL, m.since, m.id",
}


def _format_number(value: Any) -> str:
    from crmkit.values.numbers import format_number

    return "" if value is None else format_number(value)


class TabularReader:
    """Reads the cells of `columns` for selected contacts.

    With `escape`, text that a spreadsheet would run as a formula is escaped
    (CSV output); tables leave it alone. Every cell is a string.
    """

    def __init__(
        self, conn: sqlite3.Connection, columns: Sequence[ColumnSpec], *, escape: bool = False
    ) -> None:
        self.conn = conn
        self.columns = list(columns)
        self.escape = escape
        register_escaping(conn)
        conn.create_function("crm_number", 1, _format_number, deterministic=True)
        select: list[str] = []
        params: list[Any] = []
        for spec in self.columns:
            if spec.kind != "sql":
                select.append("''")
            elif escape and spec.guarded:
                select.append(guard_sql(spec.sql))
                params += spec.params * GUARD_REPEATS
            else:
                select.append(spec.sql)
                params += spec.params
        self._select = f"SELECT c.id, {', '.join(select)} FROM contacts c"
        self._params = tuple(params)
        self._slots: dict[str, list[tuple[int, str | None]]] = {}
        for position, spec in enumerate(self.columns):
            if spec.kind != "sql":
                self._slots.setdefault(spec.kind, []).append((position, spec.sub))

    # -- selections -----------------------------------------------------------------

    def rows_for_ids(self, ids: Iterable[int], chunk: int = CHUNK) -> Iterator[list[str]]:
        """Rows for contacts given by id, in that order; unknown ids are skipped."""
        iterator = iter(ids)
        sql = f"{self._select} WHERE c.id {_IN_CHUNK}"
        while True:
            batch = list(islice(iterator, chunk))
            if not batch:
                return
            found = {
                row[0]: row for row in self.conn.execute(sql, (*self._params, json.dumps(batch)))
            }
            rows = [found[contact_id] for contact_id in batch if contact_id in found]
            yield from self._complete(rows)

    def rows_for_query(
        self, where: str, params: Sequence[Any], order: str, chunk: int = CHUNK
    ) -> Iterator[list[str]]:
        """Rows for `WHERE where ORDER BY order` over `contacts c`, streamed in chunks."""
        cursor = self.conn.execute(
            f"{self._select} WHERE {where} ORDER BY {order}", (*self._params, *params)
        )
        while True:
            rows = cursor.fetchmany(chunk)
            if not rows:
                return
            yield from self._complete(rows)

    # -- list columns -------------------------------------------------------------

    def _complete(self, rows: list[tuple[Any, ...]]) -> Iterator[list[str]]:
        """Fill the list columns of one chunk of SELECT rows."""
        if not self._slots:
            for row in rows:
                yield list(row[1:])
            return
        ids = [row[0] for row in rows]
        low, high = min(ids), max(ids)
        if high - low < 2 * len(ids):
            where, params = _IN_RANGE, (low, high)
        else:
            where, params = _IN_CHUNK, (json.dumps(ids),)
        filled: list[tuple[int, dict[int, str]]] = []
        for kind, slots in self._slots.items():
            filled += self._gather(kind, slots, where, params)
        for row in rows:
            cells = list(row[1:])
            contact_id = row[0]
            for position, values in filled:
                text = values.get(contact_id)
                if text is not None:
                    cells[position] = text
            yield cells

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
            rows = self.conn.execute(sql, (*params, *extra_params))
            for contact_id, group in groupby(rows, key=_FIRST):
                text = " | ".join(map(_SECOND, group))
                if escape and text.startswith(TRIGGERS):
                    text = escape_cell(text)
                texts[contact_id] = text
            result.append((position, texts))
        return result


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

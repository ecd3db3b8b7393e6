"""Rows of text cells for chosen columns, read straight from the tables in chunks.

This is the fast read path behind tables and CSV: one SELECT per chunk of ids
computes every single-valued column in SQLite (including custom fields and
spreadsheet escaping), and one query per list table (phones, e-mails, tags,
users, memberships) fills the list columns. No record dicts are built, and
memory holds one chunk whatever the selection size.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from crmkit.exporters.escaping import TRIGGERS, escape_cell, guard_sql, register_escaping
from crmkit.query.columns import NO_LABEL, ColumnSpec

__all__ = ["TabularReader", "CHUNK"]

CHUNK = 1000
_IN_CHUNK = "IN (SELECT value FROM json_each(?))"
_LIST_SQL = {
    "phones": "SELECT contact_id, type, number FROM phones"
    f" WHERE contact_id {_IN_CHUNK} ORDER BY contact_id, position",
    "emails": "SELECT contact_id, label, address FROM emails"
    f" WHERE contact_id {_IN_CHUNK} ORDER BY contact_id, position",
    "tags": "SELECT ct.contact_id, t.name FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id"
    f" WHERE ct.contact_id {_IN_CHUNK} ORDER BY ct.contact_id, t.key",
    "guardians": "SELECT cu.contact_id, u.full_name FROM contact_users cu"
    " JOIN users u ON u.id = cu.user_id"
    f" WHERE cu.role = 'guardian' AND cu.contact_id {_IN_CHUNK} ORDER BY cu.contact_id, u.key",
    "observers": "SELECT cu.contact_id, u.full_name FROM contact_users cu"
    " JOIN users u ON u.id = cu.user_id"
    f" WHERE cu.role = 'observer' AND cu.contact_id {_IN_CHUNK} ORDER BY cu.contact_id, u.key",
    "organizations": "SELECT m.person_id, o.name FROM memberships m"
    " JOIN contacts o ON o.id = m.organization_id"
    f" WHERE m.person_id {_IN_CHUNK} ORDER BY m.person_id, m.since IS NOT NULL, m.since, m.id",
    "members": "SELECT m.organization_id, p.name FROM memberships m"
    " JOIN contacts p ON p.id = m.person_id"
    f" WHERE m.organization_id {_IN_CHUNK}"
    " ORDER BY m.organization_id, m.since IS NOT NULL, m.since, m.id",
}


def _format_number(value: Any) -> str:
    from crmkit.values.numbers import format_number

    return "" if value is None else format_number(value)


class TabularReader:
    """Reads the cells of `columns` for contacts given by id, in the order given.

    With `escape`, text that a spreadsheet would run as a formula is escaped
    (CSV output); tables leave it alone.
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
                params += spec.params * 3
            else:
                select.append(spec.sql)
                params += spec.params
        self._sql = f"SELECT c.id, {', '.join(select)} FROM contacts c WHERE c.id {_IN_CHUNK}"
        self._params = tuple(params)
        self._lists: dict[str, list[tuple[int, str | None]]] = defaultdict(list)
        for position, spec in enumerate(self.columns):
            if spec.kind != "sql":
                self._lists[spec.kind].append((position, spec.sub))
        self._email_labels = {sub for _, sub in self._lists.get("emails", []) if sub}

    def rows(self, ids: Iterable[int], chunk: int = CHUNK) -> Iterator[list[Any]]:
        """One list of cells per existing contact; unknown ids are skipped."""
        iterator = iter(ids)
        while True:
            batch = list(islice(iterator, chunk))
            if not batch:
                return
            yield from self._chunk(batch)

    def _chunk(self, batch: list[int]) -> Iterator[list[Any]]:
        payload = json.dumps(batch)
        found = {row[0]: row for row in self.conn.execute(self._sql, (*self._params, payload))}
        fillers = [self._gather(kind, slots, payload) for kind, slots in self._lists.items()]
        for contact_id in batch:
            row = found.get(contact_id)
            if row is None:
                continue
            cells = list(row[1:])
            for fill in fillers:
                fill(contact_id, cells)
            yield cells

    def _gather(
        self, kind: str, slots: list[tuple[int, str | None]], payload: str
    ) -> Any:
        """Read one list table for the chunk; return a function filling a contact's cells."""
        escape = self.escape and kind != "phones"
        if kind in ("phones", "emails"):
            grouped: dict[int, list[tuple[str | None, str]]] = defaultdict(list)
            for contact_id, sub, value in self.conn.execute(_LIST_SQL[kind], (payload,)):
                grouped[contact_id].append((sub, value))
            labels = self._email_labels if kind == "emails" else set()

            def fill_typed(contact_id: int, cells: list[Any]) -> None:
                items = grouped.get(contact_id)
                if not items:
                    return
                for position, sub in slots:
                    if sub is None:
                        values = [value for _, value in items]
                    elif sub == NO_LABEL:
                        values = [value for label, value in items if label not in labels]
                    else:
                        values = [value for label, value in items if label == sub]
                    if values:
                        cells[position] = _joined(values, escape)

            return fill_typed
        names: dict[int, list[str]] = defaultdict(list)
        for contact_id, name in self.conn.execute(_LIST_SQL[kind], (payload,)):
            names[contact_id].append(name)
        positions = [position for position, _ in slots]

        def fill_names(contact_id: int, cells: list[Any]) -> None:
            values = names.get(contact_id)
            if values:
                text = _joined(values, escape)
                for position in positions:
                    cells[position] = text

        return fill_names


def _joined(values: list[str], escape: bool) -> str:
    text = " | ".join(values)
    if escape and text.startswith(TRIGGERS):
        return escape_cell(text)
    return text

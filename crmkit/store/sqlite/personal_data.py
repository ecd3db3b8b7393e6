"""Where a person's data is: the terms that identify them, and every place they occur.

A person is found by their name (first and last name together, in either
order, and the last name alone), their phone numbers written any usual way
(`+48 601 234 567`, `601-234-567`, `0048601234567`...), e-mails, PESEL, NIP
and identity document number. `Terms` turns these into one case-insensitive
regular expression; `PLACES` lists every table and column of free text or
copied values a search must read, besides the contact's own rows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from crmkit.store.sqlite.connection import Store

__all__ = ["Terms", "PLACES", "find_places", "scrub_text", "scrub_json", "ERASED"]

ERASED = "[erased]"
# (table, key column, text column) of every place a person's data can be copied into.
PLACES: tuple[tuple[str, str, str], ...] = (
    ("contacts", "id", "name"),
    ("contacts", "id", "note"),
    ("notes", "id", "body"),
    ("events", "id", "subject"),
    ("events", "id", "body"),
    ("files", "id", "name"),
    ("history", "id", "changes"),
    ("history", "id", "detail"),
    ("import_problems", "rowid", "value"),
    ("views", "id", "filters"),
    ("merges", "id", "snapshot"),
)
_SEPARATOR = r"[\s\-.()/]?"
# Rows read at once where the values are tested in Python (PostgreSQL).
_BATCH = 5000


@dataclass
class Terms:
    """The values that identify one person, and the pattern that finds any of them."""

    names: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)

    @classmethod
    def of_record(cls, record: Mapping[str, Any]) -> Terms:
        """Return the terms of a contact's record."""
        names = []
        first, last = record.get("first_name"), record.get("last_name")
        if first and last:
            names += [f"{first} {last}", f"{last} {first}"]
        if last and len(last) >= 3:
            names.append(last)
        if record.get("name") and len(record["name"]) >= 3:
            names.append(record["name"])
        numbers = [
            str(record[key]) for key in ("pesel", "nip", "regon", "id_document") if record.get(key)
        ]
        return cls(
            names=sorted(set(names), key=len, reverse=True),
            phones=[phone["number"] for phone in record.get("phones") or []],
            emails=[email["address"] for email in record.get("emails") or []],
            numbers=numbers,
        )

    @classmethod
    def of_text(cls, text: str, region: str) -> Terms:
        """Return the terms a search text stands for: a phone, an e-mail, a number or a name."""
        from crmkit.errors import InvalidValue
        from crmkit.values.phones import normalize_phone

        clean = text.strip()
        if "@" in clean:
            return cls(emails=[clean])
        digits = re.sub(r"\D", "", clean)
        if digits and len(digits) >= 7 and not re.search(r"[^\d\s\-+().]", clean):
            try:
                return cls(phones=[normalize_phone(clean, region)], numbers=[digits])
            except InvalidValue:
                return cls(numbers=[digits])
        return cls(names=[clean])

    @property
    def empty(self) -> bool:
        return not (self.names or self.phones or self.emails or self.numbers)

    def pattern(self) -> re.Pattern[str]:
        """Return one case-insensitive pattern matching any term, spelled any usual way."""
        parts = [re.escape(name) for name in self.names]
        parts += [re.escape(email) for email in self.emails]
        for number in self.phones:
            national = number.removeprefix("+48") if number.startswith("+48") else number[1:]
            spelled = _SEPARATOR.join(re.escape(digit) for digit in national)
            parts.append(rf"(?:(?:\+|00)?48{_SEPARATOR})?{spelled}" if number.startswith("+48")
                         else rf"(?:\+|00){_SEPARATOR.join(number[1:])}")  # fmt: skip
        for number in self.numbers:
            parts.append(_SEPARATOR.join(re.escape(digit) for digit in number))
        if not parts:
            return re.compile(r"(?!)")
        return re.compile("|".join(f"(?:{part})" for part in parts), re.IGNORECASE)


def scrub_text(text: str, pattern: re.Pattern[str]) -> str:
    """Return the text with every match replaced by "[erased]"."""
    return pattern.sub(ERASED, text)


def scrub_json(text: str, pattern: re.Pattern[str]) -> str:
    """Return a JSON text with the matches in its strings replaced (its shape kept)."""
    try:
        value = json.loads(text)
    except ValueError:
        return scrub_text(text, pattern)

    def scrub(item: Any) -> Any:
        if isinstance(item, str):
            return scrub_text(item, pattern)
        if isinstance(item, list):
            return [scrub(part) for part in item]
        if isinstance(item, dict):
            return {key: scrub(part) for key, part in item.items()}
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            shown = str(item)
            return ERASED if pattern.fullmatch(shown) else item
        return item

    return json.dumps(scrub(value), ensure_ascii=False)


def find_places(
    store: Store, pattern: re.Pattern[str], *, skip_contact: int | None = None
) -> Iterator[dict[str, Any]]:
    """Yield each place the pattern matches: table, row key, field and the text around it.

    The contacts' structured values are found by `find_contacts`; here the free
    text and copied values of `PLACES` are read (one regular-expression test per
    non-empty value, in SQLite's own loop; on PostgreSQL, batch by batch here).
    """
    conn = store.conn
    postgresql = getattr(store, "dialect", "sqlite") == "postgresql"
    if not postgresql:
        conn.create_function(
            "crm_mentions", 1, lambda text: text is not None and bool(pattern.search(str(text))),
            deterministic=True,
        )  # fmt: skip
    for table, key, column in PLACES:
        owner = ", contact_id" if table in ("notes", "events", "files") else ""
        if postgresql:
            rows: Iterable[Any] = _mentions_read_here(store, pattern, table, key, column, owner)
        else:
            rows = conn.execute(
                f"SELECT {key}, {column}{owner} FROM {table}"
                f" WHERE {column} IS NOT NULL AND crm_mentions({column})"
            )
        for row in rows:
            if table == "contacts" and row[0] == skip_contact:
                continue
            found = pattern.search(str(row[1]))
            start = max(0, found.start() - 30) if found else 0
            place = {
                "table": table,
                "row": row[0],
                "field": column,
                "text": str(row[1])[start : start + 100],
            }
            if len(row) > 2:
                place["contact_id"] = row[2]
            yield place


def _mentions_read_here(
    store: Store, pattern: re.Pattern[str], table: str, key: str, column: str, owner: str
) -> Iterator[Any]:
    """Yield the rows of a place whose value the pattern matches, tested in Python.

    The server's regular expressions fold case by its own locale, not as Python's
    do, so every non-empty value is read (in batches, by key) and tested here.
    """
    last = None
    while True:
        after = "" if last is None else f" AND {key} > ?"
        batch = store.rows(
            f"SELECT {key}, {column}{owner} FROM {table} WHERE {column} IS NOT NULL{after}"
            f" ORDER BY {key} LIMIT {_BATCH}",
            () if last is None else (last,),
        )
        yield from (row for row in batch if pattern.search(str(row[1])))
        if len(batch) < _BATCH:
            return
        last = batch[-1][0]


def find_contacts(store: Store, terms: Terms) -> list[int]:
    """Return the contacts whose own values hold a term: phone, e-mail, number or name."""
    conn = store.conn
    found: set[int] = set()
    for number in terms.phones:
        found.update(r[0] for r in conn.execute("SELECT contact_id FROM phones WHERE number = ?",
                                                (number,)))  # fmt: skip
    for email in terms.emails:
        found.update(
            r[0]
            for r in conn.execute(
                "SELECT contact_id FROM emails WHERE address = ? COLLATE NOCASE", (email,)
            )
        )
    for number in terms.numbers:
        found.update(
            r[0]
            for r in conn.execute(
                "SELECT id FROM contacts WHERE ?1 IN (pesel, regon, id_document)"
                " OR replace(nip, '-', '') = ?1",
                (number,),
            )
        )
    for name in terms.names:
        found.update(
            r[0]
            for r in conn.execute(
                "SELECT id FROM contacts WHERE name = ?1 COLLATE NOCASE"
                " OR last_name = ?1 COLLATE NOCASE"
                " OR (first_name || ' ' || last_name) = ?1 COLLATE NOCASE",
                (name,),
            )
        )
    return sorted(found)

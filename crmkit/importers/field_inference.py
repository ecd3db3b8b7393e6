"""Definitions for the custom fields a file names and the base lacks (`--create-missing`).

A `custom.KEY` column (or a JSON record's `custom` key) with no field KEY gets
one, typed by its values, all read before the import writes anything. A type
is taken only where every value is already written the way that type is
exported, so the field gives back exactly what the file held: `yes`/`no` is a
checkbox, `1234.5` a number, `2024-03-05` a date, `2024-03-05T13:30:00Z` a
datetime, `https://example.pl/` a URL, and in JSON `true` a checkbox, `12` a
number and a list of names a multiselect field with those names as options.
Anything else is text, a choice the import reports in a warning: a CSV cell
does not say whether `IT | Handel` is one value or two, nor that `Gold` is one
of a fixed list of options.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from crmkit.errors import InvalidValue
from crmkit.importers.json_records import flatten_record
from crmkit.importers.readers import SourceFile
from crmkit.mapping import Mapping
from crmkit.model import CustomField
from crmkit.reference import is_field_key
from crmkit.values.datetimes import parse_date, parse_datetime
from crmkit.values.names import name_key
from crmkit.values.numbers import format_number, parse_number
from crmkit.values.urls import normalize_url

__all__ = ["FieldGuess", "guess_fields", "undefined_columns"]

_CUSTOM = "custom."


@dataclass
class FieldGuess:
    """A field to define: its key, the column it came from, and what its values showed."""

    key: str
    column: str
    types: set[str] = field(default_factory=set)
    options: dict[str, str] = field(default_factory=dict)  # matching key -> first spelling
    values: int = 0

    @property
    def type(self) -> str:
        """The one type every value has, else text."""
        return next(iter(self.types)) if len(self.types) == 1 else "text"

    def definition(self) -> CustomField:
        """The field as it will be defined (its id is the store's to give)."""
        field_type = self.type
        options = list(self.options.values()) if field_type == "multiselect" else []
        return CustomField(
            id=0, key=self.key, type=field_type, label=self.key, options=options, required=False
        )

    def sentence(self) -> str:
        """Why the field was made as it was, for the import's warning."""
        values = f"{self.values} value{'s' if self.values != 1 else ''}"
        made = f"custom field {self.key!r} was not defined: created it as a {self.type} field"
        if self.type != "text":
            if self.values == 1:
                return f"{made}, the type of its one value"
            return f"{made}, the type all its {values} have"
        return (
            f"{made} from {values} (the file does not say its type; for a select or"
            " multiselect field, define it with `crm field add` before importing)"
        )

    def add(self, value: Any, typed: bool) -> None:
        """Take one value in evidence; `typed` is true for JSON, where values carry a type."""
        if value is None or value == [] or (isinstance(value, str) and not value.strip()):
            return
        self.values += 1
        value_type = _json_type(value) if typed else None
        if value_type is None:
            value_type = _text_type(str(value).strip(), checkbox=not typed, number=not typed)
        if value_type == "multiselect":
            for option in value:
                clean = " ".join(option.split())
                self.options.setdefault(name_key(clean), clean)
        self.types.add(value_type)


def undefined_columns(
    source: SourceFile, mapping: Mapping, fields: dict[str, CustomField]
) -> dict[str, str] | None:
    """File column -> key of each undefined field the columns name, that can be defined.

    None for JSON records without a mapping: each record may name other fields,
    so only reading them all tells.
    """
    if mapping.columns is None:
        if source.format != "csv":
            return None
        targets = {column: column for column in source.header}
    else:
        targets = {column: target for column, target in mapping.columns.items() if target}
    found = {}
    for column, target in targets.items():
        key = target.strip()[len(_CUSTOM) :] if target.strip().startswith(_CUSTOM) else ""
        if key and key not in fields and is_field_key(key):
            found[column] = key
    return found


def guess_fields(
    source: SourceFile, mapping: Mapping, fields: dict[str, CustomField]
) -> list[FieldGuess]:
    """Read every row and return the fields to define, in the order their columns come."""
    columns = undefined_columns(source, mapping, fields)
    if columns == {}:
        return []
    guesses: dict[str, FieldGuess] = {}
    if columns is None:
        for values in _undefined_record_values(source, fields):
            for column, value in values:
                key = column[len(_CUSTOM) :]
                guess = guesses.get(key)
                if guess is None:
                    guess = guesses[key] = FieldGuess(key, column)
                guess.add(value, typed=True)
        return list(guesses.values())
    for column, key in columns.items():
        guesses.setdefault(key, FieldGuess(key, column))
    if source.format == "csv":
        positions = [(source.header.index(column), guesses[key]) for column, key in columns.items()]
        for _, cells in source.rows:
            for position, guess in positions:
                if position < len(cells):
                    guess.add(cells[position], typed=False)
    else:
        for _, cells in source.rows:
            record = cells[0]
            if isinstance(record, dict):
                for column, key in columns.items():
                    guesses[key].add(record.get(column), typed=True)
    return list(guesses.values())


def _undefined_record_values(
    source: SourceFile, fields: dict[str, CustomField]
) -> Iterable[list[tuple[str, Any]]]:
    """For each JSON record, its (custom.KEY, value) pairs of undefined fields."""
    for _, cells in source.rows:
        record = cells[0]
        if not isinstance(record, dict):
            continue
        flat = flatten_record(record)
        yield [
            (column, value)
            for column, value in flat.items()
            if column.startswith(_CUSTOM)
            and column[len(_CUSTOM) :] not in fields
            and is_field_key(column[len(_CUSTOM) :])
        ]


def _json_type(value: Any) -> str | None:
    """The type a JSON value says it has, or None for a string (its text decides)."""
    if isinstance(value, bool):
        return "checkbox"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, list):
        names = all(isinstance(item, str) and item.strip() and "|" not in item for item in value)
        return "multiselect" if names else "text"
    if isinstance(value, str):
        return None
    return "text"


def _text_type(text: str, *, checkbox: bool, number: bool) -> str:
    """The type whose exported form this text already is, else text."""
    if checkbox and text in ("yes", "no"):
        return "checkbox"
    for field_type, canonical in _CANONICAL:
        if field_type == "number" and not number:
            continue
        try:
            if canonical(text) == text:
                return field_type
        except InvalidValue:
            continue
    return "text"


def _canonical_number(text: str) -> str:
    return format_number(parse_number(text))


_CANONICAL = (
    ("number", _canonical_number),
    ("date", parse_date),
    ("datetime", parse_datetime),
    ("url", normalize_url),
)

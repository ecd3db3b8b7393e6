"""`crm mapping suggest FILE`: a mapping guessed from a file's headers and values.

The first rows of the file are read (a sample: a file of a million rows takes as long
as one of a thousand), each column's values are profiled (`profile`), and headers and
values together choose its target (`decide`). The suggestion is written as a YAML
mapping whose every line says why and shows sample values (`yaml_text`); it imports
the file as it is, and is the place to correct what was guessed wrong.

    >>> suggestion = crm.imports.suggest("kontakty.csv")
    >>> suggestion.columns[0].target, suggestion.columns[0].reason
    ('external_id', 'the header says so')
    >>> open("map.yaml", "w").write(suggestion.text)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from crmkit.errors import CrmError
from crmkit.store import Store
from crmkit.suggest.decide import ColumnGuess, Reference, guess_columns, looks_like_events
from crmkit.suggest.profile import Profile, profile_values

__all__ = ["MappingSuggestion", "suggest_mapping", "SAMPLE_ROWS"]

SAMPLE_ROWS = 2000
_MULTI = ("tags", "guardians", "observers", "phone", "email", "agent")


@dataclass
class MappingSuggestion:
    """A mapping guessed from a file: its settings, a guess per column, and the YAML text."""

    file: str
    rows_sampled: int
    target: str = "contacts"
    kind: str = "person"
    region: str = "PL"
    timezone: str = "UTC"
    dayfirst: bool = True
    dayfirst_reason: str | None = None
    separator: str = " | "
    match: list[str] = field(default_factory=list)
    columns: list[ColumnGuess] = field(default_factory=list)
    sheet: str | None = None
    preset: str | None = None

    @property
    def text(self) -> str:
        """The commented YAML mapping."""
        from crmkit.suggest.yaml_text import suggestion_yaml

        return suggestion_yaml(self)

    def as_dict(self) -> dict[str, Any]:
        """The mapping as `parse_mapping` reads it (no comments)."""
        if self.preset in ("google", "outlook"):
            return {"preset": self.preset, "region": self.region, "timezone": self.timezone}
        data: dict[str, Any] = {"target": self.target}
        if self.target == "contacts":
            data["kind"] = self.kind
        data.update(region=self.region, timezone=self.timezone, dayfirst=self.dayfirst)
        data["separator"] = self.separator
        if self.match:
            data["match"] = list(self.match)
        data["columns"] = {guess.column: guess.target for guess in self.columns}
        return data


def suggest_mapping(
    store: Store | None,
    path: str | Path,
    *,
    sheet: str | int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sample_rows: int = SAMPLE_ROWS,
) -> MappingSuggestion:
    """Guess a mapping for the file from its header and its first `sample_rows` rows.

    The tags, users and custom fields of `store` are recognised in the values
    (with None, a base yet to be made, none are).
    """
    from crmkit.importers.presets import recognise_preset
    from crmkit.importers.sources import open_input

    with open_input(str(path), sheet=sheet, encoding=encoding, delimiter=delimiter) as source:
        if source.format == "vcard":
            raise CrmError(f"{source.name} is a vCard file: crm import reads it with no mapping")
        header = list(source.header)
        rows = [cells for _, cells in islice(source.rows, sample_rows)]
        name, records = source.name, source.records
        sheet_name = getattr(source, "sheet", None)
    if not header:
        raise CrmError(f"{name} has no columns to map")
    columns = _column_values(header, rows, records)
    profiles = [profile_values(values) for values in columns]
    reference = _reference(store)
    events = looks_like_events(header, profiles)
    guesses = guess_columns(header, profiles, reference, events=events)
    suggestion = MappingSuggestion(file=name, rows_sampled=len(rows), sheet=sheet_name)
    suggestion.preset = recognise_preset(header)
    suggestion.target = "events" if events else "contacts"
    suggestion.columns = guesses
    _settle(suggestion, profiles)
    return suggestion


def _column_values(header: list[str], rows: list[list[Any]], records: bool) -> list[list[str]]:
    if records:
        return [
            [_text(row[0].get(column)) for row in rows if isinstance(row[0], dict)]
            for column in header
        ]
    return [
        [_text(row[index]) if index < len(row) else "" for row in rows]
        for index in range(len(header))
    ]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " | ".join(str(item) for item in value)
    return str(value)


def _reference(store: Store | None) -> Reference:
    from crmkit.events import EVENT_KIND_WORDS
    from crmkit.store.sqlite.reference import fields_by_key, tag_ids, user_ids

    if store is None:
        return Reference(tags=set(), users=set(), fields={}, event_kinds=set(EVENT_KIND_WORDS))
    return Reference(
        tags=set(tag_ids(store)),
        users=set(user_ids(store)),
        fields=fields_by_key(store),
        event_kinds=set(EVENT_KIND_WORDS),
    )


def _settle(suggestion: MappingSuggestion, profiles: list[Profile]) -> None:
    """The settings that follow from the columns: kind, day order, separator, zone, match."""
    targets = {guess.target for guess in suggestion.columns if guess.target}
    named = {"first_name", "last_name"} & targets
    if suggestion.target == "contacts" and not named and ({"name", "nip"} & targets):
        suggestion.kind = "organization"
    dated = sorted(
        (
            (guess, profile)
            for guess, profile in zip(suggestion.columns, profiles, strict=True)
            if profile.dayfirst is not None
        ),
        key=lambda pair: pair[0].target is None,
    )
    for guess, profile in dated[:1]:
        suggestion.dayfirst = bool(profile.dayfirst)
        example = next(
            (value for value in profile.values if _day_above_twelve(value, profile.dayfirst)),
            "",
        )
        order = "the day" if profile.dayfirst else "the month"
        suggestion.dayfirst_reason = f"{example} in {guess.column!r}: {order} comes first"
    counts: Counter[str] = Counter()
    for guess, profile in zip(suggestion.columns, profiles, strict=True):
        if (
            guess.target
            and guess.target.split(".")[0] in _MULTI
            or (guess.target or "").startswith(("custom.", "contact."))
        ):
            counts.update(profile.separators)
    if counts:
        suggestion.separator = counts.most_common(1)[0][0]
    if any(profile.with_time > 0 for profile in profiles):
        suggestion.timezone = "Europe/Warsaw"
    if suggestion.target == "contacts" and "external_id" in targets:
        suggestion.match = ["external_id"]


def _day_above_twelve(value: str, dayfirst: bool | None) -> bool:
    import re

    match = re.match(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})", value)
    if match is None:
        return False
    first, second = int(match.group(1)), int(match.group(2))
    return first > 12 if dayfirst else second > 12

"""Presets: the CSV files of Google Contacts and Outlook, read without a mapping.

A preset reads each row of such a file into the targets of a crmkit row (the phone
of `Phone 1 - Value` goes to the type its `Phone 1 - Label` names, say), so the
import goes on as for a file with target headers. With no `--mapping`, the preset
is recognised from the header (`crmkit`: headers that are target names, as
`crm export` writes them) and the report names it.

Google: `E-mail N - Label/Value`, `Phone N - Label/Value`, `Address N - ...`,
`Organization Name/Title` (or the older `Given Name`, `Organization 1 - Name`,
`Group Membership`); ` ::: ` separates values in one cell; `Labels` are tags except
`* myContacts` and `* starred`, which makes the contact a VIP; a row with only an
organization name is an organization. Outlook: its English and Polish columns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from crmkit.errors import CrmError
from crmkit.importers.readers import SourceFile
from crmkit.values.names import fold_text

__all__ = ["PRESETS", "PresetSource", "recognise_preset", "apply_preset"]

PRESETS = ("google", "outlook", "crmkit")
HEADER = [
    "kind", "first_name", "last_name", "name", "position", "organization",
    "phone.mobile", "phone.landline", "phone.work", "phone.main", "phone.home_fax",
    "phone.office_fax", "phone.other", "email", "email.work", "email.home",
    "address.street", "address.street2", "address.postal_code", "address.city",
    "address.region", "address.country", "tags", "vip", "note", "url",
]  # fmt: skip
_GOOGLE_MANY = " ::: "
_GOOGLE_PHONES = {
    "mobile": "mobile", "work": "work", "home": "landline", "main": "main",
    "home fax": "home_fax", "work fax": "office_fax", "other": "other",
}  # fmt: skip
_NOT_TAGS = {"* mycontacts", "* starred", "mycontacts", "starred"}
# Outlook's columns (folded: lower case, no diacritics), in English and Polish.
_OUTLOOK = {
    "first_name": ("first name", "imie"),
    "last_name": ("last name", "nazwisko"),
    "position": ("job title", "stanowisko"),
    "company": ("company", "firma"),
    "note": ("notes", "notatki"),
    "tags": ("categories", "kategorie"),
    "url": ("web page", "strona sieci web", "strona www"),
    "email": (
        "e-mail address", "e-mail 2 address", "e-mail 3 address",
        "adres e-mail", "adres e-mail 2", "adres e-mail 3",
    ),
    "phone.mobile": ("mobile phone", "telefon komorkowy"),
    "phone.work": (
        "business phone", "business phone 2", "telefon sluzbowy", "telefon sluzbowy 2",
    ),
    "phone.landline": ("home phone", "home phone 2", "telefon domowy", "telefon domowy 2"),
    "phone.main": (
        "company main phone", "primary phone", "telefon glowny firmy", "telefon podstawowy",
    ),
    "phone.office_fax": ("business fax", "faks sluzbowy"),
    "phone.home_fax": ("home fax", "faks domowy"),
    "phone.other": ("other phone", "inny telefon"),
}  # fmt: skip
_OUTLOOK_ADDRESS = {
    "street": ("street", "ulica"),
    "street2": ("street 2", "ulica 2"),
    "city": ("city", "miasto"),
    "region": ("state", "wojewodztwo"),
    "postal_code": ("postal code", "kod pocztowy"),
    "country": ("country/region", "kraj/region"),
}
_OUTLOOK_PLACES = {"business": "sluzbowy", "home": "domowy"}
# Columns only Outlook writes: a file with generic Polish headers is not taken for one.
_OUTLOOK_ONLY = {
    "middle name", "drugie imie", "e-mail address", "adres e-mail", "e-mail type", "typ e-mail",
    "e-mail display name", "nazwa wyswietlana e-mail", "business street", "home street",
    "ulica (sluzbowy)", "ulica (domowy)", "business phone", "mobile phone", "job title",
}  # fmt: skip


@dataclass
class PresetSource(SourceFile):
    """A file's rows as a preset reads them; reading and progress are the file's."""

    inner: SourceFile | None = None

    @property
    def sha256(self) -> str | None:
        return self.inner.sha256 if self.inner is not None else None

    @property
    def bytes_read(self) -> int:
        return self.inner.bytes_read if self.inner is not None else 0

    def close(self) -> None:
        if self.inner is not None:
            self.inner.close()


def recognise_preset(header: list[str]) -> str | None:
    """The preset whose columns the header has: google, outlook, or None."""
    folded = {fold_text(column.strip()) for column in header}
    if {"e-mail 1 - value", "phone 1 - value"} & folded and (
        {"first name", "given name", "name", "organization name", "organization 1 - name"} & folded
    ):
        return "google"
    names = {name for names in _OUTLOOK.values() for name in names}
    if len(names & folded) >= 3 and {"first name", "imie"} & folded and _OUTLOOK_ONLY & folded:
        return "outlook"
    return None


def apply_preset(name: str, source: SourceFile) -> PresetSource:
    """The file's rows read by a preset, under the header `HEADER` (`url` if it has any)."""
    if source.records or source.format == "vcard":
        raise CrmError(f"--preset is for CSV files and workbooks, not for {source.name}")
    index = {fold_text(column.strip()): position for position, column in enumerate(source.header)}
    reader: Callable[[list[str]], dict[str, list[str]]]
    if name == "google":
        reader = _google_reader(index)
    elif name == "outlook":
        reader = _outlook_reader(index)
    else:
        raise CrmError(f"unknown preset {name!r}; use one of: google, outlook, crmkit")
    websites = any(column.startswith("website") for column in index) or bool(
        set(_OUTLOOK["url"]) & index.keys()
    )
    header = [column for column in HEADER if column != "url" or websites]
    wrapped = PresetSource(
        name=source.name,
        format=source.format,
        header=header,
        rows=_rows(source.rows, reader, header),
        size=source.size,
        encoding=source.encoding,
        delimiter=source.delimiter,
        inner=source,
    )
    return wrapped


def _rows(
    rows: Iterator[tuple[int, list[Any]]],
    reader: Callable[[list[str]], dict[str, list[str]]],
    header: list[str],
) -> Iterator[tuple[int, list[str]]]:
    for line, cells in rows:
        values = reader(cells)
        yield line, [" | ".join(values.get(column, ())) for column in header]


def _cell_reader(index: dict[str, int]) -> Callable[[list[str], str], str]:
    def cell(cells: list[str], column: str) -> str:
        position = index.get(column)
        if position is None or position >= len(cells):
            return ""
        return str(cells[position] or "").strip()

    return cell


def _google_reader(index: dict[str, int]) -> Callable[[list[str]], dict[str, list[str]]]:
    wanted = {"e-mail 1 - value", "phone 1 - value", "first name", "given name"}
    if not wanted & index.keys():
        raise CrmError(
            "the header is not that of a Google Contacts export"
            " (it has none of: First Name, Given Name, E-mail 1 - Value, Phone 1 - Value)"
        )
    cell = _cell_reader(index)
    slots = sorted({column.split(" - ")[0] for column in index if " - " in column})

    def read(cells: list[str]) -> dict[str, list[str]]:
        values: dict[str, list[str]] = {}
        first = cell(cells, "first name") or cell(cells, "given name")
        last = cell(cells, "last name") or cell(cells, "family name")
        company = cell(cells, "organization name") or cell(cells, "organization 1 - name")
        title = cell(cells, "organization title") or cell(cells, "organization 1 - title")
        full = cell(cells, "name") or cell(cells, "file as") or cell(cells, "nickname")
        if not (first or last or full) and company:
            _put(values, "kind", "organization")
            _put(values, "name", company)
        else:
            _put(values, "kind", "person")
            _put(values, "first_name", first)
            _put(values, "last_name", last)
            if not (first or last):
                _put(values, "name", full)
            _put(values, "organization", company)
            _put(values, "position", title)
        _put(values, "note", cell(cells, "notes"))
        for label in _many(cell(cells, "labels") or cell(cells, "group membership")):
            if label.casefold() == "* starred":
                _put(values, "vip", "true")
            elif label.casefold() not in _NOT_TAGS:
                _put(values, "tags", label.removeprefix("* "))
        for slot in slots:
            kind = (cell(cells, f"{slot} - label") or cell(cells, f"{slot} - type")).lower()
            kind = kind.removeprefix("* ").strip()
            for value in _many(cell(cells, f"{slot} - value")):
                if slot.startswith("e-mail"):
                    label = kind if kind in ("work", "home") else ""
                    _put(values, f"email.{label}" if label else "email", value)
                elif slot.startswith("phone"):
                    _put(values, _google_phone(kind, value), value)
                elif slot.startswith("website") and "url" not in values:
                    _put(values, "url", value)
            if slot.startswith("address") and not any(k.startswith("address.") for k in values):
                _google_address(values, cells, cell, slot)
        return values

    return read


def _google_phone(label: str, number: str) -> str:
    kind = _GOOGLE_PHONES.get(label)
    if kind is not None:
        return f"phone.{kind}"
    from crmkit.importers.vcards import typed_by_number

    return typed_by_number(number)


def _google_address(
    values: dict[str, list[str]], cells: list[str], cell: Callable[[list[str], str], str], slot: str
) -> None:
    parts = {
        "street": cell(cells, f"{slot} - street"),
        "street2": cell(cells, f"{slot} - extended address"),
        "city": cell(cells, f"{slot} - city"),
        "region": cell(cells, f"{slot} - region"),
        "postal_code": cell(cells, f"{slot} - postal code"),
        "country": cell(cells, f"{slot} - country"),
    }
    if not any(parts.values()):
        formatted = cell(cells, f"{slot} - formatted")
        parts["street"] = ", ".join(line.strip() for line in formatted.splitlines() if line.strip())
    for part, value in parts.items():
        _put(values, f"address.{part}", value)


def _outlook_reader(index: dict[str, int]) -> Callable[[list[str]], dict[str, list[str]]]:
    if not {"first name", "imie", "company", "firma"} & index.keys():
        raise CrmError(
            "the header is not that of an Outlook export"
            " (it has none of: First Name, Company, Imię, Firma)"
        )
    cell = _cell_reader(index)
    places = [
        {
            part: _outlook_place_column(index, place, names)
            for part, names in _OUTLOOK_ADDRESS.items()
        }
        for place in _OUTLOOK_PLACES
    ]

    def read(cells: list[str]) -> dict[str, list[str]]:
        values: dict[str, list[str]] = {}
        found = {
            target: [cell(cells, name) for name in names if name in index]
            for target, names in _OUTLOOK.items()
        }
        first, last, company = (
            " ".join(filter(None, found[key])) for key in ("first_name", "last_name", "company")
        )
        if not (first or last) and company:
            _put(values, "kind", "organization")
            _put(values, "name", company)
        else:
            _put(values, "kind", "person")
            _put(values, "first_name", first)
            _put(values, "last_name", last)
            _put(values, "organization", company)
            for position in found["position"]:
                _put(values, "position", position)
        for target in ("note", "url", "email", *(key for key in _OUTLOOK if key[:6] == "phone.")):
            for value in found[target]:
                _put(values, target, value)
        for tags in found["tags"]:
            for tag in tags.split(";"):
                _put(values, "tags", tag)
        for columns in places:
            parts = {
                part: cell(cells, column) if column else "" for part, column in columns.items()
            }
            if any(parts.values()):
                for part, value in parts.items():
                    _put(values, f"address.{part}", value)
                break
        return values

    return read


def _outlook_place_column(index: dict[str, int], place: str, names: tuple[str, str]) -> str:
    """The column of one address part: `Business Street` or `Ulica (służbowy)`."""
    english, polish = names
    for column in (f"{place} {english}", f"{polish} ({_OUTLOOK_PLACES[place]})"):
        if column in index:
            return column
    return ""


def _many(text: str) -> list[str]:
    return [part.strip() for part in text.split(_GOOGLE_MANY) if part.strip()]


def _put(values: dict[str, list[str]], target: str, value: str) -> None:
    value = value.strip()
    if value:
        values.setdefault(target, []).append(value)

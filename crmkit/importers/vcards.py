"""Read a vCard file (2.1, 3.0 or 4.0) as rows of mapping targets, one row per card.

vobject parses each card: folded lines, escaped characters, quoted-printable values in
the charsets of old phones, grouped properties. Two things it leaves are done here:
the soft line breaks of quoted-printable values (a line ending in `=` goes on in the
next, which vobject would take for a property of its own), and `TYPE` parameters in
every spelling (`TEL;CELL`, `TEL;TYPE=cell,voice`, `TEL;TYPE="work,voice"`).

A card becomes: `kind` (`KIND:org`, or Apple's `X-ABShowAs:COMPANY`, is an
organization), names, `TITLE` as position, `ORG` as the person's organization (or
the organization's name), phones by type, e-mails by label, the first (or preferred)
`ADR`, `CATEGORIES` as tags, `NOTE`, `URL` (kept by a custom field of type url, if the
base has one), `UID` as the external id, and `X-CRMKIT-FIELD;NAME=target` lines (written
by `crm export --format vcard`) as that target. A `PHOTO` becomes the contact's avatar
once the import is done (`photos`). Row numbers are the lines where cards begin.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from crmkit.errors import CrmError
from crmkit.importers.loaded import LoadedSource
from crmkit.importers.readers import SourceFile, detect_encoding

__all__ = ["VcardSource", "CardPhoto", "open_vcards", "name_url_column", "typed_by_number"]

# The columns a card can fill, in the order of the header (e-mail labels and extra
# targets follow where they come).
_ORDER = [
    "kind", "external_id", "first_name", "last_name", "name", "position", "organization",
    "phone.mobile", "phone.landline", "phone.work", "phone.main", "phone.home_fax",
    "phone.office_fax", "phone.other", "email", "email.work", "email.home",
    "address.street", "address.street2", "address.postal_code", "address.city",
    "address.region", "address.country", "tags", "note", "url",
]  # fmt: skip
_SEPARATOR = " | "
_EMAIL_NOT_LABELS = {"internet", "pref", "x400", "x-internet"}
# Properties of one text value (a comma in them is text, not a separator of values).
_ONE_TEXT = {"FN", "NOTE", "TITLE", "ROLE", "URL", "UID", "ORG", "PHOTO", "X-CRMKIT-FIELD"}
_BARE_COMMA = re.compile(r"(?<!\\),")
_CRMKIT_PRODID = re.compile(r"^PRODID:-//crmkit//", re.IGNORECASE | re.MULTILINE)
_QP_MARK = re.compile(r"^[^:]*quoted-printable", re.IGNORECASE)
_DATA_URI = re.compile(r"data:([^;,]*)(;base64)?,(.*)", re.DOTALL | re.IGNORECASE)


@dataclass
class CardPhoto:
    """A card's picture and what finds its contact after the import."""

    line: int
    data: bytes
    external_id: str | None
    emails: list[str]
    phones: list[str]


@dataclass
class VcardSource(LoadedSource):
    """The cards of a vCard file as rows; `photos` are set as avatars after the import."""

    photos: list[CardPhoto] = field(default_factory=list)
    from_crmkit: bool = False


def open_vcards(
    path: str, *, encoding: str | None = None, stdin: IO[bytes] | None = None
) -> VcardSource:
    """Read every card of a vCard file; raise `CrmError` for a file that is not one."""
    data = _read_bytes(path, stdin)
    name = "<stdin>" if path == "-" else path
    if not data.strip():
        raise CrmError(f"{name} is empty")
    try:
        text = data.decode(encoding or detect_encoding(data[: 1 << 20]))
    except CrmError as exc:
        raise CrmError(f"{name}: {exc}") from None
    except (LookupError, UnicodeError):
        raise CrmError(f"{name} is not valid {encoding} text; try utf-8 or cp1250") from None
    cards = [(line, _card_targets(name, line, card_text)) for line, card_text in _split_cards(text)]
    if not cards:
        raise CrmError(f"{name} holds no vCard (no BEGIN:VCARD line)")
    header = _header(values for _, (values, _) in cards)
    source = VcardSource(
        name=name,
        format="vcard",
        header=header,
        rows=iter(()),
        size=len(data),
        encoding=encoding,
        total_rows=len(cards),
        file_sha256=hashlib.sha256(data).hexdigest(),
    )
    for line, (values, photo) in cards:
        if photo is not None:
            source.photos.append(
                CardPhoto(
                    line,
                    photo,
                    next(iter(values.get("external_id", ())), None),
                    [
                        address
                        for key in values
                        if key.startswith("email")
                        for address in values[key]
                    ],
                    [number for key in values if key.startswith("phone") for number in values[key]],
                )
            )
    source.from_crmkit = _CRMKIT_PRODID.search(text) is not None
    source.rows = _rows(source, header, cards)
    return source


def name_url_column(source: SourceFile, url_fields: list[str]) -> None:
    """Let the base's first custom field of type url take the cards' URL (else it is ignored)."""
    if url_fields and "url" in source.header:
        source.header = [
            f"custom.{url_fields[0]}" if column == "url" else column for column in source.header
        ]


def _read_bytes(path: str, stdin: IO[bytes] | None) -> bytes:
    if path == "-":
        import sys

        return (stdin if stdin is not None else sys.stdin.buffer).read()
    file_path = Path(path)
    if file_path.is_dir():
        raise CrmError(f"{path} is a folder, not a file")
    try:
        return file_path.read_bytes()
    except FileNotFoundError:
        raise CrmError(f"file {path} does not exist") from None
    except OSError as exc:
        raise CrmError(f"cannot read {path}: {exc.strerror}") from None


def _split_cards(text: str) -> Iterator[tuple[int, str]]:
    """Each card's text, one property a line, with the line of the file it begins on.

    Folded lines are unfolded, the soft breaks of quoted-printable values joined,
    and the bare commas of one-value text properties escaped: vobject would take
    `NOTE:ala, ma kota` for a list and keep only `ala`.
    """
    start: int | None = None
    lines: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if start is None:
            if line.strip().upper() == "BEGIN:VCARD":
                start, lines = number, ["BEGIN:VCARD"]
            continue
        if lines and lines[-1].endswith("=") and _QP_MARK.match(lines[-1]):
            lines[-1] = lines[-1][:-1] + line
        elif line[:1] in (" ", "\t") and len(lines) > 1:
            lines[-1] += line[1:]
        elif line.strip():
            lines.append(line)
        if line.strip().upper() == "END:VCARD":
            yield start, "\r\n".join(_escape_commas(logical) for logical in lines) + "\r\n"
            start, lines = None, []


def _escape_commas(line: str) -> str:
    """The line with the bare commas of a one-value text property's value escaped."""
    colon = _value_start(line)
    if colon < 0:
        return line
    name = line[:colon].split(";", 1)[0].rsplit(".", 1)[-1].upper()
    if name not in _ONE_TEXT:
        return line
    return line[: colon + 1] + _BARE_COMMA.sub(r"\\,", line[colon + 1 :])


def _value_start(line: str) -> int:
    """Where the value begins: the first colon outside a quoted parameter value."""
    quoted = False
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            return index
    return -1


def _card_targets(name: str, line: int, text: str) -> tuple[dict[str, list[str]], bytes | None]:
    """The values of one card by target, and its picture."""
    import vobject

    try:
        card = vobject.readOne(text, ignoreUnreadable=True)
    except Exception as exc:  # vobject raises several kinds of its own, and ValueError
        raise CrmError(f"{name}: the card at line {line} cannot be read ({exc})") from None
    values: dict[str, list[str]] = {}
    photo: bytes | None = None

    def add(target: str, value: Any) -> None:
        text = str(value).replace("\r\n", "\n").strip() if value is not None else ""
        if text:
            values.setdefault(target, []).append(text)

    lines = list(card.lines())
    props = {content.name.upper() for content in lines}
    organization = _is_organization(lines)
    for content in lines:
        prop = content.name.upper()
        value = content.value
        if prop == "N" and not organization:
            add("last_name", getattr(value, "family", ""))
            add("first_name", _joined(getattr(value, "given", "")))
        elif prop == "FN" and (organization or not _has_name(lines)):
            add("name", value)
        elif prop == "ORG":
            company = _joined(value[0] if isinstance(value, list) and value else value)
            if organization and "FN" not in props:
                add("name", company)
            elif not organization:
                add("organization", company)
        elif prop == "TITLE" and not organization:
            add("position", value)
        elif prop == "TEL":
            number = _tel_value(str(value))
            add(_phone_target(_types(content), number), number)
        elif prop == "EMAIL":
            add(_email_target(_types(content)), value)
        elif prop == "ADR" and not any(key.startswith("address.") for key in values):
            _add_address(add, value)
        elif prop == "CATEGORIES":
            for tag in value if isinstance(value, list) else str(value).split(","):
                add("tags", tag)
        elif prop == "NOTE":
            add("note", value)
        elif prop == "URL":
            add("url", value)
        elif prop == "UID":
            add("external_id", value)
        elif prop == "PHOTO" and photo is None:
            photo = _photo_bytes(value)
        elif prop == "X-CRMKIT-FIELD":
            target = (content.params.get("NAME") or [""])[0].strip()
            if target:
                values[target] = [str(value)]
    values["kind"] = ["organization" if organization else "person"]
    if "ADR" in props:
        _prefer_address(values, lines)
    return values, photo


def _is_organization(lines: list[Any]) -> bool:
    for content in lines:
        prop = content.name.upper()
        text = str(content.value).strip().lower()
        if prop in ("KIND", "X-KIND") and text in ("org", "organization"):
            return True
        if prop == "X-ABSHOWAS" and text == "company":
            return True
    return False


def _has_name(lines: list[Any]) -> bool:
    for content in lines:
        if content.name.upper() == "N":
            value = content.value
            if str(getattr(value, "family", "") or "").strip() or _joined(
                getattr(value, "given", "")
            ):
                return True
    return False


def _joined(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(part).strip() for part in value if str(part).strip())
    return str(value or "").strip()


def _types(content: Any) -> set[str]:
    """The TYPE values of a property, however written: TYPE=a,b, TYPE="a,b", bare A;B."""
    found: set[str] = set()
    for value in content.params.get("TYPE", []):
        found.update(part.strip().strip('"').lower() for part in str(value).split(","))
    for value in getattr(content, "singletonparams", []):
        found.add(str(value).strip().lower())
    return found - {""}


def _phone_target(types: set[str], number: str) -> str:
    if "fax" in types:
        return "phone.home_fax" if "home" in types else "phone.office_fax"
    if types & {"cell", "mobile", "iphone"}:
        return "phone.mobile"
    if "main" in types:
        return "phone.main"
    if "work" in types:
        return "phone.work"
    if "home" in types:
        return "phone.landline"
    if "other" in types:
        return "phone.other"
    return typed_by_number(number)


def typed_by_number(number: str) -> str:
    """A number without a type: a mobile or a landline by the number itself, else other."""
    from crmkit.errors import InvalidValue
    from crmkit.values.phones import normalize_phone, phone_type

    try:
        return f"phone.{phone_type(normalize_phone(number))}"
    except InvalidValue:
        return "phone.other"


def _tel_value(value: str) -> str:
    text = value.strip()
    if text.lower().startswith("tel:"):
        text = text[4:]
    return text.split(";", 1)[0]


def _email_target(types: set[str]) -> str:
    labels = sorted(types - _EMAIL_NOT_LABELS)
    label = labels[0] if labels else None
    if label is None or "." in label or "|" in label:
        return "email"
    return f"email.{label}"


def _add_address(add: Any, value: Any) -> None:
    add("address.street", _joined(getattr(value, "street", "")))
    add("address.street2", _joined(getattr(value, "extended", "")))
    add("address.postal_code", _joined(getattr(value, "code", "")))
    add("address.city", _joined(getattr(value, "city", "")))
    add("address.region", _joined(getattr(value, "region", "")))
    add("address.country", _joined(getattr(value, "country", "")))


def _prefer_address(values: dict[str, list[str]], lines: list[Any]) -> None:
    """Take the preferred ADR where a card has one marked so."""
    addresses = [content for content in lines if content.name.upper() == "ADR"]
    preferred = [
        content for content in addresses if "pref" in _types(content) or "PREF" in content.params
    ]
    if preferred and preferred[0] is not addresses[0]:
        for key in [key for key in values if key.startswith("address.")]:
            del values[key]

        def add(target: str, value: Any) -> None:
            if str(value).strip():
                values[target] = [str(value).strip()]

        _add_address(add, preferred[0].value)


def _photo_bytes(value: Any) -> bytes | None:
    """The picture of a PHOTO property: inline (base64, or a data: URI), else None."""
    if isinstance(value, bytes):
        return value or None
    match = _DATA_URI.match(str(value).strip())
    if match is None or not match.group(2):
        return None
    try:
        return base64.b64decode(match.group(3), validate=False) or None
    except ValueError:
        return None


def _header(cards: Iterator[dict[str, list[str]]]) -> list[str]:
    used: dict[str, None] = {}
    for values in cards:
        used.update(dict.fromkeys(values))
    ordered = [column for column in _ORDER if column in used]
    return ordered + [column for column in used if column not in _ORDER]


def _rows(
    source: VcardSource,
    header: list[str],
    cards: list[tuple[int, tuple[dict[str, list[str]], bytes | None]]],
) -> Iterator[tuple[int, list[str]]]:
    for done, (line, (values, _)) in enumerate(cards, start=1):
        source.rows_done = done
        yield line, [_SEPARATOR.join(values.get(column, ())) for column in header]

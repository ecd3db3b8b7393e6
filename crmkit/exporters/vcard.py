"""Contacts as vCard 3.0 or 4.0 cards, written by vobject.

What a vCard has a property for goes there (names, `TITLE`, `ORG`, typed `TEL` and
`EMAIL`, `ADR`, `CATEGORIES` for tags, `NOTE`, `UID` for the external id, `PHOTO` for
the avatar, `KIND:org` or, in 3.0, Apple's `X-ABShowAs:COMPANY` for organizations);
everything else goes in `X-CRMKIT-FIELD;NAME=target` lines, which other tools skip
and `crm import` reads back, so a base exported and imported again is the same.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable
from typing import IO, Any

__all__ = ["write_vcards", "AvatarReader", "PRODID"]

# Names the writer: cards of crmkit's own are matched on import as its CSV files are.
PRODID = "-//crmkit//vCard export//PL"

AvatarReader = Callable[[int], "tuple[bytes, str] | None"]
# Phone type -> the TYPE values that say it (read back by crmkit.importers.vcards).
_PHONE_TYPES = {
    "mobile": ["cell"],
    "landline": ["home", "voice"],
    "work": ["work", "voice"],
    "main": ["main"],
    "home_fax": ["home", "fax"],
    "office_fax": ["work", "fax"],
    "other": ["other"],
}
_EXTRA_SCALARS = ("stage", "source", "segment", "pesel", "id_document", "nip", "krs", "regon")
_LABEL = re.compile(r"[A-Za-z0-9-]+")


def write_vcards(
    out: IO[str],
    records: Iterable[dict[str, Any]],
    *,
    version: str = "4.0",
    avatar: AvatarReader | None = None,
) -> int:
    """Write one card per record (CONTRACT section 6); return how many."""
    count = 0
    for record in records:
        picture = avatar(record["id"]) if avatar is not None else None
        out.write(card_text(record, version, picture))
        count += 1
    return count


def card_text(record: dict[str, Any], version: str, picture: tuple[bytes, str] | None) -> str:
    """One contact's card, lines ending in CRLF."""
    import vobject

    card = vobject.vCard()
    card.add("version").value = version
    card.add("prodid").value = PRODID
    modern = version.startswith("4")
    organization = record["kind"] == "organization"
    name = record.get("name") or _first_address(record) or "?"
    if organization:
        if modern:
            card.add("kind").value = "org"
        else:
            card.add("x-abshowas").value = "COMPANY"
        card.add("n").value = vobject.vcard.Name()
        card.add("org").value = [name]
    else:
        card.add("n").value = vobject.vcard.Name(
            family=record.get("last_name") or "", given=record.get("first_name") or ""
        )
        if record.get("position"):
            card.add("title").value = record["position"]
        memberships = record.get("organizations") or []
        if memberships:
            card.add("org").value = [memberships[0]["name"]]
        if len(memberships) > 1:
            _extra(card, "organization", " | ".join(item["name"] for item in memberships))
    card.add("fn").value = name
    for phone in record.get("phones") or []:
        _add_phone(card, phone["number"], phone["type"], modern)
    for email in record.get("emails") or []:
        line = card.add("email")
        line.value = email["address"]
        types = [] if modern else ["INTERNET"]
        label = email.get("label")
        if label and _LABEL.fullmatch(label):
            types.append(label if modern else label.upper())
        if types:
            line.params["TYPE"] = [",".join(types)]
    address = record.get("address") or {}
    if any(address.values()):
        card.add("adr").value = vobject.vcard.Address(
            street=address.get("street") or "",
            extended=address.get("street2") or "",
            city=address.get("city") or "",
            region=address.get("region") or "",
            code=address.get("postal_code") or "",
            country=address.get("country") or "",
        )
    if record.get("tags"):
        card.add("categories").value = list(record["tags"])
    if record.get("note"):
        card.add("note").value = record["note"]
    if record.get("external_id"):
        card.add("uid").value = record["external_id"]
    if picture is not None:
        _add_photo(card, picture, modern)
    _add_extras(card, record)
    if record.get("updated_at"):
        card.add("rev").value = record["updated_at"].replace("-", "").replace(":", "")
    return str(card.serialize())


def _first_address(record: dict[str, Any]) -> str | None:
    emails = record.get("emails") or []
    return emails[0]["address"] if emails else None


def _add_phone(card: Any, number: str, kind: str, modern: bool) -> None:
    line = card.add("tel")
    types = _PHONE_TYPES.get(kind, ["voice"])
    if modern:
        line.value = f"tel:{number}"
        line.params["VALUE"] = ["uri"]
        line.params["TYPE"] = [",".join(types)]
        line.encoded = True  # a URI: its characters are not text escapes
    else:
        line.value = number
        line.params["TYPE"] = [",".join(kind.upper() for kind in types)]


def _add_photo(card: Any, picture: tuple[bytes, str], modern: bool) -> None:
    data, media_type = picture
    line = card.add("photo")
    if modern:
        line.value = f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"
        line.params["VALUE"] = ["uri"]
        line.encoded = True
    else:
        line.value = data
        line.encoding_param = "b"
        line.type_param = media_type.split("/")[-1].upper()


def _add_extras(card: Any, record: dict[str, Any]) -> None:
    """The fields a vCard has no property for, as X-CRMKIT-FIELD lines.

    An organization's members are not among them: each member's card names it.
    """
    for name in _EXTRA_SCALARS:
        if record.get(name) is not None:
            _extra(card, name, str(record[name]))
    for name in ("guardians", "observers"):
        if record.get(name):
            _extra(card, name, " | ".join(record[name]))
    for name in ("vip", "hidden"):
        if record.get(name):
            _extra(card, name, "true")
    for key, value in (record.get("custom") or {}).items():
        text = _custom_text(value)
        if text is not None:
            _extra(card, f"custom.{key}", text)
    for name in ("created_at", "updated_at"):
        if record.get(name):
            _extra(card, name, record[name])


def _custom_text(value: Any) -> str | None:
    if value is None or value == []:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " | ".join(str(item) for item in value)
    return str(value)


def _extra(card: Any, target: str, value: str) -> None:
    line = card.add("x-crmkit-field")
    line.value = value
    line.params["NAME"] = [target]

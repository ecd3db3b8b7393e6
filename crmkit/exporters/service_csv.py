"""Contacts as the CSV files Google Contacts and Outlook import.

Google's file has a pair of columns per phone and e-mail slot (`Phone 1 - Label`,
`Phone 1 - Value`), values of one label in one cell joined by ` ::: `, tags in
`Labels` with `* myContacts` (and `* starred` for a VIP). Outlook's has a column
per kind of phone and up to three e-mail addresses, categories joined by `;`, and
starts with a BOM so that Outlook reads it as UTF-8. Both import back into crmkit
through the presets of the same names.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO, Any

__all__ = ["write_service_csv", "GOOGLE_HEADER", "OUTLOOK_HEADER"]

_EMAIL_SLOTS = 3
_PHONE_SLOTS = 5
GOOGLE_HEADER = [
    "First Name", "Middle Name", "Last Name", "Organization Name", "Organization Title",
    "Notes", "Labels",
    *(f"E-mail {n} - {part}" for n in range(1, _EMAIL_SLOTS + 1) for part in ("Label", "Value")),
    *(f"Phone {n} - {part}" for n in range(1, _PHONE_SLOTS + 1) for part in ("Label", "Value")),
    "Address 1 - Label", "Address 1 - Street", "Address 1 - Extended Address", "Address 1 - City",
    "Address 1 - Region", "Address 1 - Postal Code", "Address 1 - Country",
]  # fmt: skip
_GOOGLE_PHONE_LABELS = {
    "mobile": "Mobile", "landline": "Home", "work": "Work", "main": "Main",
    "home_fax": "Home Fax", "office_fax": "Work Fax", "other": "Other",
}  # fmt: skip
OUTLOOK_HEADER = [
    "First Name", "Middle Name", "Last Name", "Company", "Job Title",
    "Business Street", "Business Street 2", "Business City", "Business State",
    "Business Postal Code", "Business Country/Region",
    "Home Street", "Home Street 2", "Home City", "Home State", "Home Postal Code",
    "Home Country/Region",
    "Business Phone", "Business Phone 2", "Mobile Phone", "Home Phone", "Home Phone 2",
    "Company Main Phone", "Business Fax",
    "Home Fax", "Other Phone",
    "E-mail Address", "E-mail 2 Address", "E-mail 3 Address", "Categories", "Notes",
]  # fmt: skip
_OUTLOOK_PHONES = {
    "work": "Business Phone", "mobile": "Mobile Phone", "landline": "Home Phone",
    "main": "Company Main Phone", "office_fax": "Business Fax", "home_fax": "Home Fax",
    "other": "Other Phone",
}  # fmt: skip
_ADDRESS_PARTS = {
    "street": "Street", "street2": "Street 2", "city": "City", "region": "State",
    "postal_code": "Postal Code", "country": "Country/Region",
}  # fmt: skip


def write_service_csv(out: IO[str], records: Iterable[dict[str, Any]], *, service: str) -> int:
    """Write the records as `service` (google or outlook) imports them; return how many."""
    header = GOOGLE_HEADER if service == "google" else OUTLOOK_HEADER
    row_of = _google_row if service == "google" else _outlook_row
    if service == "outlook":
        out.write("\ufeff")
    writer = csv.DictWriter(out, header, lineterminator="\r\n")
    writer.writeheader()
    count = 0
    for record in records:
        writer.writerow(row_of(record))
        count += 1
    return count


def _names(record: dict[str, Any]) -> tuple[str, str, str, str]:
    """First name, last name, company and title of a record."""
    if record["kind"] == "organization":
        return "", "", record.get("name") or "", ""
    memberships = record.get("organizations") or []
    company = memberships[0]["name"] if memberships else ""
    first, last = record.get("first_name") or "", record.get("last_name") or ""
    if not (first or last):
        first = record.get("name") or ""
    return first, last, company, record.get("position") or ""


def _google_row(record: dict[str, Any]) -> dict[str, str]:
    first, last, company, title = _names(record)
    labels = [*(record.get("tags") or []), "* myContacts"]
    if record.get("vip"):
        labels.append("* starred")
    row = {
        "First Name": first,
        "Last Name": last,
        "Organization Name": company,
        "Organization Title": title,
        "Notes": record.get("note") or "",
        "Labels": " ::: ".join(labels),
    }
    emails: dict[str, list[str]] = {}
    for email in record.get("emails") or []:
        label = (email.get("label") or "other").capitalize()
        emails.setdefault(label, []).append(email["address"])
    _slots(row, "E-mail", emails, _EMAIL_SLOTS)
    phones: dict[str, list[str]] = {}
    for phone in record.get("phones") or []:
        phones.setdefault(_GOOGLE_PHONE_LABELS.get(phone["type"], "Other"), []).append(
            phone["number"]
        )
    _slots(row, "Phone", phones, _PHONE_SLOTS)
    address = record.get("address") or {}
    if any(address.values()):
        row["Address 1 - Label"] = "Work" if record["kind"] == "organization" else "Home"
        row["Address 1 - Street"] = address.get("street") or ""
        row["Address 1 - Extended Address"] = address.get("street2") or ""
        row["Address 1 - City"] = address.get("city") or ""
        row["Address 1 - Region"] = address.get("region") or ""
        row["Address 1 - Postal Code"] = address.get("postal_code") or ""
        row["Address 1 - Country"] = address.get("country") or ""
    return row


def _slots(row: dict[str, str], prefix: str, values: dict[str, list[str]], slots: int) -> None:
    """One slot per label; labels beyond the last slot share it (Google reads ` ::: `)."""
    for number, (label, items) in enumerate(values.items(), start=1):
        slot = min(number, slots)
        value_key, label_key = f"{prefix} {slot} - Value", f"{prefix} {slot} - Label"
        joined = " ::: ".join(items)
        if row.get(value_key):
            row[value_key] += " ::: " + joined
        else:
            row[label_key], row[value_key] = label, joined


def _outlook_row(record: dict[str, Any]) -> dict[str, str]:
    first, last, company, title = _names(record)
    row = {
        "First Name": first,
        "Last Name": last,
        "Company": company,
        "Job Title": title,
        "Categories": ";".join(record.get("tags") or []),
        "Notes": record.get("note") or "",
    }
    for phone in record.get("phones") or []:
        column = _OUTLOOK_PHONES.get(phone["type"], "Other Phone")
        if row.get(column) and f"{column} 2" in OUTLOOK_HEADER:
            column += " 2"
        _add(row, column, phone["number"])
    columns = ("E-mail Address", "E-mail 2 Address", "E-mail 3 Address")
    for number, email in enumerate(record.get("emails") or []):
        _add(row, columns[min(number, len(columns) - 1)], email["address"])
    address = record.get("address") or {}
    place = "Business" if record["kind"] == "organization" or company else "Home"
    for part, name in _ADDRESS_PARTS.items():
        if address.get(part):
            row[f"{place} {name}"] = address[part]
    return row


def _add(row: dict[str, str], column: str, value: str) -> None:
    """Put the value in the column; more than one share it (crmkit reads ` | ` back)."""
    row[column] = f"{row[column]} | {value}" if row.get(column) else value

"""Presets: Google Contacts and Outlook files read without a mapping, and written for them."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_exporters_export import records
from typer.testing import Result

import crmkit
from crmkit import CRM
from crmkit.errors import CrmError
from crmkit.importers.presets import recognise_preset

EXAMPLES = Path(__file__).parent.parent / "examples"


@pytest.fixture()
def base(crm: CRM) -> CRM:
    crm.tags.add("VIP", "Klient", "Lead", "Newsletter")
    crm.fields.add("www", type="url")
    return crm


def summary(crm: CRM) -> dict[str, dict[str, Any]]:
    """Each contact by name: what a Google or Outlook file can hold of it."""
    return {
        record["name"]: {
            "kind": record["kind"],
            "position": record.get("position"),
            "phones": sorted((p["number"], p["type"]) for p in record["phones"]),
            "emails": sorted(e["address"] for e in record["emails"]),
            "city": record["address"]["city"],
            "tags": record["tags"],
            "organizations": [o["name"] for o in record.get("organizations", [])],
            "note": record["note"],
        }
        for record in records(crm)
    }


def test_google_export_is_recognised_and_read(base: CRM) -> None:
    report = base.imports.run(EXAMPLES / "google.csv")
    assert report.preset == "google"
    assert (report.created, report.updated, report.rejected, report.warnings) == (3, 1, 0, 0)
    found = {record["name"]: record for record in records(base)}
    kasia = found["Katarzyna Lewandowska"]
    assert kasia["vip"] is True  # * starred
    assert kasia["tags"] == ["Klient"]  # not * myContacts nor * starred
    assert [(p["number"], p["type"]) for p in kasia["phones"]] == [
        ("+48602111222", "mobile"),
        ("+48603333444", "mobile"),  # two values in one cell, ' ::: ' between
        ("+48124210011", "work"),
    ]
    assert [(e["address"], e["label"]) for e in kasia["emails"]] == [
        ("k.lewandowska@drukarnia-wisla.pl", "work"),  # '* Work': the primary one
        ("kasia.lew@example.com", "home"),
    ]
    assert (kasia["position"], kasia["address"]["region"]) == ("Księgowa", "małopolskie")
    assert [o["name"] for o in kasia["organizations"]] == ["Drukarnia Wisła"]
    # A row with only an organization name is that organization (the one Kasia's row made).
    firm = found["Drukarnia Wisła"]
    assert firm["kind"] == "organization"
    assert firm["phones"] == [{"number": "+48124210000", "type": "main", "label": None}]
    assert firm["custom"] == {"www": "https://drukarnia-wisla.example.pl"}
    assert found["Marek Zieliński"]["emails"][0]["label"] is None  # 'Other'
    again = base.imports.run(EXAMPLES / "google.csv")
    assert (again.created, again.updated) == (0, 4)


def test_polish_outlook_export_is_recognised_and_read(base: CRM) -> None:
    report = base.imports.run(EXAMPLES / "outlook.csv")
    assert (report.preset, report.created, report.updated, report.rejected) == (
        "outlook",
        2,
        1,
        0,
    )
    found = summary(base)
    assert found["Paweł Kaczmarek"] == {
        "kind": "person",
        "position": "Właściciel",
        "phones": [("+48426301122", "work"), ("+48605404303", "mobile")],
        "emails": ["pawel@autoserwis.example.pl"],
        "city": "Łódź",
        "tags": ["Klient", "VIP"],
        "organizations": ["Auto-Serwis Kaczmarek"],
        "note": "Przegląd floty w marcu",
    }
    assert found["Joanna Mazur"]["city"] == "Wrocław"  # the home address, no business one
    assert found["Auto-Serwis Kaczmarek"]["phones"] == [
        ("+48426301100", "work"),
        ("+48426301101", "office_fax"),
    ]


@pytest.mark.parametrize(
    ("header", "preset"),
    [
        (["First Name", "Last Name", "E-mail 1 - Label", "E-mail 1 - Value"], "google"),
        (["Name", "Given Name", "Family Name", "Phone 1 - Type", "Phone 1 - Value"], "google"),
        (["First Name", "Last Name", "Company", "Mobile Phone", "E-mail Address"], "outlook"),
        (["Imię", "Nazwisko", "Telefon komórkowy", "Adres e-mail"], "outlook"),
        (["Imię", "Nazwisko", "Telefon"], None),
    ],
)
def test_presets_are_recognised_from_the_header(header: list[str], preset: str | None) -> None:
    assert recognise_preset(header) == preset


@pytest.mark.parametrize("service", ["google", "outlook"])
def test_exports_for_the_services_import_back(base: CRM, tmp_path: Path, service: str) -> None:
    base.imports.run(EXAMPLES / "google.csv")
    base.imports.run(EXAMPLES / "outlook.csv")
    path = tmp_path / f"{service}.csv"
    assert base.export(path, format=service) == 7
    again = crmkit.open(tmp_path / "again.db")
    again.tags.add("VIP", "Klient", "Lead", "Newsletter")
    report = again.imports.run(path)
    assert (report.preset, report.created, report.rejected) == (service, 7, 0)
    assert summary(again) == summary(base)


def test_google_export_marks_vips_starred_and_keeps_my_contacts(base: CRM) -> None:
    base.contacts.add(kind="person", first_name="Ala", vip=True, tags=["VIP"])
    out = io.StringIO()
    base.export(out, format="google")
    header, row = out.getvalue().splitlines()
    cells = dict(zip(header.split(","), row.split(","), strict=True))
    assert cells["Labels"] == "VIP ::: * myContacts ::: * starred"


def test_preset_mistakes_are_sentences(base: CRM, tmp_path: Path) -> None:
    plain = tmp_path / "plain.csv"
    plain.write_text("Imię,Nazwisko\nAla,Kot\n", encoding="utf-8")
    with pytest.raises(CrmError, match="not that of a Google Contacts export"):
        base.imports.run(plain, preset="google")
    with pytest.raises(CrmError, match="unknown preset 'yahoo'"):
        base.imports.run(plain, preset="yahoo")
    mapping = tmp_path / "map.yaml"
    mapping.write_text("columns:\n  Imię: first_name\n", encoding="utf-8")
    with pytest.raises(CrmError, match="--mapping or --preset, not both"):
        base.imports.run(plain, preset="outlook", mapping=mapping)


def test_target_headers_are_the_crmkit_preset(cli: Callable[..., Result], tmp_path: Path) -> None:
    plain = tmp_path / "plain.csv"
    plain.write_text("first_name,phone.mobile\nAla,601234567\n", encoding="utf-8")
    result = cli("import", str(plain))
    assert result.exit_code == 0, result.output
    assert "preset: crmkit" in result.output
    google = cli("import", str(EXAMPLES / "google.csv"), "--preset", "google", "--format", "json")
    assert '"preset": "google"' in google.output

"""Export a rich base, import the file into a NEW empty base, export again: nothing is lost.

With `--create-missing` the new base gets the tags, users and custom fields the
file names, and the second export equals the first (but for the ids, which the
new base assigns itself). Without it the import says, once per missing thing,
what it could not carry.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

import crmkit
from crmkit import CRM

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FORMATS = [("csv", ".csv"), ("json", ".json"), ("jsonl", ".jsonl")]


def rich_base(crm: CRM) -> CRM:
    """The example contacts, plus every custom field type, memberships, flags and notes."""
    crm.tags.add("VIP", "Newsletter", "Klient", "Lead", "Partner")
    crm.users.add("Anna Zając", email="anna.zajac@example.pl")
    crm.users.add("Piotr Maj")
    crm.users.add("Jan Kowalski")
    crm.fields.add(
        "industry",
        type="multiselect",
        label="Branża",
        options=["IT", "Handel", "Produkcja", "Usługi", "Logistyka"],
    )
    crm.fields.add("marketing_consent", type="checkbox", label="Zgoda marketingowa")
    crm.fields.add("budget", type="number")
    crm.fields.add("since", type="date")
    crm.fields.add("last_call", type="datetime")
    crm.fields.add("website", type="url")
    crm.fields.add("tier", type="select", options=["Gold", "Silver"])
    crm.fields.add("motto", type="text")
    crm.fields.add("adult", type="checkbox", applies_to="person")
    report = crm.imports.run(str(EXAMPLES / "kontakty.csv"), mapping=str(EXAMPLES / "map.yaml"))
    assert report.created == 36
    huta = crm.contacts.add(
        "organization",
        {
            "name": 'Huta "Łabędy", S.A.',
            "nip": "526-025-02-74",
            "custom.website": "https://huta.example.pl/o-nas",
            "custom.tier": "Gold",
            "custom.budget": "-12,5",
            "vip": "yes",
            "note": '=HYPERLINK("http://x")\nsecond line',
        },
    ).id
    zaneta = crm.contacts.add(
        "person",
        {
            "first_name": "Żaneta",
            "last_name": "O'Brien-Łęcka",
            "phones": [
                {"number": "601 000 111", "type": "mobile", "label": "prywatny"},
                {"number": "22 113 14 15", "type": "work", "label": None},
            ],
            "emails": [
                {"address": "zaneta@example.pl", "label": None},
                {"address": "zaneta@dom.example.pl", "label": "dom"},
            ],
            "custom.budget": "1234,5",
            "custom.since": "2020-02-29",
            "custom.last_call": "2024-03-31T03:30:00+02:00",
            "custom.adult": "tak",
            "custom.marketing_consent": "nie",
            "custom.industry": "IT | Handel",
            "custom.motto": '+cmd, "quoted" | @SUM(A1)',
            "hidden": "1",
            "note": 'a, b\n"c"\n-d',
            "tags": ["Lead"],
            "guardians": ["Piotr Maj"],
            "observers": ["Jan Kowalski", "Anna Zając"],
        },
    ).id
    crm.contacts.link(zaneta, huta, since="2020-01-01", until="2021-06-30")
    crm.contacts.add("person", {"first_name": "Bez", "last_name": "Zgody", "custom.adult": "0"})
    return crm


def exported(crm: CRM, fmt: str) -> str:
    out = io.StringIO(newline="")
    crm.export(out, format=fmt, include_hidden=True)
    return out.getvalue()


def without_ids(text: str, fmt: str) -> list[dict[str, Any]]:
    """The exported contacts with the ids the store assigned left out, memberships' too."""
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        for row in rows:
            del row["id"]
        return rows
    records = (
        json.loads(text) if fmt == "json" else [json.loads(line) for line in text.splitlines()]
    )
    for record in records:
        del record["id"]
        for link in record.get("organizations", []) + record.get("members", []):
            del link["id"]
    return records


@pytest.fixture()
def rich(tmp_path: Path) -> CRM:
    return rich_base(crmkit.open(tmp_path / "rich.db"))


@pytest.mark.parametrize(("fmt", "suffix"), FORMATS)
def test_round_trip_into_a_new_base_with_create_missing(
    rich: CRM, tmp_path: Path, fmt: str, suffix: str
) -> None:
    first = exported(rich, fmt)
    path = tmp_path / f"export{suffix}"
    path.write_text(first, encoding="utf-8", newline="")
    with crmkit.open(tmp_path / f"new-{fmt}.db") as fresh:
        report = fresh.imports.run(str(path), create_missing=True)
        assert (report.rejected, report.ignored_columns) == (0, []), report.errors
        assert report.created + report.updated == len(without_ids(first, fmt))
        again = exported(fresh, fmt)
        assert {tag.name for tag in fresh.tags} == {tag.name for tag in rich.tags}
        assert {user.full_name for user in fresh.users} == {user.full_name for user in rich.users}
        assert {field.key for field in fresh.fields} == {field.key for field in rich.fields}
    assert without_ids(again, fmt) == without_ids(first, fmt)


def test_created_fields_take_their_type_from_the_values(rich: CRM, tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(exported(rich, "json"), encoding="utf-8")
    with crmkit.open(tmp_path / "new.db") as fresh:
        report = fresh.imports.run(str(path), create_missing=True)
        types = {field.key: field.type for field in fresh.fields}
        industry = fresh.fields["industry"]
    assert types == {
        "adult": "checkbox",
        "budget": "number",
        "industry": "multiselect",
        "last_call": "datetime",
        "marketing_consent": "checkbox",
        "motto": "text",
        "since": "date",
        "tier": "text",
        "website": "url",
    }
    assert set(industry.options) == {"IT", "Handel", "Usługi", "Logistyka", "Produkcja"}
    created = [p for p in report.warning_details if "created" in p.reason]
    assert len(created) == len(types)
    tier = next(p for p in created if p.column == "custom.tier")
    assert "as a text field" in tier.reason and "crm field add" in tier.reason


def test_csv_custom_columns_are_text_unless_their_type_is_certain(
    rich: CRM, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    path.write_text(exported(rich, "csv"), encoding="utf-8", newline="")
    with crmkit.open(tmp_path / "new.db") as fresh:
        fresh.imports.run(str(path), create_missing=True)
        types = {field.key: field.type for field in fresh.fields}
    assert types["budget"] == "number" and types["since"] == "date"
    assert types["last_call"] == "datetime" and types["website"] == "url"
    assert types["marketing_consent"] == "checkbox" and types["adult"] == "checkbox"
    # "IT | Handel" may be one value or two: a CSV file does not say.
    assert types["industry"] == types["tier"] == types["motto"] == "text"


def test_a_dry_run_creates_no_reference_data(rich: CRM, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(exported(rich, "csv"), encoding="utf-8", newline="")
    with crmkit.open(tmp_path / "new.db") as fresh:
        report = fresh.imports.run(str(path), create_missing=True, dry_run=True)
        assert report.created == len(rich.contacts)
        assert (fresh.fields.list(), fresh.tags.list(), fresh.users.list()) == ([], [], [])


@pytest.mark.parametrize(("fmt", "suffix"), FORMATS)
def test_without_create_missing_each_missing_thing_is_one_warning(
    rich: CRM, tmp_path: Path, fmt: str, suffix: str
) -> None:
    path = tmp_path / f"export{suffix}"
    path.write_text(exported(rich, fmt), encoding="utf-8", newline="")
    with crmkit.open(tmp_path / "new.db") as fresh:
        report = fresh.imports.run(str(path))
    reasons = [p.reason for p in report.warning_details]
    assert report.warnings == len(reasons) == 5 + 3 + 9, reasons
    with_industry = sum("industry" in contact.custom for contact in rich.contacts)
    industry = [r for r in reasons if "'industry'" in r]
    assert industry == [
        f"custom field 'industry' is not defined: {with_industry} values not imported;"
        " define it with `crm field add` or use --create-missing"
    ]
    klient = [r for r in reasons if "'Klient'" in r]
    assert len(klient) == 1
    assert klient[0].startswith("unknown tag 'Klient' left out of ")
    assert klient[0].endswith("add it with `crm tag add` or use --create-missing")
    assert any(r.startswith("unknown user 'Anna Zając' left out of ") for r in reasons)


def test_an_unknown_option_is_one_warning_for_all_its_rows(ref_crm: CRM, tmp_path: Path) -> None:
    path = tmp_path / "options.csv"
    path.write_text(
        "first_name,custom.industry,tags\n"
        "Ala,Rolnictwo,VIP\nOla,IT | Rolnictwo,Złoty\nEla,,Złoty\n",
        encoding="utf-8",
    )
    report = ref_crm.imports.run(str(path))
    found = [(p.row, p.column, p.value, p.reason) for p in report.warning_details]
    assert found == [
        (
            2,
            "custom.industry",
            "Rolnictwo",
            "'Rolnictwo' is not an option of 'industry'; left out of 2 rows (2, 3);"
            " use --create-missing to add it",
        ),
        (
            3,
            "tags",
            "Złoty",
            "unknown tag 'Złoty' left out of 2 rows (3, 4);"
            " add it with `crm tag add` or use --create-missing",
        ),
    ]
    assert ref_crm.imports[report.import_id or 0].warnings == 2


def test_the_summary_says_it_loudly_in_the_cli(
    rich: CRM, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    path = tmp_path / "export.csv"
    path.write_text(exported(rich, "csv"), encoding="utf-8", newline="")
    result = cli("import", str(path))
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("  warning")]
    assert len(lines) == 5 + 3 + 9
    assert any("custom field 'budget' is not defined: 2 values not imported" in s for s in lines)


def test_an_empty_checkbox_cell_leaves_a_new_contact_without_a_value(
    ref_crm: CRM, tmp_path: Path
) -> None:
    path = tmp_path / "c.csv"
    path.write_text("kind,name,custom.consent\norganization,ACME,\norganization,Huta,no\n")
    ref_crm.imports.run(str(path))
    assert ref_crm.contacts[1].custom == {}
    assert ref_crm.contacts[2].custom == {"consent": False}
    text = exported(ref_crm, "csv")
    assert [row["custom.consent"] for row in csv.DictReader(io.StringIO(text))] == ["", "no"]


def test_a_mapped_column_of_an_undefined_field_is_created_from_its_values(
    crm: CRM, tmp_path: Path
) -> None:
    path = tmp_path / "budgets.csv"
    path.write_text("Imię,Budżet\nAla,1500\nOla,99.5\nEla,\n", encoding="utf-8")
    mapping = tmp_path / "map.yaml"
    mapping.write_text("columns:\n  Imię: first_name\n  Budżet: custom.budget\n", encoding="utf-8")
    report = crm.imports.run(str(path), mapping=str(mapping), create_missing=True)
    assert report.created == 3
    assert crm.fields["budget"].type == "number"
    custom = {contact.name: contact.custom for contact in crm.contacts}
    assert custom == {"Ala": {"budget": 1500}, "Ola": {"budget": 99.5}, "Ela": {}}


def test_a_column_that_cannot_name_a_field_is_reported_with_create_missing(
    crm: CRM, tmp_path: Path
) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("first_name,custom.Branża\nAla,IT\nOla,Handel\n", encoding="utf-8")
    report = crm.imports.run(str(path), create_missing=True)
    assert report.created == 2 and crm.fields.list() == []
    assert [p.reason for p in report.warning_details] == [
        "custom field 'Branża' cannot be defined (a key starts with a letter and holds only"
        " a-z, 0-9 and '_'): 2 values not imported; map the column to a valid key with --mapping"
    ]


def test_standard_input_is_read_twice_with_create_missing(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    text = "first_name,custom.since,tags\nAla,2024-03-05,Nowy\n"
    result = cli("import", "-", "--create-missing", "--format", "json", input=text)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["created"] == 1
    listed = json.loads(cli("field", "list", "--format", "json").stdout)
    assert [(field["key"], field["type"]) for field in listed] == [("since", "date")]
    shown = json.loads(cli("show", "1", "--format", "json").stdout)
    assert (shown["custom"], shown["tags"]) == ({"since": "2024-03-05"}, ["Nowy"])

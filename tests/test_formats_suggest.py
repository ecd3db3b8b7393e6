"""`crm mapping suggest`: mappings guessed from headers and values, good enough to import with."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import Result

import crmkit
from crmkit import CRM
from crmkit.mapping import load_mapping
from crmkit.suggest import suggest_mapping

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def examples_base(path: Path) -> CRM:
    """A base with the reference data of examples/setup.sh."""
    crm = crmkit.open(path)
    crm.tags.add("VIP", "Newsletter", "Klient", "Lead", "Partner")
    for name, email in (
        ("Anna Zając", "anna.zajac@example.pl"),
        ("Piotr Maj", "piotr.maj@example.pl"),
        ("Jan Kowalski", "jan.kowalski@example.pl"),
    ):
        crm.users.add(name, email=email)
    crm.fields.add(
        "industry",
        type="multiselect",
        label="Branża",
        options=["IT", "Handel", "Produkcja", "Usługi", "Logistyka"],
    )
    crm.fields.add("marketing_consent", type="checkbox", label="Zgoda marketingowa")
    return crm


def suggested(crm: CRM, path: Path, folder: Path) -> Path:
    """The suggestion for a file, written where an import can read it."""
    mapping = folder / f"{path.stem}.{path.suffix.lstrip('.')}.yaml"
    mapping.write_text(crm.imports.suggest(path).text, encoding="utf-8")
    return mapping


def without_labels(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records as a mapping without e-mail labels would give them."""
    for record in records:
        record["emails"] = [email["address"] for email in record["emails"]]
        record["created_at"] = record["updated_at"] = None
    return records


def all_records(crm: CRM) -> list[dict[str, Any]]:
    return [contact.to_record() for contact in crm.contacts.select(include_hidden=True)]


@pytest.mark.parametrize("name", ["kontakty.csv", "kontakty.json", "kontakty.xlsx"])
def test_the_suggestion_imports_the_contacts_example_as_its_mapping_does(
    tmp_path: Path, name: str
) -> None:
    by_hand, guessed = examples_base(tmp_path / "a.db"), examples_base(tmp_path / "b.db")
    expected = by_hand.imports.run(EXAMPLES / name, mapping=EXAMPLES / "map.yaml")
    report = guessed.imports.run(
        EXAMPLES / name, mapping=suggested(guessed, EXAMPLES / name, tmp_path)
    )
    # The CSV file and the workbook hold four rows to reject; the JSON twin leaves them out.
    assert (report.created, report.rejected, report.warnings) == (
        36,
        0 if name == "kontakty.json" else 4,
        2,
    )
    assert [(p.row, p.column) for p in report.problems] == [
        (p.row, p.column) for p in expected.problems
    ]
    assert without_labels(all_records(guessed)) == without_labels(all_records(by_hand))


def test_the_suggestion_imports_the_call_log_as_its_mapping_does(tmp_path: Path) -> None:
    crm = examples_base(tmp_path / "a.db")
    crm.imports.run(EXAMPLES / "kontakty.csv", mapping=EXAMPLES / "map.yaml")
    path = suggested(crm, EXAMPLES / "calls.csv", tmp_path)
    assert load_mapping(path).target == "events"
    guessed = crm.imports.run(EXAMPLES / "calls.csv", mapping=path, dry_run=True)
    expected = crm.imports.run(EXAMPLES / "calls.csv", mapping=EXAMPLES / "calls_map.yaml")
    assert (guessed.created, guessed.rejected) == (expected.created, expected.rejected)
    assert guessed.created > 0


@pytest.mark.parametrize("name", ["sklep.csv", "google.csv", "outlook.csv"])
def test_the_other_examples_import_with_their_suggestion(tmp_path: Path, name: str) -> None:
    crm = examples_base(tmp_path / "a.db")
    report = crm.imports.run(EXAMPLES / name, mapping=suggested(crm, EXAMPLES / name, tmp_path))
    assert report.rejected == 0, report.errors
    assert report.created + report.updated == report.rows_read > 0
    if name != "sklep.csv":  # read by the preset the suggestion names
        assert report.preset == load_mapping(suggested(crm, EXAMPLES / name, tmp_path)).preset


def test_the_yaml_says_why_and_shows_samples(tmp_path: Path) -> None:
    crm = examples_base(tmp_path / "a.db")
    text = crm.imports.suggest(EXAMPLES / "kontakty.csv").text
    lines = {line.split(":")[0].strip(): line for line in text.splitlines()}
    assert "30.06.2020 in 'Data pozyskania': the day comes first" in lines["dayfirst"]
    assert "100% pass the NIP checksum; e.g. 631-265-30-86" in lines["NIP"]
    assert "values are options of 'industry'" in lines["Branża"]
    assert "values are users" in lines["Opiekun"]
    assert lines["Kolor etykiety"].startswith("  Kolor etykiety: null")
    assert "e.g. zielony, niebieski, czerwony" in lines["Kolor etykiety"]
    assert yaml.safe_load(text)["match"] == ["external_id"]


def write_csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_headers_without_diacritics_and_in_english(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "a.csv",
        "Imie,Nazwisko,Telefon sluzbowy,E-mail prywatny,Wojewodztwo,Job Title,Zip",
        ["Ala,Kot,22 113 14 15,ala@example.pl,mazowieckie,CEO,00-001"],
    )
    targets = {guess.column: guess.target for guess in suggest_mapping(None, path).columns}
    assert targets == {
        "Imie": "first_name",
        "Nazwisko": "last_name",
        "Telefon sluzbowy": "phone.work",
        "E-mail prywatny": "email.home",
        "Wojewodztwo": "address.region",
        "Job Title": "position",
        "Zip": "address.postal_code",
    }


def test_values_alone_name_the_target(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "a.csv",
        "a,b,c,d,e,f",
        [
            "ala@example.pl,601 234 567,78051412365,44-100,5261040828,02/13/2024",
            "ola@example.pl,+48 509 876 543,83090245621,00-950,6312653086,02/14/2024",
        ],
    )
    suggestion = suggest_mapping(None, path)
    targets = [guess.target for guess in suggestion.columns]
    assert targets == ["email", "phone.mobile", "pesel", "address.postal_code", "nip", None]
    assert suggestion.dayfirst is False  # 02/14/2024: the month comes first


def test_separator_and_unclear_columns(tmp_path: Path) -> None:
    crm = examples_base(tmp_path / "a.db")
    path = write_csv(
        tmp_path / "a.csv",
        "Imię,Tagi,Kolor",
        ["Ala,VIP; Klient,zielony", "Ola,Lead,czerwony"],
    )
    suggestion = crm.imports.suggest(path)
    assert suggestion.separator == "; "
    kolor = suggestion.columns[2]
    assert (kolor.target, kolor.reason) == (None, "no target fits")
    assert crm.imports.run(path, mapping=suggested(crm, path, tmp_path)).created == 2
    assert crm.contacts.search("Ala")[0].tags == ["Klient", "VIP"]


def test_only_a_sample_is_read(tmp_path: Path) -> None:
    rows = [f"Osoba {n},{500_000_000 + n}" for n in range(5000)]
    path = write_csv(tmp_path / "big.csv", "Imię,Telefon", rows)
    suggestion = suggest_mapping(None, path)
    assert suggestion.rows_sampled == 2000
    assert [guess.target for guess in suggestion.columns] == ["first_name", "phone.mobile"]


def test_cli_writes_the_file_and_keeps_an_existing_one(
    cli: Callable[..., Result], db_path: Path, tmp_path: Path
) -> None:
    output = tmp_path / "map.yaml"
    if not isinstance(db_path, Path):
        # A server's database is always read (the CLI cannot see whether it is set up).
        assert cli("init").exit_code == 0
    result = cli("mapping", "suggest", str(EXAMPLES / "sklep.csv"), "-o", str(output))
    assert result.exit_code == 0, result.output
    assert "7 of 7 columns mapped" in result.stderr
    if isinstance(db_path, Path):
        assert not db_path.exists()  # suggesting reads no base, and makes none
    again = cli("mapping", "suggest", str(EXAMPLES / "sklep.csv"), "-o", str(output))
    assert again.exit_code == 2 and "--force" in again.output
    shown = cli("mapping", "suggest", str(EXAMPLES / "sklep.csv"))
    assert shown.stdout == output.read_text("utf-8")
    imported = cli("import", str(EXAMPLES / "sklep.csv"), "--mapping", str(output), "-f", "json")
    assert json.loads(imported.stdout)["created"] == 6

"""End to end: the example files import as documented, through the real `crm` command.

examples/setup.sh prepares the reference data, then examples/kontakty.csv (and its JSON
twin) is imported with examples/map.yaml. The CSV holds four rows that must be rejected
and two that import with a warning; everything else must come out in canonical form.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

import crmkit

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CSV_FILE = EXAMPLES / "kontakty.csv"
JSON_FILE = EXAMPLES / "kontakty.json"
MAPPING = EXAMPLES / "map.yaml"

# (file line, column, value) of the rows the CSV is meant to lose.
REJECTED = [
    (16, "Telefon komórkowy", "123"),
    (20, "Data pozyskania", "31.02.2024"),
    (24, "Zgoda marketingowa", "może"),
    (30, "PESEL", "87042654007"),
]
WARNED = [(32, "Branża", "Budownictwo"), (35, "Tagi", "Hurt")]
REJECTED_IDS = {"K-1031", "K-1032", "K-1033", "K-1034"}
CSV_ROWS = 40
ORGANIZATION_ROWS = 4
LINKED_ONLY = [
    "Drukarnia Warta Sp. j.",
    "Kancelaria Nowicki i Wspólnicy",
    "Piekarnia Kłos s.c.",
    "Softmedia Sp. z o.o.",
]


@dataclass
class Imported:
    """One `crm import` run: its exit code, JSON report and database."""

    exit_code: int
    report: dict[str, Any]
    db: Path


def _crm_executable() -> str:
    beside = Path(sys.executable).parent / "crm"
    found = str(beside) if beside.exists() else shutil.which("crm")
    assert found, "the crm console script is not installed (pip install -e .)"
    return found


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CRM_DB", "CRM_USER")}
    env["PATH"] = f"{Path(_crm_executable()).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _crm(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_crm_executable(), "--db", str(db), *args],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )


def _copy_db(source: Path, target: Path) -> Path:
    """A consistent copy of a database, WAL included."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    return target


def _import(db: Path, data: Path, *extra: str) -> Imported:
    done = _crm(db, "import", str(data), "--mapping", str(MAPPING), "--format", "json", *extra)
    assert done.stdout, done.stderr
    return Imported(done.returncode, json.loads(done.stdout), db)


def _records(db: Path) -> Iterator[dict[str, Any]]:
    crm = crmkit.open(db)
    try:
        ids = [row[0] for row in crm.store.rows("SELECT id FROM contacts ORDER BY id")]
        yield from crm.contacts.records(ids)
    finally:
        crm.close()


def _by_external_id(db: Path) -> dict[str, dict[str, Any]]:
    return {r["external_id"]: r for r in _records(db) if r["external_id"]}


@pytest.fixture(scope="module")
def reference_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("reference") / "crm.db"
    done = subprocess.run(
        ["bash", str(EXAMPLES / "setup.sh"), str(db)],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return db


@pytest.fixture(scope="module")
def csv_import(reference_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Imported:
    db = _copy_db(reference_db, tmp_path_factory.mktemp("csv") / "crm.db")
    return _import(db, CSV_FILE)


@pytest.fixture(scope="module")
def csv_records(csv_import: Imported) -> dict[str, dict[str, Any]]:
    return _by_external_id(csv_import.db)


def test_setup_script_creates_the_reference_data(reference_db: Path) -> None:
    with crmkit.open(reference_db) as crm:
        tags = sorted(t.name for t in crm.tags.list())
        users = {u.full_name: u.email for u in crm.users.list()}
        fields = {f.key: f for f in crm.fields.list()}
    assert tags == ["Klient", "Lead", "Newsletter", "Partner", "VIP"]
    assert users == {
        "Anna Zając": "anna.zajac@example.pl",
        "Piotr Maj": "piotr.maj@example.pl",
        "Jan Kowalski": "jan.kowalski@example.pl",
    }
    assert fields["industry"].type == "multiselect"
    assert fields["industry"].options == ["IT", "Handel", "Produkcja", "Usługi", "Logistyka"]
    assert fields["marketing_consent"].type == "checkbox"


def test_csv_import_finishes_with_exit_code_3_and_the_counts(csv_import: Imported) -> None:
    report = csv_import.report
    assert csv_import.exit_code == 3
    assert report["rows_read"] == CSV_ROWS
    assert report["created"] == CSV_ROWS - len(REJECTED)
    assert report["rejected"] == len(REJECTED)
    assert report["warnings"] == len(WARNED)
    assert report["ignored_columns"] == []
    with sqlite3.connect(csv_import.db) as conn:
        kinds = dict(conn.execute("SELECT kind, count(*) FROM contacts GROUP BY kind").fetchall())
    assert kinds == {
        "person": CSV_ROWS - ORGANIZATION_ROWS - len(REJECTED),
        "organization": ORGANIZATION_ROWS + len(LINKED_ONLY),
    }


def test_csv_import_reports_each_deliberate_problem(csv_import: Imported) -> None:
    errors = csv_import.report["errors"]
    assert [(p["row"], p["column"], p["value"]) for p in errors] == REJECTED
    assert all(p["level"] == "error" and p["reason"] for p in errors)
    warnings = csv_import.report["warning_details"]
    assert [(p["row"], p["column"], p["value"]) for p in warnings] == WARNED
    assert "industry" in warnings[0]["reason"]
    assert "tag" in warnings[1]["reason"]


def test_rejected_rows_are_not_written(csv_records: dict[str, dict[str, Any]]) -> None:
    assert REJECTED_IDS.isdisjoint(csv_records)
    assert "K-1035" in csv_records and "K-1036" in csv_records


def test_phones_are_e164_with_their_types(csv_records: dict[str, dict[str, Any]]) -> None:
    assert csv_records["K-1015"]["phones"] == [
        {"number": "+48698765432", "type": "mobile", "label": None},
        {"number": "+48221131415", "type": "work", "label": None},
    ]
    spelled = {
        "K-1002": "+48509876543",
        "K-1003": "+48512345678",
        "K-1004": "+48535112233",
        "K-1005": "+48661223344",
        "K-1012": "+48530200300",
    }
    for external_id, number in spelled.items():
        assert csv_records[external_id]["phones"][0]["number"] == number
    two_mobiles = [p["number"] for p in csv_records["K-1008"]["phones"]]
    assert two_mobiles == ["+48781667788", "+48790778899"]


def test_datetimes_are_converted_from_warsaw_to_utc(csv_records: dict[str, dict[str, Any]]) -> None:
    created = {key: record["created_at"] for key, record in csv_records.items()}
    assert created["K-1002"] == "2024-03-05T13:30:00Z"  # 05.03.2024 14:30, winter time
    assert created["K-1003"] == "2024-03-05T13:30:00Z"  # explicit +01:00
    assert created["K-1005"] == "2023-07-15T08:00:00Z"  # summer time
    assert created["K-1009"] == "2020-06-29T22:00:00Z"  # a date alone is local midnight
    assert created["K-1019"] == "2020-09-14T07:00:00Z"  # explicit +02:00


def test_custom_fields_tags_and_users(csv_records: dict[str, dict[str, Any]]) -> None:
    nowak = csv_records["K-1001"]
    assert nowak["custom"] == {"industry": ["IT"], "marketing_consent": True}
    assert nowak["tags"] == ["Klient", "VIP"]
    assert nowak["guardians"] == ["Jan Kowalski"]
    assert csv_records["K-1002"]["custom"]["marketing_consent"] is True  # "x"
    assert csv_records["K-1004"]["custom"] == {
        "industry": ["Handel", "Logistyka"],
        "marketing_consent": False,
    }
    assert csv_records["K-1008"]["observers"] == ["Anna Zając", "Piotr Maj"]
    assert csv_records["K-1016"]["guardians"] == ["Jan Kowalski", "Piotr Maj"]
    assert csv_records["K-1035"]["custom"]["industry"] == ["Produkcja"]  # unknown option left out
    assert csv_records["K-1036"]["tags"] == ["Klient"]  # unknown tag left out


def test_identifiers_notes_and_addresses(csv_records: dict[str, dict[str, Any]]) -> None:
    assert csv_records["F-201"]["kind"] == "organization"
    assert csv_records["F-201"]["nip"] == "6312653086"
    assert csv_records["K-1001"]["pesel"] == "78051412365"
    note = csv_records["K-1008"]["note"]
    assert note == "Woli kontakt telefoniczny.\nNie dzwonić w piątki po 14:00."
    assert csv_records["K-1005"]["address"] == {
        "street": "ul. Piotrkowska 120",
        "street2": None,
        "postal_code": "90-006",
        "city": "Łódź",
        "region": "łódzkie",
        "country": None,
    }


def test_persons_link_to_the_organization_rows_by_name_and_nip(
    csv_records: dict[str, dict[str, Any]],
) -> None:
    technoserwis = csv_records["F-201"]
    assert csv_records["K-1001"]["organizations"] == [
        {"id": technoserwis["id"], "name": "Technoserwis Sp. z o.o.", "since": None, "until": None}
    ]
    # K-1019 names the company by its NIP.
    assert [o["id"] for o in csv_records["K-1019"]["organizations"]] == [technoserwis["id"]]
    members = sorted(m["name"] for m in technoserwis["members"])
    assert members == ["Alicja Kwiatkowska", "Anna Nowak", "Monika Adamczyk", "Tomasz Wójcik"]


def test_companies_named_only_in_person_rows_are_created_once(csv_import: Imported) -> None:
    organizations = [r for r in _records(csv_import.db) if r["kind"] == "organization"]
    names = [r["name"] for r in organizations if r["external_id"] is None]
    assert sorted(names) == LINKED_ONLY
    klos = next(r for r in organizations if r["name"] == "Piekarnia Kłos s.c.")
    # Łukasz Kozłowski's row was rejected, so he is not a member.
    assert sorted(m["name"] for m in klos["members"]) == [
        "Iwona Jaworska",
        "Jerzy Dąbrowski",
        "Zofia Dąbrowska",
    ]


def _comparable(records: Iterator[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Records keyed by kind and name, without ids and the import's own timestamps.

    A contact from a file row takes created_at from "Data pozyskania"; an organization
    created for a link was created by the import, so its created_at is left out.
    """
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for record in records:
        own_time = (
            ("id", "updated_at") if record["external_id"] else ("id", "updated_at", "created_at")
        )
        clean = {k: v for k, v in record.items() if k not in own_time}
        for links in ("organizations", "members"):
            if links in clean:
                clean[links] = sorted(link["name"] for link in clean[links])
        out[(record["kind"], record["name"])] = clean
    return out


def test_json_twin_gives_the_same_contacts(
    reference_db: Path, csv_import: Imported, tmp_path: Path
) -> None:
    imported = _import(_copy_db(reference_db, tmp_path / "crm.db"), JSON_FILE)
    assert imported.exit_code == 0, imported.report
    assert imported.report["rows_read"] == CSV_ROWS - len(REJECTED)
    assert imported.report["rejected"] == 0
    warned = [(p["column"], p["value"]) for p in imported.report["warning_details"]]
    assert warned == [(column, value) for _, column, value in WARNED]
    from_json = _comparable(_records(imported.db))
    from_csv = _comparable(_records(csv_import.db))
    assert sorted(from_json) == sorted(from_csv)
    assert from_json == from_csv


def test_dry_run_prints_the_rejections_and_writes_nothing(
    reference_db: Path, tmp_path: Path
) -> None:
    db = _copy_db(reference_db, tmp_path / "crm.db")
    done = _crm(db, "import", str(CSV_FILE), "--mapping", str(MAPPING), "--dry-run")
    assert done.returncode == 3, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Dry run, nothing written")
    for row, column, value in REJECTED:
        assert any(
            line.strip().startswith(f"rejected row {row}, column {column!r}: value {value!r}:")
            for line in lines
        ), (row, done.stdout)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM contacts").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM imports").fetchone()[0] == 0


def test_importing_again_updates_by_external_id(csv_import: Imported, tmp_path: Path) -> None:
    db = _copy_db(csv_import.db, tmp_path / "crm.db")
    before = _comparable(_records(db))
    again = _import(db, CSV_FILE)
    assert again.exit_code == 3
    assert (again.report["created"], again.report["updated"]) == (0, CSV_ROWS - len(REJECTED))
    after = _comparable(_records(db))
    assert after == before


def test_cleaning_up_after_the_shop_import(
    csv_import: Imported, tmp_path: Path, cli_at: Callable[..., Result]
) -> None:
    """The README's walkthrough: the shop's list brings four duplicates; merge, undo."""
    db = _copy_db(csv_import.db, tmp_path / "crm.db")
    before = cli_at(db, "export", "--format", "jsonl").stdout
    shop = cli_at(db, "import", str(EXAMPLES / "sklep.csv"), "--mapping",
                  str(EXAMPLES / "sklep_map.yaml"))  # fmt: skip
    assert shop.exit_code == 0, shop.output
    groups = json.loads(cli_at(db, "duplicates", "--format", "json").stdout)
    assert sorted(group["ids"] for group in groups) == [[2, 41], [3, 42], [5, 43], [8, 44]]
    assert cli_at(db, "merge", "2", "41").stdout.startswith("Merge 1: 41 into 2.")
    assert cli_at(db, "merge", "8", "44").exit_code == 0
    assert "Płaci przelewem" in cli_at(db, "history", "8").stdout
    refused = cli_at(db, "undo", "import", "2")
    assert refused.exit_code == 1 and "contacts 41" in refused.output
    for args in (("undo", "merge", "2"), ("undo", "merge", "1"), ("undo", "import", "2")):
        assert cli_at(db, *args).exit_code == 0, args
    assert cli_at(db, "export", "--format", "jsonl").stdout == before


def test_orders_load_as_records_of_the_example_clients(
    csv_import: Imported, tmp_path: Path
) -> None:
    """The README's orders walkthrough: records found by old id or phone, nothing twice."""
    db = _copy_db(csv_import.db, tmp_path / "crm.db")
    with crmkit.open(db) as crm:
        crm.groups.add(
            "orders",
            label="Zamówienia",
            fields=[
                "number:text",
                "product:text",
                "amount:number",
                "ordered_at:date",
                "status:select=nowe|wysłane|zwrócone",
            ],
        )
        first = crm.imports.run(EXAMPLES / "orders.csv", mapping=EXAMPLES / "orders_map.yaml")
        again = crm.imports.run(EXAMPLES / "orders.csv", mapping=EXAMPLES / "orders_map.yaml")
        anna = crm.contacts.search("", filters=["external_id=K-1001"])[0]
        amounts = sorted(record.fields["amount"] for record in crm.records.list(anna.id, "orders"))
        big = {contact.id for contact in crm.contacts.search("", filters=["orders.amount>=1000"])}
    assert (first.created, first.rejected, [p.row for p in first.problems]) == (6, 1, [8])
    assert (again.created, again.skipped) == (0, 6)
    assert amounts == [189.9, 1249.0]
    assert anna.id in big

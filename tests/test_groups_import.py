"""Records of a group imported from a file (`target: records`) and from JSON records."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

import crmkit
from crmkit import CRM, CrmError
from tests.conftest import DATA
from tests.test_groups import ORDER_FIELDS

ORDERS = DATA / "records" / "orders.csv"
MAPPING = DATA / "records" / "orders_map.yaml"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture()
def customers(ref_crm: CRM) -> dict[str, int]:
    """Anna (K-1), Jan (K-2, found by his phone in the file) and Ewa; the group `orders`."""
    ref_crm.groups.add("orders", label="Zamówienia", fields=ORDER_FIELDS)
    return {
        name: ref_crm.contacts.add(
            kind="person", first_name=name, external_id=ident, phones=[phone]
        ).id
        for name, ident, phone in (
            ("Anna", "K-1", "601 234 567"),
            ("Jan", "K-2", "601 234 568"),
            ("Ewa", "K-3", "601 234 569"),
        )
    }


def values(crm: CRM, contact_id: int) -> list[dict[str, object]]:
    return [record.fields for record in crm.records.list(contact_id, "orders")]


def test_records_find_their_contact_by_external_id_or_phone(
    ref_crm: CRM, customers: dict[str, int]
) -> None:
    report = ref_crm.imports.run(ORDERS, mapping=MAPPING)
    assert (report.target, report.rows_read, report.created, report.rejected) == (
        "records",
        6,
        3,
        3,
    )
    assert values(ref_crm, customers["Anna"]) == [
        {"product": "Laptop", "amount": 1500.5, "ordered_at": "2024-03-05", "status": "nowe",
         "gift": False},
        {"product": "Toner", "amount": 189.9, "ordered_at": "2024-03-06", "status": "wysłane",
         "gift": False},
    ]  # fmt: skip
    assert values(ref_crm, customers["Jan"]) == [
        {"product": "Mysz", "amount": 50, "ordered_at": "2024-04-01", "status": "wysłane",
         "gift": True},
    ]  # fmt: skip
    assert [(p.row, p.column, p.value) for p in report.errors] == [
        (5, "Klient", "K-9"),
        (6, "Kwota", "dużo"),
        (7, "Data", "31.02.2024"),
        (7, "Status", "zgubione"),
    ]
    assert report.errors[0].reason == "no contact has the external_id K-9"
    assert report.errors[3].reason.startswith("'zgubione' is not an option (nowe, wysłane")
    assert values(ref_crm, customers["Ewa"]) == []
    entry = ref_crm.contacts.history(customers["Jan"])[0]
    assert (entry.source, entry.action) == (f"import {report.import_id}", "record add")
    assert ("orders.product", None, "Mysz") in [(c.field, c.old, c.new) for c in entry.changes]


def test_importing_the_same_file_again_adds_nothing_and_undo_removes_the_records(
    ref_crm: CRM, customers: dict[str, int]
) -> None:
    first = ref_crm.imports.run(ORDERS, mapping=MAPPING)
    again = ref_crm.imports.run(ORDERS, mapping=MAPPING)
    assert (again.created, again.skipped) == (0, 3)
    assert len(ref_crm.records.list(customers["Anna"])) == 2
    ref_crm.imports.undo(again.import_id or 0)
    undone = ref_crm.imports.undo(first.import_id or 0)
    assert (undone.records, undone.removed) == (3, [])
    assert ref_crm.records.list(customers["Anna"]) == []
    latest = ref_crm.contacts.history(customers["Jan"])[0]
    assert (latest.source, latest.action) == ("undo", f"undo import {first.import_id}")
    dry = ref_crm.imports.run(ORDERS, mapping=MAPPING, dry_run=True)
    assert dry.created == 3 and ref_crm.records.list(customers["Anna"]) == []


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (
            "target: records\ngroup: orders\ncolumns:\n  Klient: contact.external_id\n"
            "  Produkt: colour\n",
            "column 'Produkt': group 'orders' has no field 'colour'",
        ),
        (
            "target: records\ngroup: zakupy\ncolumns:\n  Klient: contact.external_id\n",
            "group: no group of fields 'zakupy'",
        ),
        (
            "target: records\ngroup: orders\ncolumns:\n  Produkt: product\n",
            "no column says whose record it is",
        ),
        ("target: records\ncolumns:\n  Produkt: product\n", "needs the setting group: KEY"),
        (
            "target: contacts\ngroup: orders\ncolumns:\n  Produkt: name\n",
            "group is a setting of target records, not contacts",
        ),
    ],
)
def test_a_broken_records_mapping_is_refused_before_anything_is_written(
    ref_crm: CRM, customers: dict[str, int], tmp_path: Path, mapping: str, message: str
) -> None:
    path = tmp_path / "map.yaml"
    path.write_text(mapping, encoding="utf-8")
    with pytest.raises(CrmError, match=message):
        ref_crm.imports.run(ORDERS, mapping=path)
    assert ref_crm.imports.list() == []


def test_the_example_orders_import_from_the_command_line(
    cli: Callable[..., Result], db_path: Path
) -> None:
    with crmkit.open(db_path) as crm:
        crm.groups.add(
            "orders",
            label="Zamówienia",
            fields=["number:text", "product:text", "amount:number", "ordered_at:date",
                    "status:select=nowe|wysłane|zwrócone"],
        )  # fmt: skip
        crm.contacts.add(kind="person", first_name="Anna", external_id="K-1001")
        crm.contacts.add(kind="person", first_name="Zofia", phones=["883 889 900"])
    result = cli(
        "import",
        str(EXAMPLES / "orders.csv"),
        "--mapping",
        str(EXAMPLES / "orders_map.yaml"),
        "--format",
        "json",
    )
    summary = json.loads(result.stdout)
    # The example's other customers are not in this base: their rows are rejected.
    assert (result.exit_code, summary["target"], summary["created"]) == (3, "records", 3)
    listed = json.loads(cli("record", "list", "1", "orders", "--format", "json").stdout)
    assert [(r["number"], r["amount"]) for r in listed] == [
        ("Z/2024/0101", 1249),
        ("Z/2024/0102", 189.9),
    ]
    zofia = json.loads(cli("record", "list", "2", "--format", "json").stdout)
    assert [(r["product"], r["status"]) for r in zofia] == [("Klawiatura bezprzewodowa", "nowe")]


def test_an_exported_json_file_brings_its_group_records_and_campaigns_along(
    ref_crm: CRM, customers: dict[str, int], tmp_path: Path
) -> None:
    ref_crm.imports.run(ORDERS, mapping=MAPPING)
    ref_crm.campaigns.add("Wiosna")
    ref_crm.campaigns.enroll("Wiosna", ids=[customers["Anna"]])
    ref_crm.campaigns.set("Wiosna", customers["Anna"], status="Umówiony", agent="Piotr Maj")
    out = io.StringIO()
    ref_crm.export(out, format="json")
    exported = tmp_path / "all.json"
    exported.write_text(out.getvalue(), encoding="utf-8")
    with crmkit.open(tmp_path / "new.db") as new:
        new.users.add("Piotr Maj")
        first = new.imports.run(exported)
        assert first.records_added == 0
        assert [w.reason for w in first.warning_details][:2] == [
            "no group 'orders' in this base; its records are left out",
            "no campaign 'Wiosna' in this base; enrollments in it are left out",
        ]
        new.groups.add("orders", fields=ORDER_FIELDS)
        new.campaigns.add("Wiosna")
        second = new.imports.run(exported)
        assert (second.created, second.records_added, second.enrolled) == (0, 3, 1)
        third = new.imports.run(exported)
        assert (third.records_added, third.enrolled) == (0, 0)
        anna = new.contacts.search("Anna")[0]
        assert values(new, anna.id) == values(ref_crm, customers["Anna"])
        [place] = new.campaigns.contacts("Wiosna")
        assert (place.id, place.status, place.agent) == (anna.id, "Umówiony", "Piotr Maj")
        new.imports.undo(second.import_id or 0, force=True)
        assert new.records.list(anna.id) == [] and list(new.campaigns.contacts("Wiosna")) == []

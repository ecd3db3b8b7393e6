"""Groups of special fields and their records: library, CLI, filters, record and card."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from typer.testing import Result

from crmkit import CRM, CrmError, NotFound
from tests.crm_calls import search_ids

CLI = Callable[..., Result]
ORDER_FIELDS = [
    "product:text",
    "amount:number",
    "ordered_at:date",
    "status:select=nowe|wysłane|zwrócone",
    "gift:checkbox",
]


@pytest.fixture()
def shop(ref_crm: CRM) -> list[int]:
    """Three people and the group `orders`; the first has two orders, the second one."""
    ids = [
        ref_crm.contacts.add(kind="person", first_name=name, last_name="Nowak").id
        for name in ("Anna", "Jan", "Ewa")
    ]
    ref_crm.groups.add("orders", label="Zamówienia", fields=ORDER_FIELDS)
    add = ref_crm.records.add
    add(ids[0], "orders", {"product": "Laptop", "amount": "1 500,50", "ordered_at": "05.03.2024",
                           "status": "NOWE"})  # fmt: skip
    add(ids[0], "orders", {"product": "Mysz", "amount": 50, "status": "wysłane", "gift": "tak"})
    add(ids[1], "orders", {"product": "Monitor", "amount": 900, "ordered_at": "2024-04-01"})
    return ids


def test_values_are_read_like_custom_fields(ref_crm: CRM, shop: list[int]) -> None:
    [laptop, mouse] = ref_crm.records.list(shop[0], "orders")
    assert laptop.fields == {
        "product": "Laptop",
        "amount": 1500.5,
        "ordered_at": "2024-03-05",
        "status": "nowe",
    }
    assert mouse.fields["gift"] is True
    for values, message in (
        ({"status": "zgubione"}, "'zgubione' is not an option"),
        ({"amount": "dużo"}, "orders.amount = 'dużo'"),
        ({"ordered_at": "31.02.2024"}, "orders.ordered_at"),
        ({"colour": "red"}, "has no field 'colour'"),
    ):
        with pytest.raises(CrmError, match=message):
            ref_crm.records.add(shop[2], "orders", values)
    assert ref_crm.records.list(shop[2]) == []
    with pytest.raises(NotFound, match="no group of fields 'zamowienia'"):
        ref_crm.records.add(shop[2], "zamowienia", {})
    with pytest.raises(NotFound, match="no contact with id 999"):
        ref_crm.records.add(999, "orders", {"amount": 1})


def test_a_group_is_checked_when_defined(ref_crm: CRM) -> None:
    for key, fields, message in (
        ("city", ["a:text"], "a field of every contact"),
        ("Orders", ["a:text"], "must start with a letter"),
        ("orders", ["amount"], "must look like NAME:TYPE"),
        ("orders", ["amount:money"], "unknown type 'money'"),
        ("orders", ["state:select"], "needs options"),
        ("orders", ["count:number"], "must start with a letter"),
        ("orders", ["a:text", "a:number"], "listed twice"),
        ("orders", [], "at least one"),
    ):
        with pytest.raises(CrmError, match=message):
            ref_crm.groups.add(key, fields=fields)
    ref_crm.groups.add("orders", fields=["a:text"])
    with pytest.raises(CrmError, match="exists already"):
        ref_crm.groups.add("orders", fields=["a:text"])


def test_editing_and_deleting_records_are_in_the_history(ref_crm: CRM, shop: list[int]) -> None:
    [laptop, _] = ref_crm.records.list(shop[0])
    edited = ref_crm.records.edit(laptop.id, {"status": "zwrócone", "product": ""})
    assert edited.fields == {"amount": 1500.5, "ordered_at": "2024-03-05", "status": "zwrócone"}
    [entry, *_] = ref_crm.contacts.history(shop[0])
    assert (entry.action, [(c.field, c.old, c.new) for c in entry.changes]) == (
        "record edit",
        [("orders.product", "Laptop", None), ("orders.status", "nowe", "zwrócone")],
    )
    with pytest.raises(CrmError, match="not a record of contact"):
        ref_crm.records.delete(laptop.id, contact_id=shop[1])
    ref_crm.records.delete(laptop.id, contact_id=shop[0], group="orders")
    assert [r.fields["product"] for r in ref_crm.records.list(shop[0])] == ["Mysz"]
    assert ref_crm.contacts.history(shop[0])[0].action == "record delete"
    with pytest.raises(NotFound, match=f"no record with id {laptop.id}"):
        ref_crm.records[laptop.id]


def test_filters_on_any_record_and_on_the_count(ref_crm: CRM, shop: list[int]) -> None:
    def found(*filters: str) -> list[int]:
        return sorted(search_ids(ref_crm, filters=list(filters)))

    assert found("orders.amount>=1000") == [shop[0]]
    # Each filter asks about any record: 1500 is >= 800 and 50 is < 1000.
    assert found("orders.amount>=800", "orders.amount<1000") == shop[:2]
    assert found("orders.amount=900 | 50") == shop[:2]
    assert found("orders.count>=2") == [shop[0]]
    assert found("orders.count=0") == [shop[2]]
    assert found("orders.count!=1") == [shop[0], shop[2]]
    assert found("orders.product~MON") == [shop[1]]
    assert found("orders.status=Wysłane") == [shop[0]]
    assert found("orders.status!=wysłane") == shop[1:]
    assert found("orders.ordered_at=2024-03") == [shop[0]]
    assert found("orders.gift=yes") == [shop[0]]
    assert found("orders.gift=no") == shop[:2]
    assert found("orders.ordered_at=") == [shop[2]]
    assert found("orders.ordered_at!=") == shop[:2]
    for bad, message in (
        ("orders.colour=x", "has no field 'colour'"),
        ("orders.status=zgubione", "not an option of status"),
        ("orders.count~2", "operator ~ does not apply"),
        ("orders.amount>dużo", "not a number"),
    ):
        with pytest.raises(CrmError, match=message):
            found(bad)


def test_the_record_and_the_card_carry_the_groups(ref_crm: CRM, shop: list[int]) -> None:
    record = ref_crm.contacts[shop[0]].to_record()
    assert [(r["product"], r["amount"]) for r in record["groups"]["orders"]] == [
        ("Laptop", 1500.5),
        ("Mysz", 50),
    ]
    assert ref_crm.contacts[shop[2]].to_record()["groups"] == {}
    text = ref_crm.card_text(shop[0], width=120)
    assert "Zamówienia" in text and "Laptop" in text and "1500.5" in text
    assert "<h2>Zamówienia</h2>" in ref_crm.card_html(shop[0])
    assert "Zamówienia" not in ref_crm.card_text(shop[2])
    assert [g.records for g in ref_crm.groups] == [3]


def test_groups_and_records_from_the_command_line(cli: CLI, ref_crm: CRM) -> None:
    anna = ref_crm.contacts.add(kind="person", first_name="Anna").id
    added = cli("field", "group", "add", "orders", "--label", "Zamówienia",
                *(arg for field in ORDER_FIELDS for arg in ("--field", field)))  # fmt: skip
    assert added.exit_code == 0, added.output
    assert added.stdout.startswith("Group 'orders' (Zamówienia) added with fields product:text,")
    listed = json.loads(cli("field", "group", "list", "-f", "json").stdout)
    assert listed == [{"key": "orders", "label": "Zamówienia", "fields": ORDER_FIELDS,
                       "records": 0}]  # fmt: skip
    made = cli("record", "add", str(anna), "orders", "--set", "product=Laptop", "-s", "amount=1500")
    assert made.exit_code == 0 and made.stdout == f"Record 1 added to orders of contact {anna}.\n"
    changed = cli("record", "edit", str(anna), "orders", "1", "--set", "amount=1 600")
    assert changed.exit_code == 0, changed.output
    shown = json.loads(cli("record", "list", str(anna), "orders", "-f", "json").stdout)
    assert [(r["id"], r["product"], r["amount"]) for r in shown] == [(1, "Laptop", 1600)]
    wrong = cli("record", "add", str(anna), "orders", "--set", "status=zgubione")
    assert wrong.exit_code == 1 and "is not an option" in wrong.stderr
    found = cli("search", "--filter", "orders.amount>1000", "-f", "json")
    assert [c["id"] for c in json.loads(found.stdout)] == [anna]
    assert cli("record", "delete", str(anna), "orders", "1").stdout == "Record 1 deleted.\n"
    assert cli("record", "list", str(anna)).stderr == "No records.\n"

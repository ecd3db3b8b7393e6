"""The fast tabular read path agrees with the JSON records, column by column."""

from __future__ import annotations

from typing import Any

import pytest
from crm_calls import search_ids
from search_builders import build_base

from crmkit import CRM
from crmkit.errors import CrmError
from crmkit.exporters.escaping import escape_cell
from crmkit.store.sqlite.query.columns import (
    LIST_COLUMNS,
    export_columns,
    parse_column_names,
    resolve_columns,
    valid_column_names,
)
from crmkit.store.sqlite.query.fields import QuerySchema
from crmkit.store.sqlite.tabular import TabularReader, custom_text


@pytest.fixture()
def base(ref_crm: CRM) -> CRM:
    build_base(ref_crm)
    ref_crm.contacts.add(
        "person",
        {"first_name": "Ola", "emails": "", "email.home": "ola@dom.pl | o@x.pl",
         "email": "bez@etykiety.pl", "phone.mobile": "500 100 200 | 500 100 201",
         "organization": "Firma Berlin GmbH | Żółć Sp. z o.o.", "custom.consent": "",
         "tags": "Lead | Klient | VIP", "observers": "Piotr Maj | Jan Kowalski"},
    )  # fmt: skip
    return ref_crm


def _join(values: list[Any]) -> str:
    return " | ".join(values)


def expected_cell(record: dict[str, Any], name: str, fields: dict[str, Any]) -> str:
    """A column's text computed the slow way, from the JSON record."""
    head, _, tail = name.partition(".")
    address = record["address"]
    if name in ("phones", "phone"):
        return _join([p["number"] for p in record["phones"]])
    if head == "phone":
        return _join([p["number"] for p in record["phones"] if p["type"] == tail])
    if name in ("emails", "email"):
        return _join([e["address"] for e in record["emails"]])
    if head == "email":
        return _join([e["address"] for e in record["emails"] if e["label"] == tail])
    if name in ("tags", "guardians", "observers"):
        return _join(record[name])
    if name == "organization":
        return _join([m["name"] for m in record.get("organizations", [])])
    if name in ("members", "member"):
        return _join([m["name"] for m in record.get("members", [])])
    if head == "custom":
        definition = fields[tail]
        return custom_text(record["custom"].get(tail), definition.type)
    if head == "address" or name in address:
        return address[tail or name] or ""
    value = record.get(name)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def test_every_column_matches_the_records(base: CRM) -> None:
    schema = QuerySchema(base.store.conn)
    names = [n for n in valid_column_names(schema) if "<" not in n]
    names += ["email.work", "email.home", "address.city", "phone", "email", "member"]
    specs = resolve_columns(names, schema)
    ids = search_ids(base, include_hidden=True)
    reader = TabularReader(base.store.conn, specs)
    rows = list(reader.rows_for_ids(ids, chunk=2))
    for contact_id, row in zip(ids, rows, strict=True):
        record = base.contacts[contact_id].to_record()
        wanted = [expected_cell(record, name, schema.custom_fields) for name in names]
        assert row == wanted, record["name"]


def test_range_and_list_reads_agree(base: CRM) -> None:
    specs = export_columns(base.store.conn, QuerySchema(base.store.conn))
    reader = TabularReader(base.store.conn, specs)
    dense = list(reader.rows_for_query("1", (), "c.id", chunk=3))
    by_ids = list(reader.rows_for_ids(range(1, 8), chunk=3))
    sparse = list(reader.rows_for_ids([7, 1, 99, 5], chunk=10))
    assert dense == by_ids
    assert sparse == [by_ids[6], by_ids[0], by_ids[4]]


def test_a_range_lists_phones_and_emails_by_position(base: CRM) -> None:
    """Read by a range of ids, each list keeps its stored order, and e-mails are escaped."""
    ola = search_ids(base, "ola")[0]
    conn = base.store.conn
    # Positions no longer follow the order the rows were written in.
    conn.execute("UPDATE phones SET position = 100 - position WHERE contact_id = ?", (ola,))
    conn.execute("UPDATE emails SET position = 100 - position WHERE contact_id = ?", (ola,))
    conn.execute(
        "INSERT INTO emails (contact_id, position, address, label) VALUES (?, 0, ?, 'home')",
        (ola, "-first@dom.pl"),
    )
    schema = QuerySchema(conn)
    names = ["phones", "phone.mobile", "emails", "email.home", "email"]
    specs = resolve_columns(names, schema)
    record = base.contacts[ola].to_record()
    wanted = [expected_cell(record, name, schema.custom_fields) for name in names]
    assert wanted[1] == "+48500100201 | +48500100200"
    assert wanted[3] == "-first@dom.pl | o@x.pl | ola@dom.pl"
    for escape in (False, True):
        reader = TabularReader(conn, specs, escape=escape)
        (row,) = reader.rows_for_query("c.id = ?", (ola,), "c.id")
        # Phone numbers are data, never escaped.
        safe = wanted[:2] + [escape_cell(cell) for cell in wanted[2:]]
        assert row == (safe if escape else wanted)
    assert row[3].startswith("'-first@dom.pl | ")


def test_limits_stop_the_query(base: CRM) -> None:
    reader = TabularReader(base.store.conn, resolve_columns(["name"], QuerySchema(base.store.conn)))
    assert list(reader.rows_for_query("1", (), "c.id", limit=2)) == [
        ["Żółć Sp. z o.o."],
        ["Anna Nowak"],
    ]


def test_round_trip_columns_are_mapping_targets(base: CRM) -> None:
    headers = [s.header for s in export_columns(base.store.conn, QuerySchema(base.store.conn))]
    assert headers[:3] == ["id", "kind", "external_id"]
    assert "phone.mobile" in headers and "phone.other" not in headers
    assert {"email", "email.work", "email.home"} <= set(headers)
    assert headers.index("email") < headers.index("email.home") < headers.index("email.work")
    assert "organization" in headers and "custom.industry" in headers
    assert headers[-2:] == ["created_at", "updated_at"]


def test_an_unusable_label_goes_to_the_plain_email_column(base: CRM) -> None:
    ola = search_ids(base, "ola")[0]
    base.store.conn.execute("UPDATE emails SET label = 'a.b' WHERE address = 'o@x.pl'")
    specs = export_columns(base.store.conn, QuerySchema(base.store.conn))
    headers = [s.header for s in specs]
    assert "email.a.b" not in headers
    row = next(TabularReader(base.store.conn, specs).rows_for_ids([ola]))
    cells = dict(zip(headers, row, strict=True))
    assert cells["email"] == "o@x.pl | bez@etykiety.pl"
    assert cells["email.home"] == "ola@dom.pl"


def test_escaping_only_when_asked(base: CRM) -> None:
    specs = resolve_columns(["note", "position", "custom.motto", "custom.budget", "phones"],
                            QuerySchema(base.store.conn))  # fmt: skip
    ewa = search_ids(base, "ewa")[0]
    plain = next(TabularReader(base.store.conn, specs).rows_for_ids([ewa]))
    safe = next(TabularReader(base.store.conn, specs, escape=True).rows_for_ids([ewa]))
    assert plain == ["=SUM(A1:A9)", "-", "@home", "-5", "+48322300000"]
    assert safe == ["'=SUM(A1:A9)", "'-", "'@home", "-5", "+48322300000"]


def test_checkbox_cells(base: CRM) -> None:
    base.fields.add("adult", type="checkbox", applies_to="person")
    names = ["name", "custom.adult", "custom.consent"]
    reader = TabularReader(base.store.conn, resolve_columns(names, QuerySchema(base.store.conn)))
    rows = {row[0]: row[1:] for row in reader.rows_for_ids(search_ids(base, include_hidden=True))}
    # No value is an empty cell: "no" would import back as a value the contact lacks.
    assert rows["Anna Nowak"] == ["", "yes"]
    assert rows["Żółć Sp. z o.o."] == ["", ""]
    ewa = search_ids(base, "ewa")[0]
    base.contacts.edit(ewa, {"custom.consent": "nie"})
    again = TabularReader(base.store.conn, resolve_columns(names, QuerySchema(base.store.conn)))
    assert next(again.rows_for_ids([ewa]))[1:] == ["", "no"]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("shoe_size", "unknown column 'shoe_size'; valid columns are: id, kind"),
        ("custom.nope", "unknown column 'custom.nope'; custom fields: custom.budget"),
    ],
)
def test_unknown_columns(base: CRM, typed: str, message: str) -> None:
    with pytest.raises(CrmError, match=message):
        resolve_columns([typed], QuerySchema(base.store.conn))


def test_column_lists() -> None:
    assert parse_column_names(" name, phones ,,custom.x") == ["name", "phones", "custom.x"]
    assert parse_column_names(None) is None
    with pytest.raises(CrmError):
        parse_column_names(" , ")
    assert LIST_COLUMNS[:3] == ("id", "kind", "name")

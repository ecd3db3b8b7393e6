"""A re-import passes over rows that would leave their contacts unchanged, and that
shortcut gives exactly what reading every row in full gives."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_importers_draft_feed import (
    EXAMPLES,
    _Alternating,
    reference_data,
    report_facts,
    run_import,
    table_rows,
)

import crmkit
from crmkit import CRM
from crmkit.importers import contacts as contact_import
from crmkit.importers.draft_feed import HelperFeed
from crmkit.importers.row_parsing import shared_rows
from crmkit.store.sqlite.row_digests import StoredDigests
from crmkit.store.sqlite.writer import ContactWriter

CSV, MAPPING = EXAMPLES / "kontakty.csv", EXAMPLES / "map.yaml"
Mutation = Callable[[CRM], object]


def in_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every re-imported row be read in full: no stored digest is ever found."""
    monkeypatch.setattr(StoredDigests, "known", lambda self, digests: set())


def count_touches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    touched: list[int] = []
    touch = ContactWriter.touch

    def counting(self: ContactWriter, contact_id: int, *args: Any) -> None:
        touched.append(contact_id)
        touch(self, contact_id, *args)

    monkeypatch.setattr(ContactWriter, "touch", counting)
    return touched


def without_clock(crm: CRM) -> dict[str, list[tuple[object, ...]]]:
    crm.store.conn.execute("UPDATE contacts SET created_at = '', updated_at = ''")
    return table_rows(crm)


def reimport_both_ways(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    csv: Path,
    mapping: Path,
    between: Mutation | None = None,
    **options: Any,
) -> tuple[tuple[CRM, Any], tuple[CRM, Any], list[int]]:
    """Import `csv` into two bases, change both alike, and import it again into each:
    first with the shortcut, then reading every row in full."""
    fast, full = crmkit.open(tmp_path / "fast.db"), crmkit.open(tmp_path / "full.db")
    for crm in (fast, full):
        reference_data(crm)
        run_import(crm, csv, mapping, helper=False)
        if between is not None:
            between(crm)
    with monkeypatch.context() as patch:
        touched = count_touches(patch)
        fast_report = run_import(fast, csv, mapping, helper=True, **options)
    with monkeypatch.context() as patch:
        in_full(patch)
        full_report = run_import(full, csv, mapping, helper=True, **options)
    return (fast, fast_report), (full, full_report), touched


def edit_some(crm: CRM) -> None:
    """Changes of every kind a digest must notice, made through the library."""
    ids = dict(crm.store.conn.execute("SELECT external_id, id FROM contacts"))
    crm.contacts.edit(ids["K-1001"], {"phone.mobile": "700 800 900"})
    crm.contacts.edit(ids["K-1002"], {"tags": "Lead"})
    crm.contacts.edit(ids["F-201"], {"name": "Technoserwis S.A."})
    crm.store.conn.execute("UPDATE tags SET name = 'Ważny klient' WHERE key = 'vip'")


@pytest.mark.parametrize("options", [{}, {"dry_run": True}, {"all_or_nothing": True}])
@pytest.mark.parametrize("between", [None, edit_some])
def test_a_re_import_comes_out_as_reading_every_row(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    options: dict[str, Any],
    between: Mutation | None,
) -> None:
    (fast, fast_report), (full, full_report), touched = reimport_both_ways(
        tmp_path, monkeypatch, CSV, MAPPING, between, **options
    )
    assert report_facts(fast_report) == report_facts(full_report)
    assert touched
    if between is not None:
        changed = fast.store.conn.execute(
            "SELECT id FROM contacts WHERE external_id IN ('K-1001', 'K-1002', 'F-201')"
        )
        assert not {contact_id for (contact_id,) in changed} & set(touched)
    assert without_clock(fast) == without_clock(full)


def test_an_edited_contact_gets_the_row_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (fast, _), _, _ = reimport_both_ways(tmp_path, monkeypatch, CSV, MAPPING, edit_some)
    numbers = fast.store.conn.execute(
        "SELECT number FROM phones JOIN contacts c ON c.id = contact_id"
        " WHERE external_id = 'K-1001' AND type = 'mobile'"
    )
    assert [number for (number,) in numbers] == ["+48601234567"]


def test_rows_handed_over_between_known_rows_travel_in_full_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With the handoff switch on, rows a stored contact was written from still come
    # read (for their identity), the others unparsed, in one batch in file order.
    def always_handing_over(source: Any, parse: Any, handoff: Any, parser: Any = None) -> Any:
        return shared_rows(source, parse, _Alternating(True), parser)

    sizes: list[int] = []
    batches = HelperFeed.batches

    def counted(self: HelperFeed) -> Any:
        for batch in batches(self):
            sizes.append(len(batch))
            yield batch

    fast, full = crmkit.open(tmp_path / "fast.db"), crmkit.open(tmp_path / "full.db")
    for crm in (fast, full):
        reference_data(crm)
        run_import(crm, CSV, MAPPING, helper=False)
    with monkeypatch.context() as patch:
        patch.setattr(contact_import, "shared_rows", always_handing_over)
        patch.setattr(HelperFeed, "batches", counted)
        touched = count_touches(patch)
        report = run_import(fast, CSV, MAPPING, helper=True)
    assert touched and report.rejected > 0
    assert sizes == [report.rows_read]
    assert report_facts(report) == report_facts(run_import(full, CSV, MAPPING, helper=False))
    assert without_clock(fast) == without_clock(full)


def test_rows_with_problems_keep_no_digest(ref_crm: CRM, tmp_path: Path, backend: str) -> None:
    """Only a row without problems keeps its digest; PostgreSQL keeps none (see row_digests)."""
    path = tmp_path / "rows.csv"
    path.write_text(
        "first_name,email,tags\nAnna,anna@example.pl,VIP\nJan,jan@example.pl,Nieznany\n", "utf-8"
    )
    ref_crm.imports.run(str(path))
    stored = ref_crm.store.conn.execute("SELECT first_name, row_digest IS NOT NULL FROM contacts")
    kept = backend == "sqlite"
    assert sorted((name, int(digest)) for name, digest in stored) == [("Anna", kept), ("Jan", 0)]


def test_a_row_that_now_matches_two_contacts_is_rejected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("first_name,email\nAnna,anna@example.pl\nJan,jan@example.pl\n", "utf-8")
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "columns:\n  first_name: first_name\n  email: email.work\nmatch: [email]\n", "utf-8"
    )

    def second_anna(crm: CRM) -> None:
        crm.contacts.add("person", {"first_name": "Anna", "email.home": "anna@example.pl"})

    (fast, fast_report), (_, full_report), touched = reimport_both_ways(
        tmp_path, monkeypatch, path, mapping, second_anna
    )
    assert report_facts(fast_report) == report_facts(full_report)
    assert fast_report.rejected == 1 and fast_report.updated == 1 and len(touched) == 1
    assert "matches 2 existing contacts" in fast_report.errors[0].reason


names = st.sampled_from(["Anna", "Jan", "Ewa", ""])
phones = st.sampled_from(["601 234 567", "+48 602 345 678", "12", ""])
emails = st.sampled_from(["a@example.pl", "b@example.pl", "B@Example.pl", "nie-email", ""])
tags = st.sampled_from(["VIP", "VIP | Lead", "Nieznany", ""])
orgs = st.sampled_from(["Firma A", "Firma B", ""])
rows = st.lists(st.tuples(names, phones, emails, tags, orgs), min_size=1, max_size=6)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=rows, second=rows)
def test_any_re_import_comes_out_as_reading_every_row(
    tmp_path_factory: pytest.TempPathFactory,
    first: list[tuple[str, ...]],
    second: list[tuple[str, ...]],
) -> None:
    tmp_path = tmp_path_factory.mktemp("rows")
    header = "first_name,phone.mobile,email.work,tags,organization\n"
    path = tmp_path / "rows.csv"
    path.write_text(header + "".join(",".join(row) + "\n" for row in first + second), "utf-8")
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "columns:\n"
        + "".join(f"  {name}: {name}\n" for name in header.strip().split(","))
        + "match: [email, phone]\n",
        "utf-8",
    )

    def only_second_rows(crm: CRM) -> None:
        # The rows of `second` come new or changed to the re-import.
        crm.store.conn.execute("DELETE FROM contacts WHERE id % 2 = 0")

    with pytest.MonkeyPatch.context() as monkeypatch:
        (fast, fast_report), (full, full_report), _ = reimport_both_ways(
            tmp_path, monkeypatch, path, mapping, only_second_rows
        )
    assert report_facts(fast_report) == report_facts(full_report)
    assert without_clock(fast) == without_clock(full)
    fast.close()
    full.close()

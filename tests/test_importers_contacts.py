"""Contact imports: canonical values, row errors, matching, and all-or-nothing writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from crm_calls import import_details, import_history, search_ids

import crmkit
from crmkit import CRM
from crmkit.errors import CrmError, InvalidValue
from tests.conftest import add_reference_data

DATA = Path(__file__).parent / "data"
BASIC = str(DATA / "basic.csv")
BASIC_MAP = str(DATA / "basic_map.yaml")


def contact_count(crm: CRM) -> int:
    return int(crm.store.one("SELECT count(*) FROM contacts"))


def by_name(crm: CRM, name: str) -> dict:
    contact_id = crm.store.one("SELECT id FROM contacts WHERE name = ?", (name,))
    assert contact_id is not None, name
    return crm.contacts[contact_id].to_record()


def test_basic_import_report(ref_crm: CRM) -> None:
    report = ref_crm.imports.run(BASIC, mapping=BASIC_MAP)
    assert report.rows_read == 6
    assert report.rejected == 4
    assert report.exit_code == 3
    rejected = {(p.row, p.column, p.value) for p in report.errors}
    assert (4, "Telefon", "123") in rejected
    assert (5, "Zgoda", "może") in rejected
    assert (6, "Utworzono", "31.02.2024") in rejected
    assert any(p.row == 7 and "cells" in p.reason for p in report.errors)
    warnings = {(p.row, p.column, p.value) for p in report.warning_details}
    assert (5, "Tagi", "Nieznany") in warnings
    assert report.ignored_columns == []
    # Anna, Piotr and their organization.
    assert report.created == 2 and report.organizations_created == 1
    assert contact_count(ref_crm) == 3


def test_imported_values_are_canonical(ref_crm: CRM) -> None:
    ref_crm.imports.run(BASIC, mapping=BASIC_MAP)
    anna = by_name(ref_crm, "Anna Nowak")
    assert anna["phones"] == [{"number": "+48601234567", "type": "mobile", "label": None}]
    assert anna["emails"] == [{"address": "anna.nowak@example.pl", "label": "work"}]
    assert anna["tags"] == ["Newsletter", "VIP"]
    assert anna["guardians"] == ["Jan Kowalski"]
    assert anna["custom"] == {"industry": ["IT", "Handel"], "consent": True}
    assert anna["created_at"] == "2024-03-05T13:30:00Z"
    assert anna["address"]["city"] == "Gliwice"
    piotr = by_name(ref_crm, "Piotr Wójcik")
    assert piotr["phones"][0]["number"] == "+48221131415"
    assert piotr["created_at"] == "2024-03-05T13:30:00Z"
    assert piotr["custom"] == {"consent": False}
    firm = by_name(ref_crm, "Firma 1 Sp. z o.o.")
    assert firm["kind"] == "organization"
    assert [m["name"] for m in firm["members"]] == ["Anna Nowak", "Piotr Wójcik"]
    assert anna["organizations"][0]["id"] == firm["id"]


def test_import_history_keeps_every_row_problem(ref_crm: CRM) -> None:
    report = ref_crm.imports.run(BASIC, mapping=BASIC_MAP)
    history = import_history(ref_crm)
    assert history[0]["id"] == report.import_id
    assert history[0]["rejected"] == 4 and history[0]["rows_read"] == 6
    assert len(history[0]["sha256"]) == 64
    summary, problems = import_details(ref_crm, report.import_id)
    assert summary["mapping"]["timezone"] == "Europe/Warsaw"
    assert sorted({p["row"] for p in problems if p["level"] == "error"}) == [4, 5, 6, 7]


def test_dry_run_writes_nothing_but_reports_the_same(ref_crm: CRM) -> None:
    dry = ref_crm.imports.run(BASIC, mapping=BASIC_MAP, dry_run=True)
    assert contact_count(ref_crm) == 0
    assert import_history(ref_crm) == []
    real = ref_crm.imports.run(BASIC, mapping=BASIC_MAP)
    assert (dry.created, dry.rejected, dry.warnings, dry.exit_code) == (
        real.created,
        real.rejected,
        real.warnings,
        real.exit_code,
    )


def test_all_or_nothing_writes_no_contact(ref_crm: CRM) -> None:
    report = ref_crm.imports.run(BASIC, mapping=BASIC_MAP, all_or_nothing=True)
    assert report.exit_code == 3
    assert contact_count(ref_crm) == 0
    assert import_history(ref_crm)[0]["status"].startswith("nothing written")


def test_strict_turns_unknown_tags_into_rejections(ref_crm: CRM) -> None:
    report = ref_crm.imports.run(BASIC, mapping=BASIC_MAP, strict=True)
    assert any(p.row == 5 and "unknown tag 'Nieznany'" in p.reason for p in report.errors)


def test_create_missing_creates_tags_and_options(ref_crm: CRM, tmp_path: Path) -> None:
    path = tmp_path / "new.csv"
    path.write_text(
        "first_name,tags,custom.industry\nAnna,Nowy | vip,Rolnictwo\n", encoding="utf-8"
    )
    report = ref_crm.imports.run(str(path), create_missing=True)
    assert report.created == 1 and report.warnings == 0
    assert "Nowy" in [t.name for t in ref_crm.tags.list()]
    record = ref_crm.contacts[1].to_record()
    assert record["tags"] == ["Nowy", "VIP"]
    assert record["custom"]["industry"] == ["Rolnictwo"]


def test_match_updates_instead_of_duplicating(ref_crm: CRM, tmp_path: Path) -> None:
    first = tmp_path / "a.csv"
    first.write_text("external_id,first_name,last_name,phone.mobile\nX1,Anna,Nowak,601234567\n")
    ref_crm.imports.run(str(first))
    second = tmp_path / "b.csv"
    second.write_text("external_id,last_name,stage,phone.mobile\nX1,Kowalska,client,\n")
    report = ref_crm.imports.run(str(second))
    assert (report.created, report.updated) == (0, 1)
    record = ref_crm.contacts[1].to_record()
    assert record["name"] == "Anna Kowalska"
    assert record["stage"] == "client"
    assert record["phones"][0]["number"] == "+48601234567"


def test_match_on_phone_in_any_format(ref_crm: CRM, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("first_name,phone.mobile\nAnna,601 234 567\n")
    ref_crm.imports.run(str(path))
    mapping = tmp_path / "m.yaml"
    mapping.write_text("match: [phone]\ncolumns:\n  tel: phone.mobile\n  etap: stage\n")
    again = tmp_path / "b.csv"
    again.write_text("tel,etap\n0048 601-234-567,lead\n")
    report = ref_crm.imports.run(str(again), mapping=str(mapping))
    assert report.updated == 1 and contact_count(ref_crm) == 1


def test_duplicate_external_id_in_file_is_rejected(ref_crm: CRM, tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("external_id,first_name\nA,Anna\nA,Ania\n")
    mapping = tmp_path / "m.yaml"
    mapping.write_text("columns:\n  external_id: external_id\n  first_name: first_name\n")
    report = ref_crm.imports.run(str(path), mapping=str(mapping))
    assert report.created == 1 and report.rejected == 1
    assert "already used by contact 1" in report.errors[0].reason


def test_required_custom_field_left_empty_rejects_the_row(crm: CRM, tmp_path: Path) -> None:
    crm.fields.add("contract_no", type="text", required=True, applies_to="person")
    path = tmp_path / "req.csv"
    path.write_text("first_name,custom.contract_no\nAnna,K-1\nPiotr,\n")
    report = crm.imports.run(str(path))
    assert report.created == 1
    assert report.errors[0].row == 3 and "required field 'contract_no'" in report.errors[0].reason


def test_person_only_field_on_an_organization_is_rejected(crm: CRM, tmp_path: Path) -> None:
    path = tmp_path / "org.csv"
    path.write_text("kind,name,pesel\nfirma,ACME,44051401359\n")
    report = crm.imports.run(str(path))
    assert (
        report.rejected == 1 and "pesel is not a field of organizations" in report.errors[0].reason
    )


def test_jsonl_import_with_structured_record_fields(ref_crm: CRM) -> None:
    report = ref_crm.imports.run(str(DATA / "contacts.jsonl"))
    assert report.created == 2 and report.rejected == 1
    assert report.errors[0].row == 4
    anna = by_name(ref_crm, "Anna Nowak")
    assert anna["phones"] == [{"number": "+48601234567", "type": "mobile", "label": "prywatny"}]
    assert anna["address"]["city"] == "Łódź"
    assert by_name(ref_crm, "Firma 2 Sp. z o.o.")["nip"] == "1234563218"


def test_file_level_error_mid_file_leaves_database_unchanged(ref_crm: CRM, tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    good = "first_name,last_name\n" + "Anna,Nowak\n" * 100_000
    path.write_bytes(good.encode() + "Żaneta,X\n".encode("cp1250"))
    with pytest.raises(CrmError, match="line 100002"):
        ref_crm.imports.run(str(path))
    assert contact_count(ref_crm) == 0 and import_history(ref_crm) == []


def test_header_only_imports_nothing(ref_crm: CRM) -> None:
    report = ref_crm.imports.run(str(DATA / "header_only.csv"), mapping=None)
    assert report.rows_read == 0 and report.exit_code == 0


def test_headers_that_are_no_targets_need_a_mapping(ref_crm: CRM, tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text("Imię,Nazwisko\nAnna,Nowak\n", encoding="utf-8")
    with pytest.raises(CrmError, match="no column is a target name .*give a mapping"):
        ref_crm.imports.run(rows)
    assert ref_crm.imports.list() == []


def test_json_export_shape_imports_back(ref_crm: CRM, tmp_path: Path) -> None:
    ref_crm.imports.run(BASIC, mapping=BASIC_MAP)
    records = list(ref_crm.contacts.records([1, 2, 3]))
    path = tmp_path / "out.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    other = tmp_path / "other.db"
    import crmkit

    with crmkit.open(other) as target:
        for tag in ("VIP", "Newsletter"):
            target.tags.add(tag)
        target.users.add("Jan Kowalski")
        target.users.add("Piotr Maj")
        target.fields.add("industry", type="multiselect", options=["IT", "Handel", "Produkcja"])
        target.fields.add("consent", type="checkbox")
        report = target.imports.run(str(path))
        assert report.rejected == 0, report.errors
        again = list(target.contacts.records(range(1, 10)))

    def strip(record: dict) -> dict:
        skipped = ("id", "organizations", "members", "updated_at")
        return {k: v for k, v in record.items() if k not in skipped}

    assert sorted(map(strip, again), key=json.dumps) == sorted(map(strip, records), key=json.dumps)


def test_empty_checkbox_is_no_value_on_creation_and_untouched_on_update(
    ref_crm: CRM, tmp_path: Path
) -> None:
    path = tmp_path / "c.csv"
    path.write_text("external_id,first_name,custom.consent\nA,Anna,\nB,Bartek,tak\n")
    ref_crm.imports.run(str(path))
    assert ref_crm.contacts[1].custom == {}
    again = tmp_path / "d.csv"
    again.write_text("external_id,first_name,custom.consent\nB,Bartek,\n")
    ref_crm.imports.run(str(again))
    assert ref_crm.contacts[2].custom == {"consent": True}


def test_rows_for_the_same_contact_apply_in_file_order(ref_crm: CRM, tmp_path: Path) -> None:
    path = tmp_path / "twice.csv"
    path.write_text(
        "external_id,first_name,phone.mobile,tags\n"
        "X1,Anna,601 234 567,VIP\n"
        "X1,,501 000 111,\n"
        "X1,Ania,,Lead\n"
    )
    report = ref_crm.imports.run(str(path))
    assert (report.created, report.updated) == (1, 2)
    record = ref_crm.contacts[1].to_record()
    assert record["first_name"] == "Ania"
    assert [p["number"] for p in record["phones"]] == ["+48501000111"]
    assert record["tags"] == ["Lead"]


def test_a_match_of_the_other_kind_is_a_row_error(ref_crm: CRM, tmp_path: Path) -> None:
    ref_crm.contacts.add("organization", {"name": "ACME", "email": "biuro@acme.pl"})
    mapping = tmp_path / "m.yaml"
    mapping.write_text("match: [email]\ncolumns:\n  mail: email\n  imie: first_name\n")
    path = tmp_path / "p.csv"
    path.write_text("mail,imie\nbiuro@acme.pl,Jan\n")
    report = ref_crm.imports.run(str(path), mapping=str(mapping))
    assert report.rejected == 1
    assert "matches contact 1, which is an organization, not a person" in report.errors[0].reason


def test_a_record_without_a_checkbox_key_stays_without_it(ref_crm: CRM, tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text('{"first_name": "Anna"}\n{"first_name": "Jan", "custom": {"consent": true}}\n')
    ref_crm.imports.run(str(path))
    assert ref_crm.contacts[1].custom == {}
    assert ref_crm.contacts[2].custom == {"consent": True}


def _search_index(crm: CRM) -> list[object]:
    from crmkit.store.sqlite.search_index import index_entries

    keys = crm.store.conn.execute("SELECT * FROM contacts_fts_keys ORDER BY contact_id")
    if not isinstance(crm.path, Path):
        # PostgreSQL's index is the `words` column of these rows, computed from them.
        return [keys.fetchall()]
    return [index_entries(crm.store), keys.fetchall()]


def test_documents_written_by_an_import_equal_a_rebuild(ref_crm: CRM, tmp_path: Path) -> None:
    """New contacts are indexed from memory; the result must be what the tables say."""
    from crmkit.store.sqlite.search_index import rebuild_search_index

    orgs = tmp_path / "orgs.csv"
    orgs.write_text("kind,name,nip,address.city\norganization,Żółć S.A.,5260250274,Łódź\n")
    ref_crm.imports.run(str(orgs))
    people = tmp_path / "people.csv"
    people.write_text(
        "first_name,last_name,phone.mobile,phone.work,email.work,email.home,address.city,"
        "organizations,hidden\n"
        "Ala,Nowak,601234567,22 113 14 15,ala@example.pl,ala@dom.pl,Gliwice,"
        "526-025-02-74 | FIRMA 2,0\n"
        "Ola,Kot,,,,,,Żółć s.a.,1\n"
        "Ela,Maj,602 000 111,,ela@example.pl,,,Firma 2,\n"
    )
    report = ref_crm.imports.run(str(people))
    assert report.created == 3 and report.organizations_created == 1, report.errors
    kept = _search_index(ref_crm)
    rebuild_search_index(ref_crm.store)
    assert _search_index(ref_crm) == kept
    assert search_ids(ref_crm, "zolc") and search_ids(ref_crm, "601234567")


def test_a_value_replaced_earlier_in_the_file_no_longer_matches(
    ref_crm: CRM, tmp_path: Path
) -> None:
    """Updates are written in batches; a later row must still see the earlier change."""
    first = tmp_path / "first.csv"
    first.write_text("first_name,phone.mobile,email.work\nAla,601234567,ala@example.pl\n")
    ref_crm.imports.run(str(first))
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "target: contacts\nkind: person\nmatch: [phone, email]\ncolumns:\n"
        "  first_name: first_name\n  phone.mobile: phone.mobile\n  email.work: email.work\n"
    )
    second = tmp_path / "second.csv"
    second.write_text(
        "first_name,phone.mobile,email.work\n"
        "Ala,601234567,ala.nowa@example.pl\n"
        "Ola,,ala@example.pl\n"
    )
    report = ref_crm.imports.run(str(second), mapping=str(mapping))
    assert (report.updated, report.created) == (1, 1)
    owners = dict(ref_crm.store.conn.execute("SELECT address, contact_id FROM emails"))
    assert owners["ala.nowa@example.pl"] != owners["ala@example.pl"]


def test_reimport_keeps_the_index_a_rebuild_would_give(ref_crm: CRM, tmp_path: Path) -> None:
    """Unchanged documents are kept, changed ones rewritten; both must equal a rebuild."""
    from crmkit.store.sqlite.search_index import rebuild_search_index

    mapping = tmp_path / "map.yaml"
    mapping.write_text(Path(BASIC_MAP).read_text("utf-8") + "match: [email]\n", "utf-8")
    ref_crm.imports.run(BASIC, mapping=str(mapping))
    changed = tmp_path / "changed.csv"
    lines = Path(BASIC).read_text("utf-8").splitlines()
    lines[1] = lines[1].replace("Gliwice", "Żywiec").replace("Anna,", "Anka,")
    changed.write_text("\n".join(lines) + "\n", "utf-8")
    report = ref_crm.imports.run(str(changed), mapping=str(mapping))
    assert report.updated == 2 and report.created == 0
    kept = _search_index(ref_crm)
    rebuild_search_index(ref_crm.store)
    assert _search_index(ref_crm) == kept
    assert search_ids(ref_crm, "zywiec") and not search_ids(ref_crm, "gliwice")


def test_naming_only_mapped_columns_stores_the_same(
    ref_crm: CRM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """New contacts are inserted naming only the columns the mapping can fill."""
    import crmkit.importers.contacts as importer
    from crmkit.store.sqlite.schema import CONTACT_COLUMNS

    # The same reference data in a second base, before anything is imported.
    if isinstance(ref_crm.path, Path):
        ref_crm.store.conn.execute("VACUUM INTO ?", (str(tmp_path / "wide.db"),))
        other = crmkit.open(tmp_path / "wide.db")
    else:
        other = add_reference_data(
            crmkit.open(request.getfixturevalue("postgres_server").new_database())
        )
    # Every column but created_at and updated_at, which hold each import's own clock.
    columns = ref_crm.store.conn.execute("SELECT * FROM contacts LIMIT 0").description
    names = [column[0] for column in columns]
    compared = ", ".join(name for name in names if name not in ("created_at", "updated_at"))
    query = f"SELECT {compared} FROM contacts ORDER BY id"
    ref_crm.imports.run(BASIC, mapping=BASIC_MAP)
    narrow = ref_crm.store.conn.execute(query).fetchall()
    monkeypatch.setattr(importer, "contact_columns_written", lambda targets: CONTACT_COLUMNS)
    other.imports.run(BASIC, mapping=BASIC_MAP)
    wide = other.store.conn.execute(query).fetchall()
    assert narrow == wide
    assert len(narrow) == 3 and "row_digest" in compared


def test_reimporting_the_same_file_rewrites_no_search_document(
    ref_crm: CRM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import crmkit.store.sqlite.writer.contact_writer as writer_module

    mapping = tmp_path / "map.yaml"
    mapping.write_text(Path(BASIC_MAP).read_text("utf-8") + "match: [email]\n", "utf-8")
    ref_crm.imports.run(BASIC, mapping=str(mapping))
    refreshed: list[int] = []
    real = writer_module.refresh_search_index

    def spy(store: object, ids: Any) -> None:
        refreshed.extend(ids)
        real(store, ids)  # type: ignore[arg-type]

    monkeypatch.setattr(writer_module, "refresh_search_index", spy)
    report = ref_crm.imports.run(BASIC, mapping=str(mapping))
    assert report.updated == 2 and refreshed == []
    changed = tmp_path / "changed.csv"
    changed.write_text(Path(BASIC).read_text("utf-8").replace("Gliwice", "Żywiec"), "utf-8")
    ref_crm.imports.run(str(changed), mapping=str(mapping))
    assert len(refreshed) == 1 and search_ids(ref_crm, "zywiec") == refreshed


def test_organization_rows_of_one_name_stay_apart_but_land_on_a_linked_one(
    ref_crm: CRM, tmp_path: Path
) -> None:
    path = tmp_path / "orgs.csv"
    path.write_text(
        "kind,name,first_name,organization,nip\n"
        "person,,Ala,Huta,\n"
        "organization,Huta,,,\n"
        "organization,HUTA,,,5260250274\n"
        "organization,Huta,,,1234563218\n",
        encoding="utf-8",
    )
    report = ref_crm.imports.run(str(path))
    # Ala's link made the first Huta, which the first organization row then filled in.
    assert (report.created, report.updated, report.organizations_created) == (3, 1, 1)
    huty = sorted((c.id, c.name, c.nip) for c in ref_crm.contacts if c.kind == "organization")
    assert [(name, nip) for _, name, nip in huty] == [
        ("Huta", None),
        ("HUTA", "5260250274"),
        ("Huta", "1234563218"),
    ]
    assert [m.id for m in contact_named(ref_crm, "Ala").organizations] == [huty[0][0]]


def test_an_organization_name_holding_the_separator_is_refused(
    ref_crm: CRM, tmp_path: Path
) -> None:
    with pytest.raises(InvalidValue, match="cannot hold ' \\| ', which separates"):
        ref_crm.contacts.add("organization", {"name": "Kowalski | Nowak s.c."})
    path = tmp_path / "orgs.csv"
    path.write_text("kind,name\norganization,Kowalski | Nowak\norganization,A|B\n")
    report = ref_crm.imports.run(str(path))
    assert (report.created, report.rejected) == (1, 1)
    assert report.errors[0].column == "name" and report.errors[0].row == 2


def contact_named(crm: CRM, name: str) -> Any:
    return next(contact for contact in crm.contacts if contact.name == name)

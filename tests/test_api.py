"""The library API of CONTRACT section 7: `crmkit.open`, the collections and their types."""

from __future__ import annotations

import io
import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

import crmkit
from crmkit import CRM, Contact, InvalidValue, NotFound

DATA = Path(__file__).parent / "data"
EXAMPLES = Path(__file__).parent.parent / "examples"


def test_contract_script_runs_as_written_in_an_empty_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CRM_DB", raising=False)
    runpy.run_path(str(DATA / "api" / "contract_section7.py"))
    assert (tmp_path / "crm.db").exists()
    lines = (tmp_path / "vip.csv").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and ",Ewa,Bąk,Ewa Bąk," in lines[1]


def test_api_demo_runs(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "api_demo.py"), str(tmp_path / "demo.db")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Import 1: 36 created, 4 rejected" in done.stdout
    assert "Calling: Tomasz Wójcik" in done.stdout
    exported = (tmp_path / "vip.csv").read_text(encoding="utf-8").splitlines()
    assert exported[0] == "name,phones,emails,tags" and len(exported) > 2


def test_public_names_are_exported_eagerly() -> None:
    for name in crmkit.__all__:
        assert name in dir(crmkit), name
    assert crmkit.CRM is CRM and callable(crmkit.open)
    assert (Path(crmkit.__file__).parent / "py.typed").exists()


def test_open_refuses_a_missing_file_without_create(tmp_path: Path) -> None:
    with pytest.raises(crmkit.CrmError, match="no crmkit database at .*typo.db"):
        crmkit.open(tmp_path / "typo.db", create=False)
    assert not (tmp_path / "typo.db").exists()


def test_open_reads_crm_db_and_crm_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_DB", str(tmp_path / "env.db"))
    monkeypatch.setenv("CRM_USER", "Ewa Bąk")
    with crmkit.open() as crm:
        assert crm.path == tmp_path / "env.db" and crm.user == "Ewa Bąk"
    with crmkit.open(tmp_path / "other.db", user="Jan") as crm:
        assert crm.path.name == "other.db" and crm.user == "Jan"


def test_contacts_behave_like_a_mapping_of_ids(crm: CRM) -> None:
    with pytest.raises(NotFound) as missing:
        crm.contacts[404]
    assert isinstance(missing.value, KeyError) and str(missing.value) == "no contact with id 404"
    assert crm.contacts.get(404) is None and 404 not in crm.contacts
    anna = crm.contacts.add(first_name="Anna", last_name="Nowak")
    assert anna.kind == "person" and anna.id in crm.contacts and len(crm.contacts) == 1
    assert [c.name for c in crm.contacts] == ["Anna Nowak"]
    assert crm.contacts.delete(anna.id).name == "Anna Nowak" and len(crm.contacts) == 0


def test_values_are_python_values(ref_crm: CRM) -> None:
    contact = ref_crm.contacts.add(
        kind="person",
        first_name="Jan",
        phones=["22 113 14 15", crmkit.Phone(number="601 234 567", type="work", label="biuro")],
        emails={"home": ["jan@dom.pl"]},
        address=crmkit.Address(city="Łódź", postal_code="90-001"),
        tags=("VIP", "Lead"),
        custom={"industry": ["IT"], "consent": True},
        vip=True,
    )
    assert [(p.number, p.type, p.label) for p in contact.phones] == [
        ("+48221131415", "landline", None),
        ("+48601234567", "work", "biuro"),
    ]
    assert contact.emails == [crmkit.Email(address="jan@dom.pl", label="home")]
    assert (contact.address.city, contact.tags, contact.vip) == ("Łódź", ["Lead", "VIP"], True)
    assert contact.custom == {"industry": ["IT"], "consent": True}


def test_edit_replaces_only_what_it_is_given(ref_crm: CRM) -> None:
    jan = ref_crm.contacts.add(
        first_name="Jan", phones={"mobile": ["601 234 567"], "work": ["22 113 14 15"]}
    )
    jan = ref_crm.contacts.edit(jan.id, phones={"work": ["22 113 14 16"]}, stage="lead")
    assert [(p.number, p.type) for p in jan.phones] == [
        ("+48601234567", "mobile"),
        ("+48221131416", "work"),
    ]
    jan = ref_crm.contacts.edit(jan.id, phones=[], stage=None)
    assert (jan.phones, jan.stage, jan.first_name) == ([], None, "Jan")


def test_a_bad_value_names_its_field(crm: CRM) -> None:
    with pytest.raises(InvalidValue) as bad:
        crm.contacts.add(first_name="Jan", phones=["123"])
    assert (bad.value.field, bad.value.value, bad.value.reason) == (
        "phones",
        '["123"]',
        "not a valid phone number",
    )
    assert isinstance(bad.value, crmkit.CrmError) and len(crm.contacts) == 0


def test_target_names_still_work_as_a_dict(ref_crm: CRM) -> None:
    ewa = ref_crm.contacts.add("person", {"first_name": "Ewa", "tags": "VIP | Lead"})
    assert ewa.tags == ["Lead", "VIP"]
    ewa = ref_crm.contacts.edit(ewa.id, {"phone.mobile": "501 000 111"})
    assert ewa.phones[0].number == "+48501000111"


def test_filters_as_a_dict(ref_crm: CRM) -> None:
    ref_crm.fields.add("budget", type="number")
    rich = ref_crm.contacts.add(first_name="Ewa", tags=["VIP"], custom={"budget": 1500})
    ref_crm.contacts.add(first_name="Jan", tags=["Lead"], custom={"budget": 10})
    found = ref_crm.contacts.search(filters={"tag": ["VIP", "Klient"], "custom.budget>=": 1000})
    assert [c.id for c in found] == [rich.id]


def test_export_takes_a_path_a_text_stream_or_a_binary_stream(ref_crm: CRM, tmp_path: Path) -> None:
    ref_crm.contacts.add(first_name="Żaneta", last_name="Żółć", tags=["VIP"])
    assert ref_crm.export(tmp_path / "out.csv") == 1
    as_text, as_bytes = io.StringIO(), io.BytesIO()
    assert ref_crm.export(as_text, format="jsonl") == 1
    assert ref_crm.export(as_bytes, format="jsonl") == 1
    assert as_bytes.getvalue().decode("utf-8") == as_text.getvalue()
    assert json.loads(as_text.getvalue())["name"] == "Żaneta Żółć"
    assert "Żaneta Żółć" in (tmp_path / "out.csv").read_text(encoding="utf-8")


def test_records_round_trip_through_contact(ref_crm: CRM) -> None:
    firm = ref_crm.contacts.add(kind="organization", name="Huta", nip="526-104-08-28")
    anna = ref_crm.contacts.add(first_name="Anna", organizations=["Huta"])
    record = ref_crm.contacts[anna.id].to_record()
    assert Contact.from_record(record).to_record() == record
    assert record["organizations"][0]["id"] == firm.id and "nip" not in record
    assert "first_name" not in ref_crm.contacts[firm.id].to_record()


def test_python_m_crmkit_runs_the_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "crmkit", "--version"],
        capture_output=True,
        text=True,
        env={**os.environ, "CRM_DB": "unused.db"},
        check=True,
    )
    assert done.stdout.strip() == f"crmkit {crmkit.__version__}"


def test_quick_start_demo_builds_a_new_base_and_keeps_an_old_one(tmp_path: Path) -> None:
    db = tmp_path / "crm.db"
    done = subprocess.run(
        ["bash", str(EXAMPLES / "demo.sh"), str(db)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "rows read 40, created 36, updated 0, skipped 0, rejected 4, warnings 2" in done.stdout
    size = db.stat().st_size
    again = subprocess.run(
        ["bash", str(EXAMPLES / "demo.sh"), str(db)], capture_output=True, text=True
    )
    assert again.returncode == 1 and "already exists" in again.stderr
    assert db.stat().st_size == size


def test_saving_a_view_says_whether_it_replaced_one(crm: CRM) -> None:
    first = crm.views.save("vip", filters={"city": "Gliwice"})
    again = crm.views.save("vip", filters={"city": "Łódź"})
    assert (first.replaced, again.replaced) == (False, True)
    assert crm.views["vip"].to_record() == {
        "name": "vip", "columns": [], "filters": ["city=Łódź"], "sort": []
    }  # fmt: skip

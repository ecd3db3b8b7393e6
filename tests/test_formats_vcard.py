"""vCard: the traps of old phones on the way in, cards other tools read on the way out."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import vobject
from hypothesis import HealthCheck, given, settings
from test_exporters_export import by_column, customer_base, original, prepare, records
from typer.testing import Result

import crmkit
from crmkit import CRM
from crmkit.errors import CrmError
from crmkit.importers.vcards import open_vcards

TRAPS = Path(__file__).parent / "data" / "vcard" / "traps.vcf"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def by_name(crm: CRM) -> dict[str, dict[str, Any]]:
    return {record["name"]: record for record in records(crm)}


def test_the_traps_of_old_phones(crm: CRM) -> None:
    crm.tags.add("VIP", "Klient")
    crm.fields.add("www", type="url")
    report = crm.imports.run(TRAPS)
    assert (report.created, report.rejected, report.warnings) == (5, 0, 0), report.problems
    assert report.ignored_columns == []
    found = by_name(crm)
    # 2.1, quoted-printable UTF-8 broken by a soft line break inside a letter
    malgorzata = found["Małgorzata Żółtkiewicz-Grzegorzewska"]
    assert [(p["number"], p["type"]) for p in malgorzata["phones"]] == [
        ("+48601234567", "mobile"),
        ("+48221131415", "office_fax"),
    ]
    assert malgorzata["emails"] == [{"address": "malgorzata@example.pl", "label": None}]
    assert malgorzata["address"]["city"] == "Poznań"
    assert malgorzata["address"]["street"] == "ul. Świętego Marcina 5"
    # 2.1, quoted-printable ISO-8859-2 with an encoded line break and a bare comma
    lukasz = found["Łukasz Wiśniewski"]
    assert lukasz["note"] == "Dzwonić po 16, nie w piątki\nPilne!"
    assert lukasz["phones"][0]["type"] == "landline"
    # 3.0: TYPE lists, escapes, a folded line, ORG, TITLE, CATEGORIES, URL, PHOTO
    anna = found["Anna Nowak"]
    assert anna["position"] == "Prezes zarządu"
    assert [org["name"] for org in anna["organizations"]] == ["Bąk i Syn, Sp. j."]
    assert anna["tags"] == ["Klient", "VIP"]
    assert anna["note"].endswith(
        "średnikiem – bardzo długa notatka, która zawija się na drugą linię"
    )
    assert anna["note"].startswith("Pierwsza linia\nDruga linia, z przecinkiem;")
    assert {e["label"] for e in anna["emails"]} == {"work", "home"}
    assert [p["type"] for p in anna["phones"]] == ["mobile", "work"]
    assert anna["custom"]["www"] == "https://bak-i-syn.example.pl"
    assert crm.card(anna["id"])["avatar"]["file_id"] is not None
    # 4.0 KIND:org with a UID, a quoted TYPE list, a tel: URI and the preferred ADR
    huta = found["Huta Łabędy S.A."]
    assert huta["kind"] == "organization"
    assert huta["external_id"] == "urn:uuid:6f1c2a52-0000-4000-8000-000000000001"
    assert huta["phones"] == [{"number": "+48322340000", "type": "work", "label": None}]
    assert huta["address"]["city"] == "Gliwice"
    # Apple's way of saying company
    assert found["Zakład Usług Różnych"]["kind"] == "organization"


def test_importing_the_cards_again_changes_nothing(crm: CRM) -> None:
    crm.tags.add("VIP", "Klient")
    crm.imports.run(TRAPS)
    before = records(crm)
    anna = next(record for record in before if record["name"] == "Anna Nowak")
    avatar = crm.card(anna["id"])["avatar"]["file_id"]
    again = crm.imports.run(TRAPS)
    assert (again.created, again.updated, again.rejected) == (0, 5, 0)
    after = records(crm)
    assert [{**r, "updated_at": None} for r in after] == [{**r, "updated_at": None} for r in before]
    assert crm.card(anna["id"])["avatar"]["file_id"] == avatar


def test_rows_are_the_lines_where_cards_begin(crm: CRM, tmp_path: Path) -> None:
    path = tmp_path / "bad.vcf"
    path.write_text(
        "BEGIN:VCARD\nVERSION:3.0\nFN:Jan\nN:Zły;Jan;;;\nTEL:123\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nN:Dobry;Jan;;;\nTEL;TYPE=CELL:601 234 567\nEND:VCARD\n",
        encoding="utf-8",
    )
    report = crm.imports.run(path)
    assert (report.created, [(p.row, p.column, p.value) for p in report.errors]) == (
        1,
        [(1, "phone.other", "123")],
    )


def test_files_that_are_not_cards(tmp_path: Path) -> None:
    empty = tmp_path / "empty.vcf"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(CrmError, match="is empty"):
        open_vcards(str(empty))
    other = tmp_path / "other.vcf"
    other.write_text("Imię,Nazwisko\n", encoding="utf-8")
    with pytest.raises(CrmError, match="holds no vCard"):
        open_vcards(str(other))


def test_a_card_is_known_by_its_content_whatever_its_name(crm: CRM, tmp_path: Path) -> None:
    path = tmp_path / "kontakty.txt"
    path.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nN:Bąk;Ewa;;;\r\nEND:VCARD\r\n", "utf-8")
    assert crm.imports.run(path).created == 1
    assert crm.contacts.search("Bąk")[0].first_name == "Ewa"


def exported_cards(crm: CRM, version: str) -> str:
    out = io.StringIO(newline="")
    crm.export(out, format="vcard", vcard_version=version, include_hidden=True)
    return out.getvalue()


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_exported_cards_pass_vobject_and_keep_polish_letters(crm: CRM, version: str) -> None:
    crm.tags.add("VIP")
    firm = crm.contacts.add(kind="organization", name="Żółta Łódź Sp. z o.o.")
    ewa = crm.contacts.add(
        kind="person",
        first_name="Ewa",
        last_name="Bąk-Źdźbło",
        position="Dyrektorka; handlowa, z Łodzi",
        phones={"mobile": ["601 234 567"], "office_fax": ["22 113 14 15"]},
        emails={"work": ["ewa@example.pl"]},
        tags=["VIP"],
        note="Dzwonić po 16:00\nNie w piątki",
    )
    crm.contacts.link(ewa.id, firm.id)
    crm.files.set_avatar(ewa.id, data=PNG, name="ewa.png")
    text = exported_cards(crm, version)
    cards = list(vobject.readComponents(text))
    assert [card.version.value for card in cards] == [version, version]
    person = cards[1]
    assert person.n.value.family == "Bąk-Źdźbło"
    assert person.title.value == "Dyrektorka; handlowa, z Łodzi"
    assert person.org.value == ["Żółta Łódź Sp. z o.o."]
    assert person.note.value == "Dzwonić po 16:00\nNie w piątki"
    assert "Bąk-Źdźbło" in text
    assert all(
        len(line.encode()) <= 75 for line in text.splitlines() if not line.startswith("PHOTO")
    )


def test_cli_export_vcard_to_a_file(cli: Callable[..., Result], tmp_path: Path) -> None:
    cli("add", "person", "--set", "first_name=Zoë", "--set", "phone.mobile=601234567")
    path = tmp_path / "telefon.vcf"
    result = cli("export", "--format", "vcard", "--vcard-version", "3.0", "-o", str(path))
    assert result.exit_code == 0, result.output
    card = vobject.readOne(path.read_text("utf-8"))
    assert (card.fn.value, card.tel.value) == ("Zoë", "+48601234567")
    wrong = cli("export", "--format", "vcard", "--vcard-version", "2.1")
    assert wrong.exit_code == 1 and "3.0 or 4.0" in wrong.output


@pytest.mark.parametrize("version", ["3.0", "4.0"])
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=customer_base())
def test_vcard_export_imports_back_as_the_same_contacts(
    tmp_path_factory: pytest.TempPathFactory, version: str, rows: list[dict[str, Any]]
) -> None:
    folder = tmp_path_factory.mktemp("vcard")
    crm = original(rows, folder)
    path = folder / "out.vcf"
    path.write_text(exported_cards(crm, version), encoding="utf-8", newline="")
    again = prepare(crmkit.open(folder / "again.db"))
    report = again.imports.run(path)
    assert (report.rejected, report.warnings) == (0, 0), report.problems
    assert by_column(records(again)) == by_column(records(crm))


def test_the_phone_example_joins_the_contacts_example(tmp_path: Path) -> None:
    from test_formats_suggest import examples_base

    examples = Path(__file__).resolve().parent.parent / "examples"
    crm = examples_base(tmp_path / "crm.db")
    crm.imports.run(examples / "kontakty.csv", mapping=examples / "map.yaml")
    report = crm.imports.run(examples / "telefon.vcf")
    assert (report.created, report.updated, report.rejected) == (3, 1, 0)
    [anna] = crm.contacts.search(filters={"phone": "601234567"})
    assert (anna.external_id, anna.name) == ("K-1001", "Anna Nowak")  # found by the card's phone
    [bartek] = crm.contacts.search("Kołodziej")
    assert bartek.note == (
        "Hydraulik, polecony przez p. Wróbel. Dzwonić rano, najlepiej przed 8:00."
    )
    [clinic] = crm.contacts.search("Przychodnia")
    assert (clinic.kind, clinic.address.city) == ("organization", "Gliwice")

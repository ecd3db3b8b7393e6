"""Personal data on request: find a person everywhere, hand it over, erase it for good."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

import crmkit
from crmkit import CRM, CrmError

ROWS = (
    "external_id,first_name,last_name,phones,emails,pesel,note\n"
    "P-1,Bożena,Kwiatkowska-Zyg,+48 601 234 567,bozena.kz@example.pl,78051412365,\n"
    "P-2,Jan,Zieliński,602 111 222,jan@example.pl,,\n"
    "P-3,Bożena,Kwiatkowska-Zyg,601 234 56,bozena.kz@example.pl,,a bad number\n"
)
# What must not be left anywhere in the file once she is erased (any stored spelling).
TRACES = [
    "Kwiatkowska-Zyg",
    "kwiatkowska-zyg",
    "bozena.kz@example.pl",
    "+48601234567",
    "601234567",
    "601 234 567",
    "601-234-567",
    "78051412365",
]


def raw_bytes(db: Path) -> bytes:
    """The database file and its WAL, as they lie on disk."""
    wal = db.with_name(db.name + "-wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def on_postgresql(crm: CRM) -> bool:
    return getattr(crm.store, "dialect", "sqlite") == "postgresql"


def row_bytes(crm: CRM) -> bytes:
    """Every value of every row of a PostgreSQL base, as text (stored files aside)."""
    raw = crm.store.conn.raw  # type: ignore[attr-defined]
    tables = raw.execute(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        " AND table_name <> 'file_contents'"
    ).fetchall()
    return b"\n".join(
        str(row[0]).encode()
        for (table,) in tables
        for row in raw.execute(f'SELECT t::text FROM "{table}" t').fetchall()
    )


def stored_contents(crm: CRM) -> list[bytes]:
    """The bytes of each stored file: blobs in the folder, or rows of `file_contents`."""
    if on_postgresql(crm):
        raw = crm.store.conn.raw  # type: ignore[attr-defined]
        return [bytes(row[0]) for row in raw.execute("SELECT content FROM file_contents")]
    folder = crm.path.with_name("crm.files")
    return [path.read_bytes() for path in folder.rglob("*") if path.is_file()]


@pytest.fixture()
def base(db_path: Path, tmp_path: Path) -> tuple[CRM, int, int, Path]:
    """Bożena, imported with a rejected row of hers, noted on Jan's card and in events."""
    source = tmp_path / "kontakty.csv"
    source.write_text(ROWS, encoding="utf-8")
    crm = crmkit.open(db_path, user="Jan Kowalski")
    crm.users.add("Jan Kowalski")
    report = crm.imports.run(source)
    assert report.rejected == 1
    bozena = crm.contacts.search("Kwiatkowska")[0].id
    jan = crm.contacts.search("Zieliński")[0].id
    crm.contacts.edit(bozena, stage="klient", phones={"work": ["22 113 14 15"]})
    crm.notes.add(jan, "Poleciła go Bożena Kwiatkowska-Zyg, tel. 601-234-567")
    crm.events.add(jan, kind="call", at="2024-05-05 10:00", body="Pytał o bozena.kz@example.pl")
    crm.events.add(bozena, kind="call", at="2024-05-06 10:00", duration=95, body="Reklamacja")
    crm.files.add(bozena, data=b"umowa Kwiatkowska-Zyg 78051412365", name="umowa.txt")
    crm.files.add(jan, data=b"skan", name="Kwiatkowska-Zyg polecenie.pdf")
    crm.consents.set(bozena, "marketing", given=True, basis="consent")
    return crm, bozena, jan, source


def test_find_lists_every_place(base: tuple[CRM, int, int, Path]) -> None:
    crm, bozena, jan, _ = base
    places = {(p["table"], p["field"]) for p in crm.gdpr.find("601 234 567")}
    assert {("contacts", "*"), ("notes", "body")} <= places
    by_mail = {
        (p["table"], p["field"], p.get("contact_id")) for p in crm.gdpr.find("BOZENA.KZ@example.pl")
    }
    assert ("contacts", "*", bozena) in by_mail and ("events", "body", jan) in by_mail
    by_name = {(p["table"], p["field"]) for p in crm.gdpr.find("Kwiatkowska-Zyg")}
    assert {("contacts", "*"), ("notes", "body"), ("files", "name")} <= by_name
    assert crm.gdpr.find("78051412365")[0]["row"] == bozena


def test_export_holds_everything_about_the_person(
    base: tuple[CRM, int, int, Path], tmp_path: Path
) -> None:
    crm, bozena, _, _ = base
    done = crm.gdpr.export(bozena, tmp_path / "bozena.zip")
    with zipfile.ZipFile(done["path"]) as archive:
        names = archive.namelist()
        subject = json.loads(archive.read("subject.json"))
        assert archive.read(next(n for n in names if n.startswith("files/"))).startswith(b"umowa")
        assert "Kwiatkowska-Zyg" in archive.read("summary.html").decode()
    assert {"subject.json", "summary.html"} <= set(names)
    assert subject["contact"]["pesel"] == "78051412365"
    assert [c["channel"] for c in subject["consents"]] == ["marketing"]
    assert [e["body"] for e in subject["events"]] == ["Reklamacja"]
    assert [h["action"] for h in subject["history"]][-1] == "add"
    assert [i["id"] for i in subject["imports"]] == [1]


def test_erase_leaves_no_byte_of_the_person(
    base: tuple[CRM, int, int, Path], db_path: Path, tmp_path: Path
) -> None:
    """No byte of the file (SQLite), or of any row's values (PostgreSQL, whose server
    keeps the old row versions until its vacuum), holds the person."""
    crm, bozena, jan, source = base
    other_before = crm.gdpr.export(jan, tmp_path / "jan_before.zip")
    blobs_before = stored_contents(crm)
    done = crm.gdpr.erase(bozena, reason="wniosek 2025-01-10")
    assert done["wal_cleared"] and done["scrubbed"] >= 3
    blobs_after = stored_contents(crm)
    data = row_bytes(crm) if on_postgresql(crm) else None
    crm.close()
    if data is None:
        data = raw_bytes(db_path)
    for trace in TRACES:
        assert trace.encode() not in data, trace
    assert len(blobs_after) == len(blobs_before) - 1
    assert all(b"Kwiatkowska" not in blob for blob in blobs_after)
    with crmkit.open(db_path) as crm:
        assert crm.contacts.search("Kwiatkowska") == []
        assert "[erased]" in crm.timeline(jan)[0].body
        report = crm.imports.run(source)
        assert (report.skipped, report.created, report.rejected) == (1, 0, 1)
        assert any("erased on" in p.reason and "(GDPR)" in p.reason for p in report.problems)
        assert crm.contacts.search("Kwiatkowska") == []
        again = crm.imports.run(source, include_erased=True)
        assert again.created == 1
        after = crm.gdpr.export(jan, tmp_path / "jan_after.zip")
    with zipfile.ZipFile(other_before["path"]) as one, zipfile.ZipFile(after["path"]) as two:
        first, second = json.loads(one.read("subject.json")), json.loads(two.read("subject.json"))
    assert first["contact"]["phones"] == second["contact"]["phones"]
    assert first["contact"]["name"] == second["contact"]["name"]


def test_the_erasure_is_recorded_without_personal_data(base: tuple[CRM, int, int, Path]) -> None:
    crm, bozena, _, _ = base
    crm.gdpr.erase(bozena, reason="wniosek")
    (latest, *older) = crm.contacts.history(bozena)
    assert (latest.action, latest.user) == ("erase", "Jan Kowalski")
    assert all(
        change.old in (None, "[erased]") and change.new in (None, "[erased]")
        for entry in older
        for change in entry.changes
    )
    with pytest.raises(CrmError, match="already erased"):
        crm.gdpr.erase(bozena)


def test_keep_events_keeps_statistics_without_text(base: tuple[CRM, int, int, Path]) -> None:
    crm, bozena, _, _ = base
    crm.gdpr.erase(bozena, keep_events=True)
    (call,) = crm.timeline(bozena)
    assert (call.kind, call.duration, call.body) == ("call", 95, None)
    kept = crm.contacts[bozena]
    assert kept.name == "[erased]" and kept.hidden and kept.phones == []


def test_undo_cannot_bring_an_erased_person_back(base: tuple[CRM, int, int, Path]) -> None:
    crm, bozena, _, _ = base
    crm.gdpr.erase(bozena)
    with pytest.raises(CrmError, match="erased under GDPR"):
        crm.imports.undo(1)
    report = crm.imports.undo(1, force=True)
    assert bozena not in report.removed
    assert crm.contacts.search("Kwiatkowska") == []


def test_consents_and_their_filter(base: tuple[CRM, int, int, Path]) -> None:
    crm, bozena, jan, _ = base
    assert [c.id for c in crm.contacts.search(filters="consent.marketing=given")] == [bozena]
    assert [c.id for c in crm.contacts.search(filters="consent.marketing!=given")] == [jan]
    crm.consents.set(bozena, "marketing", given=False, basis="consent", at="2025-01-10 12:00")
    assert crm.consents.list(bozena)[0]["state"] == "withdrawn"
    latest = crm.contacts.history(bozena)[0]
    assert latest.action == "consent" and latest.changes[0].field == "consent.marketing"
    with pytest.raises(CrmError, match="unknown legal basis"):
        crm.consents.set(bozena, "email", given=True, basis="whim")
    with pytest.raises(CrmError, match="unknown channel"):
        crm.consents.set(bozena, "fax", given=True, basis="consent")


def test_cli_gdpr_commands(cli: Callable[..., Result], tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(ROWS, encoding="utf-8")
    cli("import", str(source))
    found = cli("gdpr", "find", "601-234-567", "--format", "json")
    assert found.exit_code == 0 and json.loads(found.output)[0]["row"] == 1
    exported = cli("gdpr", "export", "1", "-o", str(tmp_path / "s.zip"))
    assert exported.exit_code == 0 and (tmp_path / "s.zip").exists()
    assert cli("consent", "set", "1", "email", "--basis", "contract", "--given").exit_code == 0
    assert "contract" in cli("consent", "list", "1").output
    refused = cli("gdpr", "erase", "1", input="n\n")
    assert refused.exit_code == 1 and "Nothing erased" in refused.output
    erased = cli("gdpr", "erase", "1", "--reason", "wniosek", "--yes")
    assert erased.exit_code == 0, erased.output
    assert "Erased contact 1" in erased.output
    again = cli("import", str(source))
    assert "matches a person erased on" in again.output
    assert (
        cli("gdpr", "find", "Kwiatkowska-Zyg")
        .output.strip()
        .endswith("occurs nowhere in this base.")
    )


def test_adding_an_erased_person_warns(base: tuple[CRM, int, int, Path]) -> None:
    from crmkit.errors import ErasedPersonWarning

    crm, bozena, _, _ = base
    crm.gdpr.erase(bozena)
    with pytest.warns(ErasedPersonWarning, match="erased on .* \\(GDPR\\)"):
        crm.contacts.add("person", first_name="B", emails=["bozena.kz@example.pl"])


def test_cli_add_of_an_erased_person_warns(cli: Callable[..., Result], tmp_path: Path) -> None:
    cli("add", "person", "--set", "first_name=Ola", "--set", "phone.mobile=601234567")
    cli("gdpr", "erase", "1", "--yes")
    added = cli("add", "person", "--set", "first_name=Ola", "--set", "phone.mobile=601 234 567")
    assert added.exit_code == 0
    assert "Warning: matches a person erased on" in added.output

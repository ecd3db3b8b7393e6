"""E-mail archives: messages as `email` events on the contacts they name, once each."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import pytest
from test_formats_suggest import examples_base
from typer.testing import Result

from crmkit import CRM
from crmkit.errors import CrmError

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
MBOX = EXAMPLES / "poczta.mbox"


@pytest.fixture()
def base(tmp_path: Path) -> CRM:
    crm = examples_base(tmp_path / "crm.db")
    crm.imports.run(EXAMPLES / "kontakty.csv", mapping=EXAMPLES / "map.yaml")
    return crm


def contact_id(crm: CRM, external_id: str) -> int:
    return crm.contacts.search(filters={"external_id": external_id})[0].id


def emails_of(crm: CRM, contact: int) -> list[dict[str, object]]:
    return [item.to_record() for item in crm.timeline(contact, kinds=["email"])]


def test_the_mailbox_becomes_events_on_every_contact_it_names(base: CRM) -> None:
    report = base.imports.run(MBOX)
    assert (report.target, report.rows_read, report.created, report.skipped) == (
        "events",
        4,
        4,
        1,
    )
    [unmatched] = report.warning_details
    assert (unmatched.row, unmatched.value) == (4, "message 4")
    assert "no-reply@newsletter.example.com" in unmatched.reason
    anna = emails_of(base, contact_id(base, "K-1001"))
    assert [(e["direction"], e["subject"], e["agent"]) for e in anna] == [
        ("out", "Re: Awaria drukarki w biurze", "Jan Kowalski"),
        ("in", "Awaria drukarki w biurze", None),
    ]
    assert anna[1]["occurred_at"] == "2024-03-04T08:12:00Z"
    assert "drukarka w sekretariacie znów się zacina" in str(anna[1]["body"])  # quoted-printable
    tomasz = emails_of(base, contact_id(base, "K-1002"))  # on Cc
    assert [e["subject"] for e in tomasz] == ["Re: Awaria drukarki w biurze"]
    katarzyna = emails_of(base, contact_id(base, "K-1003"))  # an HTML-only message
    assert katarzyna[0]["body"] == (
        "Dzień dobry,\n\nproszę o ofertę na 40 palet do piątku.\n\nKatarzyna Wiśniewska"
    )


def test_attachments_are_files_of_a_note_on_the_event(base: CRM, tmp_path: Path) -> None:
    base.imports.run(MBOX)
    anna = contact_id(base, "K-1001")
    reply = emails_of(base, anna)[0]
    notes = reply["notes"]
    assert [note["body"] for note in notes] == ["Attachments: protokół serwisowy.txt"]
    [stored] = [f for f in base.files.list(anna) if f.note_id == notes[0]["id"]]
    saved = base.files.save(stored.id, tmp_path / "out.txt")
    assert Path(str(saved.path)).read_text("utf-8").startswith("Protokół serwisowy nr 12/2024")


def test_importing_the_mailbox_again_adds_nothing(base: CRM) -> None:
    base.imports.run(MBOX)
    again = base.imports.run(MBOX)
    assert (again.created, again.skipped) == (0, 5)
    assert len(emails_of(base, contact_id(base, "K-1001"))) == 2
    assert len(base.files.list(contact_id(base, "K-1001"))) == 1


def test_a_dry_run_and_an_undo_leave_no_trace(base: CRM) -> None:
    anna = contact_id(base, "K-1001")
    dry = base.imports.run(MBOX, dry_run=True)
    assert (dry.created, dry.import_id) == (4, None)
    assert emails_of(base, anna) == [] and base.files.list(anna) == []
    done = base.imports.run(MBOX)
    assert done.import_id is not None
    base.imports.undo(done.import_id)
    assert emails_of(base, anna) == []


def eml(folder: Path, name: str, **headers: str) -> Path:
    message = EmailMessage()
    for key, value in headers.items():
        message[key.replace("_", "-")] = value
    message.set_content("Treść wiadomości")
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(message))
    return path


def test_a_folder_of_eml_files(base: CRM, tmp_path: Path) -> None:
    folder = tmp_path / "poczta"
    eml(
        folder,
        "2024/a.eml",
        From="zofia@piekarniaklos.pl",
        To="Piotr Maj <piotr.maj@example.pl>",
        Subject="=?utf-8?q?Zam=C3=B3wienie?=",
        Date="Tue, 02 Apr 2024 12:00:00 +0200",
    )  # no Message-ID: known by its digest
    eml(folder, "b.eml", From="jerzy@piekarniaklos.pl", To="x@example.com", Message_ID="<b@x>")
    report = base.imports.run(folder)
    assert (report.created, report.rejected) == (1, 1)
    assert [(p.row, p.column, p.value) for p in report.errors] == [(2, "Date", "b.eml")]
    [event] = emails_of(base, contact_id(base, "K-1009"))
    assert (event["subject"], event["direction"]) == ("Zamówienie", "in")
    assert base.imports.run(folder).created == 0


def test_mail_mistakes_are_sentences(base: CRM, tmp_path: Path) -> None:
    (tmp_path / "pusty").mkdir()
    with pytest.raises(CrmError, match="holds no .eml messages"):
        base.imports.run(tmp_path / "pusty")
    with pytest.raises(CrmError, match="imported with no mapping"):
        base.imports.run(MBOX, mapping=EXAMPLES / "map.yaml")


def test_cli_imports_a_mailbox(cli_at: Callable[..., Result], base: CRM) -> None:
    result = cli_at(base.path, "import", str(MBOX))
    assert result.exit_code == 0, result.output
    assert "created 4" in result.output and "no contact has any of its addresses" in result.output

"""A dump moves a base between SQLite and PostgreSQL: the same records, timelines and files."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import Result

import crmkit
from crmkit import CRM
from tests.pg_server import Server

CLI = Callable[..., Result]
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(40))


def _fill(path: Path) -> dict[str, int]:
    """A small base with contacts, events, notes, files, an avatar and history."""
    with crmkit.open(path, user="Jan Kowalski") as crm:
        crm.tags.add("VIP")
        crm.users.add("Jan Kowalski", email="jan@example.pl")
        crm.fields.add("industry", type="select", options=["IT", "Handel"])
        firm = crm.contacts.add("organization", name="Technoserwis", custom={"industry": "IT"})
        anna = crm.contacts.add(
            first_name="Anna",
            last_name="Nowak",
            phones=["601 234 567"],
            emails=["anna@example.pl"],
            tags=["VIP"],
            note="=SUM(A1)",
        )
        crm.contacts.link(anna.id, firm.id, since="2020-01-01")
        crm.contacts.edit(anna.id, city="Kraków")
        gone = crm.contacts.add(first_name="Usunięty")
        crm.contacts.delete(gone.id)
        call = crm.events.add(anna.id, kind="call", at="2024-03-01 09:30", subject="Oferta")
        note = crm.notes.add(anna.id, "Oddzwonić jutro", event_id=call.id)
        crm.files.add(anna.id, data=b"umowa serwisowa\x00\xff", name="umowa.txt")
        crm.files.add(firm.id, data=b"umowa serwisowa\x00\xff", name="kopia.txt")
        crm.files.add(anna.id, data=b"do notatki", name="n.txt", note_id=note.id)
        crm.files.set_avatar(anna.id, data=PNG, name="anna.png")
        return {"anna": anna.id, "firm": firm.id}


def _stored(crm: CRM, contact_id: int) -> list[tuple[str, bytes]]:
    """Each file of a contact as (name, bytes)."""
    found = []
    for info in crm.files.list(contact_id):
        buffer = io.BytesIO()
        crm.files.save(info.id, buffer)
        found.append((info.name, buffer.getvalue()))
    return found


def _assert_same(cli_at: CLI, before: str | Path, after: str | Path, ids: dict[str, int]) -> None:
    def same(*args: str) -> str:
        first, second = cli_at(before, *args), cli_at(after, *args)
        assert first.exit_code == 0, first.output
        assert (second.exit_code, second.stdout) == (0, first.stdout), args
        return first.stdout

    records = json.loads(same("export", "--format", "json"))
    assert {record["name"] for record in records} == {"Anna Nowak", "Technoserwis"}
    same("export", "--format", "csv")
    for contact in ids.values():
        assert json.loads(same("timeline", str(contact), "--format", "json"))
        same("history", str(contact), "--format", "json")
        same("file", "list", str(contact), "--format", "json")
    with crmkit.open(before) as one, crmkit.open(after) as two:
        for contact in ids.values():
            assert _stored(two, contact) == _stored(one, contact)
        assert ("anna.png", PNG) in _stored(two, ids["anna"])


def test_a_sqlite_dump_restores_into_postgresql_and_back(
    tmp_path: Path, cli_at: CLI, postgres_server: Server
) -> None:
    original = tmp_path / "crm.db"
    ids = _fill(original)
    dumped = cli_at(original, "dump", "-o", str(tmp_path / "dump.jsonl"))
    assert dumped.exit_code == 0, dumped.output
    address = postgres_server.new_database()
    restored = cli_at(address, "restore", str(tmp_path / "dump.jsonl"))
    assert restored.exit_code == 0, restored.output
    _assert_same(cli_at, original, address, ids)

    found = cli_at(address, "search", "Nowak", "--format", "json")
    assert [item["id"] for item in json.loads(found.stdout)] == [ids["anna"]]
    with crmkit.open(address) as crm:
        # The numbering goes on past the restored rows.
        newest = crm.contacts.add(first_name="Nowy").id
        assert newest > max(ids.values())
        event = crm.events.add(newest, kind="call", at="2024-04-01 10:00", subject="Nowe")
        assert crm.notes.add(newest, "Nowa", event_id=event.id).id > 1
        assert crm.files.add(newest, data=b"nowy", name="nowy.txt").id > 4
        assert crm.store.one("SELECT count(*) FROM file_contents") == 4
        crm.contacts.delete(newest)
        assert crm.store.one("SELECT count(*) FROM file_contents") == 3

    cli_at(address, "dump", "-o", str(tmp_path / "back.jsonl"))
    back = tmp_path / "back.db"
    assert cli_at(back, "restore", str(tmp_path / "back.jsonl")).exit_code == 0
    _assert_same(cli_at, original, back, ids)

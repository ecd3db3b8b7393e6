"""`crm show`, `crm timeline`, `crm event|note|file|avatar ...` through the CLI."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from timeline_builders import DATA
from typer.testing import Result

from crmkit.cli.timeline_print import display_width, text_table

Invoke = Callable[..., Result]


def _ok(result: Result, code: int = 0) -> Result:
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result


@pytest.fixture()
def base(cli: Invoke) -> Invoke:
    """Reference data, an organization (1) and its member Anna Nowak (2)."""
    _ok(cli("user", "add", "Piotr Maj"))
    _ok(cli("user", "add", "Jan Kowalski"))
    _ok(
        cli("add", "organization", "--set", "name=Technoserwis", "--set", "phone.main=32 231 45 67")
    )
    _ok(
        cli(
            "add",
            "person",
            "--set",
            "first_name=Anna",
            "--set",
            "last_name=Nowak",
            "--set",
            "phone.mobile=601 234 567",
            "--set",
            "email.work=anna@example.pl",
        )
    )
    _ok(cli("link", "2", "1", "--since", "2024-01-01"))
    return cli


def test_event_add_and_delete(base: Invoke) -> None:
    out = _ok(
        base(
            "event", "add", "2", "--kind", "call", "--at", "2024-03-05 14:30", "--direction", "in",
            "--duration", "1:35", "--subject", "Reklamacja", "--agent", "Piotr Maj",
            "--channel", "Infolinia",
        )
    ).stdout  # fmt: skip
    assert out.strip() == "Logged call 1 for Anna Nowak at 2024-03-05T14:30:00Z."
    item = json.loads(_ok(base("event", "add", "2", "--kind", "email", "--format", "json")).stdout)
    assert item["kind"] == "email" and item["contact_name"] == "Anna Nowak"
    _ok(base("--as", "Jan Kowalski", "note", "add", "2", "Oddzwonić", "--event", "1"))
    out = _ok(base("event", "delete", "1")).stdout
    assert out.strip() == "Deleted call 1 of Anna Nowak and 1 note."
    error = _ok(base("event", "delete", "1"), 1)
    assert error.stderr.strip() == "Error: no event with id 1"


def test_event_add_errors_exit_1(base: Invoke) -> None:
    result = _ok(base("event", "add", "2", "--kind", "fax"), 1)
    assert "Error: kind 'fax': not an event kind" in result.stderr
    result = _ok(base("event", "add", "2", "--kind", "call", "--agent", "Nobody"), 1)
    assert "no user named 'Nobody'" in result.stderr
    assert "no contact with id 9" in _ok(base("event", "add", "9", "--kind", "call"), 1).stderr
    assert _ok(base("event", "add", "2"), 2).exit_code == 2  # --kind is required


def test_notes_carry_the_acting_user(base: Invoke) -> None:
    out = _ok(base("--as", "piotr maj", "note", "add", "2", "Woli e-mail")).stdout
    assert out.strip() == "Added note 1 to Anna Nowak."
    [item] = json.loads(_ok(base("timeline", "2", "--format", "json")).stdout)
    assert (item["type"], item["author"], item["body"]) == ("note", "Piotr Maj", "Woli e-mail")
    assert _ok(base("note", "delete", "1")).stdout.strip() == "Deleted note 1 of Anna Nowak."


def test_files_round_trip(base: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "umowa.pdf"
    source.write_bytes(b"%PDF-1.4 umowa")
    out = _ok(base("file", "add", "2", str(source))).stdout
    assert out.strip() == "Stored umowa.pdf (14 B, application/pdf) as file 1."
    again = _ok(base("file", "add", "1", str(source), "--name", "../../kopia.pdf")).stdout
    assert "as file 2 (the same content was already stored; it is kept once)" in again
    listed = list(csv.DictReader(io.StringIO(_ok(base("file", "list", "1", "-f", "csv")).stdout)))
    [described] = json.loads(_ok(base("file", "list", "1", "-f", "json")).stdout)
    assert list(described) == [
        "id", "contact_id", "note_id", "name", "size", "media_type", "sha256", "avatar",
        "created_at",
    ]  # fmt: skip
    assert [(row["id"], row["name"]) for row in listed] == [("2", "kopia.pdf")]
    target = tmp_path / "out.pdf"
    _ok(base("file", "get", "1", "-o", str(target)))
    assert target.read_bytes() == b"%PDF-1.4 umowa"
    assert "already exists" in _ok(base("file", "get", "1", "-o", str(target)), 1).stderr
    _ok(base("file", "get", "1", "-o", str(target), "--force"))
    assert _ok(base("file", "get", "1", "-o", "-")).stdout_bytes == b"%PDF-1.4 umowa"
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    _ok(base("file", "get", "2"))
    assert (work / "kopia.pdf").read_bytes() == b"%PDF-1.4 umowa"
    assert _ok(base("file", "delete", "1")).stdout.strip() == "Deleted file 1 (umowa.pdf)."
    assert _ok(base("file", "list", "2")).stdout.strip() == "Contact 2 has no files."
    assert "Removed 0 unreferenced" in _ok(base("file", "prune")).stdout


def test_avatar(base: Invoke, tmp_path: Path) -> None:
    text = tmp_path / "face.png"
    text.write_text("not an image")
    assert (
        "is not a PNG, JPEG, GIF or WebP image"
        in _ok(base("avatar", "set", "2", str(text)), 1).stderr
    )
    out = _ok(base("avatar", "set", "2", str(DATA / "avatar.png"))).stdout
    assert out.strip() == "Set the avatar of contact 2 (file 1, image/png)."
    card = json.loads(_ok(base("show", "2", "--format", "json")).stdout)
    assert card["avatar"] == {"file_id": 1, "gravatar": None}
    assert _ok(base("avatar", "clear", "2")).stdout.strip() == "Removed the avatar."


def _log_calls(cli: Invoke) -> None:
    _ok(
        cli(
            "event",
            "add",
            "1",
            "--kind",
            "email",
            "--at",
            "2024-02-01 09:00",
            "--subject",
            "Oferta",
        )
    )
    _ok(
        cli(
            "event", "add", "2", "--kind", "call", "--at", "2024-03-05 14:30", "--duration", "95",
            "--agent", "Piotr Maj", "--channel", "Infolinia", "--subject", "Reklamacja",
        )
    )  # fmt: skip
    _ok(cli("event", "add", "2", "--kind", "call", "--at", "2023-12-01 10:00"))  # before joining
    _ok(cli("note", "add", "1", "Oddzwonić jutro", "--event", "2"))


def test_timeline_formats(base: Invoke) -> None:
    _log_calls(base)
    table = _ok(base("timeline", "1")).stdout.splitlines()
    assert table[0].split() == ["id", "when", "what", "duration", "who", "agent", "channel", "text"]
    assert "Anna Nowak" in table[2] and "1:35" in table[2] and "Reklamacja" in table[2]
    assert "↳ note" in table[3] and "Oddzwonić jutro" in table[3]
    assert "Oferta" in table[4] and len(table) == 5
    items = json.loads(_ok(base("timeline", "1", "--format", "json")).stdout)
    assert [i["id"] for i in items] == [2, 1]
    assert items[0]["notes"][0]["body"] == "Oddzwonić jutro"
    lines = _ok(base("timeline", "2", "-f", "jsonl")).stdout.splitlines()
    assert [json.loads(line)["id"] for line in lines] == [2, 3]
    rows = list(csv.DictReader(io.StringIO(_ok(base("timeline", "1", "-f", "csv")).stdout)))
    assert [(r["type"], r["id"], r["event_id"]) for r in rows] == [
        ("event", "2", ""),
        ("note", "1", "2"),
        ("event", "1", ""),
    ]
    limited = json.loads(
        _ok(base("timeline", "1", "--kind", "call", "--limit", "1", "-f", "json")).stdout
    )
    assert [i["id"] for i in limited] == [2]
    ranged = json.loads(
        _ok(
            base("timeline", "2", "--since", "2024-01-01", "--until", "2025-01-01", "-f", "json")
        ).stdout
    )
    assert [i["id"] for i in ranged] == [2]
    assert (
        json.loads(_ok(base("timeline", "1", "--agent", "Piotr Maj", "-f", "json")).stdout)[0]["id"]
        == 2
    )
    assert (
        json.loads(_ok(base("timeline", "1", "--channel", "infolinia", "-f", "json")).stdout)[0][
            "id"
        ]
        == 2
    )
    assert _ok(base("timeline", "9"), 1).stderr == "Error: no contact with id 9\n"
    assert "--kind 'fax'" in _ok(base("timeline", "1", "--kind", "fax"), 1).stderr
    assert _ok(base("timeline", "2", "--until", "2000-01-01")).stdout == "No events or notes.\n"


def test_timeline_of_a_missing_database_is_an_error(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from crmkit.cli.app import app

    missing = tmp_path / "none.db"
    result = CliRunner().invoke(app, ["--db", str(missing), "timeline", "1"])
    assert result.exit_code == 1 and "(run `crm init` to create one)" in result.stderr
    assert not missing.exists()


def test_text_table_aligns_by_display_width() -> None:
    assert display_width("Łódź") == 4 and display_width("東京") == 4 and display_width("é") == 1
    table = text_table(["a", "b"], [["東京", "x"], ["Łódź", "y"]]).splitlines()
    assert table == ["a     b", "----  -", "東京  x", "Łódź  y"]


def test_show_card_json_and_html(base: Invoke, tmp_path: Path) -> None:
    _log_calls(base)
    card = _ok(base("show", "2")).stdout
    assert "Anna Nowak" in card and "+48 601 234 567" in card and "Technoserwis" in card
    assert "Reklamacja" in card
    data = json.loads(_ok(base("show", "1", "--format", "json")).stdout)
    assert data["name"] == "Technoserwis" and data["members"][0]["name"] == "Anna Nowak"
    assert [i["id"] for i in data["timeline"]] == [2, 1] and data["files"] == []
    [row] = list(csv.DictReader(io.StringIO(_ok(base("show", "2", "-f", "csv")).stdout)))
    assert (row["name"], row["phones"]) == ("Anna Nowak", "+48601234567")
    page = tmp_path / "card.html"
    out = _ok(base("show", "2", "--html", str(page))).stdout
    assert out.strip() == f"Wrote the card of contact 2 to {page}."
    assert "<h1>Anna Nowak</h1>" in page.read_text(encoding="utf-8")
    assert "no contact with id 9" in _ok(base("show", "9"), 1).stderr


def test_import_call_log(base: Invoke) -> None:
    _ok(base("add", "person", "--set", "first_name=Beata", "--set", "phone.work=(22) 113-14-15"))
    args = ("import", str(DATA / "calls.csv"), "--mapping", str(DATA / "calls_map.yaml"))
    first = _ok(base(*args), 3).stdout
    assert "rows read 6, created 4, updated 0, skipped 0, rejected 2, warnings 1" in first
    assert "no contact has the phone number +48501000111" in first
    second = _ok(base(*args, "--format", "json"), 3).stdout
    report = json.loads(second)
    assert (report["created"], report["skipped"], report["target"]) == (0, 4, "events")
    dry = _ok(base(*args, "--dry-run"), 3).stdout
    assert dry.startswith("Dry run, nothing written")

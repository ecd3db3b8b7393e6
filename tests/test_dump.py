"""`crm dump` and `crm restore`: a whole base as JSON Lines, and back into an empty database."""

from __future__ import annotations

import base64
import io
import json
import tempfile
from collections.abc import Callable
from itertools import groupby
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import Result

import crmkit
from crmkit import CRM
from crmkit.store.sqlite.dump_tables import DERIVED_TABLES, DUMPED_TABLES
from crmkit.store.sqlite.schema import SCHEMA_VERSION
from tests.crm_calls import search_ids

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(40))
CLI = Callable[..., Result]


def build_rich_base(path: Path) -> dict[str, int]:
    """Fill `path` with everything a base holds; return the ids the tests look at."""
    with crmkit.open(path, user="Jan Kowalski") as crm:
        crm.tags.add("VIP", "Newsletter", "Klient", "Lead", "Partner")
        crm.users.add("Anna Zając", email="anna.zajac@example.pl")
        crm.users.add("Piotr Maj", email="piotr.maj@example.pl")
        crm.users.add("Jan Kowalski", email="jan.kowalski@example.pl")
        crm.fields.add(
            "industry",
            type="multiselect",
            label="Branża",
            options=["IT", "Handel", "Produkcja", "Usługi", "Logistyka"],
        )
        crm.fields.add("marketing_consent", type="checkbox", label="Zgoda marketingowa")
        crm.imports.run(EXAMPLES / "kontakty.csv", mapping=EXAMPLES / "map.yaml")
        crm.imports.run(EXAMPLES / "calls.csv", mapping=EXAMPLES / "calls_map.yaml")
        crm.fields.add("nickname", type="text", applies_to="person")
        crm.fields.add("website", type="url")
        crm.fields.add("budget", type="number", label="Budżet")
        crm.fields.add("founded", type="date", applies_to="organization")
        crm.fields.add("last_visit", type="datetime")
        crm.fields.add("size", type="select", options=["mała", "średnia", "duża"])
        [anna] = search_ids(crm, "Anna Nowak")
        [firm] = search_ids(crm, "Technoserwis", filters={"kind": "organization"})
        ewa = crm.contacts.add(
            "person",
            first_name="Ewa",
            last_name="Łącka-Żurek",
            phones=["+48 501 000 111"],
            emails={"home": ["ewa@example.pl"]},
            tags=["VIP", "Lead"],
            guardians=["Piotr Maj"],
            observers=["Anna Zając", "Jan Kowalski"],
            address={"city": "Łódź", "postal_code": "90-001"},
            custom={
                "nickname": 'Ewa "E" \u2028 nowa linia\nи ещё',
                "website": "https://example.pl/ewa",
                "budget": 1500.5,
                "last_visit": "2024-05-05 11:15",
                "size": "duża",
                "industry": ["IT", "Handel"],
                "marketing_consent": True,
            },
        ).id
        crm.contacts.edit(firm, custom={"founded": "2001-02-03", "size": "średnia"})
        crm.contacts.link(ewa, firm, since="2020-01-01", until="2023-06-30")
        call = crm.events.add(
            anna, kind="call", at="2024-03-05 13:30", direction="in", duration=95, agent="Piotr Maj"
        )
        crm.notes.add(anna, "Oddzwonić jutro", event_id=call.id)
        profile_note = crm.notes.add(ewa, "Woli kontakt mailowy.")
        crm.events.add(ewa, kind="meeting", at="2022-02-02 10:00", subject="Spotkanie")
        crm.files.add(anna, data=b"umowa serwisowa", name="umowa.txt")
        crm.files.add(ewa, data=b"umowa serwisowa", name="kopia umowy.txt")
        crm.files.add(
            ewa, data=b"\x00\x01binary\xff" * 1000, name="skan.bin", note_id=profile_note.id
        )
        crm.files.set_avatar(ewa, data=PNG, name="ewa.png")
        crm.views.save("vip", filters=["tag=VIP"], columns="name,phones", sort="-name")
        crm.campaigns.add("Jesień 2025")
        crm.campaigns.enroll("Jesień 2025", [anna, ewa], filters=["tag=VIP"])
        crm.campaigns.set(
            "Jesień 2025", anna, status="Oddzwonić", callback="2024-03-06 10:00", note="Po 10"
        )
        crm.groups.add("orders", label="Zamówienia", fields=["product:text", "amount:number"])
        crm.records.add(anna, "orders", {"product": "Serwis", "amount": "1 200"})
        crm.records.add(anna, "orders", {"product": "Części"})
        case = crm.cases.open(firm, "Reklamacja 2024/05", guardian="Piotr Maj")
        crm.events.add(firm, kind="ticket", at="2024-05-06 10:00", case=case.id)
        crm.notes.add(firm, "Przyjęta", case=case.id)
        gone = crm.contacts.add("person", first_name="Usunięty").id
        crm.contacts.delete(gone)
        crm.contacts.add("person", first_name="Ukryty", hidden=True)
        twin = crm.contacts.add("person", first_name="Ewa", external_id="OLD-1").id
        crm.contacts.merge(ewa, twin)
        again = crm.contacts.add("person", first_name="Ewa", external_id="OLD-2").id
        undone = crm.contacts.merge(ewa, again).id
        crm.merges.undo(undone or 0)
        return {"anna": anna, "firm": firm, "ewa": ewa}


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int], Path]:
    """A rich base, its ids, and its dump (built once: every test only reads them)."""
    folder = tmp_path_factory.mktemp("rich")
    path = folder / "crm.db"
    ids = build_rich_base(path)
    with crmkit.open(path) as crm:
        crm.dump(folder / "dump.jsonl")
    return path, ids, folder / "dump.jsonl"


def dump_lines(path: Path) -> list[str]:
    """The lines of a dump (split at newlines only: text may hold other line separators)."""
    return path.read_text(encoding="utf-8").removesuffix("\n").split("\n")


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def assert_empty(db: Path) -> None:
    """The base at `db` holds no row and no stored content."""
    with crmkit.open(db) as crm:
        for table in DUMPED_TABLES:
            assert crm.store.one(f"SELECT count(*) FROM {table.name}") == 0, table.name
        assert crm.store.one("SELECT count(*) FROM contacts_fts_keys") == 0
    folder = db.with_name(db.stem + ".files")
    assert not folder.exists() or not [p for p in folder.rglob("*") if p.is_file()]


def test_the_restored_base_answers_as_the_original(
    rich: tuple[Path, dict[str, int], Path], tmp_path: Path, cli_at: CLI
) -> None:
    original, ids, dump = rich
    copy = tmp_path / "copy.db"
    restored = cli_at(copy, "restore", str(dump))
    assert restored.exit_code == 0, restored.output
    assert restored.stdout.startswith("Restored 43 contacts (")
    assert "and 3 stored files into" in restored.stdout

    def same(*args: str) -> str:
        before, after = cli_at(original, *args), cli_at(copy, *args)
        assert before.exit_code == 0, before.output
        assert (after.exit_code, after.stdout) == (0, before.stdout), args
        return before.stdout

    exported = same("export", "--format", "jsonl", "--include-hidden")
    assert len(exported.rstrip("\n").split("\n")) == 43
    same("merges", "--format", "json")
    same("history", str(ids["ewa"]), "--format", "json")
    assert "merged into" in same("show", "44")
    for contact in (ids["anna"], ids["firm"], ids["ewa"]):
        same("timeline", str(contact), "--format", "json")
        same("show", str(contact), "--format", "json")
        same("file", "list", str(contact), "--format", "json")
    firm_timeline = json.loads(same("timeline", str(ids["firm"]), "--format", "json"))
    assert {item["contact_id"] for item in firm_timeline} > {ids["firm"]}
    history = json.loads(same("imports", "--format", "json"))
    assert sorted(entry["rejected"] for entry in history)[-1] == 4
    for entry in history:
        shown = json.loads(same("imports", "show", str(entry["id"]), "--format", "json"))
        assert len(shown["problems"]) >= entry["rejected"]
    for listing in ("tag", "user", "field"):
        same(listing, "list", "--format", "json")
    assert "duża" in same("field", "list", "--format", "json")
    assert json.loads(same("--as", "Jan Kowalski", "view", "list", "--format", "json"))
    assert json.loads(same("search", "lacka", "--format", "json"))[0]["id"] == ids["ewa"]
    assert json.loads(same("search", "--filter", "tag=VIP", "--format", "json"))
    assert json.loads(same("lookup", "601 234 567", "--format", "json"))[0]["id"] == ids["anna"]
    assert json.loads(same("campaign", "list", "Jesień 2025", "--due", "--format", "json"))
    assert json.loads(same("campaigns", "--format", "json"))[0]["enrolled"] > 1
    assert len(json.loads(same("record", "list", str(ids["anna"]), "--format", "json"))) == 2
    assert json.loads(same("search", "--filter", "orders.amount>1000", "--format", "json"))
    [case] = json.loads(same("case", "list", "--format", "json"))
    assert (case["events"], case["notes"]) == (1, 1)
    assert len(json.loads(same("timeline", str(ids["firm"]), "--case", "1", "-f", "json"))) == 2
    with crmkit.open(original) as before, crmkit.open(copy) as after:
        for contact in (ids["anna"], ids["ewa"]):
            files = before.files.list(contact)
            assert after.files.list(contact) == files
            for stored in files:
                assert _stored_bytes(after, stored.id) == _stored_bytes(before, stored.id)
        assert _stored_bytes(after, after.files.list(ids["ewa"])[-1].id) == PNG
        assert after.store.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert after.store.conn.execute("PRAGMA foreign_key_check").fetchone() is None


def _stored_bytes(crm: CRM, file_id: int) -> bytes:
    buffer = io.BytesIO()
    crm.files.save(file_id, buffer)
    return buffer.getvalue()


def test_dump_restore_dump_gives_the_same_lines(
    rich: tuple[Path, dict[str, int], Path], tmp_path: Path
) -> None:
    _, _, dump = rich
    with crmkit.open(tmp_path / "copy.db") as copy:
        restored = copy.restore(dump)
        again = io.StringIO()
        dumped = copy.dump(again)
    first, second = dump_lines(dump), again.getvalue().removesuffix("\n").split("\n")
    assert first[1:] == second[1:]
    header = json.loads(second[0])
    assert header["format"] == "crmkit-dump" and header["version"] == 1
    assert header["schema"] == SCHEMA_VERSION and header["created_at"].endswith("Z")
    assert {key: restored[key] for key in ("tables", "rows", "contacts", "files")} == {
        key: dumped[key] for key in ("tables", "rows", "contacts", "files")
    }
    assert restored["indexed"] == 43 and dumped["path"] is None


def test_a_dump_holds_each_table_in_one_run_in_order_and_no_derived_data(
    rich: tuple[Path, dict[str, int], Path],
) -> None:
    _, _, dump = rich
    lines = [json.loads(line) for line in dump_lines(dump)]
    tables = [line["table"] for line in lines if "table" in line]
    order = [table.name for table in DUMPED_TABLES]
    runs = [name for name, _ in groupby(tables)]
    assert runs == sorted(set(tables), key=order.index)
    assert not any("row_digest" in line["row"] for line in lines if line.get("table"))
    contents = [line for line in lines if "file" in line]
    assert len(contents) == 3 and base64.b64decode(contents[0]["content"])
    assert lines[-1] == {"end": "crmkit-dump", "rows": lines[-1]["rows"], "files": 3}


def test_the_list_of_dumped_tables_covers_the_schema_in_dependency_order(crm: CRM) -> None:
    """A table added to the schema must be dumped (or named derived), after what it refers to."""
    stored = {
        name
        for name in _table_names(crm)
        if not name.startswith("sqlite_") and not name.startswith(DERIVED_TABLES)
    }
    order = [table.name for table in DUMPED_TABLES]
    assert sorted(order) == sorted(stored)
    for position, name in enumerate(order):
        for referred in _referred_tables(crm, name):
            assert order.index(referred) < position, (name, referred)


def _table_names(crm: CRM) -> list[str]:
    """The tables of the schema; on PostgreSQL without `file_contents`, dumped as file lines."""
    if getattr(crm.store, "dialect", "sqlite") == "postgresql":
        rows = crm.store.rows(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        )
        return [row[0] for row in rows if row[0] not in ("file_contents", "crm_schema")]
    return [row[0] for row in crm.store.rows("SELECT name FROM sqlite_master WHERE type = 'table'")]


def _referred_tables(crm: CRM, name: str) -> list[str]:
    """The tables the foreign keys of table `name` refer to."""
    if getattr(crm.store, "dialect", "sqlite") == "postgresql":
        sql = (
            "SELECT CAST(confrelid::regclass AS TEXT) FROM pg_constraint"
            " WHERE contype = 'f' AND CAST(conrelid::regclass AS TEXT) = ?"
        )
        return [row[0] for row in crm.store.rows(sql, (name,))]
    return [row[2] for row in crm.store.rows(f"SELECT * FROM pragma_foreign_key_list('{name}')")]


def test_dump_to_stdout_and_restore_from_stdin(
    rich: tuple[Path, dict[str, int], Path], tmp_path: Path, cli_at: CLI
) -> None:
    original, _, dump = rich
    result = cli_at(original, "dump")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("Dumped 43 contacts (") and "to stdout." in result.stderr
    lines = result.stdout.removesuffix("\n").split("\n")
    assert lines[1:] == dump_lines(dump)[1:]
    copy = tmp_path / "copy.db"
    restored = cli_at(copy, "restore", "-", input=result.stdout.encode("utf-8"))
    assert restored.exit_code == 0, restored.output
    assert cli_at(copy, "export", "--format", "jsonl").stdout == (
        cli_at(original, "export", "--format", "jsonl").stdout
    )


def test_dump_to_a_file_replaces_it_whole(
    rich: tuple[Path, dict[str, int], Path], tmp_path: Path, cli_at: CLI
) -> None:
    original, _, dump = rich
    target = tmp_path / "kopia.jsonl"
    target.write_text("stara kopia\n", encoding="utf-8")
    result = cli_at(original, "dump", "-o", str(target))
    assert result.exit_code == 0 and result.stdout.startswith("Dumped 43 contacts (")
    assert f"and 3 stored files to {target}." in result.stdout and not result.stderr
    assert dump_lines(target)[1:] == dump_lines(dump)[1:]
    assert [p.name for p in tmp_path.iterdir()] == ["kopia.jsonl"]
    missing = cli_at(tmp_path / "none.db", "dump", "-o", str(tmp_path / "x.jsonl"))
    assert missing.exit_code == 1 and "no crmkit database" in missing.stderr
    assert not (tmp_path / "none.db").exists()


def test_dump_and_restore_through_binary_streams(
    rich: tuple[Path, dict[str, int], Path], tmp_path: Path
) -> None:
    original, ids, _ = rich
    buffer = io.BytesIO()
    with crmkit.open(original) as crm:
        crm.dump(buffer)
        record = crm.contacts[ids["ewa"]].to_record()
    buffer.seek(0)
    with crmkit.open(tmp_path / "copy.db") as copy:
        assert copy.restore(buffer)["contacts"] == 43
        assert copy.contacts[ids["ewa"]].to_record() == record
        assert record["custom"]["nickname"] == 'Ewa "E" \u2028 nowa linia\nи ещё'


def test_restore_refuses_a_base_that_holds_data(
    rich: tuple[Path, dict[str, int], Path], tmp_path: Path, cli_at: CLI
) -> None:
    _, _, dump = rich
    target = tmp_path / "target.db"
    assert cli_at(target, "tag", "add", "Stały").exit_code == 0
    before = cli_at(target, "tag", "list", "--format", "json").stdout
    result = cli_at(target, "restore", str(dump))
    assert result.exit_code == 1
    assert "is not empty (it holds tags)" in result.stderr and "empty database" in result.stderr
    assert cli_at(target, "tag", "list", "--format", "json").stdout == before
    with crmkit.open(target) as crm:
        assert crm.store.one("SELECT count(*) FROM contacts") == 0
    assert not target.with_name("target.files").exists()


@pytest.mark.parametrize(
    ("first_line", "message"),
    [
        (None, "is not a crmkit dump"),
        ("id,name", "is not a crmkit dump"),
        ('{"format": "other-dump", "version": 1, "schema": 1}', "is not a crmkit dump"),
        ('{"format": "crmkit-dump"}', "gives no valid format and schema version"),
        ('{"format": "crmkit-dump", "version": 2, "schema": 1}', "format version 2, newer"),
        ('{"format": "crmkit-dump", "version": 1, "schema": 999}', "schema version 999, newer"),
    ],
)
def test_restore_refuses_what_is_no_dump_it_can_read(
    rich: tuple[Path, dict[str, int], Path],
    tmp_path: Path,
    cli_at: CLI,
    first_line: str | None,
    message: str,
) -> None:
    _, _, dump = rich
    lines = [] if first_line is None else [first_line, *dump_lines(dump)[1:]]
    source = write_lines(tmp_path / "dump.jsonl", lines)
    result = cli_at(tmp_path / "new.db", "restore", str(source))
    assert result.exit_code == 1 and message in result.stderr, result.output
    assert "Traceback" not in result.output
    assert_empty(tmp_path / "new.db")


def test_restore_names_a_missing_or_unreadable_file(tmp_path: Path, cli_at: CLI) -> None:
    result = cli_at(tmp_path / "new.db", "restore", str(tmp_path / "none.jsonl"))
    assert result.exit_code == 1 and "no dump file" in result.stderr
    (tmp_path / "latin.jsonl").write_bytes(b'{"format": "crmkit-dump"}\n\xff\xfe\n')
    result = cli_at(tmp_path / "new.db", "restore", str(tmp_path / "latin.jsonl"))
    assert result.exit_code == 1 and "not UTF-8 text" in result.stderr


def _cut_in_a_row(lines: list[str]) -> list[str]:
    return [*lines[:40], lines[40][:25]]


def _garbled(lines: list[str]) -> list[str]:
    return [*lines[:30], "\x00\x13garbage", *lines[31:]]


def _inserted(line: str) -> Callable[[list[str]], list[str]]:
    """Put `line` in after the header."""
    return lambda lines: [lines[0], line, *lines[1:]]


def _without_a_contact(lines: list[str]) -> list[str]:
    return [line for line in lines if '"table":"contacts","row":{"id":2,' not in line]


def _without_a_history_entry(lines: list[str]) -> list[str]:
    entries = [n for n, line in enumerate(lines) if line.startswith('{"table":"history"')]
    return lines[: entries[0]] + lines[entries[0] + 1 :]


def _tampered(lines: list[str]) -> list[str]:
    def tamper(line: str) -> str:
        if not line.startswith('{"file"'):
            return line
        item = json.loads(line)
        content = base64.b64decode(item["content"])
        item["content"] = base64.b64encode(content[:-1] + b"!").decode("ascii")
        return json.dumps(item)

    return [tamper(line) for line in lines]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda lines: lines[:-1], "without the end line of a dump: it was cut short"),
        (lambda lines: lines[:-5], "without the end line of a dump: it was cut short"),
        (_without_a_history_entry, "where its end line counts"),
        (_cut_in_a_row, "line 41: not a JSON object"),
        (_garbled, "line 31: not a JSON object (the dump is damaged)"),
        (_inserted('{"table": "tags", "row": [1, "X", "x"]}'), "line 2: the tags row is not"),
        (_inserted('{"table": "contacts_fts_keys", "row": {}}'), "line 2: 'contacts_fts_keys' is"),
        (_inserted('{"table": "tags", "row": {"id": 9, "colour": "red"}}'), "has no column colour"),
        (
            _inserted('{"table": "tags", "row": {"id": 9, "name": ["X"]}}'),
            "type 'list' is not supported",
        ),
        (_inserted('{"comment": "hello"}'), "line 2: neither a row, a file content nor the end"),
        (_without_a_contact, "row cannot be stored (FOREIGN KEY constraint failed)"),
        (lambda lines: [*lines, lines[1]], "text follows the end line"),
        (lambda lines: [*lines[:-1], lines[1], lines[-1]], "UNIQUE constraint failed: tags.id"),
        (_tampered, "does not match its sha256 (it was altered)"),
        (lambda lines: [ln for ln in lines if '"file"' not in ln[:8]], "lacks the content"),
    ],
)
def test_a_damaged_dump_restores_nothing(
    rich: tuple[Path, dict[str, int], Path],
    tmp_path: Path,
    cli_at: CLI,
    damage: Callable[[list[str]], list[str]],
    message: str,
) -> None:
    _, _, dump = rich
    source = write_lines(tmp_path / "dump.jsonl", damage(dump_lines(dump)))
    result = cli_at(tmp_path / "new.db", "restore", str(source))
    assert result.exit_code == 1, result.output
    assert message in result.stderr and "nothing was restored" in result.stderr, result.stderr
    assert_empty(tmp_path / "new.db")
    assert cli_at(tmp_path / "new.db", "restore", str(dump)).exit_code == 0


def test_a_restored_base_takes_the_same_import_again(
    rich: tuple[Path, dict[str, int], Path], tmp_path: Path
) -> None:
    """Restored contacts keep no row digests; importing their file again still updates them."""
    original, _, dump = rich
    twin = tmp_path / "twin.db"
    twin.write_bytes(original.read_bytes())
    with crmkit.open(tmp_path / "copy.db") as copy, crmkit.open(twin) as crm:
        copy.restore(dump)
        reports = [
            base.imports.run(EXAMPLES / "kontakty.csv", mapping=EXAMPLES / "map.yaml")
            for base in (crm, copy)
        ]
        assert [(r.created, r.updated, r.rejected) for r in reports] == [(0, 36, 4)] * 2
        assert list(copy.contacts.select(include_hidden=True).records()) == list(
            crm.contacts.select(include_hidden=True).records()
        )


@settings(max_examples=12, deadline=None)
@given(
    # Names and notes are refused when blank, so each holds something besides spaces.
    name=st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=30).filter(
        str.strip
    ),
    note=st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=60).filter(
        str.strip
    ),
)
def test_any_text_comes_back_as_it_was(name: str, note: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        with crmkit.open(Path(folder) / "a.db") as crm:
            contact = crm.contacts.add("organization", name=name)
            crm.notes.add(contact.id, note)
            out = io.StringIO()
            crm.dump(out)
            record, timeline = contact.to_record(), crm.timeline(contact.id)
        with crmkit.open(Path(folder) / "b.db") as copy:
            copy.restore(io.StringIO(out.getvalue()))
            assert copy.contacts[contact.id].to_record() == record
            assert copy.timeline(contact.id) == timeline

"""Rows read by a forked helper must import exactly as rows read in process."""

from __future__ import annotations

import itertools
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from crm_calls import import_history

import crmkit
from crmkit import CRM
from crmkit.drafts import DraftBuilder
from crmkit.errors import CrmError
from crmkit.importers import contacts as contact_import
from crmkit.importers.contacts import creates_only_persons, import_contacts
from crmkit.importers.draft_feed import (
    MIN_HELPER_BYTES,
    HelperFeed,
    _decoded,
    _encoded,
    helper_available,
)
from crmkit.importers.readers import open_source
from crmkit.importers.row_parsing import HelperSwitch, RowParser, parsed_rows, shared_rows
from crmkit.mapping import load_mapping
from crmkit.model import ImportReport
from crmkit.store.sqlite.reference import fields_by_key
from crmkit.store.sqlite.search_index import index_entries

DATA = Path(__file__).parent / "data"
EXAMPLES = Path(__file__).parent.parent / "examples"
# Every table an import writes, with the columns that do not depend on the clock.
TABLES = {
    "contacts": "*",
    "phones": "*",
    "emails": "*",
    "contact_tags": "*",
    "contact_users": "*",
    "memberships": "person_id, organization_id, since, until",
    "contacts_fts_keys": "*",
    "import_problems": "level, row, column_name, value, reason",
}


def reference_data(crm: CRM) -> None:
    """What the example mapping names (as examples/setup.sh creates it), less one option."""
    for tag in ("VIP", "Newsletter", "Klient", "Lead", "Partner"):
        crm.tags.add(tag)
    for user in ("Anna Zając", "Piotr Maj", "Jan Kowalski"):
        crm.users.add(user)
    # Without "Logistyka", so that some rows also carry warnings.
    options = ["IT", "Handel", "Produkcja", "Usługi"]
    crm.fields.add("industry", type="multiselect", label="Branża", options=options)
    crm.fields.add("marketing_consent", type="checkbox", label="Zgoda marketingowa")


def run_import(
    crm: CRM, path: Path, mapping: Path, *, helper: bool, **options: Any
) -> ImportReport:
    with open_source(str(path)) as source:
        return import_contacts(
            crm.store, source, load_mapping(str(mapping)), helper=helper, **options
        )


def table_rows(crm: CRM) -> dict[str, list[tuple[object, ...]]]:
    conn = crm.store.conn
    rows = {}
    for table, columns in TABLES.items():
        found = conn.execute(f"SELECT {columns} FROM {table}").fetchall()
        rows[table] = sorted(found, key=repr)
    rows["contacts_fts"] = list(index_entries(crm.store))
    return rows


def report_facts(report: ImportReport) -> tuple[object, ...]:
    problems = [
        (p.level, p.row, p.column, p.value, p.reason)
        for p in [*report.errors, *report.warning_details]
    ]
    return (
        report.rows_read,
        report.created,
        report.updated,
        report.rejected,
        report.warnings,
        report.organizations_created,
        report.exit_code,
        problems,
    )


@pytest.fixture()
def pair(tmp_path: Path) -> tuple[CRM, CRM]:
    first, second = crmkit.open(tmp_path / "a.db"), crmkit.open(tmp_path / "b.db")
    for crm in (first, second):
        reference_data(crm)
    return first, second


@pytest.mark.parametrize("options", [{}, {"dry_run": True}, {"all_or_nothing": True}])
def test_helper_imports_the_example_exactly_as_in_process(
    pair: tuple[CRM, CRM], options: dict[str, Any]
) -> None:
    in_process, helped = pair
    csv, mapping = EXAMPLES / "kontakty.csv", EXAMPLES / "map.yaml"
    plain = run_import(in_process, csv, mapping, helper=False, **options)
    forked = run_import(helped, csv, mapping, helper=True, **options)
    assert report_facts(forked) == report_facts(plain)
    assert plain.rejected > 0
    clock = ("created_at", "updated_at")
    for crm in pair:
        # Timestamps of the two runs differ by the clock; everything else must not.
        crm.store.conn.execute(
            f"UPDATE contacts SET {', '.join(f'{c} = substr({c}, 1, 4)' for c in clock)}"
        )
    assert table_rows(helped) == table_rows(in_process)


def test_helper_matches_and_updates_like_in_process(pair: tuple[CRM, CRM], tmp_path: Path) -> None:
    csv, mapping = EXAMPLES / "kontakty.csv", EXAMPLES / "map.yaml"
    matching = tmp_path / "match.yaml"
    matching.write_text(mapping.read_text("utf-8") + "\nmatch: [email]\n", "utf-8")
    in_process, helped = pair
    for crm, helper in ((in_process, False), (helped, True)):
        run_import(crm, csv, mapping, helper=False)
        second = run_import(crm, csv, matching, helper=helper)
        assert second.created == 0 and second.updated > 0
    assert table_rows(helped)["contacts"] != []
    clock = "created_at = '', updated_at = ''"
    for crm in pair:
        crm.store.conn.execute(f"UPDATE contacts SET {clock}")
    assert table_rows(helped) == table_rows(in_process)


def test_rows_come_prepared_only_as_the_switches_say(tmp_path: Path) -> None:
    crm = crmkit.open(tmp_path / "c.db")
    path = tmp_path / "names.csv"
    path.write_text("first_name\n" + "".join(f"Anna{n}\n" for n in range(5)), "utf-8")
    mapping_path = tmp_path / "map.yaml"
    mapping_path.write_text("target: contacts\ncolumns:\n  first_name: first_name\n")
    mapping = load_mapping(str(mapping_path))
    prepare, documents = HelperSwitch(), HelperSwitch()
    with open_source(str(path)) as source:
        columns, _ = mapping.resolve_contact_columns(source.header, {})
        builder = DraftBuilder(crm.store, columns, mapping.settings)
        now = "2025-01-01T00:00:00Z"
        parser = RowParser(source, builder, "person", now, prepare, documents)
        rows = parsed_rows(source, parser)
        seen = []
        for prepare_on, documents_on in ((True, True), (False, True), (True, False), (True, True)):
            prepare.set(prepare_on)
            documents.set(documents_on)
            prepared = next(rows)[3]
            seen.append(None if prepared is None else prepared[1] is not None)
    assert seen == [True, None, False, True]


def _report_switch(switch: HelperSwitch, ready: Any, answer: Any) -> None:
    ready.wait(10)
    answer.send(switch.on)


def test_a_switch_set_here_is_seen_by_the_forked_helper() -> None:
    import multiprocessing

    context = multiprocessing.get_context("fork")
    switch = HelperSwitch()
    ready = context.Event()
    here, there = context.Pipe(duplex=False)
    child = context.Process(target=_report_switch, args=(switch, ready, there))
    child.start()
    switch.set(False)
    ready.set()
    assert here.recv() is False
    child.join()


@pytest.mark.parametrize("persons_only", [False, True])
def test_rows_without_what_the_helper_may_leave_out_import_as_in_process(
    pair: tuple[CRM, CRM], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, persons_only: bool
) -> None:
    # Both switches stuck off: with match keys (the example mapping) every row that
    # creates arrives as a bare draft; creating persons only, without its document.
    monkeypatch.setattr(contact_import, "HelperSwitch", lambda: HelperSwitch(False))
    monkeypatch.setattr(HelperSwitch, "set", lambda switch, on: None)
    csv = EXAMPLES / "kontakty.csv"
    mapping = persons_only_mapping(tmp_path) if persons_only else EXAMPLES / "map.yaml"
    in_process, helped = pair
    plain = run_import(in_process, csv, mapping, helper=False)
    forked = run_import(helped, csv, mapping, helper=True)
    assert report_facts(forked) == report_facts(plain)
    assert plain.created > 0
    for crm in pair:
        crm.store.conn.execute("UPDATE contacts SET created_at = '', updated_at = ''")
    assert table_rows(helped) == table_rows(in_process)


def test_a_file_error_in_the_helper_rolls_back(pair: tuple[CRM, CRM], tmp_path: Path) -> None:
    crm = pair[0]
    path = tmp_path / "late.csv"
    path.write_bytes(
        b"first_name,last_name\n" + b"Anna,Nowak\n" * 100_000 + "Żaneta,X\n".encode("cp1250")
    )
    mapping = tmp_path / "map.yaml"
    mapping.write_text("target: contacts\ncolumns:\n  first_name: first_name\n")
    with pytest.raises(CrmError, match="line 100002"):
        run_import(crm, path, mapping, helper=True)
    assert crm.store.one("SELECT count(*) FROM contacts") == 0
    assert import_history(crm) == []


def test_helper_records_the_same_file_hash(pair: tuple[CRM, CRM]) -> None:
    csv, mapping = EXAMPLES / "kontakty.csv", EXAMPLES / "map.yaml"
    in_process, helped = pair
    run_import(in_process, csv, mapping, helper=False)
    run_import(helped, csv, mapping, helper=True)
    hashes = [crm.store.one("SELECT sha256 FROM imports") for crm in pair]
    assert hashes[0] == hashes[1] and len(hashes[0]) == 64


def test_helper_only_for_large_csv_without_creating_names(tmp_path: Path) -> None:
    small = tmp_path / "small.csv"
    small.write_text("first_name\nAnna\n")
    large = tmp_path / "large.csv"
    large.write_text("first_name\n" + "Anna\n" * (MIN_HELPER_BYTES // 5 + 1))
    with open_source(str(small)) as source:
        assert not helper_available(source, "warn")
    with open_source(str(large)) as source:
        assert helper_available(source, "warn") == ((os.cpu_count() or 1) > 1)
        assert not helper_available(source, "create")
    jsonl = tmp_path / "large.jsonl"
    jsonl.write_text('{"first_name": "Anna"}\n' * (MIN_HELPER_BYTES // 20))
    with open_source(str(jsonl)) as source:
        assert not helper_available(source, "warn")


def test_collection_runs_rarely_during_an_import_and_as_before_after() -> None:
    import gc

    from crmkit.importers.draft_feed import collection_paused

    before = gc.get_threshold()
    with collection_paused():
        assert gc.isenabled() and gc.get_threshold()[0] > before[0]
    assert gc.get_threshold() == before


def persons_only_mapping(tmp_path: Path) -> Path:
    """The example mapping without match keys, `kind` or `external_id`: rows only create."""
    kept = [
        line
        for line in (EXAMPLES / "map.yaml").read_text("utf-8").splitlines()
        if not line.startswith(("match:", "  Typ:", "  ID w starym CRM:"))
    ]
    path = tmp_path / "persons.yaml"
    path.write_text("\n".join(kept) + "\n", "utf-8")
    return path


@pytest.mark.parametrize("options", [{}, {"all_or_nothing": True}])
def test_rows_that_only_create_persons_import_as_in_process(
    pair: tuple[CRM, CRM], tmp_path: Path, options: dict[str, Any]
) -> None:
    in_process, helped = pair
    for crm in pair:
        # A required field: rows lacking it are refused by the helper, as by the writer.
        crm.fields.add("segment_code", type="text", label="Kod", required=True)
    csv = tmp_path / "persons.csv"
    lines = (EXAMPLES / "kontakty.csv").read_text("utf-8").splitlines()
    rows = [f"{line},{'' if number % 3 else 'A1'}" for number, line in enumerate(lines[1:])]
    csv.write_text("\n".join([lines[0] + ",Kod", *rows]) + "\n", "utf-8")
    mapping = persons_only_mapping(tmp_path)
    with mapping.open("a", encoding="utf-8") as extra:
        extra.write("  Kod: custom.segment_code\n")
    plain = run_import(in_process, csv, mapping, helper=False, **options)
    forked = run_import(helped, csv, mapping, helper=True, **options)
    assert report_facts(forked) == report_facts(plain)
    assert plain.rejected > 0 and plain.warnings > 0
    assert any("required field" in problem.reason for problem in plain.errors)
    for crm in pair:
        crm.store.conn.execute("UPDATE contacts SET created_at = '', updated_at = ''")
    assert table_rows(helped) == table_rows(in_process)


def test_only_imports_without_matching_kind_or_external_id_create_persons_only(
    tmp_path: Path,
) -> None:
    crm = crmkit.open(tmp_path / "c.db")
    reference_data(crm)
    header = (EXAMPLES / "kontakty.csv").read_text("utf-8").splitlines()[0].split(",")
    fields = fields_by_key(crm.store)

    def decided(path: Path) -> bool:
        mapping = load_mapping(str(path))
        return creates_only_persons(mapping, mapping.resolve_contact_columns(header, fields)[0])

    persons = persons_only_mapping(tmp_path)
    assert decided(persons)
    assert not decided(EXAMPLES / "map.yaml")
    for extra in ("match: [email]\n", "kind: organization\n", "columns:\n  Typ: kind\n"):
        variant = tmp_path / "variant.yaml"
        text = persons.read_text("utf-8")
        if extra.startswith("columns"):
            text = text.replace("columns:\n", extra)
        else:
            text = text.replace("kind: person", "") + extra
        variant.write_text(text, "utf-8")
        assert not decided(variant), extra


@pytest.mark.parametrize(
    "message",
    [
        ("rows", 10, [(2, None, ((1, "a"), (None, True, 1.5), {"k": ["x"]}))]),
        ("rows", 10, [(2, [("error", "c", "v", "why")], Decimal("1.5"))]),
        ("end", 10, "0" * 64),
    ],
)
def test_messages_come_back_as_sent(message: tuple[Any, ...]) -> None:
    assert _decoded(_encoded(message)) == message


def test_an_error_message_carries_its_sentence() -> None:
    kind, error = _decoded(_encoded(("error", CrmError("line 7 is not UTF-8"))))
    assert kind == "error" and str(error) == "line 7 is not UTF-8"


def test_the_writer_collects_rarely_while_a_helper_reads(tmp_path: Path) -> None:
    import gc

    crm = crmkit.open(tmp_path / "c.db")
    path = tmp_path / "many.csv"
    path.write_text("first_name\n" + "Anna\n" * 4000, "utf-8")
    mapping = tmp_path / "map.yaml"
    mapping.write_text("target: contacts\ncolumns:\n  first_name: first_name\n")
    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []
    with open_source(str(path)) as source:
        feed = HelperFeed(source, iter([]), new_persons=True)
        assert gc.get_threshold()[0] >= 1_000_000
        list(feed)
        feed.close()
        assert gc.get_threshold() == before
    with open_source(str(path)) as source:
        import_contacts(
            crm.store,
            source,
            load_mapping(str(mapping)),
            helper=True,
            progress=lambda done, rows: seen.append(gc.get_threshold()),
        )
    assert seen and all(threshold[0] >= 1_000_000 for threshold in seen)
    assert gc.get_threshold() == before


class _Alternating:
    """A handoff switch that is on for three rows in every six, whatever is set."""

    def __init__(self, always: bool) -> None:
        self.always = always
        self.reads = 0

    @property
    def on(self) -> bool:
        self.reads += 1
        return self.always or self.reads // 3 % 2 == 1

    def set(self, on: bool) -> None:
        pass


@pytest.mark.parametrize("always", [False, True])
@pytest.mark.parametrize("persons_only", [False, True])
def test_rows_handed_to_the_writer_import_as_in_process(
    pair: tuple[CRM, CRM],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    persons_only: bool,
    always: bool,
) -> None:
    # Rows the helper hands over unparsed (all of them, or stretches between parsed
    # ones) are parsed by the writer, in file order, with the same outcome.
    def handing_over(source: Any, parse: Any, handoff: Any, parser: Any = None) -> Any:
        return shared_rows(source, parse, _Alternating(always), parser)

    monkeypatch.setattr(contact_import, "shared_rows", handing_over)
    finished: list[int] = []
    new_person = RowParser.new_person
    monkeypatch.setattr(
        RowParser, "new_person", lambda self, *row: finished.append(1) or new_person(self, *row)
    )
    if not persons_only:
        monkeypatch.setattr(
            HelperFeed,
            "__init__",
            _counting_finish(HelperFeed.__init__, finished),
        )
    csv = EXAMPLES / "kontakty.csv"
    mapping = persons_only_mapping(tmp_path) if persons_only else EXAMPLES / "map.yaml"
    in_process, helped = pair
    plain = run_import(in_process, csv, mapping, helper=False)
    forked = run_import(helped, csv, mapping, helper=True)
    assert report_facts(forked) == report_facts(plain)
    rows = plain.rows_read
    assert plain.created > 0
    assert len(finished) == (rows if always else pytest.approx(rows / 2, abs=3))
    for crm in pair:
        crm.store.conn.execute("UPDATE contacts SET created_at = '', updated_at = ''")
    assert table_rows(helped) == table_rows(in_process)


def _counting_finish(init: Any, finished: list[int]) -> Any:
    """HelperFeed.__init__ with its `finish` counting the rows it parses."""

    def counting(self: HelperFeed, *args: Any, finish: Any = None, **options: Any) -> None:
        def finish_counted(line: int, cells: list[str]) -> Any:
            finished.append(1)
            return finish(line, cells)

        init(self, *args, finish=finish_counted, **options)

    return counting


def _slow_rows(handoff: HelperSwitch) -> Any:
    """Rows a helper reads only after a pause, each unparsed if the handoff is on."""
    import time

    time.sleep(0.5)
    for line in range(2, 5):
        yield (line, ["cell"]) if handoff.on else (line, None, [], None)


def test_the_writer_takes_rows_over_when_it_waits_for_the_helper(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("first_name\nAnna\n", "utf-8")
    handoff = HelperSwitch(False)
    with open_source(str(path)) as source:
        feed = HelperFeed(
            source,
            _slow_rows(handoff),
            handoff=handoff,
            finish=lambda line, cells: (line, "parsed here", [], None),
        )
        rows = list(feed)
        feed.close()
    # The writer found nothing waiting and switched the handoff on; the helper,
    # still pausing, sent all three rows unparsed for the writer to parse.
    assert rows == [(line, "parsed here", [], None) for line in range(2, 5)]


def test_the_helper_ends_when_the_importer_is_gone(tmp_path: Path) -> None:
    # As when the importing process is killed: its end of the pipe closes unannounced,
    # and the helper, with rows still to send, must end instead of waiting for ever.
    path = tmp_path / "rows.csv"
    path.write_text("first_name\nAnna\n", "utf-8")
    endless = ((line, [], None) for line in itertools.count(2))
    with open_source(str(path)) as source:
        feed = HelperFeed(source, endless, new_persons=True)
        feed._pipe.close()
        feed._process.join(timeout=30)
        alive = feed._process.is_alive()
        feed.close()
    assert not alive

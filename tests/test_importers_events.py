"""Importing call logs and other event files (`target: events`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from crm_calls import import_details, import_history, timeline_records
from timeline_builders import DATA, event_count, organization, person

from crmkit import CRM, CrmError
from crmkit.importers.events import import_events
from crmkit.importers.readers import open_source
from crmkit.mapping import Mapping, parse_mapping
from crmkit.model import ImportReport


@pytest.fixture()
def people(ref_crm: CRM) -> dict[str, int]:
    crm = ref_crm
    return {
        "beata": person(
            crm,
            "Beata",
            "Michalska",
            phone__work="(22) 113-14-15",
            email__work="b.michalska@nowicki.pl",
            external_id="K-1015",
        ),
        "anna": person(
            crm, "Anna", "Nowak", phone__mobile="601 234 567", email__work="anna.nowak@example.pl"
        ),
        "jan": person(crm, "Jan", "Kowalski", external_id="K-2"),
    }


def _import(
    crm: CRM,
    tmp_path: Path,
    rows: list[list[str]],
    columns: dict[str, Any],
    *,
    name: str = "log.csv",
    **options: Any,
) -> ImportReport:
    """Write a CSV with a header of the mapping's columns, then import it."""
    path = tmp_path / name
    header = list(columns)
    lines = [",".join(header)] + [",".join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = {
        key: options.pop(key) for key in list(options) if key in ("source", "kind", "timezone")
    }
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        yaml.safe_dump({"target": "events", **settings, "columns": columns}, allow_unicode=True),
        encoding="utf-8",
    )
    return crm.imports.run(str(path), mapping=str(mapping), **options)


PHONE_LOG = {"when": "occurred_at", "phone": "contact.phone", "id": "external_id"}


@pytest.mark.parametrize("spelling", ["(22) 113-14-15", "0048221131415", "+48 22 113 14 15"])
def test_every_spelling_of_a_number_finds_the_caller(
    ref_crm: CRM, people: dict[str, int], tmp_path: Path, spelling: str
) -> None:
    report = _import(ref_crm, tmp_path, [["2024-03-05 14:30", f'"{spelling}"', "c1"]], PHONE_LOG)
    assert (report.created, report.rejected) == (1, 0)
    [item] = timeline_records(ref_crm, people["beata"])
    assert item["kind"] == "call" and item["occurred_at"] == "2024-03-05T14:30:00Z"


@pytest.mark.parametrize(
    ("target", "value", "who"),
    [
        ("contact.id", "{jan}", "jan"),
        ("contact.external_id", "K-1015", "beata"),
        ("contact.email", "ANNA.NOWAK@example.pl", "anna"),
        ("contact.phone", "601234567", "anna"),
    ],
)
def test_each_key_finds_its_contact(
    ref_crm: CRM, people: dict[str, int], tmp_path: Path, target: str, value: str, who: str
) -> None:
    columns = {"when": "occurred_at", "key": target}
    report = _import(ref_crm, tmp_path, [["2024-03-05 14:30", value.format(**people)]], columns)
    assert report.created == 1, report.errors
    assert len(ref_crm.timeline(people[who])) == 1


def test_a_later_key_is_tried_when_an_earlier_one_finds_nobody(
    ref_crm: CRM, people: dict[str, int], tmp_path: Path
) -> None:
    columns = {"when": "occurred_at", "phone": "contact.phone", "mail": "contact.email"}
    rows = [["2024-03-05 14:30", "+48 501 000 111", "anna.nowak@example.pl"]]
    assert _import(ref_crm, tmp_path, rows, columns).created == 1
    assert len(ref_crm.timeline(people["anna"])) == 1


def _reasons(report: ImportReport) -> list[tuple[int | None, str | None, str | None, str]]:
    return [(p.row, p.column, p.value, p.reason) for p in report.errors]


def test_rows_are_rejected_with_their_reason(
    ref_crm: CRM, people: dict[str, int], tmp_path: Path
) -> None:
    crm = ref_crm
    shared = person(crm, "Tomasz", "Nowicki", phone__work="22 113 14 15")  # shares Beata's number
    columns = {
        "when": "occurred_at",
        "phone": "contact.phone",
        "id": "contact.id",
        "kind": "kind",
        "dir": "direction",
        "dur": "duration",
    }
    rows = [
        ["2024-03-05 14:30", "+48 501 000 111", "", "call", "in", "1:00"],  # 2 unknown number
        ["2024-03-05 14:31", "(22) 113-14-15", "", "call", "in", "1:00"],  # 3 ambiguous
        ["2024-03-05 14:32", "12ab", "", "call", "in", "1:00"],  # 4 not a number
        ["2024-03-05 14:33", "", "x7", "call", "in", "1:00"],  # 5 bad id
        ["2024-03-05 14:34", "", "9999", "call", "in", "1:00"],  # 6 no such id
        ["2024-03-05 14:35", "", "", "call", "in", "1:00"],  # 7 no contact given
        ["2024-03-05 14:36", "601 234 567", "", "call", "in", "ok. 3 min"],  # 8 duration
        ["31.02.2024 10:00", "601 234 567", "", "call", "in", "1:00"],  # 9 date
        ["", "601 234 567", "", "call", "in", "1:00"],  # 10 no date
        ["2024-03-05 14:37", "601 234 567", "", "fax", "in", "1:00"],  # 11 kind
        ["2024-03-05 14:38", "601 234 567", "", "call", "up", "1:00"],  # 12 direction
        ["2024-03-05 14:39", "601 234 567", "", "call", "in"],  # 13 short row
        ["2024-03-05 14:40", "601 234 567", "", "call", "out", "2:00"],  # 14 fine
    ]
    report = _import(crm, tmp_path, rows, columns)
    assert (report.rows_read, report.created, report.rejected) == (13, 1, 12)
    assert report.exit_code == 3
    reasons = _reasons(report)
    assert reasons[0] == (
        2,
        "phone",
        "+48 501 000 111",
        "no contact has the phone number +48501000111",
    )
    assert reasons[1][:3] == (3, "phone", "(22) 113-14-15")
    ids = f"{people['beata']}, {shared}"
    assert reasons[1][3] == f"ambiguous: 2 contacts have the phone number +48221131415 (ids {ids})"
    assert reasons[2] == (4, "phone", "12ab", "not a valid phone number")
    assert reasons[3] == (5, "id", "x7", "not a contact id (a whole number)")
    assert reasons[4] == (6, "id", "9999", "no contact has the contact id 9999")
    assert reasons[5] == (7, None, None, "the row names no contact ('id', 'phone' empty)")
    assert reasons[6] == (8, "dur", "ok. 3 min", "not a duration")
    assert reasons[7] == (9, "when", "31.02.2024 10:00", "no such date")
    assert reasons[8] == (10, "when", None, "occurred_at is empty")
    assert reasons[9][:3] == (11, "kind", "fax")
    assert reasons[10][:3] == (12, "dir", "up")
    assert reasons[11] == (13, None, None, "the row has 5 cells but the header has 6")
    [stored] = timeline_records(crm, people["anna"])
    assert stored["direction"] == "out" and stored["duration"] == 120


def test_unknown_agent_is_a_warning_and_the_event_has_no_agent(
    ref_crm: CRM, people: dict[str, int], tmp_path: Path
) -> None:
    columns = {"when": "occurred_at", "phone": "contact.phone", "agent": "agent"}
    rows = [
        ["2024-03-05 14:30", "601234567", "Ewa Bąk"],
        ["2024-03-05 15:30", "601234567", "piotr maj"],
    ]
    report = _import(ref_crm, tmp_path, rows, columns)
    assert (report.created, report.rejected, report.warnings) == (2, 0, 1)
    warning = report.warning_details[0]
    assert (warning.row, warning.column, warning.value) == (2, "agent", "Ewa Bąk")
    assert [item.agent for item in ref_crm.timeline(people["anna"])] == [
        "Piotr Maj",
        None,
    ]


def test_reimporting_the_same_log_adds_nothing_and_counts_the_skipped(
    ref_crm: CRM, people: dict[str, int], tmp_path: Path
) -> None:
    rows = [
        ["2024-03-05 14:30", "601234567", "c1"],
        ["2024-03-05 14:31", "601234567", "c2"],
        ["2024-03-05 14:31", "601234567", "c2"],  # the same call twice in one file
        ["2024-03-05 14:32", "601234567", ""],  # no id: cannot be recognised again
    ]
    first = _import(ref_crm, tmp_path, rows, PHONE_LOG, source="centrala")
    assert (first.created, first.skipped) == (3, 1)
    second = _import(ref_crm, tmp_path, rows, PHONE_LOG, source="centrala")
    assert (second.created, second.skipped, second.rejected) == (1, 3, 0)
    assert second.exit_code == 0
    other_source = _import(ref_crm, tmp_path, rows[:1], PHONE_LOG, source="mailbox")
    assert (other_source.created, other_source.skipped) == (1, 0)
    history = import_history(ref_crm)
    assert [h["skipped"] for h in history] == [0, 3, 1]
    assert {h["target"] for h in history} == {"events"}


def test_dry_run_writes_nothing_and_reports_the_same(
    ref_crm: CRM, people: dict[str, int], tmp_path: Path
) -> None:
    rows = [["2024-03-05 14:30", "601234567", "c1"], ["2024-03-05 14:30", "+48 501 000 111", "c2"]]
    dry = _import(ref_crm, tmp_path, rows, PHONE_LOG, dry_run=True)
    assert (dry.dry_run, dry.created, dry.rejected, dry.exit_code) == (True, 1, 1, 3)
    assert dry.import_id is None
    assert event_count(ref_crm) == 0 and import_history(ref_crm) == []
    real = _import(ref_crm, tmp_path, rows, PHONE_LOG)
    assert (real.created, real.rejected) == (dry.created, dry.rejected)


def test_all_or_nothing_writes_nothing_when_a_row_is_rejected(
    ref_crm: CRM, people: dict[str, int], tmp_path: Path
) -> None:
    rows = [["2024-03-05 14:30", "601234567", "c1"], ["2024-03-05 14:30", "+48 501 000 111", "c2"]]
    report = _import(ref_crm, tmp_path, rows, PHONE_LOG, all_or_nothing=True)
    assert (report.created, report.rejected, report.exit_code) == (0, 1, 3)
    assert report.status == "nothing written: rows were rejected"
    assert event_count(ref_crm) == 0
    [history] = import_history(ref_crm)
    assert history["status"] == "nothing written: rows were rejected" and history["created"] == 0


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        (
            {"when": "occurred_at", "phone": "contact.phone", "x": "contact.fax"},
            "unknown target 'contact.fax'",
        ),
        (
            {"when": "occurred_at", "phone": "contact.phone", "missing": "subject"},
            "column 'missing' is not in",
        ),
        ({"phone": "contact.phone"}, "no column is mapped to occurred_at"),
        ({"when": "occurred_at", "phone": "subject"}, "no column says whose event it is"),
        ({"when": "occurred_at", "phone": "contact.phone", "p2": "contact.phone"}, "given twice"),
    ],
)
def test_a_wrong_mapping_is_refused_before_anything_is_written(
    ref_crm: CRM, people: dict[str, int], tmp_path: Path, columns: dict[str, str], message: str
) -> None:
    path = tmp_path / "log.csv"
    path.write_text("when,phone,x,p2\n2024-03-05 14:30,601234567,a,b\n", encoding="utf-8")
    mapping = parse_mapping({"target": "events", "columns": columns})
    with open_source(str(path)) as source, pytest.raises(CrmError, match=message):
        import_events(ref_crm.store, source, mapping)
    assert event_count(ref_crm) == 0 and import_history(ref_crm) == []


def test_without_a_mapping_headers_named_like_targets_map_to_themselves(
    ref_crm: CRM, people: dict[str, int], tmp_path: Path
) -> None:
    path = tmp_path / "log.csv"
    path.write_text(
        "occurred_at,contact.phone,subject,colour\n2024-03-05 14:30,601234567,Hello,red\n",
        encoding="utf-8",
    )
    with open_source(str(path)) as source:
        report = import_events(ref_crm.store, source, Mapping(target="events"))
    assert report.created == 1 and report.ignored_columns == ["colour"]
    assert ref_crm.timeline(people["anna"])[0].subject == "Hello"


def test_json_lines_with_nested_contact_keys(
    ref_crm: CRM, people: dict[str, int], tmp_path: Path
) -> None:
    with open_source(str(DATA / "events.jsonl")) as source:
        report = import_events(ref_crm.store, source, Mapping(target="events", source="json"))
    assert (report.created, report.rejected) == (2, 1)
    assert report.errors[0].row == 3 and report.errors[0].column == "contact.phone"
    [mail] = timeline_records(ref_crm, people["anna"])
    assert (mail["kind"], mail["subject"]) == ("email", "Oferta")
    [meeting] = timeline_records(ref_crm, people["jan"])
    assert (meeting["kind"], meeting["occurred_at"], meeting["duration"]) == (
        "meeting",
        "2024-03-05T13:30:00Z",
        3600,
    )


def test_the_fixture_call_log(ref_crm: CRM, people: dict[str, int]) -> None:
    report = ref_crm.imports.run(str(DATA / "calls.csv"), mapping=str(DATA / "calls_map.yaml"))
    assert (report.rows_read, report.created, report.rejected, report.warnings) == (6, 4, 2, 1)
    assert report.ignored_columns == []
    assert [(p.row, p.column) for p in report.errors] == [(5, "Telefon"), (6, "Czas")]
    items = timeline_records(ref_crm, people["beata"])
    assert [(i["kind"], i["direction"], i["occurred_at"]) for i in items] == [
        ("sms", "out", "2024-03-06T08:00:00Z"),
        ("call", "out", "2024-03-05T14:00:00Z"),
        ("call", "in", "2024-03-05T13:30:00Z"),
    ]
    assert items[2]["agent"] == "Piotr Maj" and items[2]["channel"] == "Infolinia"
    assert items[2]["duration"] == 95 == items[1]["duration"]
    [details] = [import_details(ref_crm, report.import_id or 0)[0]]
    assert details["target"] == "events" and details["mapping"]["source"] == "centrala"


def test_mapping_kind_sets_the_default_event_kind(
    ref_crm: CRM, people: dict[str, int], tmp_path: Path
) -> None:
    _import(ref_crm, tmp_path, [["2024-03-05 14:30", "601234567", "m1"]], PHONE_LOG, kind="email")
    assert ref_crm.timeline(people["anna"])[0].kind == "email"
    with pytest.raises(CrmError, match="kind must be an event kind"):
        parse_mapping({"target": "events", "kind": "person", "columns": PHONE_LOG})


def test_organization_timeline_shows_imported_member_calls(
    ref_crm: CRM, people: dict[str, int], tmp_path: Path
) -> None:
    firm = organization(ref_crm, "Kancelaria")
    ref_crm.contacts.link(people["beata"], firm, since="2024-01-01")
    _import(ref_crm, tmp_path, [["2024-03-05 14:30", "221131415", "c1"]], PHONE_LOG)
    assert [item["contact_name"] for item in timeline_records(ref_crm, firm)] == ["Beata Michalska"]


EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_the_example_call_log_matches_the_example_contacts(crm: CRM) -> None:
    """examples/calls.csv against examples/kontakty.csv, as docs/timeline.md shows it."""
    for tag in ("VIP", "Newsletter", "Klient", "Lead", "Partner"):
        crm.tags.add(tag)
    for user in ("Anna Zając", "Piotr Maj", "Jan Kowalski"):
        crm.users.add(user)
    crm.fields.add(
        "industry",
        type="multiselect",
        label="Branża",
        options=["IT", "Handel", "Produkcja", "Usługi", "Logistyka"],
    )
    crm.fields.add("marketing_consent", type="checkbox", label="Zgoda marketingowa")
    crm.imports.run(str(EXAMPLES / "kontakty.csv"), mapping=str(EXAMPLES / "map.yaml"))
    args = (str(EXAMPLES / "calls.csv"),)
    report = crm.imports.run(*args, mapping=str(EXAMPLES / "calls_map.yaml"))
    assert (report.rows_read, report.created, report.rejected, report.warnings) == (20, 17, 3, 1)
    assert [(p.row, p.column) for p in report.errors] == [
        (6, "Numer"),
        (13, "Czas rozmowy"),
        (21, "Numer"),
    ]
    beata = crm.store.one("SELECT id FROM contacts WHERE external_id = 'K-1015'")
    assert len(crm.timeline(beata)) == 3  # (22) 113-14-15, 0048221131415, +48 22 113 14 15
    again = crm.imports.run(*args, mapping=str(EXAMPLES / "calls_map.yaml"))
    assert (again.created, again.skipped) == (0, 17)

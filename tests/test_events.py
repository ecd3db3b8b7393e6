"""Events: reading kinds, directions and durations; logging and deleting events."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from timeline_builders import content_stored, event, person

import crmkit
from crmkit import CRM, CrmError, InvalidValue, NotFound
from crmkit import events as events_module
from crmkit.events import parse_direction, parse_event_duration, parse_kind
from crmkit.model import EVENT_KINDS
from crmkit.timeline import format_duration


def test_event_kinds_are_the_models() -> None:
    assert events_module.EVENT_KINDS is EVENT_KINDS


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("call", "call"),
        (" CALL ", "call"),
        ("Połączenie", "call"),
        ("rozmowa", "call"),
        ("e-mail", "email"),
        ("SMS", "sms"),
        ("spotkanie", "meeting"),
        ("Zgłoszenie", "ticket"),
        ("zamówienie", "order"),
        ("other", "other"),
    ],
)
def test_parse_kind(raw: str, kind: str) -> None:
    assert parse_kind(raw) == kind


@pytest.mark.parametrize("raw", ["", "fax", "callback"])
def test_parse_kind_refuses_unknown_words(raw: str) -> None:
    with pytest.raises(InvalidValue, match="not an event kind"):
        parse_kind(raw)


@pytest.mark.parametrize(
    ("raw", "direction"),
    [("in", "in"), ("OUT", "out"), ("przychodzące", "in"), ("Wychodzące", "out"), ("", None)],
)
def test_parse_direction(raw: str, direction: str | None) -> None:
    assert parse_direction(raw) == direction


def test_parse_direction_refuses_other_words() -> None:
    with pytest.raises(InvalidValue, match="in or out"):
        parse_direction("sideways")


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [
        ("95", 95),
        ("1:35", 95),
        ("1:01:35", 3695),
        ("0:00", 0),
        (42, 42),
        (95.4, 95),
        ("", None),
        (None, None),
    ],
)
def test_parse_event_duration(raw: object, seconds: int | None) -> None:
    assert parse_event_duration(raw) == seconds


@pytest.mark.parametrize(
    "raw", ["3:75", "1:60:00", "ok. 3 min", "-5", -5, True, float("inf"), float("nan"), -1.5]
)
def test_parse_event_duration_refuses(raw: object) -> None:
    with pytest.raises(InvalidValue):
        parse_event_duration(raw)


@given(st.integers(min_value=0, max_value=10 * 24 * 3600))
def test_duration_text_reads_back(seconds: int) -> None:
    assert parse_event_duration(format_duration(seconds)) == seconds


def test_add_event_stores_canonical_values(ref_crm: CRM) -> None:
    anna = person(ref_crm, "Anna", "Nowak")
    item = ref_crm.events.add(
        anna,
        kind="Rozmowa",
        at="05.03.2024 14:30",
        direction="przychodzące",
        duration="1:35",
        subject=" Reklamacja ",
        channel="Infolinia",
        agent="piotr  maj",
    ).to_record()
    assert item == {
        "id": item["id"],
        "type": "event",
        "kind": "call",
        "direction": "in",
        "occurred_at": "2024-03-05T14:30:00Z",
        "duration": 95,
        "subject": "Reklamacja",
        "body": None,
        "channel": "Infolinia",
        "agent": "Piotr Maj",
        "contact_id": anna,
        "contact_name": "Anna Nowak",
        "notes": [],
        "source": "",
        "external_id": None,
    }
    assert ref_crm.events[item["id"]].to_record() == item


def test_add_event_reads_naive_times_in_the_given_zone(crm: CRM) -> None:
    anna = person(crm, "Anna", "Nowak")
    item = events_module.add_event(
        crm.store, anna, kind="call", occurred_at="2024-03-05 14:30", timezone="Europe/Warsaw"
    )
    assert item["occurred_at"] == "2024-03-05T13:30:00Z"


def test_add_event_defaults_to_now(crm: CRM) -> None:
    anna = person(crm, "Anna", "Nowak")
    item = crm.events.add(anna, kind="note").to_record()
    assert item["occurred_at"].endswith("Z") and item["occurred_at"] >= "2024"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "fax"}, "kind 'fax'"),
        ({"kind": "call", "direction": "up"}, "direction 'up'"),
        ({"kind": "call", "duration": "3:75"}, "duration '3:75'"),
        ({"kind": "call", "at": "31.02.2024"}, "occurred_at '31.02.2024': no such date"),
    ],
)
def test_add_event_refuses_bad_values(crm: CRM, kwargs: dict[str, str], message: str) -> None:
    anna = person(crm, "Anna", "Nowak")
    kwargs = dict(kwargs)  # the parameters are shared by both backends' runs
    kind = kwargs.pop("kind")
    with pytest.raises(CrmError, match=message):
        crm.events.add(anna, kind=kind, **kwargs)
    assert crm.store.one("SELECT count(*) FROM events") == 0


def test_add_event_needs_a_known_contact_and_agent(ref_crm: CRM) -> None:
    with pytest.raises(NotFound, match="no contact with id 99"):
        ref_crm.events.add(99, kind="call")
    anna = person(ref_crm, "Anna", "Nowak")
    with pytest.raises(NotFound, match="no user named 'Nobody'"):
        ref_crm.events.add(anna, kind="call", agent="Nobody")


def test_external_id_is_unique_per_source(crm: CRM) -> None:
    anna = person(crm, "Anna", "Nowak")
    crm.events.add(anna, kind="call", external_id="X-1")
    with pytest.raises(CrmError, match="already logged"):
        crm.events.add(anna, kind="call", external_id="X-1")
    other = events_module.add_event(
        crm.store, anna, kind="call", external_id="X-1", source="mailbox"
    )
    assert other["external_id"] == "X-1" and other["source"] == "mailbox"


def test_delete_event_takes_its_notes_and_their_files(crm: CRM) -> None:
    anna = person(crm, "Anna", "Nowak")
    call = event(crm, anna, "2024-03-05 14:30")
    keep = event(crm, anna, "2024-03-06 14:30")
    note = crm.notes.add(anna, "Oddzwonić", event_id=call).to_record()
    attached = crm.files.add(
        anna, data=b"recording", name="call.wav", note_id=note["id"]
    ).to_record()
    assert content_stored(crm, attached["sha256"])
    deleted = crm.events.delete(call).to_record()
    assert deleted["id"] == call and [n["body"] for n in deleted["notes"]] == ["Oddzwonić"]
    assert crm.store.one("SELECT count(*) FROM notes") == 0
    assert crm.store.one("SELECT count(*) FROM files") == 0
    assert not content_stored(crm, attached["sha256"])
    assert [item.id for item in crm.timeline(anna)] == [keep]
    with pytest.raises(NotFound, match=f"no event with id {call}"):
        crm.events.delete(call)


def test_event_changes_are_audited(crm: CRM) -> None:
    with crmkit.open(crm.path, user="Jan Kowalski") as jan:
        anna = person(jan, "Anna", "Nowak")
        call = event(jan, anna, "2024-03-05 14:30")
        jan.events.delete(call)
    actions = [entry.action for entry in crm.contacts.history(anna)]
    assert actions[:2] == ["event delete", "event add"]

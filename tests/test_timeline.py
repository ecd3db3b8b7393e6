"""Timelines: membership windows, filters, ordering, limits and index use."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from crm_calls import timeline_records
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from timeline_builders import event, organization, person

import crmkit
from crmkit import CRM, CrmError, NotFound
from crmkit.store.sqlite.timeline import membership_spans, timeline_items
from crmkit.timeline import parse_kinds

NOW = "2025-01-01T00:00:00Z"


def _ids(items: list[dict]) -> list[int]:
    return [item["id"] for item in items]


@pytest.fixture()
def acme(crm: CRM) -> dict[str, int]:
    """Acme with Anna (member 2024-01-01 to 2024-06-01) and Jan (member since 2024-03-01)."""
    return _make_acme(crm)


def _make_acme(crm: CRM) -> dict[str, int]:
    ids = {
        "acme": organization(crm, "Acme"),
        "anna": person(crm, "Anna", "Nowak"),
        "jan": person(crm, "Jan", "Kowalski"),
        "ewa": person(crm, "Ewa", "Bąk"),
    }
    crm.contacts.link(ids["anna"], ids["acme"], since="2024-01-01", until="2024-06-01")
    crm.contacts.link(ids["jan"], ids["acme"], since="2024-03-01")
    return ids


def test_membership_window_before_during_after(crm: CRM, acme: dict[str, int]) -> None:
    anna, org = acme["anna"], acme["acme"]
    before = event(crm, anna, "2023-12-31T23:59:59Z")
    at_start = event(crm, anna, "2024-01-01T00:00:00Z")
    during = event(crm, anna, "2024-03-15 10:00")
    at_end = event(crm, anna, "2024-06-01T00:00:00Z")
    after = event(crm, anna, "2024-09-01 10:00")
    shown = _ids(timeline_items(crm.store, org, now=NOW))
    assert shown == [during, at_start]
    assert _ids(timeline_items(crm.store, anna, now=NOW)) == [
        after,
        at_end,
        during,
        at_start,
        before,
    ]


def test_open_membership_ends_now(crm: CRM, acme: dict[str, int]) -> None:
    jan, org = acme["jan"], acme["acme"]
    early = event(crm, jan, "2024-02-28 23:00")
    recent = event(crm, jan, "2024-12-31 10:00")
    future = event(crm, jan, "2025-06-01 10:00")
    assert _ids(timeline_items(crm.store, org, now=NOW)) == [recent]
    assert _ids(timeline_items(crm.store, org, now="2025-07-01T00:00:00Z")) == [future, recent]
    assert early not in _ids(timeline_items(crm.store, org, now="2030-01-01T00:00:00Z"))


def test_several_memberships(crm: CRM, acme: dict[str, int]) -> None:
    ewa, org = acme["ewa"], acme["acme"]
    crm.contacts.link(ewa, org, since="2020-01-01", until="2021-01-01")
    crm.contacts.link(ewa, org, since="2022-01-01", until="2023-01-01")
    crm.contacts.link(
        ewa, org, since="2022-06-01", until="2022-09-01"
    )  # inside the second: no doubles
    first = event(crm, ewa, "2020-06-01 10:00")
    gap = event(crm, ewa, "2021-06-01 10:00")
    second = event(crm, ewa, "2022-07-01 10:00")
    later = event(crm, ewa, "2023-06-01 10:00")
    shown = _ids(timeline_items(crm.store, org, now=NOW))
    assert shown == [second, first]
    assert gap not in shown and later not in shown
    spans = [span for span in membership_spans(crm.store, org, now=NOW) if span[0] == ewa]
    assert spans == [
        (ewa, "2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z"),
        (ewa, "2022-01-01T00:00:00Z", "2023-01-01T00:00:00Z"),
    ]


def test_membership_without_start_counts_from_the_beginning(crm: CRM, acme: dict[str, int]) -> None:
    ewa, org = acme["ewa"], acme["acme"]
    crm.contacts.link(ewa, org, until="2000-01-01")
    old = event(crm, ewa, "1999-05-05 10:00")
    assert _ids(timeline_items(crm.store, org, now=NOW)) == [old]


def test_organization_holds_its_own_events_and_members_only(crm: CRM, acme: dict[str, int]) -> None:
    org, anna, jan, ewa = acme["acme"], acme["anna"], acme["jan"], acme["ewa"]
    own = event(crm, org, "2010-01-01 10:00", kind="email")
    anna_call = event(crm, anna, "2024-02-01 10:00")
    jan_call = event(crm, jan, "2024-04-01 10:00")
    event(crm, ewa, "2024-04-01 11:00")  # not a member
    items = timeline_items(crm.store, org, now=NOW)
    assert _ids(items) == [jan_call, anna_call, own]
    assert [item["contact_name"] for item in items] == ["Jan Kowalski", "Anna Nowak", "Acme"]
    # a person's timeline holds only their own events, never the organization's or colleagues'
    assert _ids(timeline_items(crm.store, anna, now=NOW)) == [anna_call]


def test_filters(ref_crm: CRM) -> None:
    crm = ref_crm
    anna = person(crm, "Anna", "Nowak")
    call = event(crm, anna, "2024-03-01 10:00", agent="Piotr Maj", channel="Infolinia")
    mail = event(crm, anna, "2024-03-02 10:00", kind="email", agent="Jan Kowalski", channel="Biuro")
    meeting = event(crm, anna, "2024-03-03 10:00", kind="meeting")
    with crmkit.open(crm.path, user="Piotr Maj") as piotr:
        note = piotr.notes.add(anna, "Profilowa").id
    assert _ids(timeline_records(crm, anna, kinds=["call", "e-mail"])) == [mail, call]
    assert _ids(timeline_records(crm, anna, kinds=["note"])) == [note]
    assert _ids(timeline_records(crm, anna, since="2024-03-02", until="2024-03-03")) == [mail]
    assert _ids(
        timeline_records(crm, anna, since="2024-03-02 10:00", until="2024-03-03 10:00")
    ) == [mail]
    assert _ids(timeline_records(crm, anna, limit=2)) == [note, meeting]
    assert _ids(timeline_records(crm, anna, agent="piotr maj")) == [note, call]
    assert _ids(timeline_records(crm, anna, channel="infolinia")) == [call]
    with pytest.raises(NotFound, match="no user named 'Nobody'"):
        crm.timeline(anna, agent="Nobody")
    with pytest.raises(CrmError, match="--kind 'fax'"):
        crm.timeline(anna, kinds=["call,fax"])
    with pytest.raises(CrmError, match="--since 'yesterday'"):
        crm.timeline(anna, since="yesterday")
    with pytest.raises(CrmError, match="--limit"):
        crm.timeline(anna, limit=0)
    with pytest.raises(NotFound, match="no contact with id 999"):
        crm.timeline(999)


def test_parse_kinds_splits_and_deduplicates() -> None:
    assert parse_kinds(["call,email", "rozmowa", " "]) == ["call", "email"]


def test_items_are_newest_first_with_notes_between_events(crm: CRM) -> None:
    anna = person(crm, "Anna", "Nowak")
    old = event(crm, anna, "2020-01-01 10:00")
    new = event(crm, anna, "2024-01-01 10:00")
    note = crm.notes.add(anna, "teraz").id
    on_old = crm.notes.add(anna, "do starego", event_id=old).id
    items = timeline_records(crm, anna)
    assert [(item["type"], item["id"]) for item in items] == [
        ("note", note),
        ("event", new),
        ("event", old),
    ]
    assert [n["id"] for n in items[2]["notes"]] == [on_old]
    assert items[0]["occurred_at"] == items[0]["created_at"]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    memberships=st.lists(
        st.tuples(
            st.integers(0, 3),
            st.one_of(st.none(), st.integers(0, 40)),
            st.one_of(st.none(), st.integers(0, 40)),
        ),
        max_size=6,
    ),
    events=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 40)), max_size=40),
    limit=st.integers(1, 8),
)
def test_limited_organization_timeline_is_the_top_of_the_full_one(
    tmp_path_factory: pytest.TempPathFactory,
    memberships: list[tuple[int, int | None, int | None]],
    events: list[tuple[int, int]],
    limit: int,
) -> None:
    """The cut-off shortcut gives exactly the newest N of the naive, unlimited answer."""
    with crmkit.open(tmp_path_factory.mktemp("db") / "crm.db") as crm:
        org = organization(crm, "Acme")
        people = [person(crm, "P", str(n)) for n in range(4)]
        for who, start, end in memberships:
            if start is not None and end is not None and end <= start:
                continue
            crm.contacts.link(
                people[who],
                org,
                since=None if start is None else f"2024-01-01T00:{start:02d}:00Z",
                until=None if end is None else f"2024-01-01T00:{end:02d}:00Z",
            )
        contacts = [org, *people]
        for who, minute in events:
            event(crm, contacts[who], f"2024-01-01T00:{minute:02d}:00Z")
        full = timeline_items(crm.store, org, now=NOW)
        assert len(set(_ids(full))) == len(full)
        assert timeline_items(crm.store, org, limit=limit, now=NOW) == full[:limit]


def test_queries_use_the_contact_time_index(tmp_path: Path) -> None:
    """SQLite's plans (a SQLite file: the statements are traced and explained by SQLite)."""
    with crmkit.open(tmp_path / "crm.db") as crm:
        acme = _make_acme(crm)
        traced: list[str] = []
        crm.store.conn.set_trace_callback(traced.append)
        timeline_items(crm.store, acme["acme"], limit=5, now=NOW)
        timeline_items(crm.store, acme["anna"], limit=5, now=NOW)
        crm.store.conn.set_trace_callback(None)
        event_queries = [sql for sql in traced if "FROM events" in sql or "events AS e" in sql]
        assert len(event_queries) >= 3
        for sql in event_queries:
            rows = crm.store.conn.execute("EXPLAIN QUERY PLAN " + sql)
            plan = " | ".join(row[3] for row in rows)
            assert "events_contact_time" in plan, plan
            assert "SCAN e" not in plan, plan


def test_a_contact_with_100k_events_answers_at_once(tmp_path: Path) -> None:
    with crmkit.open(tmp_path / "crm.db") as crm:
        org = organization(crm, "Acme")
        busy = person(crm, "Call", "Center")
        crm.contacts.link(busy, org, since="2000-01-01")
        rows = [
            (busy, "call", f"20{10 + n // 10000:02d}-01-01T{(n // 60) % 24:02d}:{n % 60:02d}:00Z")
            for n in range(100_000)
        ]
        with crm.store.transaction() as conn:
            conn.executemany(
                "INSERT INTO events (contact_id, kind, occurred_at, created_at)"
                " VALUES (?, ?, ?, '2024-01-01T00:00:00Z')",
                rows,
            )
        for contact in (busy, org):
            started = time.perf_counter()
            items = timeline_items(crm.store, contact, limit=50, now=NOW)
            elapsed = time.perf_counter() - started
            assert len(items) == 50 and items[0]["occurred_at"].startswith("2019")
            assert elapsed < 0.05, f"timeline of contact {contact} took {elapsed:.3f}s"

"""Campaigns from the library: statuses, enrolling selections, outcomes, call-backs, filters."""

from __future__ import annotations

from pathlib import Path

import pytest

import crmkit
from crmkit import CRM, CrmError, NotFound
from crmkit.campaigns import DEFAULT_STATUSES
from crmkit.settings import Settings
from tests.crm_calls import search_ids, timeline_records

NAME = "Jesień 2025"


@pytest.fixture()
def people(ref_crm: CRM) -> list[int]:
    """Six people: the odd ones tagged Lead, the first three in Gliwice."""
    ids = []
    for index in range(6):
        ids.append(
            ref_crm.contacts.add(
                kind="person",
                first_name=f"Osoba{index}",
                last_name="Nowak",
                phones=[f"60100010{index}"],
                tags=["Lead"] if index % 2 else [],
                address={"city": "Gliwice" if index < 3 else "Łódź"},
            ).id
        )
    ref_crm.campaigns.add(NAME)
    return ids


def enrolled(crm: CRM, **kwargs: object) -> list[int]:
    return [row.id for row in crm.campaigns.contacts(NAME, **kwargs)]  # type: ignore[arg-type]


def history_actions(crm: CRM, contact_id: int) -> list[str]:
    return [entry.action for entry in crm.contacts.history(contact_id)]


def test_a_campaign_has_the_default_statuses_or_its_own(ref_crm: CRM) -> None:
    default = ref_crm.campaigns.add("  Wiosna   2026 ")
    assert default.name == "Wiosna 2026" and default.statuses == list(DEFAULT_STATUSES)
    assert DEFAULT_STATUSES[0] == "Nowy" and "Oddzwonić" in DEFAULT_STATUSES
    own = ref_crm.campaigns.add("Ankieta", statuses=["Do zrobienia", "Zrobione"])
    assert own.statuses == ["Do zrobienia", "Zrobione"]
    assert [c.name for c in ref_crm.campaigns.list()] == ["Ankieta", "Wiosna 2026"]
    assert ref_crm.campaigns["ankieta"].id == own.id
    with pytest.raises(CrmError, match="exists already"):
        ref_crm.campaigns.add("wiosna 2026")
    with pytest.raises(CrmError, match="listed twice"):
        ref_crm.campaigns.add("Inna", statuses=["Tak", " tak "])
    with pytest.raises(NotFound, match="no campaign named 'Lato'"):
        ref_crm.campaigns["Lato"]


def test_enrolling_a_filter_adds_the_selection_once_and_counts_the_rest(
    ref_crm: CRM, people: list[int]
) -> None:
    first = ref_crm.campaigns.enroll(NAME, filters=["tag=Lead"])
    assert (first.selected, first.enrolled, first.already) == (3, 3, 0)
    assert sorted(enrolled(ref_crm)) == people[1::2]
    again = ref_crm.campaigns.enroll(NAME, filters={"city": "Gliwice"})
    assert (again.selected, again.enrolled, again.already) == (3, 2, 1)
    rerun = ref_crm.campaigns.enroll(NAME, filters={"city": "Gliwice"})
    assert (rerun.selected, rerun.enrolled, rerun.already) == (3, 0, 3)
    assert rerun.summary == (
        f"Enrolled 0 contacts in {NAME!r}; 3 contacts enrolled already, left as they are."
    )
    assert sorted(enrolled(ref_crm)) == sorted({*people[1::2], *people[:3]})
    assert {row.status for row in ref_crm.campaigns.contacts(NAME)} == {"Nowy"}
    assert history_actions(ref_crm, people[1]).count("campaign enroll") == 1
    assert ref_crm.campaigns[NAME].enrolled == 5


def test_enrolling_by_id_text_or_view(ref_crm: CRM, people: list[int]) -> None:
    ref_crm.campaigns.enroll(NAME, [people[5], people[5]])
    assert enrolled(ref_crm) == [people[5]]
    report = ref_crm.campaigns.enroll(NAME, [people[0]], text="osoba4")
    assert (report.selected, report.enrolled) == (2, 2)
    crm = crmkit.CRM(ref_crm.store, Settings(user="Jan Kowalski"))
    crm.views.save("lodz", filters=["city=Łódź"])
    assert crm.campaigns.enroll(NAME, view="lodz").enrolled == 1
    assert sorted(enrolled(ref_crm)) == [people[0], *people[3:]]


def test_enrolling_unknown_ids_or_nothing_changes_nothing(ref_crm: CRM, people: list[int]) -> None:
    with pytest.raises(NotFound, match="no contact with id 999"):
        ref_crm.campaigns.enroll(NAME, [people[0], 999])
    with pytest.raises(CrmError, match="name the contacts to enroll"):
        ref_crm.campaigns.enroll(NAME)
    with pytest.raises(CrmError, match="unknown filter field"):
        ref_crm.campaigns.enroll(NAME, filters=["colour=red"])
    assert enrolled(ref_crm) == []
    assert "campaign enroll" not in history_actions(ref_crm, people[0])
    assert ref_crm.campaigns.enroll(NAME, everyone=True).enrolled == 6


def test_a_status_outside_the_list_is_refused_and_nothing_changes(
    ref_crm: CRM, people: list[int]
) -> None:
    ref_crm.campaigns.enroll(NAME, [people[0]])
    before = history_actions(ref_crm, people[0])
    with pytest.raises(CrmError, match="'Może' is not one of campaign 'Jesień 2025': Nowy, Dz"):
        ref_crm.campaigns.set(NAME, people[0], status="Może", callback="2025-01-10 10:00")
    [row] = ref_crm.campaigns.contacts(NAME)
    assert (row.status, row.callback) == ("Nowy", None)
    assert history_actions(ref_crm, people[0]) == before
    assert timeline_records(ref_crm, people[0]) == []
    with pytest.raises(CrmError, match="not in campaign"):
        ref_crm.campaigns.set(NAME, people[1], status="Dzwonić")
    with pytest.raises(NotFound, match="no user named 'Nikt'"):
        ref_crm.campaigns.set(NAME, people[0], agent="Nikt")
    with pytest.raises(CrmError, match="say what to record"):
        ref_crm.campaigns.set(NAME, people[0])


@pytest.mark.parametrize(
    ("zone", "typed", "stored"),
    [
        ("Europe/Warsaw", "2025-01-10 10:00", "2025-01-10T09:00:00Z"),
        ("Europe/Warsaw", "10.07.2025 10:00", "2025-07-10T08:00:00Z"),
        ("Europe/Warsaw", "2025-01-10T10:00:00-05:00", "2025-01-10T15:00:00Z"),
        ("UTC", "2025-01-10 10:00", "2025-01-10T10:00:00Z"),
    ],
)
def test_a_callback_is_read_in_local_time_and_kept_in_utc(
    db_path: Path, zone: str, typed: str, stored: str
) -> None:
    with crmkit.open(db_path) as plain:
        contact = plain.contacts.add(kind="person", first_name="Ala").id
        plain.campaigns.add(NAME)
        plain.campaigns.enroll(NAME, [contact])
    crm = crmkit.CRM(crmkit.open(db_path).store, Settings(db=str(db_path), timezone=zone))
    try:
        row = crm.campaigns.set(NAME, contact, status="Oddzwonić", callback=typed)
        assert row.callback == stored
        assert crm.contacts[contact].campaigns[0]["callback"] == stored
    finally:
        crm.close()


def test_an_outcome_is_a_timeline_event_and_a_history_entry(
    ref_crm: CRM, people: list[int]
) -> None:
    ref_crm.campaigns.enroll(NAME, [people[0]])
    row = ref_crm.campaigns.set(
        NAME,
        people[0],
        status="oddzwonić",
        agent="piotr maj",
        callback="2025-01-10 10:00",
        note="Prosi o telefon po 10",
    )
    assert (row.status, row.agent, row.callback) == (
        "Oddzwonić",
        "Piotr Maj",
        "2025-01-10T10:00:00Z",
    )
    [event] = timeline_records(ref_crm, people[0], kinds=["campaign"])
    assert event["id"] == row.event_id
    assert (event["kind"], event["channel"], event["agent"]) == ("campaign", NAME, "Piotr Maj")
    assert event["subject"] == "Nowy → Oddzwonić (call-back 2025-01-10T10:00:00Z)"
    assert event["body"] == "Prosi o telefon po 10"
    [entry, *_] = ref_crm.contacts.history(people[0])
    assert entry.action == "campaign set"
    assert [(c.field, c.old, c.new) for c in entry.changes] == [
        (f"campaign.{NAME}.status", "Nowy", "Oddzwonić"),
        (f"campaign.{NAME}.agent", None, "Piotr Maj"),
        (f"campaign.{NAME}.callback", None, "2025-01-10T10:00:00Z"),
        (f"campaign.{NAME}.note", None, "Prosi o telefon po 10"),
    ]
    # A new outcome without a call-back ends the old plan; the agent stays.
    done = ref_crm.campaigns.set(NAME, people[0], status="Sprzedaż")
    assert (done.status, done.agent, done.callback) == ("Sprzedaż", "Piotr Maj", None)
    assert len(timeline_records(ref_crm, people[0], kinds=["campaign"])) == 2
    # Moving only the call-back logs no event.
    moved = ref_crm.campaigns.set(NAME, people[0], callback="2025-02-01")
    assert moved.callback == "2025-02-01T00:00:00Z" and moved.event_id is None
    assert len(timeline_records(ref_crm, people[0], kinds=["campaign"])) == 2
    cleared = ref_crm.campaigns.set(NAME, people[0], callback="")
    assert cleared.callback is None


def test_the_work_list_holds_due_callbacks_earliest_first(ref_crm: CRM, people: list[int]) -> None:
    ref_crm.campaigns.enroll(NAME, everyone=True)
    set_ = ref_crm.campaigns.set
    set_(NAME, people[0], status="Oddzwonić", callback="2024-05-02 09:00", agent="Jan Kowalski")
    set_(NAME, people[1], status="Oddzwonić", callback="2024-05-01 09:00", agent="Piotr Maj")
    set_(NAME, people[2], status="Umówiony", callback="2099-01-01 09:00", agent="Jan Kowalski")
    set_(NAME, people[3], status="Odmowa", agent="Jan Kowalski")
    assert enrolled(ref_crm, due=True) == [people[1], people[0]]
    assert enrolled(ref_crm, due=True, limit=1) == [people[1]]
    assert enrolled(ref_crm, due=True, agent="jan kowalski") == [people[0]]
    assert enrolled(ref_crm, status="oddzwonić") == [people[0], people[1]]
    assert enrolled(ref_crm, agent="Jan Kowalski") == [people[0], people[2], people[3]]
    assert ref_crm.campaigns[NAME].due == 2
    with pytest.raises(CrmError, match="not one of campaign"):
        enrolled(ref_crm, status="Nie wiem")
    first = next(ref_crm.campaigns.contacts(NAME, due=True))
    assert first.to_record() == {
        "id": people[1],
        "name": "Osoba1 Nowak",
        "phone": "+48601000101",
        "phones": ["+48601000101"],
        "email": None,
        "status": "Oddzwonić",
        "agent": "Piotr Maj",
        "callback": "2024-05-01T09:00:00Z",
        "note": None,
        "enrolled_at": first.enrolled_at,
        "updated_at": first.updated_at,
    }


def test_removing_a_contact_takes_it_off_the_list(ref_crm: CRM, people: list[int]) -> None:
    ref_crm.campaigns.enroll(NAME, people[:2])
    gone = ref_crm.campaigns.remove(NAME, people[0])
    assert gone.id == people[0]
    assert enrolled(ref_crm) == [people[1]]
    assert history_actions(ref_crm, people[0])[0] == "campaign remove"
    with pytest.raises(CrmError, match="not in campaign"):
        ref_crm.campaigns.remove(NAME, people[0])
    ref_crm.contacts.delete(people[1])
    assert enrolled(ref_crm) == []


def test_filters_on_campaigns(ref_crm: CRM, people: list[int]) -> None:
    ref_crm.campaigns.add("Inna")
    ref_crm.campaigns.enroll(NAME, people[:4])
    ref_crm.campaigns.enroll("Inna", [people[5]])
    ref_crm.campaigns.set(NAME, people[0], status="Umówiony", callback="2025-01-09 12:00")
    ref_crm.campaigns.set(NAME, people[1], status="Oddzwonić", callback="2025-01-10 23:00")
    ref_crm.campaigns.set(NAME, people[2], status="Oddzwonić", callback="2025-01-11 08:00")
    ref_crm.campaigns.set(NAME, people[3], status="Dzwonić", agent="Piotr Maj")

    def found(*filters: str) -> list[int]:
        return sorted(search_ids(ref_crm, filters=list(filters)))

    assert found(f"campaign={NAME.upper()}") == people[:4]
    assert found(f"campaign={NAME} | inna") == [*people[:4], people[5]]
    assert found("campaign!=Inna") == people[:5]
    assert found("campaign=") == [people[4]]
    assert found("campaign~jesien") == people[:4]
    assert found(f"campaign.{NAME}.status=oddzwonić | Umówiony") == people[:3]
    assert found(f"campaign.{NAME}.status!=Oddzwonić") == [people[0], *people[3:]]
    assert found(f"campaign.{NAME}.callback<=2025-01-10") == people[:2]
    assert found(f"campaign.{NAME}.callback<2025-01-10") == [people[0]]
    assert found(f"campaign.{NAME}.callback=2025-01") == people[:3]
    # No call-back: enrolled without one, or not in the campaign (as `city=` has no city).
    assert found(f"campaign.{NAME}.callback=") == people[3:]
    assert found(f"campaign.{NAME}.callback=", f"campaign={NAME}") == [people[3]]
    assert found(f"campaign.{NAME}.agent=Piotr Maj") == [people[3]]
    assert found(f"campaign.{NAME}.status=Dzwonić", "tag=Lead") == [people[3]]
    for bad, message in (
        (f"campaign.{NAME}.status=Może", "not a status of campaign"),
        ("campaign.Lato.status=Nowy", "no campaign named 'lato'"),
        ("campaign=Lato", "no campaign named 'Lato'"),
        (f"campaign.{NAME}.colour=x", "write campaign.NAME.PART"),
        (f"campaign.{NAME}.status>Nowy", "operator > does not apply"),
        (f"campaign.{NAME}.callback=jutro", "not a date or datetime"),
    ):
        with pytest.raises(CrmError, match=message):
            found(bad)


def test_the_record_and_the_card_show_each_campaign(ref_crm: CRM, people: list[int]) -> None:
    ref_crm.campaigns.add("Ankieta")
    ref_crm.campaigns.enroll(NAME, [people[0]])
    ref_crm.campaigns.enroll("Ankieta", [people[0]])
    ref_crm.campaigns.set(
        NAME, people[0], status="Oddzwonić", agent="Jan Kowalski", callback="2025-01-10 10:00"
    )
    record = ref_crm.contacts[people[0]].to_record()
    assert [(c["name"], c["status"], c["agent"], c["callback"]) for c in record["campaigns"]] == [
        ("Ankieta", "Nowy", None, None),
        (NAME, "Oddzwonić", "Jan Kowalski", "2025-01-10T10:00:00Z"),
    ]
    assert ref_crm.contacts[people[1]].to_record()["campaigns"] == []
    text = ref_crm.card_text(people[0], width=120)
    assert "Campaigns" in text and "Oddzwonić" in text and "2025-01-10T10:00:00Z" in text
    page = ref_crm.card_html(people[0])
    assert "<h2>Campaigns</h2>" in page and "Jan Kowalski" in page
    assert "Campaigns" not in ref_crm.card_text(people[1])

"""Which contacts a query selects and in what order: ranking, name order, sort, limit."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest
from crm_calls import search_ids
from hypothesis import given, settings
from hypothesis import strategies as st
from search_builders import build_base, ids_by_name

import crmkit
from crmkit import CRM
from crmkit.errors import CrmError
from crmkit.store.sqlite.query import selection as selection_module
from crmkit.store.sqlite.query.selection import EXPORT_ORDER, Query, compile_query, select_ids
from crmkit.values.names import fold_text

FIRST = ["Anna", "Ania", "Żaneta", "Zenon", "Łucja", "Lucyna", "Ewa", "Ewelina", "Jan", "Janina"]
LAST = ["Nowak", "Nowakowska", "Kowal", "Kowalska", "Żak", "Zając", "Łoś", "Lis"]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def crowd(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> CRM:
    """Four hundred people with colliding names, some hidden, in one database (per backend)."""
    folder = tmp_path_factory.mktemp("crowd")
    rows = []
    chooser = random.Random(7)
    for index in range(400):
        first, last = chooser.choice(FIRST), chooser.choice(LAST)
        city = "Gliwice" if index % 3 else "Łódź"
        hidden = "yes" if index % 17 == 0 else ""
        rows.append([first, last, city, hidden, "VIP" if index % 4 == 0 else ""])
    source = folder / "crowd.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["first_name", "last_name", "address.city", "hidden", "tags"])
        writer.writerows(rows)
    if request.param == "postgresql":
        crm = crmkit.open(request.getfixturevalue("postgres_server").new_database())
    else:
        crm = crmkit.open(folder / "crowd.db")
    crm.tags.add("VIP")
    report = crm.imports.run(str(source))
    assert report.created == 400
    return crm


def expected_order(crm: CRM, words: list[str], include_hidden: bool = False) -> list[int]:
    """Name matches first, then the rest, each by folded name and id (computed in Python)."""
    ranked = []
    for record in crm.contacts.records(range(1, 401)):
        if record["hidden"] and not include_hidden:
            continue
        name = fold_text(record["name"])
        other = fold_text(record["address"]["city"] or "")
        name_words = name.split()
        all_words = name_words + other.split()
        if not all(any(w.startswith(word) for w in all_words) for word in words):
            continue
        tier = 0 if all(any(w.startswith(word) for w in name_words) for word in words) else 1
        ranked.append((tier, name, record["id"]))
    return [contact_id for _, _, contact_id in sorted(ranked)]


@pytest.mark.parametrize("text", ["anna", "an", "now", "nowak", "z", "zaneta", "gliwice", "lodz",
                                  "ewa l", "luc", "kowal", "lis lodz"])  # fmt: skip
def test_ranked_order_is_name_matches_then_the_rest_by_name(crowd: CRM, text: str) -> None:
    words = [fold_text(word) for word in text.split()]
    assert search_ids(crowd, text) == expected_order(crowd, words)


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(["a", "an", "now", "z", "zaneta", "gliwice", "l", "e", "kowal", "j"]),
    st.integers(0, 60),
    st.booleans(),
)
def test_a_limited_search_is_the_start_of_the_full_one(
    crowd: CRM, text: str, limit: int, hidden: bool
) -> None:
    full = search_ids(crowd, text, include_hidden=hidden)
    assert search_ids(crowd, text, limit=limit, include_hidden=hidden) == full[:limit]
    vip = search_ids(crowd, text, filters=["tag=VIP"], include_hidden=hidden)
    limited = search_ids(crowd, text, filters=["tag=VIP"], limit=limit, include_hidden=hidden)
    assert limited == vip[:limit]


def test_the_bucket_walk_gives_up_gracefully(crowd: CRM, monkeypatch: pytest.MonkeyPatch) -> None:
    full = search_ids(crowd, "a")
    monkeypatch.setattr(selection_module, "_MAX_BUCKET_STEPS", 1)
    assert search_ids(crowd, "a", limit=150) == full[:150]


@pytest.fixture()
def base(ref_crm: CRM) -> CRM:
    build_base(ref_crm)
    return ref_crm


def test_without_text_contacts_come_by_name(base: CRM) -> None:
    assert ids_by_name(base, search_ids(base)) == [
        "Anna Nowak", "Ewa Kowalska", "Firma Berlin GmbH", "Jan Nowakowski", "Żółć Sp. z o.o.",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("sort", "names"),
    [
        (["-created_at"], ["Ewa Kowalska", "Jan Nowakowski", "Anna Nowak", "Żółć Sp. z o.o.",
                           "Firma Berlin GmbH"]),
        (["city", "name"], ["Anna Nowak", "Ewa Kowalska", "Jan Nowakowski", "Żółć Sp. z o.o.",
                            "Firma Berlin GmbH"]),
        (["-city", "-name"], ["Żółć Sp. z o.o.", "Jan Nowakowski", "Ewa Kowalska", "Anna Nowak",
                              "Firma Berlin GmbH"]),
        (["custom.budget"], ["Ewa Kowalska", "Jan Nowakowski", "Anna Nowak", "Żółć Sp. z o.o.",
                             "Firma Berlin GmbH"]),
        (["-custom.budget"], ["Anna Nowak", "Jan Nowakowski", "Ewa Kowalska", "Żółć Sp. z o.o.",
                              "Firma Berlin GmbH"]),
        (["kind", "-id"], ["Firma Berlin GmbH", "Żółć Sp. z o.o.", "Ewa Kowalska",
                           "Jan Nowakowski", "Anna Nowak"]),
    ],
)  # fmt: skip
def test_sort_orders_with_empty_values_last(base: CRM, sort: list[str], names: list[str]) -> None:
    assert ids_by_name(base, search_ids(base, sort=sort)) == names


def test_sort_with_text_replaces_the_ranking(base: CRM) -> None:
    assert ids_by_name(base, search_ids(base, "zolc", sort=["-name"])) == [
        "Żółć Sp. z o.o.", "Anna Nowak",
    ]  # fmt: skip


def test_sort_by_a_list_is_refused(base: CRM) -> None:
    with pytest.raises(CrmError, match="cannot sort by 'tags'"):
        search_ids(base, sort=["tags"])
    with pytest.raises(CrmError, match="unknown filter field 'colour'"):
        search_ids(base, sort=["colour"])


def test_limits(base: CRM) -> None:
    assert len(search_ids(base, limit=2)) == 2
    assert search_ids(base, limit=0) == []
    assert search_ids(base, "now", limit=1) == search_ids(base, "now")[:1]
    with pytest.raises(CrmError, match="--limit"):
        search_ids(base, limit=-1)


def test_export_order_puts_organizations_first(base: CRM) -> None:
    selection = compile_query(base.store.conn, Query(), default_order=EXPORT_ORDER)
    assert ids_by_name(base, list(selection.ids())) == [
        "Żółć Sp. z o.o.", "Firma Berlin GmbH", "Anna Nowak", "Jan Nowakowski", "Ewa Kowalska",
    ]  # fmt: skip
    limited = compile_query(base.store.conn, Query(limit=3), default_order=EXPORT_ORDER)
    assert len(list(limited.ids())) == 3


def test_known_ids_by_name_or_sort(base: CRM, tmp_path: Path) -> None:
    ids = search_ids(base)
    assert list(select_ids(base.store.conn, list(reversed(ids))).ids()) == ids
    by_id = list(select_ids(base.store.conn, ids, sort=["-id"], limit=2).ids())
    assert by_id == sorted(ids, reverse=True)[:2]

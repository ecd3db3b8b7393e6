"""Saved views: per user, checked when saved, and applied under the given options."""

from __future__ import annotations

import pytest
from crm_calls import search_ids
from search_builders import build_base, ids_by_name

import crmkit
from crmkit import CRM
from crmkit.errors import CrmError, NotFound


@pytest.fixture()
def base(ref_crm: CRM) -> CRM:
    build_base(ref_crm)
    return ref_crm


def as_user(crm: CRM, user: str | None) -> CRM:
    other = crmkit.open(crm.store.path, user=user)
    return other


def test_save_list_use_and_delete(base: CRM) -> None:
    jan = as_user(base, "Jan Kowalski")
    view = jan.views.save(
        "gliwice vip", columns="name,phones", filters=["city=Gliwice", "tag=VIP"]
    ).to_record()
    assert view == {
        "name": "gliwice vip",
        "columns": ["name", "phones"],
        "filters": ["city=Gliwice", "tag=VIP"],
        "sort": [],
    }
    assert [v.name for v in jan.views.list()] == ["gliwice vip"]
    assert ids_by_name(jan, search_ids(jan, view="gliwice vip")) == ["Anna Nowak"]
    jan.views.delete("gliwice vip")
    assert jan.views.list() == []
    jan.close()


def test_views_belong_to_their_user(base: CRM) -> None:
    jan, piotr = as_user(base, "Jan Kowalski"), as_user(base, "Piotr Maj")
    jan.views.save("mine", filters="tag=VIP")
    assert piotr.views.list() == []
    assert base.views.list() == []
    with pytest.raises(NotFound, match="'Piotr Maj' has no view named 'mine'"):
        search_ids(piotr, view="mine")
    piotr.views.save("mine", filters="tag=Lead")
    assert ids_by_name(jan, search_ids(jan, view="mine")) == ["Anna Nowak", "Żółć Sp. z o.o."]
    assert ids_by_name(piotr, search_ids(piotr, view="mine")) == ["Jan Nowakowski"]
    base.views.save("shared", sort="-created_at")
    assert [v.name for v in base.views.list()] == ["shared"]
    jan.close()
    piotr.close()


def test_saving_again_replaces(base: CRM) -> None:
    base.views.save("v", filters="tag=VIP")
    base.views.save("v", columns=["name"], sort=["name"])
    assert [v.to_record() for v in base.views.list()] == [
        {"name": "v", "columns": ["name"], "filters": [], "sort": ["name"]}
    ]


def test_options_go_on_top_of_the_view(base: CRM) -> None:
    base.views.save("vip", filters="tag=VIP", sort="-name", columns="name")
    assert ids_by_name(base, search_ids(base, view="vip")) == ["Żółć Sp. z o.o.", "Anna Nowak"]
    assert ids_by_name(base, search_ids(base, view="vip", filters="kind=person")) == ["Anna Nowak"]
    assert ids_by_name(base, search_ids(base, view="vip", sort="name")) == [
        "Anna Nowak",
        "Żółć Sp. z o.o.",
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"filters": "colour=red"}, "unknown filter field 'colour'"),
        ({"columns": "name,shoe_size"}, "unknown column 'shoe_size'"),
        ({"sort": "tags"}, "cannot sort by 'tags'"),
        ({}, "a view needs --columns, --filter or --sort"),
    ],
)
def test_bad_views_are_not_saved(base: CRM, kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(CrmError, match=message):
        base.views.save("bad", **kwargs)  # type: ignore[arg-type]
    assert base.views.list() == []


def test_a_view_needs_a_name(base: CRM) -> None:
    with pytest.raises(CrmError, match="needs a name"):
        base.views.save("  ", filters="tag=VIP")


def test_deleting_an_unknown_view_names_the_known_ones(base: CRM) -> None:
    base.views.save("a", filters="tag=VIP")
    with pytest.raises(NotFound, match=r"no view named 'b' \(views: a\)"):
        base.views.delete("b")

"""Saved views: per user, checked when saved, and applied under the given options."""

from __future__ import annotations

import pytest
from search_builders import build_base, ids_by_name

from crmkit import CRM, open_crm
from crmkit.errors import CrmError, NotFound


@pytest.fixture()
def base(ref_crm: CRM) -> CRM:
    build_base(ref_crm)
    return ref_crm


def as_user(crm: CRM, user: str | None) -> CRM:
    other = open_crm(crm.store.path, user=user)
    return other


def test_save_list_use_and_delete(base: CRM) -> None:
    jan = as_user(base, "Jan Kowalski")
    view = jan.save_view("gliwice vip", columns="name,phones", filters=["city=Gliwice", "tag=VIP"])
    assert view == {
        "name": "gliwice vip",
        "columns": ["name", "phones"],
        "filters": ["city=Gliwice", "tag=VIP"],
        "sort": [],
    }
    assert [v["name"] for v in jan.views()] == ["gliwice vip"]
    assert ids_by_name(jan, jan.search_ids(view="gliwice vip")) == ["Anna Nowak"]
    jan.delete_view("gliwice vip")
    assert jan.views() == []
    jan.close()


def test_views_belong_to_their_user(base: CRM) -> None:
    jan, piotr = as_user(base, "Jan Kowalski"), as_user(base, "Piotr Maj")
    jan.save_view("mine", filters="tag=VIP")
    assert piotr.views() == []
    assert base.views() == []
    with pytest.raises(NotFound, match="'Piotr Maj' has no view named 'mine'"):
        piotr.search_ids(view="mine")
    piotr.save_view("mine", filters="tag=Lead")
    assert ids_by_name(jan, jan.search_ids(view="mine")) == ["Anna Nowak", "Żółć Sp. z o.o."]
    assert ids_by_name(piotr, piotr.search_ids(view="mine")) == ["Jan Nowakowski"]
    base.save_view("shared", sort="-created_at")
    assert [v["name"] for v in base.views()] == ["shared"]
    jan.close()
    piotr.close()


def test_saving_again_replaces(base: CRM) -> None:
    base.save_view("v", filters="tag=VIP")
    base.save_view("v", columns=["name"], sort=["name"])
    assert base.views() == [{"name": "v", "columns": ["name"], "filters": [], "sort": ["name"]}]


def test_options_go_on_top_of_the_view(base: CRM) -> None:
    base.save_view("vip", filters="tag=VIP", sort="-name", columns="name")
    assert ids_by_name(base, base.search_ids(view="vip")) == ["Żółć Sp. z o.o.", "Anna Nowak"]
    assert ids_by_name(base, base.search_ids(view="vip", filters="kind=person")) == ["Anna Nowak"]
    assert ids_by_name(base, base.search_ids(view="vip", sort="name")) == [
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
        base.save_view("bad", **kwargs)  # type: ignore[arg-type]
    assert base.views() == []


def test_a_view_needs_a_name(base: CRM) -> None:
    with pytest.raises(CrmError, match="needs a name"):
        base.save_view("  ", filters="tag=VIP")


def test_deleting_an_unknown_view_names_the_known_ones(base: CRM) -> None:
    base.save_view("a", filters="tag=VIP")
    with pytest.raises(NotFound, match=r"no view named 'b' \(views: a\)"):
        base.delete_view("b")

"""`crm serve`: the base in Datasette, driven through Datasette's own test client."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from test_formats_suggest import examples_base

from crmkit import CRM
from crmkit.errors import CrmError
from crmkit.serve import make_datasette

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture()
def base(tmp_path: Path) -> CRM:
    crm = examples_base(tmp_path / "crm.db")
    crm.imports.run(EXAMPLES / "kontakty.csv", mapping=EXAMPLES / "map.yaml")
    crm.imports.run(EXAMPLES / "poczta.mbox")
    return crm


def get(datasette: Any, url: str) -> Any:
    return asyncio.run(datasette.client.get(url))


def test_tables_have_titles_and_internal_ones_are_hidden(base: CRM) -> None:
    datasette = make_datasette(base.path)
    tables = {t["name"]: t for t in get(datasette, "/crm.json").json()["tables"]}
    assert tables["contacts_fts"]["hidden"] and tables["import_touches"]["hidden"]
    assert not tables["contacts"]["hidden"]
    page = get(datasette, "/crm/contacts_overview")
    assert page.status_code == 200
    assert "Contacts at a glance" in page.text


def test_the_overview_is_faceted_by_stage_city_tags_and_guardians(base: CRM) -> None:
    datasette = make_datasette(base.path)
    data = get(datasette, "/crm/contacts_overview.json?_extra=facet_results").json()
    facets = data["facet_results"]
    facets = facets.get("results", facets)
    assert {"stage", "city", "tags", "guardians"} <= set(facets)
    cities = {item["value"]: item["count"] for item in facets["city"]["results"]}
    assert cities["Gliwice"] >= 5
    tags = {item["value"]: item["count"] for item in facets["tags"]["results"]}
    assert tags["VIP"] == len(base.contacts.search(filters={"tag": "VIP"}, include_hidden=True))
    guardians = {item["value"] for item in facets["guardians"]["results"]}
    assert guardians == {"Jan Kowalski", "Piotr Maj", "Anna Zając"}


def test_caller_lookup_reads_any_spelling_of_the_number(base: CRM) -> None:
    datasette = make_datasette(base.path)
    found = get(datasette, "/crm/caller.json?number=0048+601-234-567&_shape=array").json()
    assert [row["name"] for row in found] == ["Anna Nowak"]


def test_timeline_query_and_the_card_page(base: CRM) -> None:
    datasette = make_datasette(base.path)
    anna = base.contacts.search(filters={"external_id": "K-1001"})[0].id
    rows = get(datasette, f"/crm/timeline.json?contact_id={anna}&_shape=array").json()
    assert [row["subject"] for row in rows] == [
        "Re: Awaria drukarki w biurze",
        "Awaria drukarki w biurze",
    ]
    listing = get(datasette, "/crm/contacts?id=" + str(anna))
    assert f'href="/-/card/{anna}"' in listing.text
    card = get(datasette, f"/-/card/{anna}")
    assert card.status_code == 200
    assert "Anna Nowak" in card.text and "Prezes zarządu" in card.text
    assert get(datasette, "/-/card/99999").status_code == 404


def test_a_missing_base_is_a_sentence(tmp_path: Path) -> None:
    with pytest.raises(CrmError, match="does not exist"):
        make_datasette(tmp_path / "none.db")

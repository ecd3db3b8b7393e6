"""Tags, users and custom fields: created explicitly, matched by trimmed case-insensitive name."""

from __future__ import annotations

import pytest

from crmkit import CRM
from crmkit.errors import CrmError
from crmkit.reference import user_id
from crmkit.store.sqlite.reference import tag_ids


def test_tags_are_trimmed_and_unique_case_insensitively(crm: CRM) -> None:
    assert [tag.name for tag in crm.tags.add("  VIP  Gold ")] == ["VIP Gold"]
    with pytest.raises(CrmError, match="already exists"):
        crm.tags.add("vip gold")
    assert tag_ids(crm.store) == {"vip gold": 1}


@pytest.mark.parametrize("name", ["", "   ", "A | B"])
def test_bad_tag_names(crm: CRM, name: str) -> None:
    with pytest.raises(CrmError):
        crm.tags.add(name)


def test_users_are_matched_by_name_key(crm: CRM) -> None:
    crm.users.add("Jan Kowalski", email="jan@firma.pl")
    assert user_id(crm.store, " jan  KOWALSKI ") == 1
    with pytest.raises(CrmError, match="no user named"):
        user_id(crm.store, "Jan Nowak")


def test_field_definitions(crm: CRM) -> None:
    field = crm.fields.add(
        "industry", type="multiselect", label="Branża", options=["IT", " it ", "Handel"]
    )
    assert field.options == ["IT", "Handel"]
    crm.fields.add("since", type="date", applies_to="organization", required=True)
    listed = {f.key: f for f in crm.fields.list()}
    assert listed["since"].required and listed["since"].applies_to == "organization"
    assert not listed["since"].applies("person")


@pytest.mark.parametrize(
    ("args", "options", "message"),
    [
        (("Bad Key", "text"), None, "must start with a letter"),
        (("colour", "color"), None, "unknown field type"),
        (("choice", "select"), None, "needs at least one --option"),
        (("note2", "text"), ["a"], "only select and multiselect"),
    ],
)
def test_bad_field_definitions(
    crm: CRM, args: tuple[str, str], options: list[str] | None, message: str
) -> None:
    with pytest.raises(CrmError, match=message):
        key, type_name = args
        crm.fields.add(key, type=type_name, options=options)


def test_field_for_must_be_known(crm: CRM) -> None:
    with pytest.raises(CrmError, match="--for must be"):
        crm.fields.add("x", type="text", applies_to="robots")
    crm.fields.add("x", type="text")
    with pytest.raises(CrmError, match="already exists"):
        crm.fields.add("x", type="number")

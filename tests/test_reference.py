"""Tags, users and custom fields: created explicitly, matched by trimmed case-insensitive name."""

from __future__ import annotations

import pytest

from crmkit import CRM
from crmkit.errors import CrmError
from crmkit.reference import tag_ids, user_id


def test_tags_are_trimmed_and_unique_case_insensitively(crm: CRM) -> None:
    assert crm.add_tag("  VIP  Gold ").name == "VIP Gold"
    with pytest.raises(CrmError, match="already exists"):
        crm.add_tag("vip gold")
    assert tag_ids(crm.store) == {"vip gold": 1}


@pytest.mark.parametrize("name", ["", "   ", "A | B"])
def test_bad_tag_names(crm: CRM, name: str) -> None:
    with pytest.raises(CrmError):
        crm.add_tag(name)


def test_users_are_matched_by_name_key(crm: CRM) -> None:
    crm.add_user("Jan Kowalski", "jan@firma.pl")
    assert user_id(crm.store, " jan  KOWALSKI ") == 1
    with pytest.raises(CrmError, match="no user named"):
        user_id(crm.store, "Jan Nowak")


def test_field_definitions(crm: CRM) -> None:
    field = crm.add_field(
        "industry", "multiselect", label="Branża", options=["IT", " it ", "Handel"]
    )
    assert field.options == ["IT", "Handel"]
    crm.add_field("since", "date", applies_to="organization", required=True)
    listed = {f.key: f for f in crm.fields()}
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
        crm.add_field(*args, options=options)


def test_field_for_must_be_known(crm: CRM) -> None:
    with pytest.raises(CrmError, match="--for must be"):
        crm.add_field("x", "text", applies_to="robots")
    crm.add_field("x", "text")
    with pytest.raises(CrmError, match="already exists"):
        crm.add_field("x", "number")

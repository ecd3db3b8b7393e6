"""What creating a contact writes, worked out before it has an id."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from crmkit.store.sqlite.schema import CONTACT_COLUMNS
from crmkit.store.sqlite.writer.new_contacts import (
    _encoded_custom,
    new_contact,
    new_document,
    person_name,
    prepare_contact,
)
from crmkit.store.sqlite.writer.updates import encode_custom
from crmkit.targets import ContactDraft

NOW = "2026-01-01T00:00:00Z"
CUSTOM_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=False, allow_infinity=False, width=16),
    st.text(max_size=4),
    st.lists(st.text(max_size=3), max_size=3),
)


@given(st.lists(st.dictionaries(st.sampled_from("abc"), CUSTOM_VALUES, max_size=3), max_size=8))
def test_remembered_custom_encoding_is_the_encoder_s(customs: list[dict[str, Any]]) -> None:
    # Values equal in Python but not in JSON (True and 1, 1 and 1.0) must not share a text.
    for custom in [*customs, {"a": True}, {"a": 1}, {"a": 1.0}, {"a": -0.0}, {"a": 0}]:
        assert _encoded_custom(custom) == encode_custom(custom)


def test_person_name_is_derived() -> None:
    assert person_name("Anna", "Nowak") == "Anna Nowak"
    assert person_name(None, "Nowak") == "Nowak"


def test_a_person_s_row_and_document() -> None:
    draft = ContactDraft(
        scalars={"first_name": "Żaneta", "last_name": "Nowak", "city": "Łódź", "vip": True},
        phones=[("+48601234567", "mobile", None)],
        emails=[("zaneta@example.pl", "work")],
        custom={"industry": ["IT"], "note_field": None},
    )
    row, document = prepare_contact(draft, "person", NOW, {"consent": False})
    values = dict(zip(CONTACT_COLUMNS, row, strict=True))
    assert values["kind"] == "person" and values["name"] == "Żaneta Nowak"
    assert json.loads(values["custom"]) == {"industry": ["IT"], "consent": False}
    assert values["vip"] == 1 and values["hidden"] == 0
    assert values["created_at"] == values["updated_at"] == NOW
    _, sort_key, indexed_name, body = document
    assert sort_key == indexed_name == "zaneta nowak"
    assert body.split() == ["lodz", "zaneta@example.pl", "48601234567", "601234567"]


def test_an_organization_without_a_name_gets_an_empty_one() -> None:
    row, _ = prepare_contact(ContactDraft(scalars={"nip": "5260250274"}), "organization", NOW)
    assert dict(zip(CONTACT_COLUMNS, row, strict=True))["name"] == ""


def test_new_contact_keeps_what_the_writer_inserts() -> None:
    draft = ContactDraft(
        phones=[("+48601234567", "mobile", None)],
        emails=[("a@example.pl", None)],
        tags=[1, 2],
        guardians=[3],
        organizations=[("Firma", None, None)],
    )
    prepared = prepare_contact(draft, "person", NOW)
    new = new_contact(draft, prepared, 42)
    assert new[:2] == prepared
    assert new[2:] == (draft.phones, draft.emails, [1, 2], [3], None, draft.organizations, 42)


def test_a_document_left_to_the_writer_comes_out_the_same() -> None:
    draft = ContactDraft(
        scalars={"first_name": "Łucja", "last_name": "Nowak2", "city": "Łódź"},
        phones=[("+48601234567", "mobile", None), ("+4930123456", "work", "biuro")],
        emails=[("l.nowak@example.pl", "work")],
    )
    whole = prepare_contact(draft, "person", NOW)
    row, document = prepare_contact(draft, "person", NOW, document=False)
    assert document is None and row == whole[0]
    assert new_document(new_contact(draft, (row, None))) == whole[1]
    assert new_document(new_contact(draft, whole)) is whole[1]

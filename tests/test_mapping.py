"""The YAML mapping is checked completely before an import writes anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmkit.errors import CrmError
from crmkit.mapping import load_mapping, parse_mapping
from crmkit.model import CustomField

DATA = Path(__file__).parent / "data"
FIELDS = {
    "industry": CustomField(
        id=1, key="industry", type="multiselect", label="Branża", options=["IT"]
    )
}


def test_example_mapping_loads_with_its_settings() -> None:
    mapping = load_mapping(DATA / "basic_map.yaml")
    assert mapping.target == "contacts"
    assert mapping.timezone == "Europe/Warsaw"
    assert mapping.columns is not None
    assert mapping.columns["Stara kolumna"] is None
    assert mapping.settings.region == "PL"


def test_broken_yaml_names_file_and_line() -> None:
    with pytest.raises(CrmError, match=r"broken_map.yaml is not valid YAML at line \d+"):
        load_mapping(DATA / "broken_map.yaml")


def test_missing_mapping_file_is_a_clear_error() -> None:
    with pytest.raises(CrmError, match="does not exist"):
        load_mapping(DATA / "nope.yaml")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([1, 2], "must be a YAML mapping"),
        ({"columns": {"A": "first_name"}, "colour": "red"}, "unknown setting 'colour'"),
        ({"target": "deals", "columns": {"A": "name"}}, "must be contacts, events or records"),
        ({"kind": "robot", "columns": {"A": "name"}}, "kind must be person or organization"),
        ({"region": "XX", "columns": {"A": "name"}}, "region 'XX'"),
        ({"timezone": "Mars/Olympus", "columns": {"A": "name"}}, "timezone 'Mars/Olympus'"),
        ({"dayfirst": "maybe", "columns": {"A": "name"}}, "dayfirst must be true or false"),
        ({"match": ["colour"], "columns": {"A": "name"}}, "cannot match on 'colour'"),
        ({"target": "contacts"}, "has no columns"),
        ({"columns": {"A": 5}}, "target of column 'A'"),
    ],
)
def test_invalid_settings_are_refused(data: object, message: str) -> None:
    with pytest.raises(CrmError, match=message):
        parse_mapping(data)


def test_unknown_target_names_column_and_valid_targets() -> None:
    mapping = load_mapping(DATA / "unknown_target_map.yaml")
    with pytest.raises(CrmError) as error:
        mapping.resolve_contact_columns(["Imię", "Nazwisko"], FIELDS)
    assert "column 'Nazwisko'" in str(error.value)
    assert "unknown target 'surname'" in str(error.value)
    assert "first_name" in str(error.value)


def test_column_missing_from_file_is_named() -> None:
    mapping = load_mapping(DATA / "missing_column_map.yaml")
    with pytest.raises(CrmError, match="column 'PESEL' is not in the file"):
        mapping.resolve_contact_columns(["Imię", "Nazwisko"], FIELDS)


def test_unnamed_columns_are_reported_as_ignored_and_null_is_silent() -> None:
    mapping = parse_mapping({"columns": {"A": "first_name", "B": None}})
    pairs, ignored = mapping.resolve_contact_columns(["A", "B", "C"], FIELDS)
    assert [target.kind for _, target in pairs] == ["text", "ignore", "ignore"]
    assert ignored == ["C"]


def test_without_columns_headers_that_are_targets_map_to_themselves() -> None:
    mapping = parse_mapping({"columns": {"x": "name"}})
    mapping.columns = None
    pairs, ignored = mapping.resolve_contact_columns(
        ["first_name", "phone.work", "custom.industry", "Notatka"], FIELDS
    )
    assert [target.name for _, target in pairs][:3] == [
        "first_name",
        "phone.work",
        "custom.industry",
    ]
    assert ignored == ["Notatka"]


def test_unknown_custom_field_lists_defined_ones() -> None:
    mapping = parse_mapping({"columns": {"A": "custom.colour"}})
    with pytest.raises(CrmError, match="unknown custom field 'colour'.*industry"):
        mapping.resolve_contact_columns(["A"], FIELDS)

"""Target names: checked once against the schema, with helpful refusals."""

from __future__ import annotations

import pytest

from crmkit.errors import CrmError
from crmkit.model import CustomField
from crmkit.targets import ConversionSettings, convert_custom, resolve_target

FIELDS = {
    "industry": CustomField(id=1, key="industry", type="multiselect", label="B", options=["IT"]),
    "budget": CustomField(id=2, key="budget", type="number", label="Budżet"),
    "start": CustomField(id=3, key="start", type="date", label="Start"),
    "www": CustomField(id=4, key="www", type="url", label="WWW"),
}


@pytest.mark.parametrize(
    ("name", "kind", "sub"),
    [
        ("first_name", "text", None),
        ("phone.home_fax", "phone", "home_fax"),
        ("phone", "phone", "other"),
        ("email.biuro", "email", "biuro"),
        ("address.postal_code", "address", "postal_code"),
        ("city", "address", "city"),
        ("tag", "tags", None),
        ("custom.industry", "custom", "industry"),
        ("nip", "identifier", None),
        ("vip", "flag", None),
        ("kind", "contact_kind", None),
        ("id", "ignore", None),
    ],
)
def test_known_targets(name: str, kind: str, sub: str | None) -> None:
    target = resolve_target(name, FIELDS)
    assert (target.kind, target.sub) == (kind, sub)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("surname", "unknown target 'surname'; valid targets are: first_name"),
        ("phone.pager", "unknown phone type 'pager'"),
        ("custom.colour", "unknown custom field 'colour'"),
    ],
)
def test_unknown_targets(name: str, message: str) -> None:
    with pytest.raises(CrmError, match=message):
        resolve_target(name, FIELDS)


def test_custom_values_follow_the_field_type() -> None:
    settings = ConversionSettings()
    assert convert_custom(FIELDS["budget"], "1 234,50", settings) == 1234.5
    assert convert_custom(FIELDS["start"], "05.03.2024", settings) == "2024-03-05"
    assert convert_custom(FIELDS["www"], "www.example.pl", settings) == "https://www.example.pl"
    assert convert_custom(FIELDS["industry"], "IT | Handel", settings) == ["IT", "Handel"]


def test_columns_written_are_the_mapped_scalars_and_the_ones_always_set() -> None:
    from crmkit.targets import contact_columns_written

    targets = [resolve_target(name, {}) for name in ("first_name", "city", "nip", "tags", "vip")]
    assert contact_columns_written(targets) == (
        "kind",
        "first_name",
        "name",
        "city",
        "nip",
        "custom",
        "vip",
        "hidden",
        "created_at",
        "updated_at",
    )

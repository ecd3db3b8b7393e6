"""Rows of raw cells become drafts of canonical values, or named row problems."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit import CRM
from crmkit.drafts import LEFT_OUT, DraftBuilder
from crmkit.store.sqlite.reference import fields_by_key
from crmkit.targets import ConversionSettings, resolve_target

WARSAW = ConversionSettings(region="PL", timezone="Europe/Warsaw")


def builder(crm: CRM, targets: list[str], **options: object) -> DraftBuilder:
    fields = fields_by_key(crm.store)
    columns = [(f"col {t}", resolve_target(t, fields)) for t in targets]
    return DraftBuilder(crm.store, columns, WARSAW, **options)  # type: ignore[arg-type]


def test_every_kind_of_value(ref_crm: CRM) -> None:
    b = builder(
        ref_crm,
        [
            "first_name",
            "phone.work",
            "email.home",
            "address.city",
            "tags",
            "guardians",
            "custom.industry",
            "custom.consent",
            "created_at",
            "vip",
            "organization",
        ],
    )
    draft, problems = b.build(
        [
            " Anna ",
            "(22) 113-14-15 | 601 234 567",
            "a@b.pl",
            "Łódź",
            "vip | Lead",
            "piotr maj",
            "it | handel",
            "✓",
            "05.07.2024 14:30",
            "tak",
            "ACME",
        ],
        "person",
    )
    assert problems == [] and draft is not None
    assert draft.scalars["first_name"] == "Anna" and draft.scalars["city"] == "Łódź"
    assert draft.phones == [("+48221131415", "work", None), ("+48601234567", "work", None)]
    assert draft.emails == [("a@b.pl", "home")]
    assert draft.tags == [1, 3] and draft.guardians == [2]
    assert draft.custom == {"industry": ["IT", "Handel"], "consent": True}
    assert draft.scalars["created_at"] == "2024-07-05T12:30:00Z"
    assert draft.scalars["vip"] is True
    assert draft.organizations == [("ACME", None, None)]


def test_each_bad_cell_is_its_own_error(ref_crm: CRM) -> None:
    b = builder(ref_crm, ["phone.mobile", "created_at", "custom.consent", "email", "pesel"])
    draft, problems = b.build(["123", "31.02.2024", "może", "nie-email", "44051401358"], "person")
    assert draft is None
    assert [(p[1], p[2]) for p in problems] == [
        ("col phone.mobile", "123"),
        ("col created_at", "31.02.2024"),
        ("col custom.consent", "może"),
        ("col email", "nie-email"),
        ("col pesel", "44051401358"),
    ]
    assert all(p[0] == "error" for p in problems)


def test_unknown_names_warn_by_default_and_fail_when_strict(ref_crm: CRM) -> None:
    lenient = builder(ref_crm, ["tags", "custom.industry"])
    draft, problems = lenient.build(["VIP | Złoty", "IT | Rolnictwo"], "person")
    assert draft is not None and draft.tags == [1] and draft.custom["industry"] == ["IT"]
    # Left out values are summed up by the importer (one warning per missing thing).
    assert problems == [
        (LEFT_OUT, "col tags", "Złoty", "tag"),
        (LEFT_OUT, "col custom.industry", "Rolnictwo", "option:industry"),
    ]
    strict = builder(ref_crm, ["tags"], unknown="strict")
    draft, problems = strict.build(["Złoty"], "person")
    assert draft is None and "unknown tag 'Złoty'" in problems[0][3]


def test_empty_cells_are_left_out_unless_they_clear(ref_crm: CRM) -> None:
    b = builder(ref_crm, ["first_name", "tags", "phone.mobile"])
    draft, _ = b.build(["", "  ", ""], "person")
    assert draft is not None and draft.is_empty() is False  # kind is set
    assert draft.scalars == {} and draft.tags is None and draft.phone_types == set()
    clearing = builder(ref_crm, ["first_name", "tags", "phone.mobile"], empty_clears=True)
    draft, _ = clearing.build(["", "", ""], "person")
    assert draft is not None
    assert (
        draft.scalars == {"first_name": None}
        and draft.tags == []
        and draft.phone_types == {"mobile"}
    )


def test_required_fields_and_names_on_creation(crm: CRM) -> None:
    crm.fields.add("contract", type="text", required=True, applies_to="organization")
    b = builder(crm, ["name"])
    draft, _ = b.build(["ACME"], "organization")
    assert draft is not None
    assert [p[3] for p in b.missing_required(draft, "organization")] == [
        "required field 'contract' is empty"
    ]
    assert b.missing_required(draft, "person") == []
    nameless, _ = builder(crm, ["stage"]).build(["lead"], "person")
    assert nameless is not None
    assert "needs a first_name" in b.missing_required(nameless, "person")[0][3]


def test_field_for_the_other_kind_is_rejected(crm: CRM) -> None:
    crm.fields.add("krs_note", type="text", applies_to="organization")
    draft, problems = builder(crm, ["custom.krs_note"]).build(["x"], "person")
    assert draft is None and "for organizations only" in problems[0][3]


PL_MOBILE = st.integers(min_value=0, max_value=999_999).map(lambda n: f"601{n:06d}")
STYLES = [
    lambda n: n,
    lambda n: f"+48 {n[:3]} {n[3:6]} {n[6:]}",
    lambda n: f"{n[:3]}-{n[3:6]}-{n[6:]}",
    lambda n: f"0048{n}",
    lambda n: f"(+48) {n[:2]} {n[2:5]} {n[5:7]} {n[7:]}",
    lambda n: f"48{n}",
]


@settings(max_examples=50, deadline=None)
@given(number=PL_MOBILE, style=st.sampled_from(STYLES))
def test_any_phone_style_gives_the_same_draft(
    tmp_path_factory: pytest.TempPathFactory, number: str, style
) -> None:  # type: ignore[no-untyped-def]
    import crmkit

    with crmkit.open(tmp_path_factory.mktemp("db") / "crm.db") as crm:
        draft, problems = builder(crm, ["phone.mobile"]).build([style(number)], "person")
    assert problems == [] and draft is not None
    assert draft.phones == [(f"+48{number}", "mobile", None)]

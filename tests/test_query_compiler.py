"""Filters compiled to SQL: every field kind, its operators, and what is refused."""

from __future__ import annotations

import pytest
from crm_calls import search_ids
from hypothesis import given, settings
from hypothesis import strategies as st
from search_builders import build_base, ids_by_name

from crmkit import CRM
from crmkit.errors import CrmError
from crmkit.query.filters import parse_filter
from crmkit.store.sqlite.query.compiler import FilterSettings, compile_filter, prepare_connection
from crmkit.store.sqlite.query.fields import QuerySchema


@pytest.fixture()
def base(ref_crm: CRM) -> CRM:
    build_base(ref_crm)
    return ref_crm


def found(crm: CRM, *filters: str, include_hidden: bool = False) -> list[str]:
    return sorted(
        ids_by_name(crm, search_ids(crm, filters=list(filters), include_hidden=include_hidden))
    )


@pytest.mark.parametrize(
    ("expression", "names"),
    [
        ("city=Gliwice", ["Anna Nowak", "Ewa Kowalska"]),
        ("city=GLIWICE", ["Anna Nowak", "Ewa Kowalska"]),
        ("city=łódź", ["Jan Nowakowski", "Żółć Sp. z o.o."]),
        ("address.city=Łódź", ["Jan Nowakowski", "Żółć Sp. z o.o."]),
        ("city~lodz", ["Jan Nowakowski", "Żółć Sp. z o.o."]),
        ("city!=Gliwice", ["Firma Berlin GmbH", "Jan Nowakowski", "Żółć Sp. z o.o."]),
        ("city=Gliwice | Kraków", ["Anna Nowak", "Ewa Kowalska"]),
        ("country=", ["Anna Nowak", "Ewa Kowalska", "Jan Nowakowski", "Żółć Sp. z o.o."]),
        ("country!=", ["Firma Berlin GmbH"]),
        ("name~NOWAK", ["Anna Nowak", "Jan Nowakowski"]),
        ("name=anna nowak", ["Anna Nowak"]),
        ("position=CEO", ["Anna Nowak"]),
        ("nip=526-000-12-46", ["Żółć Sp. z o.o."]),
        ("nip=PL5260001246", ["Żółć Sp. z o.o."]),
        ("kind=organization", ["Firma Berlin GmbH", "Żółć Sp. z o.o."]),
        ("kind!=organization", ["Anna Nowak", "Ewa Kowalska", "Jan Nowakowski"]),
        ("id>=5", ["Ewa Kowalska", "Firma Berlin GmbH"]),
        ("vip=yes", []),
        ("created_at>=2021", ["Ewa Kowalska", "Jan Nowakowski"]),
        ("created_at=2021-06", ["Jan Nowakowski"]),
        ("created_at=15.06.2021", ["Jan Nowakowski"]),
        ("created_at<2019", ["Firma Berlin GmbH"]),
        ("created_at>2020-01-01", ["Ewa Kowalska", "Jan Nowakowski"]),
        ("created_at>=2020-01-01 10:00", ["Anna Nowak", "Ewa Kowalska", "Jan Nowakowski"]),
        ("created_at=2020-01-01T10:00:00Z", ["Anna Nowak"]),
        ("tag=VIP", ["Anna Nowak", "Żółć Sp. z o.o."]),
        ("tags=vip | lead", ["Anna Nowak", "Jan Nowakowski", "Żółć Sp. z o.o."]),
        ("tag!=VIP", ["Ewa Kowalska", "Firma Berlin GmbH", "Jan Nowakowski"]),
        ("tag~kli", ["Ewa Kowalska"]),
        ("tag=", ["Firma Berlin GmbH"]),
        ("guardian=Jan Kowalski", ["Anna Nowak", "Ewa Kowalska"]),
        ("guardian=Piotr Maj", ["Ewa Kowalska"]),
        ("observer=piotr maj", ["Jan Nowakowski"]),
        ("observer!=", ["Jan Nowakowski"]),
        ("phone=601 234 567", ["Anna Nowak"]),
        ("phone=0048601234567", ["Anna Nowak"]),
        ("phone=+49 30 1234567", ["Firma Berlin GmbH"]),
        ("phone~1234", ["Anna Nowak", "Firma Berlin GmbH"]),
        ("phone.landline~221131", ["Jan Nowakowski"]),
        ("phone.mobile~221131", []),
        (
            "phone!=601234567",
            ["Ewa Kowalska", "Firma Berlin GmbH", "Jan Nowakowski", "Żółć Sp. z o.o."],
        ),
        ("email=ANNA.NOWAK@example.pl", ["Anna Nowak"]),
        ("email~example", ["Anna Nowak"]),
        ("email.work~anna", ["Anna Nowak"]),
        ("email.home~anna", []),
        ("organization=żółć sp. z o.o.", ["Anna Nowak"]),
        ("organization=5260001246", ["Anna Nowak"]),
        ("organization~zolc", ["Anna Nowak"]),
        (
            "organization=",
            ["Ewa Kowalska", "Firma Berlin GmbH", "Jan Nowakowski", "Żółć Sp. z o.o."],
        ),
        ("member~nowak", ["Żółć Sp. z o.o."]),
        ("custom.budget>100", ["Anna Nowak"]),
        ("custom.budget<=99.5", ["Ewa Kowalska", "Jan Nowakowski"]),
        ("custom.budget=99,5", ["Jan Nowakowski"]),
        ("custom.budget<0", ["Ewa Kowalska"]),
        ("custom.budget=", ["Firma Berlin GmbH", "Żółć Sp. z o.o."]),
        ("custom.since=2024", ["Anna Nowak"]),
        ("custom.since<2024-01-01", ["Jan Nowakowski"]),
        ("custom.since>=31.12.2023", ["Anna Nowak", "Jan Nowakowski"]),
        ("custom.last_call=2024-03-05", ["Anna Nowak"]),
        ("custom.last_call>2024-03-05 14:00", ["Anna Nowak"]),
        ("custom.consent=yes", ["Anna Nowak"]),
        (
            "custom.consent=nie",
            ["Ewa Kowalska", "Firma Berlin GmbH", "Jan Nowakowski", "Żółć Sp. z o.o."],
        ),
        (
            "custom.consent!=tak",
            ["Ewa Kowalska", "Firma Berlin GmbH", "Jan Nowakowski", "Żółć Sp. z o.o."],
        ),
        ("custom.tier=GOLD", ["Anna Nowak"]),
        ("custom.tier=gold | silver", ["Anna Nowak", "Jan Nowakowski"]),
        ("custom.tier~sil", ["Jan Nowakowski"]),
        ("custom.industry=IT", ["Anna Nowak", "Żółć Sp. z o.o."]),
        ("custom.industry=handel", ["Anna Nowak"]),
        ("custom.industry!=IT", ["Ewa Kowalska", "Firma Berlin GmbH", "Jan Nowakowski"]),
        ("custom.industry~han", ["Anna Nowak"]),
        ("custom.industry=", ["Ewa Kowalska", "Firma Berlin GmbH", "Jan Nowakowski"]),
        ("custom.motto~HOME", ["Ewa Kowalska"]),
        ("custom.site~kowalska.pl", ["Ewa Kowalska"]),
    ],
)
def test_filters_select_the_right_contacts(base: CRM, expression: str, names: list[str]) -> None:
    assert found(base, expression) == sorted(names)


def test_filters_are_anded(base: CRM) -> None:
    assert found(base, "city=Gliwice", "tag=VIP") == ["Anna Nowak"]
    assert found(base, "city=Gliwice", "tag=Lead") == []


def test_hidden_contacts_only_when_asked(base: CRM) -> None:
    assert found(base, "city=Kraków") == []
    assert found(base, "city=Kraków", include_hidden=True) == ["Łukasz Żółć"]
    assert found(base, "hidden=yes") == ["Łukasz Żółć"]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("colour=red", "unknown filter field 'colour'; valid fields are: id, kind"),
        ("custom.nope=1", "unknown custom field 'nope'"),
        ("phone.pager=1", "unknown phone type 'pager'"),
        ("tag=Nieznany", "no tag named 'Nieznany' (tags: Klient, Lead, Newsletter, VIP)"),
        ("guardian=Nobody", "no user named 'Nobody'"),
        ("custom.tier=Bronze", "'Bronze' is not an option of tier (options: Gold, Silver)"),
        ("custom.industry=Rolnictwo", "is not an option of industry"),
        ("city>Gliwice", "operator > does not apply to city"),
        ("tag<VIP", "operator < does not apply to tag"),
        ("custom.budget~1", "operator ~ does not apply to custom.budget"),
        ("custom.budget>lots", "'lots' is not a number"),
        ("created_at>soon", "'soon' is not a date or datetime"),
        ("custom.since=2024-13", "is not a date"),
        ("vip=maybe", "'maybe' is not yes or no"),
        ("kind=robot", "not a kind of contact"),
        ("phone=12", "'12' is not a valid phone number"),
        ("phone~abc", "no digits"),
        ("city~", "needs a value after ~"),
    ],
)
def test_wrong_filters_say_what_is_wrong(base: CRM, expression: str, message: str) -> None:
    with pytest.raises(CrmError) as error:
        search_ids(base, filters=[expression])
    assert message in str(error.value)


def test_unknown_field_lists_custom_fields_too(base: CRM) -> None:
    with pytest.raises(CrmError, match=r"custom\.budget.*custom\.tier"):
        search_ids(base, filters=["colour=red"])


def _snapshot(crm: CRM) -> list[object]:
    conn = crm.store.conn
    if getattr(crm.store, "dialect", "sqlite") == "postgresql":
        tables = conn.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = 'public' ORDER BY table_name, column_name"
        ).fetchall()
    else:
        tables = conn.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()
    rows = conn.execute("SELECT * FROM contacts ORDER BY id").fetchall()
    return [tables, rows]


@pytest.mark.parametrize(
    "expression",
    [
        "name=x' OR 1=1 --",
        'name=x" OR 1=1 --',
        "name=x'); DROP TABLE contacts; --",
        "city~%",
        "city~_",
        "custom.motto=x') OR json_extract(custom, '$.x') IS NULL --",
        "tag=VIP' OR '1'='1",
    ],
)
def test_injection_attempts_find_nothing_and_harm_nothing(base: CRM, expression: str) -> None:
    before = _snapshot(base)
    try:
        assert found(base, expression, include_hidden=True) == []
    except CrmError as error:
        assert "no tag named" in str(error)
    assert _snapshot(base) == before


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=20))
def test_values_never_reach_the_sql_text(text: str) -> None:
    import sqlite3

    value = "§" + text.replace("|", "/")  # "§" appears in no SQL the compiler writes
    conn = sqlite3.connect(":memory:")
    conn.executescript(
        "CREATE TABLE custom_fields (key TEXT, type TEXT, options TEXT, applies_to TEXT);"
        "INSERT INTO custom_fields VALUES ('motto', 'text', '[]', 'both');"
    )
    prepare_connection(conn)
    schema = QuerySchema(conn)
    for field in ("name", "city", "custom.motto", "email", "organization"):
        for op in ("=", "!=", "~"):
            predicate = compile_filter(
                parse_filter(f"{field}{op}{value}"), schema, FilterSettings()
            )
            assert "§" not in predicate.sql
            assert any("§" in str(param) for param in predicate.params)

"""Full-text search: folding, FTS query text, name-order row keys, and what searches find."""

from __future__ import annotations

import re

import pytest
from crm_calls import search_ids
from hypothesis import given
from hypothesis import strategies as st
from search_builders import build_base, ids_by_name

from crmkit import CRM
from crmkit.errors import CrmError
from crmkit.store.sqlite.query.fulltext import (
    ID_MASK,
    _code_bucket,
    bucket_bounds,
    fold_for_index,
    match_expression,
    name_bucket,
    name_rowid,
    split_letters_from_digits,
)
from crmkit.store.sqlite.query.pg_search import tsquery_text
from crmkit.values.names import fold_text


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Łódź", "lodz"),
        ("Żółć", "zolc"),
        ("ZAŻÓŁĆ GĘŚLĄ JAŹŃ", "zazolc gesla jazn"),
        ("anna.nowak12@example.pl", "anna.nowak 12@example.pl"),
        ("Firma2Go", "firma 2 go"),
        ("+48601234567", "+48601234567"),
    ],
)
def test_folding_for_the_index(text: str, folded: str) -> None:
    assert fold_for_index(text) == folded


@pytest.mark.parametrize(
    ("typed", "expression"),
    [
        ("Nowak", '"nowak"*'),
        ("łódź", '"lodz"*'),
        ("anna now", '"anna"* AND "now"*'),
        ("anna.nowak", '"anna nowak"*'),
        ("nowak12", '"nowak 12"*'),
        ("601 234 567", '"601234567"*'),
        ("+48 601-234-567", '"48601234567"*'),
        ("0048 601 234 567", '"48601234567"*'),
        ("(22) 113 14 15", '"22113141 5"*'.replace(" ", "")),
        ("Nowak 601 234", '"nowak"* AND "601234"*'),
        ('say "hi"', '"say"* AND "hi"*'),
        ("   ", None),
        ("...", None),
    ],
)
def test_match_expressions(typed: str, expression: str | None) -> None:
    assert match_expression(typed) == expression


@given(st.text(min_size=1))
def test_any_text_gives_a_safe_expression(text: str) -> None:
    expression = match_expression(text)
    if expression is not None:
        # Every phrase is quoted, so FTS5 operators typed by a user stay words.
        for phrase in expression.split(" AND "):
            assert phrase.startswith('"') and phrase.endswith('"*')


@pytest.mark.parametrize(
    ("expression", "tsquery"),
    [
        ('"nowak"*', "('nowak':*)"),
        ('"lodz"', "('lodz')"),
        ("lodz", "('lodz')"),
        ('"anna"* AND "now"*', "(('anna':*) & ('now':*))"),
        ('"anna" "now"*', "(('anna') & ('now':*))"),
        ('"anna nowak"*', "(('anna':A <-> 'nowak':*A) | ('anna':D <-> 'nowak':*D))"),
        ('name : ("anna nowak"* AND "gl"*)', "(('anna':A <-> 'nowak':*A) & ('gl':*A))"),
        ('("x"*) NOT name : ("x"*)', "(('x':*) & !('x':*A))"),
        ('"a" OR "b" AND "c"', "(('a') | (('b') & ('c')))"),
        ('"say ""hi"""', "(('say':A <-> 'hi':A) | ('say':D <-> 'hi':D))"),
        ('"ŁÓDŹ"', "('lodz')"),
    ],
)
def test_fts5_queries_as_tsqueries(expression: str, tsquery: str) -> None:
    assert tsquery_text(expression) == tsquery


@pytest.mark.parametrize("expression", ['"x" AND', '("x"', '"..."', "body2 : x", "NOT x"])
def test_unreadable_fts5_queries_are_refused(expression: str) -> None:
    with pytest.raises(ValueError):
        tsquery_text(expression)


@given(st.text(min_size=1))
def test_any_text_gives_a_tsquery_of_quoted_words(text: str) -> None:
    expression = match_expression(text)
    if expression is not None:
        for tsquery in (tsquery_text(expression), tsquery_text(f"name : ({expression})")):
            # Only quoted words of letters and digits reach PostgreSQL's query parser.
            outside = re.sub(r"'[^\W_]+'(:\*?A?D?)?", "", tsquery)
            assert set(outside) <= set("()&|!<-> ")


names = st.text(alphabet=st.sampled_from(list("abcxyz ąłżŻŁ-.09'\t~{é中")), max_size=10)


@given(names, names, st.integers(1, ID_MASK), st.integers(1, ID_MASK))
def test_row_keys_keep_name_order(first: str, second: str, id_a: int, id_b: int) -> None:
    a, b = fold_text(first), fold_text(second)
    key_a, key_b = name_rowid(a, id_a), name_rowid(b, id_b)
    assert key_a & ID_MASK == id_a
    if a < b:
        assert key_a >> 32 <= key_b >> 32
    low, high = bucket_bounds(key_a)
    assert low <= key_a < high


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_fast_path_splits_like_the_unicode_rule(text: str) -> None:
    from crmkit.store.sqlite.query.fulltext import _LETTER_DIGIT

    assert split_letters_from_digits(text) == _LETTER_DIGIT.sub(" ", text)


@given(names)
def test_remembered_buckets_equal_coded_ones(name: str) -> None:
    folded = fold_text(name)
    assert name_bucket(folded) == _code_bucket(folded)
    # Asked again, the answer comes from memory.
    assert name_bucket(folded) == _code_bucket(folded)


def test_row_key_refuses_ids_that_do_not_fit() -> None:
    with pytest.raises(ValueError):
        name_rowid("anna", ID_MASK + 1)


@pytest.fixture()
def base(ref_crm: CRM) -> CRM:
    build_base(ref_crm)
    return ref_crm


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("lodz", ["Jan Nowakowski", "Żółć Sp. z o.o."]),
        ("ŁÓDŹ", ["Jan Nowakowski", "Żółć Sp. z o.o."]),
        ("zolc", ["Żółć Sp. z o.o.", "Anna Nowak"]),
        ("now", ["Anna Nowak", "Jan Nowakowski"]),
        ("nowakowski", ["Jan Nowakowski"]),
        ("601234", ["Anna Nowak"]),
        ("48601234567", ["Anna Nowak"]),
        ("+48 601 234 567", ["Anna Nowak"]),
        ("22 113", ["Jan Nowakowski"]),
        ("301234567", ["Firma Berlin GmbH"]),
        ("anna.nowak@example", ["Anna Nowak"]),
        ("example.pl", ["Anna Nowak"]),
        ("gliwice", ["Anna Nowak", "Ewa Kowalska"]),
        ("anna gliwice", ["Anna Nowak"]),
        ("kowalsk", ["Ewa Kowalska"]),
        ("berlin", ["Firma Berlin GmbH"]),
        ("nobody", []),
    ],
)
def test_search_finds_contacts_the_way_people_remember_them(
    base: CRM, text: str, names: list[str]
) -> None:
    assert ids_by_name(base, search_ids(base, text)) == names


def test_search_skips_hidden_unless_asked(base: CRM) -> None:
    assert ids_by_name(base, search_ids(base, "lukasz")) == []
    assert ids_by_name(base, search_ids(base, "lukasz", include_hidden=True)) == ["Łukasz Żółć"]


@pytest.mark.parametrize(
    "text", ["a'b", 'x"y', "o'brien & !now", "x <-> y | :*", "back\\slash", "żółć:*A", "中文 ß"]
)
def test_odd_text_searches_safely(base: CRM, text: str) -> None:
    assert search_ids(base, text) == []
    assert search_ids(base, text, sort=["name"]) == []


def test_text_without_words_is_refused(base: CRM) -> None:
    with pytest.raises(CrmError, match="no letters or digits"):
        search_ids(base, "?!")


def test_the_index_follows_edits_and_deletes(base: CRM) -> None:
    anna = search_ids(base, "anna")[0]
    assert ids_by_name(base, search_ids(base, "nowak")) == ["Anna Nowak", "Jan Nowakowski"]
    base.contacts.edit(anna, {"last_name": "Zielińska", "address.city": "Opole"})
    # Her e-mail still says nowak, so she is found, after the name match.
    assert ids_by_name(base, search_ids(base, "nowak")) == ["Jan Nowakowski", "Anna Zielińska"]
    assert search_ids(base, "zielinska") == [anna]
    assert search_ids(base, "opole") == [anna]
    base.contacts.delete(anna)
    assert search_ids(base, "zielinska") == []


def test_renaming_an_organization_reindexes_its_people(base: CRM) -> None:
    org = search_ids(base, "zolc", filters=["kind=organization"])[0]
    base.contacts.edit(org, {"name": "Miedź S.A."})
    assert ids_by_name(base, search_ids(base, "miedz")) == ["Miedź S.A.", "Anna Nowak"]


def _index(crm: CRM) -> list[object]:
    from crmkit.store.sqlite.search_index import index_entries

    keys = crm.store.conn.execute(
        "SELECT contact_id, doc, sort_key, hidden, name, body FROM contacts_fts_keys"
        " ORDER BY contact_id"
    )
    return [index_entries(crm.store), keys.fetchall()]


def test_edits_and_deletes_leave_the_index_a_rebuild_gives(base: CRM) -> None:
    """The index holds no copy of its documents: each removal must name the text it had."""
    from crmkit.store.sqlite.search_index import index_entries, rebuild_search_index

    anna = search_ids(base, "anna")[0]
    org = search_ids(base, "zolc", filters=["kind=organization"])[0]
    base.contacts.edit(anna, {"last_name": "Zielińska", "address.city": "Opole"})
    base.contacts.edit(org, {"name": "Miedź S.A."})
    gone = search_ids(base, "kowalsk")[0]
    base.contacts.delete(gone)
    kept = index_entries(base.store)
    rebuild_search_index(base.store)
    assert index_entries(base.store) == kept
    terms = {(rowid & ID_MASK, column, term) for rowid, column, _, term in kept}
    assert {(anna, "name", "zielinska"), (anna, "body", "opole"), (org, "name", "miedz")} <= terms
    assert not {(anna, "name", "nowak"), (anna, "body", "gliwice"), (org, "name", "zolc")} & terms
    assert gone not in {contact_id for contact_id, _, _ in terms}


def test_rebuilding_gives_the_index_the_write_path_keeps(base: CRM) -> None:
    from crmkit.store.sqlite.search_index import indexed_ids, rebuild_search_index

    kept = _index(base)
    assert rebuild_search_index(base.store) == 6
    assert _index(base) == kept
    assert indexed_ids(base.store, '"lodz"') == sorted(search_ids(base, "lodz"))
    documents = {row[0]: row[4:] for row in kept[1]}  # type: ignore[attr-defined]
    assert documents[search_ids(base, "anna")[0]] == (
        "anna nowak",
        "gliwice anna.nowak@example.pl 48601234567 601234567 zolc sp. z o.o.",
    )

"""Name keys (matching tags, users, options) and folded text (search)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.values import names
from crmkit.values.names import fold_text, name_key

POLISH = "aąbcćdeęfghijklłmnńoóprsśtuwyzźżAĄBCĆDEĘFGHIJKLŁMNŃOÓPRSŚTUWYZŹŻ"
POLISH_FOLDED = "aabccdeefghijkllmnnooprsstuwyzzzaabccdeefghijkllmnnooprsstuwyzzz"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("VIP", "vip"),
        ("  Vip  ", "vip"),
        ("Jan   Kowalski", "jan kowalski"),
        ("Jan\t\nKowalski", "jan kowalski"),
        ("Jan\u00a0Kowalski", "jan kowalski"),
        ("Łódź", "łódź"),
        ("Straße", "strasse"),
        ("", ""),
    ],
)
def test_name_key_examples(name: str, expected: str) -> None:
    assert name_key(name) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Łódź", "lodz"),
        ("Żółć", "zolc"),
        ("ZAŻÓŁĆ GĘŚLĄ JAŹŃ", "zazolc gesla jazn"),
        ("Straße", "strasse"),
        ("Ærøskøbing", "aeroskobing"),
        ("Œuvre", "oeuvre"),
        ("Đakovo", "dakovo"),
        ("Crème Brûlée", "creme brulee"),
        ("ﬁle", "file"),
        ("İstanbul", "istanbul"),
        ("Plain ASCII 123", "plain ascii 123"),
    ],
)
def test_fold_text_examples(text: str, expected: str) -> None:
    assert fold_text(text) == expected


@given(st.text(alphabet=POLISH))
def test_polish_letters_fold_to_ascii(text: str) -> None:
    table = str.maketrans(POLISH, POLISH_FOLDED)
    assert fold_text(text) == text.translate(table)


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_fast_path_equals_slow_path(text: str) -> None:
    assert fold_text(text) == names._fold_non_ascii(text) == text.lower()


@given(st.text())
def test_folded_text_has_no_combining_marks(text: str) -> None:
    folded = fold_text(text)
    assert not any(unicodedata.combining(char) for char in folded)
    assert fold_text(text) == folded  # a cached answer is the same answer


@given(st.text())
def test_name_key_is_idempotent_and_trimmed(name: str) -> None:
    key = name_key(name)
    assert name_key(key) == key
    assert key == key.strip()
    assert "  " not in key


@given(st.text(alphabet=st.characters(max_codepoint=127)), st.sampled_from(["", " ", "\t "]))
def test_name_key_ignores_case_and_outer_space(name: str, space: str) -> None:
    assert name_key(space + name.upper() + space) == name_key(name.lower())


@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x24F), max_size=40))
def test_per_character_table_equals_whole_string_folding(text: str) -> None:
    assert fold_text(text) == names._fold_non_ascii(text)

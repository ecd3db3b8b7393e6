"""Checkbox cells: the yes/no words of Polish and English spreadsheets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.errors import InvalidValue
from crmkit.values.checkbox import parse_checkbox

TRUE_WORDS = ["1", "true", "yes", "y", "tak", "t", "x", "✓"]
FALSE_WORDS = ["0", "false", "no", "n", "nie", "f", ""]
MESSAGE = r"^not a checkbox value \(use tak/nie, yes/no, 1/0\)$"


@pytest.mark.parametrize("raw", [*TRUE_WORDS, "TAK", "Yes", " X ", "True", True, 1])
def test_true_values(raw: str | bool | int) -> None:
    assert parse_checkbox(raw) is True


@pytest.mark.parametrize("raw", [*FALSE_WORDS, "NIE", " No ", "   ", None, False, 0])
def test_false_values(raw: str | bool | int | None) -> None:
    assert parse_checkbox(raw) is False


@pytest.mark.parametrize("raw", ["2", "maybe", "tak!", "yes please", "-1", 2, -1, "ok"])
def test_other_values_are_rejected(raw: str | int) -> None:
    with pytest.raises(InvalidValue, match=MESSAGE):
        parse_checkbox(raw)


def spellings(word: str) -> st.SearchStrategy[str]:
    """The word in any mix of cases, with any surrounding whitespace."""
    cased = st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda upper: "".join(c.upper() if u else c for c, u in zip(word, upper, strict=True))
    )
    space = st.text(alphabet=" \t\u00a0", max_size=3)
    return st.tuples(space, cased, space).map("".join)


@given(st.sampled_from(TRUE_WORDS).flatmap(spellings))
def test_any_spelling_of_a_true_word(raw: str) -> None:
    assert parse_checkbox(raw) is True


@given(st.sampled_from(FALSE_WORDS).flatmap(spellings))
def test_any_spelling_of_a_false_word(raw: str) -> None:
    assert parse_checkbox(raw) is False


@given(st.text(max_size=6))
def test_anything_else_is_rejected(raw: str) -> None:
    word = raw.strip().casefold()
    if word in {w.casefold() for w in TRUE_WORDS + FALSE_WORDS} | {"✔"}:
        assert parse_checkbox(raw) is (word in TRUE_WORDS + ["✔"])
    else:
        with pytest.raises(InvalidValue, match=MESSAGE):
            parse_checkbox(raw)

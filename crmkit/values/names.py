"""Keys for matching names, and folded text for searching.

Tags, users and select options are matched by `name_key` (exact, case-insensitive), so
"VIP", " vip " and "Vip" are one tag. Search compares `fold_text` forms, so a user typing
"lodz" finds "Łódź".
"""

from __future__ import annotations

import unicodedata

__all__ = ["fold_text", "name_key"]

# Letters that NFKD does not take apart (they are letters of their own, not a base letter
# plus a mark) but that people still type without the diacritic.
_EXTRA_FOLDS = str.maketrans(
    {
        "ł": "l",
        "Ł": "l",
        "ø": "o",
        "Ø": "o",
        "đ": "d",
        "Đ": "d",
        "ß": "ss",
        "ẞ": "ss",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
    }
)


def name_key(name: str) -> str:
    """Trimmed, whitespace-collapsed, casefolded form of a name."""
    return " ".join(name.split()).casefold()


def fold_text(text: str) -> str:
    """Lower-case text with diacritics removed (`Żółć` -> `zolc`), for search."""
    if text.isascii():
        return text.lower()
    return text.translate(_CHAR_FOLDS)


def _fold_non_ascii(text: str) -> str:
    """The reference folding of a whole string, which the per-character table follows."""
    # Lower first (İ becomes i + combining dot, removed below); lower again at the end
    # because compatibility decompositions can produce capitals (Ⅻ -> XII).
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_EXTRA_FOLDS))
    return "".join(char for char in decomposed if not unicodedata.combining(char)).lower()


class _CharFolds(dict[int, str]):
    """`str.translate` table filled on first sight of each character.

    Folding is per character (a letter's decomposition does not depend on its
    neighbours), so a table turns a Python loop per character into one C call per
    string; documents of a million contacts are folded this way.
    """

    def __missing__(self, code: int) -> str:
        folded = _fold_non_ascii(chr(code))
        self[code] = folded
        return folded


_CHAR_FOLDS = _CharFolds()

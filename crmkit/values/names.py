"""Keys for matching names, and folded text for searching.

Tags, users and select options are matched by `name_key` (exact, case-insensitive), so
"VIP", " vip " and "Vip" are one tag. Search compares `fold_text` forms, so a user typing
"lodz" finds "Łódź". Duplicates compare `match_name_key` forms, so "NOWAK Anna", "Anna
Nowak" and "anna nowak" are one name.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["fold_text", "match_name_key", "name_key"]

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


# Polish legal forms at the end of a folded company name, words separated by one space.
_LEGAL_FORM = re.compile(
    r"(?:^| )(?:sp(?:olka)? (?:z o ?o|z ograniczona odpowiedzialnoscia|j|jawna|k|komandytowa"
    r"|p|partnerska|c|cywilna|k ?a|komandytowo akcyjna)|spolka akcyjna|s ?a|s ?c|sp ?zoo"
    r"|sp ?j|sp ?k|sp ?p)$"
)


def name_key(name: str) -> str:
    """Trimmed, whitespace-collapsed, casefolded form of a name."""
    return " ".join(name.split()).casefold()


def match_name_key(name: str, organization: bool = False) -> str:
    """Return the words of a name folded (`fold_text`), without punctuation, in sorted order.

    Word order, case, Polish letters and punctuation then make no difference:
    "Nowak-Bąk, ANNA" and "anna nowak bak" have one key. For an organization a
    legal form at the end ("Sp. z o.o.", "spółka jawna", "S.A.") is left out, unless
    it is all the name has.
    """
    words = name.translate(_KEY_CHARS).split()
    if organization:
        text = " ".join(words)
        bare = _LEGAL_FORM.sub("", text).split()
        if bare:
            words = bare
    return " ".join(sorted(words))


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


class _KeyChars(dict[int, str]):
    """`str.translate` table of `match_name_key`: each character folded, and anything
    but a letter or digit made a space; filled on first sight, like `_CharFolds`."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = char.lower() if char.isascii() else _fold_non_ascii(char)
        spaced = "".join(part if part.isalnum() else " " for part in folded)
        self[code] = spaced
        return spaced


_CHAR_FOLDS = _CharFolds()
_KEY_CHARS = _KeyChars()

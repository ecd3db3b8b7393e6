"""Several values in one cell (`VIP | Hot lead`), as used by CSV import and export."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["join_multi", "split_multi"]


def split_multi(raw: str | None, separator: str = " | ") -> list[str]:
    """Split a cell into its values: trimmed, non-empty, first occurrence kept, in order.

    A separator left at either end (`VIP |`, `| VIP`) is tolerated: hand-edited
    spreadsheets often have one. The cell is padded with the separator's own outer
    whitespace, so such a leftover splits off like any other separator.
    """
    if not raw:
        return []
    core = separator.strip()
    if core not in raw:
        # One value, the common case for phone and name cells.
        value = raw.strip()
        return [value] if value else []
    leading = separator[: len(separator) - len(separator.lstrip())]
    trailing = separator[len(separator.rstrip()) :]
    values: dict[str, None] = {}
    for part in f"{leading}{raw}{trailing}".split(separator):
        value = part.strip()
        if value and value != core:
            values.setdefault(value, None)
    return list(values)


def join_multi(values: Iterable[str], separator: str = " | ") -> str:
    """The cell text for several values; `split_multi` reads it back."""
    return separator.join(values)

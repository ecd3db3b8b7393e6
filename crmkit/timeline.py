"""Reading a timeline's options: the kinds asked for and how durations are shown.

The timeline itself (events, profile notes, membership spans) is read by
`crmkit.store.sqlite.timeline`. This module is on the `crm timeline` fast path: it
imports nothing heavy.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from crmkit.errors import CrmError, InvalidValue
from crmkit.events import parse_kind

__all__ = ["parse_kinds", "format_duration"]

if TYPE_CHECKING:
    pass


def parse_kinds(values: Iterable[str]) -> list[str]:
    """Kinds from `--kind call,email` (repeatable); an unknown one is a CrmError."""
    kinds: list[str] = []
    for value in values:
        for part in value.split(","):
            if not part.strip():
                continue
            try:
                kind = parse_kind(part)
            except InvalidValue as exc:
                raise CrmError(f"--kind {part.strip()!r}: {exc}") from None
            if kind not in kinds:
                kinds.append(kind)
    return kinds


def format_duration(seconds: int | None) -> str:
    """`1:35` or `1:01:35` (the way call logs write durations); empty for none."""
    if seconds is None:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"

"""The suggestion as a YAML mapping, every line with a comment that says why.

Column names are written by PyYAML (so a header with a colon or a quote stays one
key); comments are cut to one line. What is written loads with `load_mapping`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from crmkit.suggest import MappingSuggestion

__all__ = ["suggestion_yaml"]

_SAMPLE_WIDTH = 24
_SERVICES = {"google": "a Google Contacts", "outlook": "an Outlook"}


def suggestion_yaml(suggestion: MappingSuggestion) -> str:
    """The commented mapping text."""
    where = f", sheet {suggestion.sheet!r}" if suggestion.sheet else ""
    lines = [
        f"# Mapping suggested by `crm mapping suggest` for {suggestion.file}{where}",
        f"# from its header and the values of its first {suggestion.rows_sampled} rows.",
        "# Check each line; a column mapped to null is left out of the import.",
    ]
    if suggestion.preset in ("google", "outlook"):
        return "\n".join([*lines, *_preset_lines(suggestion)]) + "\n"
    lines.append(_line("target", suggestion.target, "contacts or events (a log of calls)"))
    if suggestion.target == "contacts":
        lines.append(_line("kind", suggestion.kind, "rows without a kind column are this"))
    lines.append(_line("region", suggestion.region, "phones without a country code"))
    lines.append(_line("timezone", suggestion.timezone, "the zone of times without an offset"))
    lines.append(
        _line(
            "dayfirst",
            suggestion.dayfirst,
            suggestion.dayfirst_reason or "no date in the file tells",
        )
    )
    lines.append(_line("separator", suggestion.separator, "between values in one cell"))
    if suggestion.match:
        lines.append(
            _line("match", suggestion.match, "importing the file again updates the same contacts")
        )
    lines.append("columns:")
    keys = [_key_text(guess.column) for guess in suggestion.columns]
    width = max(
        len(key) + 2 + len(str(guess.target))
        for key, guess in zip(keys, suggestion.columns, strict=True)
    )
    for key, guess in zip(keys, suggestion.columns, strict=True):
        value = guess.target if guess.target is not None else "null"
        body = f"  {key}: {value}"
        samples = ", ".join(_shown(sample) for sample in guess.samples)
        comment = guess.reason + (f"; e.g. {samples}" if samples else "")
        lines.append(f"{body.ljust(width + 4)}  # {_one_line(comment)}")
    return "\n".join(lines) + "\n"


def _preset_lines(suggestion: MappingSuggestion) -> list[str]:
    """A mapping that lets the preset read the columns (phone labels, ` ::: `, starred)."""
    assert suggestion.preset is not None
    service = _SERVICES[suggestion.preset]
    return [
        f"# The header is that of {service} export: the {suggestion.preset} preset reads its",
        "# columns (and so does `crm import FILE` with no mapping); set the rest here.",
        _line("preset", suggestion.preset, f"{service} export"),
        _line("region", suggestion.region, "phones without a country code"),
        _line("timezone", suggestion.timezone, "the zone of times without an offset"),
        _line("match", ["email", "phone"], "importing the file again updates the same contacts"),
    ]


def _line(key: str, value: Any, comment: str) -> str:
    text = yaml.safe_dump({key: value}, allow_unicode=True, default_flow_style=True, width=1000)
    body = text.strip()[1:-1].strip()
    return f"{body.ljust(28)}  # {_one_line(comment)}"


def _key_text(column: str) -> str:
    """The column as a YAML key (quoted where YAML needs it)."""
    text = yaml.safe_dump({column: None}, allow_unicode=True, width=1000).strip()
    return text.removesuffix(": null").removesuffix(":")


def _shown(value: str) -> str:
    text = " ".join(value.split())
    if len(text) > _SAMPLE_WIDTH:
        text = text[: _SAMPLE_WIDTH - 1] + "…"
    return repr(text) if text != value or "," in text else text


def _one_line(text: str) -> str:
    return " ".join(text.split())

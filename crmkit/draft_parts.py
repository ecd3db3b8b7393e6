"""The cells of a contacts row that are not the contact's own: campaign status, parts.

`campaign.status` (with a mapping's `campaign:` setting) and a JSON record's
`groups` and `campaigns`, as `DraftBuilder` reads them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crmkit.errors import InvalidValue
from crmkit.model import CustomField
from crmkit.targets import ContactDraft
from crmkit.values.names import name_key

__all__ = ["part_handler", "status_handler", "text_value"]

Handler = Callable[[ContactDraft, Any], None]


def text_value(raw: Any) -> str | None:
    """Return a JSON value as a text field's value: a list or an object is not one."""
    if raw is None:
        return None
    if isinstance(raw, list):
        raise InvalidValue("a list is not a text value")
    if isinstance(raw, dict):
        raise InvalidValue("an object is not a text value")
    return str(raw).strip()


def status_handler(statuses: CustomField) -> Handler:
    """`campaign.status`: one of the campaign's statuses (`statuses.options`), any case."""
    by_key = {name_key(status): status for status in statuses.options}

    def status(draft: ContactDraft, raw: Any) -> None:
        text = text_value(raw)
        if not text:
            return
        found = by_key.get(name_key(text))
        if found is None:
            raise InvalidValue(
                f"not a status of campaign {statuses.label!r}: {', '.join(statuses.options)}"
            )
        draft.campaign_status = found

    return status


def part_handler(name: str) -> Handler:
    """A JSON record's `groups` ({key: [records]}) or `campaigns` ([enrollments])."""

    def part(draft: ContactDraft, raw: Any) -> None:
        if raw is None:
            return
        if name == "campaigns":
            items = [raw]
        else:
            items = list(raw.values()) if isinstance(raw, dict) else [raw, None]
        if not all(isinstance(item, list) for item in items) or not all(
            isinstance(entry, dict) for item in items for entry in item
        ):
            shape = "{group: [records]}" if name == "groups" else "a list of campaigns"
            raise InvalidValue(f"{name} must be {shape}, as crm export --format json writes it")
        if raw:
            draft.parts = {**(draft.parts or {}), name: raw}

    return part

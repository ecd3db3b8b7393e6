"""The events, notes, files, timeline and card methods of `crmkit.CRM`.

    >>> crm.add_event(7, "call", at="2024-03-05 14:30", direction="in", duration="1:35")
    >>> crm.add_note(7, "Oddzwonić jutro", event_id=12)
    >>> crm.timeline(3, limit=50)          # an organization: its members' events too

Each method is a thin call into `crmkit.events`, `notes`, `files`, `timeline` or
`card_data`; items and file descriptions are plain dicts shaped like the JSON the
CLI prints.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crmkit.store import Store
    from crmkit.targets import ConversionSettings

__all__ = ["TimelineMethods"]


class TimelineMethods:
    """Mixed into `CRM`; uses its `store`, `user` and `settings`."""

    store: Store
    user: str | None
    settings: ConversionSettings

    # -- events ---------------------------------------------------------------

    def add_event(
        self,
        contact_id: int,
        kind: str,
        *,
        at: str | None = None,
        direction: str | None = None,
        duration: int | str | None = None,
        subject: str | None = None,
        body: str | None = None,
        channel: str | None = None,
        agent: str | None = None,
        external_id: str | None = None,
        source: str = "",
    ) -> dict[str, Any]:
        """Log one event; `at` defaults to now, naive times are in CRM_TIMEZONE (UTC)."""
        from crmkit.events import add_event

        return add_event(
            self.store,
            contact_id,
            kind=kind,
            occurred_at=at,
            direction=direction,
            duration=duration,
            subject=subject,
            body=body,
            channel=channel,
            agent=agent,
            external_id=external_id,
            source=source,
            timezone=self.settings.timezone,
            dayfirst=self.settings.dayfirst,
            user=self.user,
        )

    def event(self, event_id: int) -> dict[str, Any]:
        from crmkit.events import get_event

        return get_event(self.store, event_id)

    def delete_event(self, event_id: int) -> dict[str, Any]:
        """Delete an event with its notes and their files; returns the deleted item."""
        from crmkit.events import delete_event

        return delete_event(self.store, event_id, user=self.user)

    # -- notes ----------------------------------------------------------------

    def add_note(
        self, contact_id: int, text: str, *, event_id: int | None = None
    ) -> dict[str, Any]:
        """A note on the profile, or on one event; the author is the acting user."""
        from crmkit.notes import add_note

        return add_note(self.store, contact_id, text, event_id=event_id, author=self.user)

    def delete_note(self, note_id: int) -> dict[str, Any]:
        from crmkit.notes import delete_note

        return delete_note(self.store, note_id, user=self.user)

    # -- files ----------------------------------------------------------------

    def add_file(
        self,
        contact_id: int,
        path: str | Path | None = None,
        *,
        note_id: int | None = None,
        data: bytes | None = None,
        name: str | None = None,
    ) -> dict[str, Any]:
        """Attach a file (a path, or `data` bytes with a `name`) to a contact or a note."""
        from crmkit.files import add_file

        return add_file(
            self.store, contact_id, path, data=data, name=name, note_id=note_id, user=self.user
        )

    def files(self, contact_id: int) -> list[dict[str, Any]]:
        from crmkit.files import list_files

        return list_files(self.store, contact_id)

    def file_info(self, file_id: int) -> dict[str, Any]:
        from crmkit.files import get_file_info

        return get_file_info(self.store, file_id)

    def get_file(
        self,
        file_id: int,
        output: str | Path | IO[bytes] | None = None,
        *,
        overwrite: bool = False,
    ) -> dict[str, Any]:
        """Write a stored file to `output` (a path, a folder or a binary stream);
        by default to its stored name in the current folder."""
        from crmkit.files import export_file

        return export_file(self.store, file_id, output, overwrite=overwrite)

    def delete_file(self, file_id: int) -> dict[str, Any]:
        from crmkit.files import delete_file

        return delete_file(self.store, file_id, user=self.user)

    def prune_files(self) -> int:
        """Remove stored contents no file refers to (left behind by deleted contacts)."""
        from crmkit.files import FileStore

        return FileStore.for_store(self.store).prune_all(self.store)

    def set_avatar(
        self,
        contact_id: int,
        path: str | Path | None = None,
        *,
        data: bytes | None = None,
        name: str | None = None,
    ) -> dict[str, Any]:
        """Store a PNG, JPEG, GIF or WebP image as the contact's avatar."""
        from crmkit.files import set_avatar

        return set_avatar(self.store, contact_id, path, data=data, name=name, user=self.user)

    def clear_avatar(self, contact_id: int) -> bool:
        from crmkit.files import clear_avatar

        return clear_avatar(self.store, contact_id, user=self.user)

    # -- timeline and card ------------------------------------------------------

    def timeline(
        self,
        contact_id: int,
        *,
        kinds: Iterable[str] | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int | None = None,
        agent: str | None = None,
        channel: str | None = None,
    ) -> list[dict[str, Any]]:
        """Events and notes, newest first (an organization's includes its members'
        events from their membership periods). `kinds` may be words such as `call`;
        `since`/`until` any accepted date/time spelling."""
        from crmkit.timeline import parse_kinds, timeline_items

        return timeline_items(
            self.store,
            contact_id,
            kinds=parse_kinds(kinds) if kinds else None,
            since=self._moment(since, "--since"),
            until=self._moment(until, "--until"),
            limit=limit,
            agent=agent,
            channel=channel,
        )

    def card(self, contact_id: int, *, timeline_limit: int = 10) -> dict[str, Any]:
        """What `crm show` shows: the record plus `timeline`, `files` and `avatar`."""
        from crmkit.card_data import card_data

        return card_data(self.store, contact_id, timeline_limit=timeline_limit)

    def card_text(self, contact_id: int, *, width: int = 100) -> str:
        """The terminal card as plain text."""
        from crmkit.card import card_text
        from crmkit.card_data import custom_field_rows

        data = self.card(contact_id)
        return card_text(data, custom_field_rows(self.store, data), width=width)

    def card_html(self, contact_id: int, path: str | Path | None = None) -> str:
        """The self-contained HTML card; written to `path` when given."""
        from crmkit.card_data import avatar_data_uri, custom_field_rows
        from crmkit.card_html import card_html, write_card_html

        data = self.card(contact_id)
        page = card_html(
            data,
            custom_field_rows(self.store, data),
            avatar_data_uri(self.store, data["avatar"]["file_id"]),
        )
        if path is not None:
            write_card_html(path, page)
        return page

    def _moment(self, value: str | None, option: str) -> str | None:
        if value is None or not value.strip():
            return None
        from crmkit.errors import CrmError, InvalidValue
        from crmkit.values.datetimes import parse_datetime

        try:
            return parse_datetime(value, self.settings.timezone, self.settings.dayfirst)
        except InvalidValue as exc:
            raise CrmError(f"{option} {value!r}: {exc}") from None

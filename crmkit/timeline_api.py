"""`crm.events`, `crm.notes` and `crm.files`: what happened with a contact, and its documents.

    >>> crm.events.add(7, kind="call", at="2024-03-05 14:30", direction="in", duration="1:35")
    >>> crm.notes.add(7, "Oddzwonić jutro", event_id=12)
    >>> crm.files.add(7, "umowa.pdf")

Each method is a thin call into `crmkit.events`, `notes` or `files`, which check
the values and write them in one transaction, recording the change.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from crmkit.model import StoredFile, TimelineItem

if TYPE_CHECKING:
    from crmkit.settings import Settings
    from crmkit.store import Store

__all__ = ["Events", "Notes", "Files"]


class Events:
    """Calls, e-mails, meetings and the rest of a contact's timeline, as `crm.events`."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._settings = settings

    def add(
        self,
        contact_id: int,
        *,
        kind: str,
        at: str | None = None,
        direction: str | None = None,
        duration: int | str | None = None,
        subject: str | None = None,
        body: str | None = None,
        channel: str | None = None,
        agent: str | None = None,
        external_id: str | None = None,
        case: int | None = None,
    ) -> TimelineItem:
        """Log one event and return it.

        `kind` is one of `EVENT_KINDS` (`call`, `email`, ...); `at` defaults to now,
        a naive time is in CRM_TIMEZONE; `duration` is seconds or `[h:]mm:ss`;
        `agent` a user's full name; `case` an open case (`crm.cases`) of the contact,
        or of an organization it was a member of then. Raise `NotFound` or `CrmError`
        for what is wrong (nothing is logged then).
        """
        from crmkit.events import add_event

        with _joining_case(self._store, case):
            item = add_event(
                self._store,
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
                source="",
                timezone=self._settings.timezone,
                dayfirst=self._settings.dayfirst,
                user=self._settings.user,
            )
            if case is not None:
                from crmkit.store.sqlite.cases import attach_to_case

                attach_to_case(self._store, "events", item["id"], int(case))
        return TimelineItem.from_record(item)

    def __getitem__(self, event_id: int) -> TimelineItem:
        """Return the event with its notes; raise `NotFound` if there is none."""
        from crmkit.store.sqlite.events import get_event

        return TimelineItem.from_record(get_event(self._store, event_id))

    def delete(self, event_id: int) -> TimelineItem:
        """Delete an event with its notes and their files; return what was deleted."""
        from crmkit.store.sqlite.events import delete_event

        item = delete_event(self._store, event_id, user=self._settings.user)
        return TimelineItem.from_record(item)


class Notes:
    """Notes on a profile or on one event, as `crm.notes`; the author is the acting user."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._settings = settings

    def add(
        self, contact_id: int, text: str, *, event_id: int | None = None, case: int | None = None
    ) -> TimelineItem:
        """Add a note to the profile (or to `event_id` on its timeline) and return it;
        `case`: an open case it belongs to (see `Events.add`)."""
        from crmkit.store.sqlite.notes import add_note

        with _joining_case(self._store, case):
            note = add_note(
                self._store, contact_id, text, event_id=event_id, author=self._settings.user
            )
            if case is not None:
                from crmkit.store.sqlite.cases import attach_to_case

                attach_to_case(self._store, "notes", note["id"], int(case))
        return TimelineItem.from_record(note)

    def __getitem__(self, note_id: int) -> TimelineItem:
        """Return the note; raise `NotFound` if there is none."""
        from crmkit.store.sqlite.notes import get_note

        return TimelineItem.from_record(get_note(self._store, note_id))

    def delete(self, note_id: int) -> TimelineItem:
        """Delete a note and the files attached to it; return what was deleted."""
        from crmkit.store.sqlite.notes import delete_note

        return TimelineItem.from_record(delete_note(self._store, note_id, user=self._settings.user))


class Files:
    """Files attached to contacts and notes, and avatars, as `crm.files`.

    Contents are stored once per sha256 in `crm.files/` beside the database.
    """

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._settings = settings

    def add(
        self,
        contact_id: int,
        path: str | Path | None = None,
        *,
        note_id: int | None = None,
        data: bytes | None = None,
        name: str | None = None,
    ) -> StoredFile:
        """Attach a file (a path, or `data` bytes with a `name`) and return it."""
        from crmkit.store.sqlite.files import add_file

        info = add_file(
            self._store,
            contact_id,
            path,
            data=data,
            name=name,
            note_id=note_id,
            user=self._settings.user,
        )
        return StoredFile(**info)

    def list(self, contact_id: int) -> list[StoredFile]:
        """Return the files of a contact and of its notes."""
        from crmkit.store.sqlite.files import list_files

        return [StoredFile(**info) for info in list_files(self._store, contact_id)]

    def __getitem__(self, file_id: int) -> StoredFile:
        """Return the file's description; raise `NotFound` if there is none."""
        from crmkit.store.sqlite.files import get_file_info

        return StoredFile(**get_file_info(self._store, file_id))

    def save(
        self,
        file_id: int,
        output: str | Path | IO[bytes] | None = None,
        *,
        overwrite: bool = False,
    ) -> StoredFile:
        """Write a stored file to `output` (a path, a folder or a binary stream).

        By default it goes to its stored name in the current folder; an existing
        file is kept unless `overwrite`. Return the file, with `path` where written.
        """
        from crmkit.files import export_file

        return StoredFile(**export_file(self._store, file_id, output, overwrite=overwrite))

    def delete(self, file_id: int) -> StoredFile:
        """Delete a file (its content too when nothing else refers to it)."""
        from crmkit.store.sqlite.files import delete_file

        return StoredFile(**delete_file(self._store, file_id, user=self._settings.user))

    def prune(self) -> int:
        """Remove stored contents no file refers to; return how many went."""
        from crmkit.store.sqlite.files import FileStore

        return FileStore.for_store(self._store).prune_all(self._store)

    def set_avatar(
        self,
        contact_id: int,
        path: str | Path | None = None,
        *,
        data: bytes | None = None,
        name: str | None = None,
    ) -> StoredFile:
        """Store a PNG, JPEG, GIF or WebP image as the contact's avatar and return it."""
        from crmkit.store.sqlite.files import set_avatar

        info = set_avatar(
            self._store, contact_id, path, data=data, name=name, user=self._settings.user
        )
        return StoredFile(**info)

    def clear_avatar(self, contact_id: int) -> bool:
        """Remove the contact's avatar; return whether it had one."""
        from crmkit.store.sqlite.files import clear_avatar

        return clear_avatar(self._store, contact_id, user=self._settings.user)


def _joining_case(store: Store, case: int | None) -> AbstractContextManager[Any]:
    """One transaction for a write and its joining a case; none needed without a case."""
    return store.transaction() if case is not None else nullcontext()

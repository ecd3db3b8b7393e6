"""Cases ("sprawy"), as `crm.cases`: a contact's matters that gather its events and notes.

    >>> case = crm.cases.open(7, "Reklamacja 2024/05", guardian="Anna Zając")
    >>> crm.events.add(7, kind="call", at="2024-05-06 10:00", case=case.id)
    >>> crm.notes.add(7, "Klient przysłał zdjęcia", case=case.id)
    >>> [item.type for item in crm.timeline(7, case=case.id)]
    ['note', 'event']
    >>> crm.cases.close(case.id)

A long history stays readable when it is read case by case. A case of an
organization also gathers its people's events and notes made while they were
its members, as the organization's timeline shows them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from crmkit.errors import CrmError

if TYPE_CHECKING:
    from crmkit.settings import Settings
    from crmkit.store import Store

__all__ = ["Case", "Cases"]


@dataclass
class Case:
    """A case: whose, its title, status (`open`/`closed`), guardian, when opened and closed,
    and how many events and notes it holds."""

    id: int
    contact_id: int
    title: str
    status: str
    contact_name: str | None = None
    guardian: str | None = None
    opened_at: str | None = None
    closed_at: str | None = None
    user: str | None = None
    events: int = 0
    notes: int = 0

    def to_record(self) -> dict[str, Any]:
        """Return the case as `crm case list --format json` prints it."""
        return {
            "id": self.id,
            "contact_id": self.contact_id,
            "contact_name": self.contact_name,
            "title": self.title,
            "status": self.status,
            "guardian": self.guardian,
            "opened_at": self.opened_at,
            "closed_at": self.closed_at,
            "events": self.events,
            "notes": self.notes,
        }


class Cases:
    """The cases of a base, as `crm.cases`."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._settings = settings

    def open(self, contact_id: int, title: str, *, guardian: str | None = None) -> Case:
        """Open a case on a contact; `guardian` is an active user. Return it."""
        from crmkit.store.sqlite.cases import insert_case
        from crmkit.store.sqlite.reference import active_user_id

        clean = " ".join(title.split())
        if not clean:
            raise CrmError("a case needs a title")
        guardian_id = active_user_id(self._store, guardian) if guardian else None
        row = insert_case(self._store, int(contact_id), clean, guardian_id, self._settings.user)
        return Case(**row)

    def close(self, case_id: int) -> Case:
        """Close a case; raise `CrmError` if it is closed already."""
        from crmkit.store.sqlite.cases import close_case

        return Case(**close_case(self._store, int(case_id), self._settings.user))

    def list(self, contact_id: int | None = None, *, open_only: bool = False) -> list[Case]:
        """Return the cases of a contact (default: of everyone), newest first."""
        from crmkit.store.sqlite.cases import case_rows

        contact = None if contact_id is None else int(contact_id)
        return [Case(**row) for row in case_rows(self._store, contact, open_only)]

    def __getitem__(self, case_id: int) -> Case:
        """Return a case; raise `NotFound`."""
        from crmkit.store.sqlite.cases import case_row

        return Case(**case_row(self._store, int(case_id)))

    def __iter__(self) -> Iterator[Case]:
        return iter(self.list())

"""Outbound campaigns, as `crm.campaigns`: who to call, with what outcome, and when again.

    >>> crm.campaigns.add("Jesień 2025")                      # the default statuses
    >>> crm.campaigns.enroll("Jesień 2025", filters=["tag=Lead", "city=Gliwice"])
    EnrollReport(campaign='Jesień 2025', selected=120, enrolled=120, already=0)
    >>> crm.campaigns.set("Jesień 2025", 7, status="Oddzwonić", callback="2025-10-02 16:00",
    ...                   agent="Anna Zając", note="Prosi o telefon po 16")
    >>> [e.name for e in crm.campaigns.contacts("Jesień 2025", due=True, limit=50)]

A campaign allows a fixed list of statuses (`DEFAULT_STATUSES` unless given);
the first is the status of a newly enrolled contact. A status outside the list
is refused with the list. Call-backs are read in the settings' time zone
(CRM_TIMEZONE) unless they carry an offset, and kept in UTC. Recording a
status logs an event of kind `campaign` on the contact's timeline; every change
is in the contact's history.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from crmkit.errors import CrmError, InvalidValue

if TYPE_CHECKING:
    from crmkit.query.api import Filters
    from crmkit.settings import Settings
    from crmkit.store import Store

__all__ = ["DEFAULT_STATUSES", "Campaign", "Enrollment", "EnrollReport", "Campaigns"]

# New contacts start as "Nowy"; the rest are the usual outcomes of a call-centre campaign.
DEFAULT_STATUSES: tuple[str, ...] = (
    "Nowy",
    "Dzwonić",
    "Oddzwonić",
    "Umówiony",
    "Sprzedaż",
    "Odmowa",
    "Błędny numer",
)


@dataclass
class Campaign:
    """A campaign: its statuses (the first for new contacts), how many contacts it holds,
    and how many call-backs are due now."""

    id: int
    name: str
    statuses: list[str]
    created_at: str
    user: str | None = None
    enrolled: int = 0
    due: int = 0

    def to_record(self) -> dict[str, Any]:
        """Return the campaign as JSON-ready values."""
        return {
            "id": self.id,
            "name": self.name,
            "statuses": self.statuses,
            "enrolled": self.enrolled,
            "due": self.due,
            "created_at": self.created_at,
            "user": self.user,
        }


@dataclass
class Enrollment:
    """A contact's place in a campaign: status, agent, next call-back (UTC), latest note.

    `id` is the contact's; `phone` its first number (`phones`: all), for a dialer.
    `event_id` is the timeline event a `set` with a status logged.
    """

    id: int
    name: str
    status: str
    phone: str | None = None
    phones: list[str] = field(default_factory=list)
    email: str | None = None
    agent: str | None = None
    callback: str | None = None
    note: str | None = None
    enrolled_at: str | None = None
    updated_at: str | None = None
    event_id: int | None = None

    def to_record(self) -> dict[str, Any]:
        """Return the row as `crm campaign list --format json` prints it."""
        return {
            "id": self.id,
            "name": self.name,
            "phone": self.phone,
            "phones": self.phones,
            "email": self.email,
            "status": self.status,
            "agent": self.agent,
            "callback": self.callback,
            "note": self.note,
            "enrolled_at": self.enrolled_at,
            "updated_at": self.updated_at,
        }


@dataclass
class EnrollReport:
    """What an enrollment did: contacts named, newly enrolled, and enrolled already."""

    campaign: str
    selected: int
    enrolled: int
    already: int

    def to_record(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign,
            "selected": self.selected,
            "enrolled": self.enrolled,
            "already": self.already,
        }

    @property
    def summary(self) -> str:
        """Return the counts in one sentence."""
        text = f"Enrolled {_count(self.enrolled)} in {self.campaign!r}"
        if self.already:
            text += f"; {_count(self.already)} enrolled already, left as they are"
        return text + "."


def _count(number: int) -> str:
    return f"{number} contact" if number == 1 else f"{number} contacts"


class Campaigns:
    """The campaigns of a base, as `crm.campaigns`."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._settings = settings

    def add(self, name: str, *, statuses: Iterable[str] | None = None) -> Campaign:
        """Create a campaign with these statuses (default `DEFAULT_STATUSES`); the first is
        a new contact's. Raise `CrmError` for a taken name or a repeated status."""
        from crmkit.store.sqlite.campaigns import insert_campaign

        clean = " ".join(name.split())
        if not clean:
            raise CrmError("a campaign needs a name")
        chosen = _statuses(statuses)
        return _campaign(insert_campaign(self._store, clean, chosen, self._settings.user))

    def list(self) -> list[Campaign]:
        """Return every campaign, by name, with its counts."""
        from crmkit.store.sqlite.campaigns import campaign_rows

        return [_campaign(row) for row in campaign_rows(self._store)]

    def __iter__(self) -> Iterator[Campaign]:
        return iter(self.list())

    def __getitem__(self, name: str) -> Campaign:
        """Return the campaign with this name (any case); raise `NotFound`."""
        wanted = self._row(name)["id"]
        return next(campaign for campaign in self.list() if campaign.id == wanted)

    def enroll(
        self,
        name: str,
        ids: Sequence[int] = (),
        *,
        text: str | None = None,
        filters: Filters = None,
        view: str | None = None,
        include_hidden: bool = False,
        everyone: bool = False,
    ) -> EnrollReport:
        """Enroll contacts by id and/or a whole selection (text, filters, a saved view).

        The selection is added at once, in SQL; contacts enrolled already are left as
        they are and counted (`already`). `everyone=True` takes every contact (hidden
        ones with `include_hidden`). Raise `CrmError` when nothing names contacts.
        """
        from crmkit.store.sqlite.campaigns import enroll_contacts

        campaign = self._row(name)
        selection = None
        if text or filters or view or everyone:
            from crmkit.query.api import filter_settings, select_contacts

            selection = select_contacts(
                self._store,
                self._settings.user,
                filter_settings(self._settings),
                text=text,
                filters=filters,
                include_hidden=include_hidden,
                sort="id" if text else None,
                limit=None,
                view=view,
                columns=None,
                order="name",
            ).compiled
        elif not ids:
            raise CrmError("name the contacts to enroll: IDs, --filter, --text, --view or --all")
        counts = enroll_contacts(
            self._store,
            campaign,
            ids=[int(contact_id) for contact_id in ids],
            selection=selection,
            user=self._settings.user,
        )
        return EnrollReport(campaign["name"], **counts)

    def set(
        self,
        name: str,
        contact_id: int,
        *,
        status: str | None = None,
        agent: str | None = None,
        callback: str | None = None,
        note: str | None = None,
    ) -> Enrollment:
        """Record an outcome: a status the campaign allows, the agent, the next call-back,
        a note; return the contact's place in the campaign.

        `callback` is any accepted date or time spelling, local to CRM_TIMEZONE unless
        it has an offset; "" clears it. A status given without a call-back clears the
        old call-back. Raise `CrmError` for a status outside the list (database unchanged).
        """
        from crmkit.store.sqlite.campaigns import save_outcome

        if status is None and agent is None and callback is None and note is None:
            raise CrmError("say what to record: --status, --agent, --callback or --note")
        campaign = self._row(name)
        row = save_outcome(
            self._store,
            campaign,
            int(contact_id),
            status=status,
            agent=agent,
            callback=self._callback(callback),
            note=note.strip() if note is not None else None,
            user=self._settings.user,
        )
        return Enrollment(**row)

    def contacts(
        self,
        name: str,
        *,
        status: str | None = None,
        due: bool = False,
        agent: str | None = None,
        limit: int | None = None,
    ) -> Iterator[Enrollment]:
        """Return a campaign's contacts, streamed: with `due`, those whose call-back is now
        or past, earliest first (an agent's work list); else by contact id."""
        from crmkit.store.sqlite.campaigns import enrolled_rows
        from crmkit.values.datetimes import utc_now

        if limit is not None and limit < 0:
            raise CrmError("--limit must be 0 or more")
        rows = enrolled_rows(
            self._store,
            self._row(name),
            status=status,
            agent=agent,
            due_before=utc_now() if due else None,
            limit=limit,
        )
        return (Enrollment(**row) for row in rows)

    def remove(self, name: str, contact_id: int) -> Enrollment:
        """Take a contact out of a campaign; return the place it had."""
        from crmkit.store.sqlite.campaigns import delete_enrollment

        row = delete_enrollment(self._store, self._row(name), int(contact_id), self._settings.user)
        return Enrollment(**row)

    def _row(self, name: str) -> dict[str, Any]:
        from crmkit.store.sqlite.campaigns import campaign_row

        return campaign_row(self._store, name)

    def _callback(self, value: str | None) -> str | None:
        """Return a call-back as UTC text ("" stays "": clear it)."""
        if value is None or not value.strip():
            return value if value is None else ""
        from crmkit.values.datetimes import parse_datetime

        try:
            return parse_datetime(value, self._settings.timezone, self._settings.dayfirst)
        except InvalidValue as exc:
            raise CrmError(f"--callback {value!r}: {exc}") from None


def _statuses(given: Iterable[str] | None) -> list[str]:
    """Return the statuses trimmed, in order; `CrmError` for an empty or repeated one."""
    from crmkit.values.names import name_key

    if given is None:
        return list(DEFAULT_STATUSES)
    chosen: list[str] = []
    for status in given:
        clean = " ".join(status.split())
        if not clean:
            raise CrmError("a status cannot be empty")
        if any(name_key(clean) == name_key(held) for held in chosen):
            raise CrmError(f"status {clean!r} is listed twice")
        chosen.append(clean)
    return chosen or list(DEFAULT_STATUSES)


def _campaign(row: dict[str, Any]) -> Campaign:
    return Campaign(
        id=row["id"],
        name=row["name"],
        statuses=row["statuses"],
        created_at=row["created_at"],
        user=row.get("user"),
        enrolled=row.get("enrolled", 0),
        due=row.get("due", 0),
    )

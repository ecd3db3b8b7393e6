"""The number blacklist, as `crm.blacklist`: numbers to block, each with a reason.

    >>> crm.blacklist.add("601 234 567", reason="spam")
    BlacklistEntry(number='+48601234567', reason='spam', ...)
    >>> "+48 601-234-567" in crm.blacklist
    True

Numbers are kept in E.164, so any spelling of a number finds its entry; one
without a country code is read in the settings' region (CRM_REGION, else PL).
`crm lookup` of a listed number says so first, and the filter
`blacklisted=yes` selects the contacts owning a listed number.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from crmkit.errors import CrmError, InvalidValue, NotFound

if TYPE_CHECKING:
    from crmkit.settings import Settings
    from crmkit.store import Store

__all__ = ["Blacklist", "BlacklistEntry"]


@dataclass
class BlacklistEntry:
    """A blocked number (E.164), why, when (UTC) and by whom it was added.

    `listed_before` says, for what `add` returns, whether the number was on the
    list already (then only its reason changed).
    """

    number: str
    reason: str | None = None
    added_at: str | None = None
    user: str | None = None
    listed_before: bool = field(default=False, compare=False)

    def to_record(self) -> dict[str, Any]:
        """Return `{"number", "reason", "added_at", "user"}`."""
        return {
            "number": self.number,
            "reason": self.reason,
            "added_at": self.added_at,
            "user": self.user,
        }


class Blacklist:
    """The blocked numbers of a base, as `crm.blacklist`."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._settings = settings

    def add(self, number: str, *, reason: str | None = None) -> BlacklistEntry:
        """Block a number and return its entry; a listed one gets the new reason.

        Raise `CrmError` if the text is not a phone number.
        """
        from crmkit.store.sqlite.blacklist import save_blacklisted

        clean = " ".join(reason.split()) if reason else None
        row, before = save_blacklisted(
            self._store, self._canonical(number), clean or None, self._settings.user
        )
        return BlacklistEntry(**row, listed_before=before)

    def remove(self, number: str) -> BlacklistEntry:
        """Unblock a number and return the entry it had; raise `NotFound` if not listed."""
        from crmkit.store.sqlite.blacklist import delete_blacklisted

        canonical = self._canonical(number)
        row = delete_blacklisted(self._store, canonical)
        if row is None:
            raise NotFound(f"{canonical} is not on the blacklist")
        return BlacklistEntry(**row)

    def get(self, number: str) -> BlacklistEntry | None:
        """Return the entry of a number in any spelling, or None if it is not listed."""
        from crmkit.store.sqlite.blacklist import blacklist_row

        row = blacklist_row(self._store, self._canonical(number))
        return None if row is None else BlacklistEntry(**row)

    def list(self) -> list[BlacklistEntry]:
        """Return every entry, by number."""
        from crmkit.store.sqlite.blacklist import blacklist_rows

        return [BlacklistEntry(**row) for row in blacklist_rows(self._store)]

    def __contains__(self, number: object) -> bool:
        """Return whether a number (any spelling) is listed; False for what is not a number."""
        if not isinstance(number, str):
            return False
        try:
            return self.get(number) is not None
        except CrmError:
            return False

    def __iter__(self) -> Iterator[BlacklistEntry]:
        return iter(self.list())

    def __len__(self) -> int:
        from crmkit.store.sqlite.blacklist import count_blacklisted

        return count_blacklisted(self._store)

    def _canonical(self, number: str) -> str:
        """Return the number in E.164; raise `CrmError` saying why it is not one."""
        from crmkit.values.phones import normalize_phone

        try:
            return normalize_phone(number, self._settings.region)
        except InvalidValue as exc:
            reason = str(exc)
            if not reason.startswith("not"):
                reason = f"not a phone number ({reason})"
            raise CrmError(f"{number.strip()!r} is {reason}") from None

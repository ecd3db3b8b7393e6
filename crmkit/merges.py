"""Merges of duplicated contacts: `crm.contacts.merge(...)` makes one, `crm.merges` lists
and undoes them.

    >>> merge = crm.contacts.merge(12, 40)
    >>> merge.id, merge.contact.phones
    >>> crm.merges.undo(merge.id).restored
    [40]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from crmkit.model import Contact

if TYPE_CHECKING:
    from crmkit.history import UndoReport
    from crmkit.settings import Settings
    from crmkit.store import Store

__all__ = ["Merge", "Merges", "merge_result"]


@dataclass
class Merge:
    """One merge: the contacts merged into KEEP, and (when just made) KEEP as it came out."""

    id: int | None
    keep_id: int
    merged_ids: list[int]
    at: str | None = None
    user: str | None = None
    status: str = "done"
    contact: Contact | None = None
    moved: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False

    def to_record(self) -> dict[str, Any]:
        """Return the merge as JSON-ready values (with KEEP's record when known)."""
        record: dict[str, Any] = {
            "id": self.id,
            "keep": self.keep_id,
            "merged": self.merged_ids,
            "at": self.at,
            "user": self.user,
            "status": self.status,
        }
        if self.contact is not None:
            record["contact"] = self.contact.to_record()
            record["moved"] = self.moved
            record["dry_run"] = self.dry_run
        return record


def merge_result(done: dict[str, Any], keep: int, others: list[int], *, dry_run: bool) -> Merge:
    """Return the `Merge` of what `store.sqlite.merge.merge_contacts` reported."""
    return Merge(
        id=done["merge_id"],
        keep_id=keep,
        merged_ids=others,
        status="would be done" if dry_run else "done",
        contact=Contact.from_record(done["record"]),
        moved=done["moved"],
        dry_run=dry_run,
    )


class Merges:
    """The merges of a base, as `crm.merges`: list them, undo one."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._settings = settings

    def list(self) -> list[Merge]:
        """Return every merge, newest first."""
        from crmkit.store.sqlite.merge import list_merges

        return [
            Merge(
                id=row["id"],
                keep_id=row["keep_id"],
                merged_ids=row["merged_ids"],
                at=row["at"],
                user=row["user"],
                status=row["status"],
            )
            for row in list_merges(self._store)
        ]

    def __iter__(self) -> Iterator[Merge]:
        return iter(self.list())

    def undo(self, merge_id: int, *, dry_run: bool = False, force: bool = False) -> UndoReport:
        """Bring back the merged contacts with their ids and rows; give KEEP back its values.

        If KEEP changed since the merge, raise `CrmError` unless `force`; with it,
        KEEP's fields changed since keep their new values. `dry_run` changes nothing.
        """
        from crmkit.history import UndoReport
        from crmkit.store.sqlite.merge import undo_merge

        done = undo_merge(
            self._store, merge_id, user=self._settings.user, dry_run=dry_run, force=force
        )
        return UndoReport(
            "merge",
            merge_id,
            restored=done["restored"],
            skipped_fields=done["skipped"],
            dry_run=dry_run,
        )

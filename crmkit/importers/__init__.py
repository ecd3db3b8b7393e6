"""Importers: files in, canonical contacts and events out, with a report of every row."""

from __future__ import annotations

from typing import IO

from crmkit.drafts import UnknownPolicy
from crmkit.importers.contacts import Progress, import_contacts
from crmkit.importers.readers import open_source
from crmkit.mapping import Mapping, load_mapping
from crmkit.model import ImportReport
from crmkit.store import Store

__all__ = ["import_file"]


def import_file(
    store: Store,
    path: str,
    *,
    mapping: str | Mapping | None = None,
    dry_run: bool = False,
    unknown: UnknownPolicy = "warn",
    all_or_nothing: bool = False,
    encoding: str | None = None,
    delimiter: str | None = None,
    user: str | None = None,
    progress: Progress | None = None,
    stdin: IO[bytes] | None = None,
) -> ImportReport:
    """Import a file of contacts or events; the mapping's `target` says which."""
    if isinstance(mapping, str):
        mapping = load_mapping(mapping)
    checked = mapping or Mapping(match=["external_id"])
    with open_source(path, encoding=encoding, delimiter=delimiter, stdin=stdin) as source:
        if not source.header:
            report = ImportReport(file=source.name, status="nothing to import", dry_run=dry_run)
            return report
        if checked.target == "events":
            from crmkit.importers.events import import_events

            return import_events(
                store,
                source,
                checked,
                dry_run=dry_run,
                all_or_nothing=all_or_nothing,
                user=user,
                progress=progress,
            )
        return import_contacts(
            store,
            source,
            checked,
            dry_run=dry_run,
            unknown=unknown,
            all_or_nothing=all_or_nothing,
            user=user,
            progress=progress,
        )

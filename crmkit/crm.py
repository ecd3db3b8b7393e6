"""`crmkit.open()` and `CRM`: the one way into a base, from Python and from the `crm` command.

    import crmkit

    with crmkit.open("crm.db", user="Jan Kowalski") as crm:
        crm.tags.add("VIP")
        ewa = crm.contacts.add(kind="person", first_name="Ewa", tags=["VIP"])
        crm.events.add(ewa.id, kind="call", at="2024-05-05 11:15", direction="in")
        crm.export("vip.csv", filters={"tag": "VIP"})

Every `crm` command is one call on this object.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from crmkit.blacklist import Blacklist
from crmkit.campaigns import Campaigns
from crmkit.cases import Cases
from crmkit.contacts import Contacts
from crmkit.gdpr import Consents, PersonalData
from crmkit.groups import FieldGroups, GroupRecords
from crmkit.importers import Imports
from crmkit.merges import Merges
from crmkit.query.api import Views
from crmkit.reference import Fields, Tags, Users
from crmkit.settings import Settings
from crmkit.store import Store, is_postgresql, open_store
from crmkit.timeline_api import Events, Files, Notes

if TYPE_CHECKING:
    from crmkit.model import TimelineItem
    from crmkit.query.api import Filters

__all__ = ["CRM", "open"]


def open(
    path: str | os.PathLike[str] | None = None,
    *,
    user: str | None = None,
    create: bool = True,
    busy_timeout: float | None = None,
    source: str = "api",
) -> CRM:
    """Open the base at `path` (default: CRM_DB, else ./crm.db) and return a `CRM`.

    A missing file is created with the current schema, and an older one upgraded,
    as `sqlite_utils.Database` does; with `create=False` a missing file raises
    `CrmError` naming the path instead. `user` is the acting user (default
    CRM_USER), recorded with notes, views and imports. A write waits up to
    `busy_timeout` seconds (default CRM_BUSY_TIMEOUT, else 30) for another
    process's write, then raises `CrmError`. `source` is what the history of
    changes names as their origin: "api" (default) or "cli" (the `crm` command).
    Use it as a context manager to close the base at the end.
    """
    settings = Settings.from_env(db=path, user=user, busy_timeout=busy_timeout)
    store = open_store(settings.db, create=create, busy_timeout=settings.busy_timeout)
    store.source = source
    return CRM(store, settings)


class CRM:
    """One open base: its collections, its timeline and export, and its settings.

    | attribute       | what it holds                                    |
    |-----------------|--------------------------------------------------|
    | `contacts`      | people and organizations (`Contacts`)            |
    | `tags`, `users`, `fields` | reference data                         |
    | `views`         | the acting user's saved views                    |
    | `imports`       | run imports, read their history                  |
    | `events`, `notes`, `files` | a contact's timeline and documents      |
    | `merges`        | merges of duplicates: list them, undo one        |
    | `blacklist`     | blocked phone numbers                            |
    | `gdpr`, `consents` | a person's data: find, export, erase; consents |
    | `campaigns`     | outbound campaigns: statuses, call-backs         |
    | `groups`, `records` | groups of special fields, their records on contacts |
    | `cases`         | a contact's matters, gathering events and notes  |
    """

    def __init__(self, store: Store, settings: Settings | None = None) -> None:
        self.store = store
        self.settings = settings or Settings.from_env(db=str(getattr(store, "address", store.path)))
        self.contacts = Contacts(store, self.settings)
        self.tags = Tags(store, self.settings)
        self.users = Users(store, self.settings)
        self.fields = Fields(store, self.settings)
        self.views = Views(store, self.settings)
        self.imports = Imports(store, self.settings)
        self.events = Events(store, self.settings)
        self.notes = Notes(store, self.settings)
        self.files = Files(store, self.settings)
        self.merges = Merges(store, self.settings)
        self.blacklist = Blacklist(store, self.settings)
        self.gdpr = PersonalData(self)
        self.consents = Consents(self)
        self.campaigns = Campaigns(store, self.settings)
        self.groups = FieldGroups(store, self.settings)
        self.records = GroupRecords(store, self.settings)
        self.cases = Cases(store, self.settings)

    @property
    def path(self) -> Path:
        """The database file."""
        return self.store.path

    @property
    def user(self) -> str | None:
        """The acting user, or None."""
        return self.settings.user

    def close(self) -> None:
        """Close the database connection."""
        self.store.close()

    def __enter__(self) -> CRM:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<CRM {str(self.path)!r}>"

    def init(self) -> dict[str, Any]:
        """Create or upgrade the schema; return path, schema version and the version before.

        After an upgrade the search index is rebuilt (`indexed`: how many contacts).
        """
        from crmkit.store.sqlite.search_index import rebuild_search_index

        info: dict[str, Any] = {
            "path": str(self.store.path),
            "schema_version": self.store.version,
            "upgraded_from": self.store.migrated_from,
        }
        if 0 < self.store.migrated_from < self.store.version:
            info["indexed"] = rebuild_search_index(self.store)
        return info

    def backup(self, target: str | Path) -> dict[str, Any]:
        """Copy the base, while it is in use, to a new file `target`, its files beside it.

        Return the path, its size and how many stored files were copied.

            >>> crm.backup("kopia.db")
            {'path': 'kopia.db', 'size': 208896, 'files': 2}
        """
        from crmkit.store.sqlite.backup import backup_store

        return backup_store(self.store, target)

    def dump(self, target: str | Path | IO[str] | IO[bytes] | None = None) -> dict[str, Any]:
        """Write the whole base as JSON Lines to a path, a stream, or stdout (None or `-`).

        The dump holds the reference data, views, contacts with everything that
        hangs on them, events, notes, stored files with their contents, the import
        history of changes and of imports, with their ids: a portable copy that
        `restore` loads into an empty base, by this or a later crmkit. A path is
        written under a temporary name and renamed when complete. Return the rows
        per table (`tables`), their total, the contacts, the stored files and `path`.

            >>> crm.dump("kopia.jsonl")
            {'tables': {'tags': 5, ...}, 'rows': 1234, 'contacts': 40, 'files': 2, 'path': ...}
        """
        from crmkit.dumps import dump_base

        return dump_base(self.store, target)

    def restore(self, source: str | Path | IO[str] | IO[bytes]) -> dict[str, Any]:
        """Load a dump (a path, a stream, or `-` for stdin) into this base, which must be empty.

        Everything goes in as one transaction with its ids; file contents are
        checked against their sha256 and stored beside the database, and the
        search index is rebuilt. A base that holds anything, a file that is no
        crmkit dump (or is from a newer crmkit), a dump cut short or altered:
        each raises `CrmError` and leaves the base empty. Return what `dump`
        returns, with `indexed` (contacts indexed for search).

            >>> with crmkit.open("nowa.db") as new:
            ...     new.restore("kopia.jsonl")["contacts"]
            40
        """
        from crmkit.dumps import restore_base

        return restore_base(self.store, source)

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
        case: int | None = None,
    ) -> list[TimelineItem]:
        """Return a contact's events and notes, newest first.

        An organization's timeline holds its members' events from their membership
        periods too. `kinds` are words such as `call` (or `call,email`); `since` and
        `until` any accepted date or time spelling (`until` exclusive); `case` keeps
        the items of one case (`crm.cases`). Raise `NotFound` for an unknown contact,
        agent or case.
        """
        from crmkit.model import TimelineItem
        from crmkit.store.sqlite.timeline import timeline_items
        from crmkit.timeline import parse_kinds

        items = timeline_items(
            self.store,
            contact_id,
            kinds=parse_kinds(kinds) if kinds else None,
            since=self._moment(since, "--since"),
            until=self._moment(until, "--until"),
            limit=limit,
            agent=agent,
            channel=channel,
            case=case,
        )
        return [TimelineItem.from_record(item) for item in items]

    def card(self, contact_id: int, *, timeline_limit: int = 10) -> dict[str, Any]:
        """Return what `crm show` shows: the JSON record plus `timeline`, `files`, `avatar`."""
        from crmkit.card_data import card_data

        return card_data(self.store, contact_id, timeline_limit=timeline_limit)

    def card_text(self, contact_id: int, *, width: int = 100) -> str:
        """Return the terminal card as plain text."""
        from crmkit.card import card_text
        from crmkit.card_data import custom_field_rows
        from crmkit.card_sections import card_sections

        data = self.card(contact_id)
        return card_text(
            data,
            custom_field_rows(self.store, data),
            width=width,
            sections=card_sections(self.store, data),
        )

    def show_card(self, contact_id: int) -> None:
        """Print the card on the terminal, with colour where it has it."""
        from crmkit.card import render_card
        from crmkit.card_data import custom_field_rows
        from crmkit.card_sections import card_sections

        data = self.card(contact_id)
        render_card(
            data, custom_field_rows(self.store, data), sections=card_sections(self.store, data)
        )

    def card_html(self, contact_id: int, path: str | Path | None = None) -> str:
        """Return the self-contained HTML card; write it to `path` when given."""
        from crmkit.card_data import avatar_data_uri, custom_field_rows
        from crmkit.card_html import card_html, write_card_html
        from crmkit.card_sections import card_sections

        data = self.card(contact_id)
        page = card_html(
            data,
            custom_field_rows(self.store, data),
            avatar_data_uri(self.store, data["avatar"]["file_id"]),
            sections=card_sections(self.store, data),
        )
        if path is not None:
            write_card_html(path, page)
        return page

    def serve(self, *, host: str = "127.0.0.1", port: int = 8001) -> None:
        """Show the base in a browser through Datasette until interrupted (`crmkit[web]`).

        Tables have readable titles, internal ones are hidden, contacts are faceted
        by stage, city, tags and guardians, canned queries look up a caller and a
        contact's timeline, and `/-/card/ID` is a contact's card. Raise `CrmError`
        when Datasette is not installed. A base on PostgreSQL is shown as a snapshot
        taken when the command starts.
        """
        from crmkit.serve import serve

        if not is_postgresql(str(self.path)):
            serve(self.path, host=host, port=port)
            return
        # Datasette reads SQLite files: a base on PostgreSQL is shown as a snapshot, a
        # SQLite copy made through a dump when the command starts.
        import tempfile

        with tempfile.TemporaryDirectory(prefix="crm-serve-") as folder:
            snapshot = Path(folder) / "snapshot.db"
            self.dump(Path(folder) / "base.jsonl")
            with open(snapshot) as copy:
                copy.restore(Path(folder) / "base.jsonl")
            serve(snapshot, host=host, port=port)

    def export(
        self,
        target: str | Path | IO[str] | IO[bytes] | None = None,
        *,
        format: str = "csv",
        text: str | None = None,
        filters: Filters = None,
        columns: str | Sequence[str] | None = None,
        include_hidden: bool = False,
        sort: str | Sequence[str] | None = None,
        limit: int | None = None,
        view: str | None = None,
        escape: bool = True,
        bom: bool = False,
        vcard_version: str = "4.0",
    ) -> int:
        """Write contacts to a path, a text or binary stream, or stdout; return the count.

        `format` is csv, json, jsonl, xlsx, vcard (`vcard_version` 3.0 or 4.0),
        google or outlook. CSV and xlsx headers are mapping targets, so the file
        imports back with no mapping, as do JSON and vCard; a path is written
        atomically. Cells that a
        spreadsheet would run as formulas get a leading apostrophe unless
        `escape=False`.

            >>> crm.export("vip.csv", filters={"tag": "VIP"})
            3
        """
        selection = self.contacts.select(
            text,
            filters=filters,
            include_hidden=include_hidden,
            sort=sort,
            limit=limit,
            view=view,
            columns=columns,
            export_order=True,
        )
        return selection.write(
            target,
            format=format,
            columns=columns,
            escape=escape,
            bom=bom,
            vcard_version=vcard_version,
        )

    def _moment(self, value: str | None, option: str) -> str | None:
        if value is None or not value.strip():
            return None
        from crmkit.errors import CrmError, InvalidValue
        from crmkit.values.datetimes import parse_datetime

        try:
            return parse_datetime(value, self.settings.timezone, self.settings.dayfirst)
        except InvalidValue as exc:
            raise CrmError(f"{option} {value!r}: {exc}") from None

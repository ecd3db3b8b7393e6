"""`CRM`: the Python API; every `crm` command is one call on it.

>>> import crmkit
>>> crm = crmkit.open_crm("crm.db")
>>> crm.add_tag("VIP")
>>> crm.add("person", {"first_name": "Anna", "last_name": "Nowak", "tags": "VIP"})
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from crmkit import reference
from crmkit.drafts import DraftBuilder, UnknownPolicy
from crmkit.errors import CrmError, NotFound
from crmkit.importers.contacts import Progress
from crmkit.model import Contact, CustomField, ImportReport, Tag, User
from crmkit.query.api import QueryMethods
from crmkit.store import Store
from crmkit.store.sqlite.audit import record_audit
from crmkit.store.sqlite.records import get_record, iter_records
from crmkit.store.sqlite.search_index import rebuild_search_index, refresh_search_index
from crmkit.store.sqlite.writer import ContactWriter
from crmkit.targets import ContactDraft, ConversionSettings, resolve_target
from crmkit.timeline_api import TimelineMethods
from crmkit.values.datetimes import parse_datetime, utc_now

__all__ = ["CRM", "open_crm", "default_db_path"]


def default_db_path() -> str:
    """`CRM_DB` if set, else `crm.db` in the current folder."""
    return os.environ.get("CRM_DB") or "crm.db"


def open_crm(path: str | Path | None = None, *, user: str | None = None) -> CRM:
    """Open (creating if needed) the database file and return its API."""
    return CRM(Store(path or default_db_path()), user=user)


class CRM(QueryMethods, TimelineMethods):
    """All operations on one database; `user` is the acting user for notes, views and history."""

    def __init__(self, store: Store, *, user: str | None = None) -> None:
        self.store = store
        self.user = user if user is not None else os.environ.get("CRM_USER") or None
        self.settings = ConversionSettings(
            region=os.environ.get("CRM_REGION", "PL").upper(),
            timezone=os.environ.get("CRM_TIMEZONE", "UTC"),
        )

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> CRM:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- database -----------------------------------------------------------

    def init(self) -> dict[str, Any]:
        """Create or upgrade the schema; rebuild the search index after an upgrade."""
        info: dict[str, Any] = {
            "path": str(self.store.path),
            "schema_version": self.store.version,
            "upgraded_from": self.store.migrated_from,
        }
        if 0 < self.store.migrated_from < self.store.version:
            info["indexed"] = rebuild_search_index(self.store)
        return info

    # -- reference data -------------------------------------------------------

    def add_tag(self, name: str) -> Tag:
        return reference.add_tag(self.store, name)

    def tags(self) -> list[Tag]:
        return reference.list_tags(self.store)

    def add_user(self, full_name: str, email: str | None = None) -> User:
        return reference.add_user(self.store, full_name, email)

    def users(self) -> list[User]:
        return reference.list_users(self.store)

    def add_field(
        self,
        key: str,
        type: str,
        *,
        label: str | None = None,
        options: list[str] | None = None,
        required: bool = False,
        applies_to: str = "both",
    ) -> CustomField:
        return reference.add_field(
            self.store,
            key,
            type,
            label=label,
            options=options,
            required=required,
            applies_to=applies_to,
        )

    def fields(self) -> list[CustomField]:
        return reference.list_fields(self.store)

    # -- contacts -------------------------------------------------------------

    def get(self, contact_id: int) -> Contact:
        """One contact as a model; NotFound if there is none with this id."""
        return Contact(**self.record(contact_id))

    def record(self, contact_id: int) -> dict[str, Any]:
        """One contact's JSON record (CONTRACT section 6)."""
        record = get_record(self.store, contact_id)
        if record is None:
            raise NotFound(f"no contact with id {contact_id}")
        return record

    def records(self, ids: Iterable[int]) -> Iterator[dict[str, Any]]:
        """Records for many ids, streamed in chunks."""
        return iter_records(self.store, ids)

    def add(
        self,
        kind: str,
        values: Mapping[str, Any] | Iterable[tuple[str, Any]],
        *,
        unknown: UnknownPolicy = "strict",
    ) -> Contact:
        """Create one contact from target=value pairs (the targets of a mapping)."""
        if kind not in ("person", "organization"):
            raise CrmError(f"kind must be person or organization, not {kind!r}")
        builder, draft = self._draft(values, kind, unknown=unknown, empty_clears=False)
        if draft.kind != kind:
            raise CrmError(f"kind is {kind} but the values say {draft.kind}")
        problems = builder.missing_required(draft, kind)
        if problems:
            raise CrmError(f"{problems[0][3]}; give it with --set")
        with self.store.transaction():
            writer = ContactWriter(self.store, now=utc_now())
            if draft.scalars.get("external_id"):
                owner = writer.external_id_owner(draft.scalars["external_id"])
                if owner is not None:
                    raise CrmError(
                        f"external_id {draft.scalars['external_id']!r}"
                        f" is already used by contact {owner}"
                    )
            contact_id = writer.create(draft, kind)
            writer.flush()
            record_audit(self.store, "add", contact_id, self.user)
        return self.get(contact_id)

    def edit(
        self,
        contact_id: int,
        values: Mapping[str, Any] | Iterable[tuple[str, Any]],
        *,
        unknown: UnknownPolicy = "strict",
    ) -> Contact:
        """Change the given fields of one contact; an empty value clears a field."""
        current = self.record(contact_id)
        builder, draft = self._draft(values, current["kind"], unknown=unknown, empty_clears=True)
        for key, definition in builder.fields.items():
            if definition.required and key in draft.custom and draft.custom[key] in (None, [], ""):
                raise CrmError(f"required field {key!r} cannot be emptied")
        with self.store.transaction():
            writer = ContactWriter(self.store, now=utc_now())
            external_id = draft.scalars.get("external_id")
            if external_id:
                owner = writer.external_id_owner(external_id)
                if owner not in (None, contact_id):
                    raise CrmError(
                        f"external_id {external_id!r} is already used by contact {owner}"
                    )
            writer.update(contact_id, draft, replace_links=True)
            writer.flush()
            if current["kind"] == "organization" and "name" in draft.scalars:
                refresh_search_index(self.store, [m["id"] for m in current["members"]])
            record_audit(self.store, "edit", contact_id, self.user, sorted(dict(_pairs(values))))
        return self.get(contact_id)

    def delete(self, contact_id: int) -> None:
        """Delete a contact with its phones, links, events, notes and stored files."""
        from crmkit.files import FileStore

        record = self.record(contact_id)
        hashes = [
            row[0]
            for row in self.store.conn.execute(
                "SELECT sha256 FROM files WHERE contact_id = ?", (contact_id,)
            )
        ]
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM contacts WHERE id = ?", (contact_id,))
            refresh_search_index(
                self.store, [contact_id, *(m["id"] for m in record.get("members", []))]
            )
            record_audit(self.store, "delete", contact_id, self.user, record["name"])
        FileStore.for_store(self.store).prune(self.store, hashes)

    def link(
        self,
        person_id: int,
        organization_id: int,
        *,
        since: str | None = None,
        until: str | None = None,
    ) -> dict[str, Any]:
        """Make a person a member of an organization for a period (open ends allowed)."""
        person = self.record(person_id)
        organization = self.record(organization_id)
        if person["kind"] != "person":
            raise CrmError(f"contact {person_id} is an organization; only a person can be linked")
        if organization["kind"] != "organization":
            raise CrmError(f"contact {organization_id} is a person, not an organization")
        start = parse_datetime(since, self.settings.timezone) if since else None
        end = parse_datetime(until, self.settings.timezone) if until else None
        if start and end and end <= start:
            raise CrmError("--until must be later than --since")
        with self.store.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO memberships (person_id, organization_id, since, until)"
                " VALUES (?, ?, ?, ?)",
                (person_id, organization_id, start, end),
            )
            refresh_search_index(self.store, [person_id])
            record_audit(self.store, "link", person_id, self.user, str(organization_id))
        return {
            "id": cursor.lastrowid,
            "person_id": person_id,
            "organization_id": organization_id,
            "since": start,
            "until": end,
        }

    def _draft(
        self,
        values: Mapping[str, Any] | Iterable[tuple[str, Any]],
        kind: str,
        *,
        unknown: UnknownPolicy,
        empty_clears: bool,
    ) -> tuple[DraftBuilder, ContactDraft]:
        pairs = _pairs(values)
        if not pairs:
            raise CrmError("nothing to set; give FIELD=VALUE pairs with --set")
        fields = reference.fields_by_key(self.store)
        columns = [(name, resolve_target(name, fields)) for name, _ in pairs]
        builder = DraftBuilder(
            self.store, columns, self.settings, unknown=unknown, empty_clears=empty_clears
        )
        draft, problems = builder.build([value for _, value in pairs], kind)
        errors = [p for p in problems if p[0] == "error"]
        if draft is None or errors:
            _, column, value, reason = errors[0]
            if value is not None:
                raise CrmError(f"{column} = {value!r}: {reason}")
            raise CrmError(f"{column}: {reason}" if column else reason)
        return builder, draft

    # -- imports --------------------------------------------------------------

    def import_file(
        self,
        path: str,
        *,
        mapping: str | None = None,
        dry_run: bool = False,
        create_missing: bool = False,
        strict: bool = False,
        all_or_nothing: bool = False,
        encoding: str | None = None,
        delimiter: str | None = None,
        progress: Progress | None = None,
        stdin: IO[bytes] | None = None,
    ) -> ImportReport:
        """Import contacts or events from a file; see `ImportReport.exit_code`."""
        from crmkit.importers import import_file

        if create_missing and strict:
            raise CrmError("--strict and --create-missing cannot be used together")
        unknown: UnknownPolicy = "create" if create_missing else "strict" if strict else "warn"
        return import_file(
            self.store,
            path,
            mapping=mapping,
            dry_run=dry_run,
            unknown=unknown,
            all_or_nothing=all_or_nothing,
            encoding=encoding,
            delimiter=delimiter,
            user=self.user,
            progress=progress,
            stdin=stdin,
        )

    def imports(self, limit: int | None = None) -> list[dict[str, Any]]:
        from crmkit.importers.history import list_imports

        return list_imports(self.store, limit)

    def import_details(self, import_id: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        from crmkit.importers.history import import_problems

        return import_problems(self.store, import_id)


def _pairs(values: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> list[tuple[str, Any]]:
    if isinstance(values, Mapping):
        return list(values.items())
    return list(values)

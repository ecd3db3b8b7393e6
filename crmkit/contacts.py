"""`crm.contacts`: add, read, change, link, delete and find people and organizations.

    >>> ewa = crm.contacts.add(kind="person", first_name="Ewa", last_name="Bąk",
    ...                        phones=["501 000 111"], tags=["VIP"], custom={"budget": 1500})
    >>> crm.contacts.edit(ewa.id, stage="klient", phones={"work": ["22 113 14 15"]})
    >>> crm.contacts[ewa.id].stage
    'klient'
    >>> [c.name for c in crm.contacts.search("bak", filters={"tag": "VIP"})]
    ['Ewa Bąk']

Values are Python values: lists for phones, e-mails, tags and users, a dict for
`custom` and `address`. They go through the same parsing as an imported cell, so
a value that an import would reject raises `InvalidValue` here, naming the field.
A mapping's target names work too, as a dict given first:
`crm.contacts.add("person", {"phone.mobile": "601 234 567", "tags": "VIP | Lead"})`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from crmkit.errors import CrmError, InvalidValue, MergedContact, NotFound
from crmkit.model import Contact, Membership

if TYPE_CHECKING:
    from crmkit.drafts import DraftBuilder, UnknownPolicy
    from crmkit.history import HistoryEntry
    from crmkit.merges import Merge
    from crmkit.model import DuplicateGroup
    from crmkit.query.api import ContactSelection, Filters
    from crmkit.settings import Settings
    from crmkit.store import Store
    from crmkit.store.sqlite.history import HistoryLog
    from crmkit.targets import ContactDraft, ConversionSettings

__all__ = ["Contacts"]

Values = Mapping[str, Any] | Iterable[tuple[str, Any]]


class Contacts:
    """The people and organizations of a base, as `crm.contacts` (one id space)."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._settings = settings

    # -- reading --------------------------------------------------------------

    def __getitem__(self, contact_id: int) -> Contact:
        """Return the contact with this id; raise `NotFound` (a `KeyError`) if none."""
        return Contact.from_record(self._record(contact_id))

    def get(self, contact_id: int) -> Contact | None:
        """Return the contact with this id, or None."""
        try:
            return self[contact_id]
        except NotFound:
            return None

    def __contains__(self, contact_id: object) -> bool:
        return isinstance(contact_id, int) and self.get(contact_id) is not None

    def __iter__(self) -> Iterator[Contact]:
        """Iterate over every contact (hidden ones too), by name, streamed."""
        return iter(self.select(include_hidden=True))

    def __len__(self) -> int:
        from crmkit.store.sqlite.contacts import count_contacts

        return count_contacts(self._store)

    def records(self, ids: Iterable[int]) -> Iterator[dict[str, Any]]:
        """Return the JSON records of these contacts, in order; unknown ids are skipped."""
        from crmkit.store.sqlite.records import iter_records

        return iter_records(self._store, ids)

    def history(self, contact_id: int, *, limit: int | None = None) -> list[HistoryEntry]:
        """Return the changes of one contact, newest first (also of a deleted one).

        Raise `NotFound` if the base never held a contact with this id.
        """
        from crmkit.history import entry_from_row
        from crmkit.store.sqlite.history import history_rows

        rows = history_rows(self._store, contact_id, limit)
        if not rows and self.get(contact_id) is None:
            raise NotFound(f"no contact with id {contact_id}")
        return [entry_from_row(row) for row in rows]

    # -- writing --------------------------------------------------------------

    def add(
        self,
        kind: str = "person",
        values: Values | None = None,
        *,
        unknown: UnknownPolicy = "strict",
        **fields: Any,
    ) -> Contact:
        """Create one contact and return it.

        `fields` are the contact's fields as Python values (`first_name="Ewa"`,
        `phones=["501 000 111"]`, `emails={"work": ["ewa@firma.pl"]}`,
        `tags=["VIP"]`, `custom={"budget": 1500}`, `address={"city": "Łódź"}`,
        `organizations=["Firma Sp. z o.o."]`). Unknown tags, users and options
        raise `CrmError` unless `unknown` is "warn" (left out) or "create".
        Raise `InvalidValue` for a value that cannot be read.
        """
        if kind not in ("person", "organization"):
            raise CrmError(f"kind must be person or organization, not {kind!r}")
        from crmkit.store.sqlite.writer import ContactWriter
        from crmkit.values.datetimes import utc_now

        builder, draft = self._draft(values, fields, kind, unknown=unknown, empty_clears=False)
        if draft.kind != kind:
            raise CrmError(f"kind is {kind} but the values say {draft.kind}")
        problems = builder.missing_required(draft, kind)
        if problems:
            raise CrmError(f"{problems[0][3]}; give it with --set")
        self._warn_if_erased(draft)
        with self._store.transaction():
            writer = ContactWriter(self._store, now=utc_now(), history=self._history(values=True))
            self._check_external_id(writer, draft, None)
            contact_id = writer.create(draft, kind)
            writer.flush()
        return self[contact_id]

    def edit(
        self,
        contact_id: int,
        values: Values | None = None,
        *,
        unknown: UnknownPolicy = "strict",
        **fields: Any,
    ) -> Contact:
        """Change the given fields of one contact and return it.

        A list replaces the list it names; a dict of phones or e-mails replaces only
        the types or labels it names (`phones={"work": [...]}`); None or an empty
        list clears. Fields not given are left as they are.
        """
        from crmkit.store.sqlite.search_index import refresh_search_index
        from crmkit.store.sqlite.writer import ContactWriter
        from crmkit.values.datetimes import utc_now

        current = self._record(contact_id)
        builder, draft = self._draft(
            values, fields, current["kind"], unknown=unknown, empty_clears=True
        )
        for key, definition in builder.fields.items():
            if definition.required and key in draft.custom and draft.custom[key] in (None, [], ""):
                raise CrmError(f"required field {key!r} cannot be emptied")
        with self._store.transaction():
            # Another agent's edit of this contact waits for ours (or ours for theirs);
            # a contact merged or deleted meanwhile says so.
            self._store.lock_contacts([contact_id])
            self._record(contact_id)
            writer = ContactWriter(self._store, now=utc_now(), history=self._history())
            self._check_external_id(writer, draft, contact_id)
            writer.update(contact_id, draft, replace_links=True)
            writer.flush()
            if current["kind"] == "organization" and "name" in draft.scalars:
                refresh_search_index(self._store, [m["id"] for m in current["members"]])
        return self[contact_id]

    def delete(self, contact_id: int) -> Contact:
        """Delete a contact with its phones, links, events, notes and files; return it."""
        from crmkit.store.sqlite.contacts import delete_contact

        contact = self[contact_id]
        delete_contact(
            self._store,
            contact_id,
            (m.id for m in contact.members),
            name=contact.name,
            user=self._settings.user,
        )
        return contact

    def link(
        self,
        person_id: int,
        organization_id: int,
        *,
        since: str | None = None,
        until: str | None = None,
    ) -> Membership:
        """Make a person a member of an organization for a period (open ends allowed).

        Return the membership as the person's record shows it.
        """
        from crmkit.store.sqlite.contacts import insert_membership
        from crmkit.values.datetimes import parse_datetime

        person = self._record(person_id)
        organization = self._record(organization_id)
        if person["kind"] != "person":
            raise CrmError(f"contact {person_id} is an organization; only a person can be linked")
        if organization["kind"] != "organization":
            raise CrmError(f"contact {organization_id} is a person, not an organization")
        zone = self._settings.timezone
        try:
            start = parse_datetime(since, zone) if since else None
            end = parse_datetime(until, zone) if until else None
        except InvalidValue as exc:
            raise CrmError(f"--since/--until: {exc}") from None
        if start and end and end <= start:
            raise CrmError("--until must be later than --since")
        insert_membership(
            self._store, person_id, organization_id, start, end, user=self._settings.user
        )
        return Membership(id=organization_id, name=organization["name"], since=start, until=end)

    def merge(
        self,
        keep: int,
        *others: int,
        take: Mapping[str, int] | None = None,
        dry_run: bool = False,
    ) -> Merge:
        """Merge the others into `keep` and return the merge, with the resulting contact.

        KEEP's filled fields win, its empty ones are filled from the others in the
        order given, and lists (phones, e-mails, tags, guardians, observers,
        multiselect values) are united; `take={"stage": 40}` picks a field from one
        contact. Events, notes, files and memberships move to KEEP; the others'
        external ids stay with KEEP as aliases. `dry_run` changes nothing.

            >>> crm.contacts.merge(12, 40, take={"address.city": 40}).contact.city
        """
        from crmkit.merges import merge_result
        from crmkit.store.sqlite.merge import merge_contacts

        done = merge_contacts(
            self._store,
            keep,
            list(others),
            take=dict(take or {}),
            user=self._settings.user,
            dry_run=dry_run,
        )
        return merge_result(done, keep, list(others), dry_run=dry_run)

    def merged_into(self, contact_id: int) -> int | None:
        """Return the contact this one was merged into, or None."""
        from crmkit.store.sqlite.merge import merged_into

        return merged_into(self._store, contact_id)

    # -- finding --------------------------------------------------------------

    def search(
        self,
        text: str | None = None,
        *,
        filters: Filters = None,
        include_hidden: bool = False,
        sort: str | Sequence[str] | None = None,
        limit: int | None = None,
        view: str | None = None,
    ) -> list[Contact]:
        """Return the contacts found by text and filters: name matches first, then by name.

        `filters` is one `FIELD OP VALUE` text, a list of them, or a dict
        (`{"tag": "VIP", "city": "Łódź"}`). Raise `CrmError` for a bad filter.
        """
        found = self.select(
            text,
            filters=filters,
            include_hidden=include_hidden,
            sort=sort,
            limit=limit,
            view=view,
        )
        return list(found)

    def select(
        self,
        text: str | None = None,
        *,
        filters: Filters = None,
        include_hidden: bool = False,
        sort: str | Sequence[str] | None = None,
        limit: int | None = None,
        view: str | None = None,
        columns: str | Sequence[str] | None = None,
        export_order: bool = False,
    ) -> ContactSelection:
        """Return the selection `search` reads, to stream, tabulate or write.

        With `export_order`, organizations come first and then persons, each by
        id (the order in which an export imports back), unless `sort` is given.
        """
        from crmkit.query.api import filter_settings, select_contacts
        from crmkit.store.sqlite.query.selection import EXPORT_ORDER, NAME_ORDER

        return select_contacts(
            self._store,
            self._settings.user,
            filter_settings(self._settings),
            text=text,
            filters=filters,
            include_hidden=include_hidden,
            sort=sort,
            limit=limit,
            view=view,
            columns=columns,
            order=EXPORT_ORDER if export_order else NAME_ORDER,
        )

    def lookup(
        self, phone: str, *, region: str | None = None, include_hidden: bool = False
    ) -> list[Contact]:
        """Return the contacts that own this number, written in any format; [] if none.

        A number without a country code is read in `region` (default CRM_REGION,
        else PL). Raise `CrmError` if the text is not a phone number.
        """
        return list(self.owners(phone, region=region, include_hidden=include_hidden))

    def owners(
        self,
        phone: str,
        *,
        region: str | None = None,
        include_hidden: bool = False,
        sort: str | Sequence[str] | None = None,
        limit: int | None = None,
        columns: str | Sequence[str] | None = None,
    ) -> ContactSelection:
        """Return the selection `lookup` reads; its `number` is the number in E.164, and
        `blacklisted` and `blacklist_reason` say whether and why it is blocked."""
        from crmkit.query.api import ContactSelection, name_list
        from crmkit.store.sqlite.query.selection import select_owners

        chosen = name_list(columns) or None
        if columns is not None and not chosen:
            raise CrmError("--columns needs at least one column name, e.g. --columns name,phones")
        found, selection = select_owners(
            self._store,
            phone,
            (region or self._settings.region).upper(),
            include_hidden=include_hidden,
            sort=tuple(name_list(sort)),
            limit=limit,
        )
        return ContactSelection(
            self._store,
            selection,
            chosen,
            number=found.number,
            hidden=found.hidden,
            blacklisted=found.blacklisted,
            blacklist_reason=found.blacklist_reason,
        )

    def duplicates(
        self, *, by: str | Iterable[str] | None = None, min_score: float = 0.8
    ) -> list[DuplicateGroup]:
        """Return the groups of contacts that are probably the same, strongest first.

        `by` picks the evidence ("phone,email" or a list of phone, email, nip, pesel,
        regon, name; default all); a group needs a link scoring at least `min_score`
        (0 to 1). Each `DuplicateGroup` has its score, reasons ("same phone
        +48601234567", "names 0.93 alike, same city"), ids and names; scoring and
        blocking are described in `crmkit.duplicates`.

            >>> [g.ids for g in crm.contacts.duplicates(by="phone,email")]
            [[3, 8], [5, 11, 12]]
        """
        from crmkit.duplicates import find_duplicates

        return find_duplicates(self._store, by=by, min_score=min_score)

    # -- helpers ----------------------------------------------------------------

    def _record(self, contact_id: int) -> dict[str, Any]:
        from crmkit.store.sqlite.records import get_record

        record = get_record(self._store, contact_id)
        if record is None:
            into = self.merged_into(contact_id)
            if into is not None:
                raise MergedContact(contact_id, into)
            raise NotFound(f"no contact with id {contact_id}")
        return record

    def _conversion(self) -> ConversionSettings:
        from crmkit.targets import ConversionSettings

        return ConversionSettings(region=self._settings.region, timezone=self._settings.timezone)

    def _warn_if_erased(self, draft: ContactDraft) -> None:
        """Warn (`ErasedPersonWarning`) if the draft matches a person erased under GDPR."""
        from crmkit.store.sqlite.erasure import Suppression

        suppression = Suppression.load(self._store)
        erased = suppression.erased_on(draft) if suppression is not None else None
        if erased is not None:
            import warnings

            from crmkit.errors import ErasedPersonWarning

            warnings.warn(
                ErasedPersonWarning(f"matches a person erased on {erased} (GDPR)"), stacklevel=3
            )

    def _history(self, *, values: bool = False) -> HistoryLog:
        """Return the history log of one write by the acting user.

        With `values`, new contacts are recorded with their values, not only their ids.
        """
        from crmkit.store.sqlite.history import HistoryLog, Origin
        from crmkit.values.datetimes import utc_now

        origin = Origin(self._settings.user, self._store.source)
        return HistoryLog(self._store, origin, utc_now(), values_of_new=values)

    def _check_external_id(self, writer: Any, draft: ContactDraft, own: int | None) -> None:
        external_id = draft.scalars.get("external_id")
        if external_id:
            owner = writer.external_id_owner(external_id)
            if owner not in (None, own):
                raise CrmError(f"external_id {external_id!r} is already used by contact {owner}")

    def _draft(
        self,
        values: Values | None,
        fields: Mapping[str, Any],
        kind: str,
        *,
        unknown: UnknownPolicy,
        empty_clears: bool,
    ) -> tuple[DraftBuilder, ContactDraft]:
        from crmkit.drafts import DraftBuilder
        from crmkit.store.sqlite.reference import fields_by_key
        from crmkit.targets import resolve_target, target_pairs

        pairs = target_pairs(values, fields)
        if not pairs:
            raise CrmError("nothing to set; give FIELD=VALUE pairs with --set")
        defined = fields_by_key(self._store)
        columns = [(name, resolve_target(name, defined)) for name, _ in pairs]
        builder = DraftBuilder(
            self._store, columns, self._conversion(), unknown=unknown, empty_clears=empty_clears
        )
        draft, problems = builder.build([value for _, value in pairs], kind)
        errors = [p for p in problems if p[0] == "error"]
        if draft is None or errors:
            _, column, value, reason = errors[0]
            if column is not None:
                raise InvalidValue(reason, field=column, value=value)
            raise CrmError(reason)
        return builder, draft

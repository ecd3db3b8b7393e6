"""The public data model: what the library returns and accepts.

Plain dataclasses, one per kind of thing, each with `to_record()` giving its JSON
form (CONTRACT section 6 for a contact and a timeline item). They are standard
library dataclasses rather than pydantic models because `import crmkit` must stay
cheap: caller lookup starts in under three times a bare interpreter, and importing
pydantic alone takes more than twice that. Values are validated where they enter
(`crmkit.values`, the draft builder), so these types only carry canonical values.

    >>> ewa = crm.contacts.add(kind="person", first_name="Ewa", phones=["501 000 111"])
    >>> ewa.phones[0]
    Phone(number='+48501000111', type='mobile', label=None)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal

__all__ = [
    "PHONE_TYPES",
    "EVENT_KINDS",
    "FIELD_TYPES",
    "ContactKind",
    "Phone",
    "Email",
    "Address",
    "Membership",
    "Contact",
    "Tag",
    "User",
    "CustomField",
    "RowProblem",
    "ImportReport",
    "TimelineItem",
    "StoredFile",
    "View",
    "DuplicateGroup",
]

PHONE_TYPES: tuple[str, ...] = (
    "mobile",
    "landline",
    "work",
    "main",
    "home_fax",
    "office_fax",
    "other",
)
EVENT_KINDS: tuple[str, ...] = (
    "call",
    "email",
    "sms",
    "chat",
    "meeting",
    "ticket",
    "task",
    "note",
    "order",
    "other",
    "campaign",
)
FIELD_TYPES: tuple[str, ...] = (
    "text",
    "url",
    "number",
    "date",
    "datetime",
    "checkbox",
    "select",
    "multiselect",
)

ContactKind = Literal["person", "organization"]


@dataclass
class Phone:
    """A phone number in E.164 with its type (`mobile`, `work`, ...) and a free label."""

    number: str
    type: str = "mobile"
    label: str | None = None


@dataclass
class Email:
    """An e-mail address with its label (`work`, `home`, ...)."""

    address: str
    label: str | None = None


@dataclass
class Address:
    street: str | None = None
    street2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None


@dataclass
class Membership:
    """A person's place in an organization; `until` None means it still holds.

    `id` and `name` are the other side: the organization of a person, the person
    of an organization.
    """

    id: int
    name: str
    since: str | None = None
    until: str | None = None


_PERSON_ONLY = frozenset(
    {"first_name", "last_name", "position", "pesel", "id_document", "organizations"}
)
_ORG_ONLY = frozenset({"nip", "krs", "regon", "members"})


@dataclass
class Contact:
    """A person or an organization, as the JSON record of CONTRACT section 6 lists it."""

    id: int
    kind: ContactKind
    name: str
    created_at: str
    updated_at: str
    external_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    position: str | None = None
    stage: str | None = None
    source: str | None = None
    segment: str | None = None
    phones: list[Phone] = field(default_factory=list)
    emails: list[Email] = field(default_factory=list)
    address: Address = field(default_factory=Address)
    pesel: str | None = None
    id_document: str | None = None
    nip: str | None = None
    krs: str | None = None
    regon: str | None = None
    tags: list[str] = field(default_factory=list)
    guardians: list[str] = field(default_factory=list)
    observers: list[str] = field(default_factory=list)
    organizations: list[Membership] = field(default_factory=list)
    members: list[Membership] = field(default_factory=list)
    custom: dict[str, Any] = field(default_factory=dict)
    vip: bool = False
    hidden: bool = False
    note: str | None = None
    campaigns: list[dict[str, Any]] = field(default_factory=list)
    groups: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    cases: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Contact:
        """Return the contact of a JSON record (as `crm export --format json` writes)."""
        values = dict(record)
        values["phones"] = [Phone(**p) for p in record.get("phones", [])]
        values["emails"] = [Email(**e) for e in record.get("emails", [])]
        values["address"] = Address(**(record.get("address") or {}))
        for key in ("organizations", "members"):
            values[key] = [Membership(**m) for m in record.get(key, [])]
        return cls(**values)

    def to_record(self) -> dict[str, Any]:
        """Return the JSON record: the fields of this kind, in the contract's order."""
        drop = _ORG_ONLY if self.kind == "person" else _PERSON_ONLY
        data = asdict(self)
        return {key: data[key] for key in _RECORD_ORDER if key not in drop}


_RECORD_ORDER = (
    "id", "kind", "external_id", "first_name", "last_name", "name", "position", "stage",
    "source", "segment", "phones", "emails", "address", "pesel", "id_document", "nip", "krs",
    "regon", "tags", "guardians", "observers", "organizations", "members", "custom", "vip",
    "hidden", "note", "created_at", "updated_at", "campaigns", "groups",
    "cases",
)  # fmt: skip


@dataclass
class Tag:
    id: int
    name: str

    def to_record(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class User:
    """Someone who can be a contact's guardian or observer, an agent or a note's author.

    A deactivated user (`active` false) stays where already named but is not assigned anew.
    """

    id: int
    full_name: str
    email: str | None = None
    active: bool = True

    def to_record(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CustomField:
    """A custom field: its key, type, label, options (select types) and where it applies."""

    id: int
    key: str
    type: str
    label: str
    options: list[str] = field(default_factory=list)
    required: bool = False
    applies_to: Literal["person", "organization", "both"] = "both"

    def applies(self, kind: str) -> bool:
        """Return whether contacts of this kind can hold the field."""
        return self.applies_to in ("both", kind)

    def with_options(self, options: list[str]) -> CustomField:
        """Return a copy of the field with other options."""
        return replace(self, options=options)

    def to_record(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RowProblem:
    """One rejected row (level error) or one warning, with the file line it came from."""

    reason: str
    level: Literal["error", "warning"] = "error"
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def sentence(self) -> str:
        """Return the problem as the report prints it: where, the value, and why."""
        where = f"row {self.row}" if self.row is not None else "file"
        if self.column is not None:
            where += f", column {self.column!r}"
        value = f" value {self.value_shown()!r}:" if self.value is not None else ""
        return f"{where}:{value} {self.reason}"

    def value_shown(self, limit: int = 80) -> str | None:
        """Return the value, cut to `limit` characters with how long it was."""
        if self.value is None or len(self.value) <= limit:
            return self.value
        return f"{self.value[:limit]}… ({len(self.value):,} characters)"

    def to_record(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "reason": self.reason,
        }


@dataclass
class ImportReport:
    """What an import did (or, with `dry_run`, would have done).

    `problems` holds the reasons rows were rejected (level error) and the warnings,
    in the order of the file; `errors` and `warning_details` are each level alone.
    `sheet` is the workbook sheet read, `preset` the preset that read the columns
    (google, outlook, crmkit); the JSON summary names them after `file` when set.
    A contact import with a `campaign:` setting names the campaign, how many contacts
    it `enrolled` and how many got a new status (`statuses_set`); `enrolled` also
    counts the enrollments JSON records brought, and `records_added` their group
    records (an import of `target: records` counts its records as `created`). The
    JSON summary holds these when they apply.
    """

    file: str
    import_id: int | None = None
    target: str = "contacts"
    status: str = "running"
    sheet: str | None = None
    preset: str | None = None
    dry_run: bool = False
    rows_read: int = 0
    created: int = 0
    organizations_created: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: int = 0
    warnings: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    started_at: str | None = None
    finished_at: str | None = None
    sha256: str | None = None
    user: str | None = None
    mapping: dict[str, Any] | None = None
    campaign: str | None = None
    enrolled: int = 0
    statuses_set: int = 0
    records_added: int = 0

    @property
    def errors(self) -> list[RowProblem]:
        """Return the reasons rows were rejected, in file order."""
        return [problem for problem in self.problems if problem.level == "error"]

    @property
    def warning_details(self) -> list[RowProblem]:
        """Return the warnings, in file order."""
        return [problem for problem in self.problems if problem.level == "warning"]

    @property
    def exit_code(self) -> int:
        """Return 0 when every row went in, 3 when the import finished but rejected rows."""
        return 3 if self.rejected else 0

    def to_record(self) -> dict[str, Any]:
        """Return the summary as `crm import --format json` prints it."""
        data = {key: getattr(self, key) for key in _REPORT_ORDER}
        if self.sheet is not None or self.preset is not None:
            # Named after the file only for workbooks and files read by a preset.
            shown = {"sheet": self.sheet, "preset": self.preset}
            data = {
                **{key: data[key] for key in ("import_id", "target", "file")},
                **{key: value for key, value in shown.items() if value is not None},
                **data,
            }
        if self.campaign is not None:
            data["campaign"] = self.campaign
            data["enrolled"] = self.enrolled
            data["statuses_set"] = self.statuses_set
        elif self.enrolled:
            data["enrolled"] = self.enrolled
        if self.records_added:
            data["records_added"] = self.records_added
        data["ignored_columns"] = list(self.ignored_columns)
        data["errors"] = [p.to_record() for p in self.errors]
        data["warning_details"] = [p.to_record() for p in self.warning_details]
        return data

    def history_record(self) -> dict[str, Any]:
        """Return the import as its history keeps it (`crm imports`, `crm imports show`)."""
        return {
            "id": self.import_id,
            "target": self.target,
            "file": self.file,
            "sha256": self.sha256,
            "mapping": self.mapping,
            "user": self.user,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "status": self.status,
            "rows_read": self.rows_read,
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "rejected": self.rejected,
            "warnings": self.warnings,
        }


_REPORT_ORDER = (
    "import_id", "target", "file", "status", "dry_run", "rows_read", "created",
    "organizations_created", "updated", "skipped", "rejected", "warnings", "ignored_columns",
    "errors", "started_at", "finished_at", "warning_details",
)  # fmt: skip


@dataclass
class TimelineItem:
    """An event or a note on a contact's timeline (`type` says which).

    Events carry kind, direction, duration, subject, body, channel, agent and the
    notes on them; notes carry body, author and created_at. An event read on its
    own (`crm.events`) also carries its `source` and `external_id`. `to_record()` gives
    the JSON item of CONTRACT section 6 with exactly the keys it was read with.
    """

    id: int
    type: Literal["event", "note"]
    occurred_at: str | None = None
    contact_id: int | None = None
    contact_name: str | None = None
    kind: str | None = None
    direction: str | None = None
    duration: int | None = None
    subject: str | None = None
    body: str | None = None
    channel: str | None = None
    agent: str | None = None
    author: str | None = None
    created_at: str | None = None
    event_id: int | None = None
    notes: list[dict[str, Any]] = field(default_factory=list)
    source: str | None = None
    external_id: str | None = None
    keys: tuple[str, ...] = field(default=(), repr=False, compare=False)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> TimelineItem:
        """Return the item of a JSON timeline item."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in record.items() if k in known}, keys=tuple(record))

    def to_record(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in self.keys}


@dataclass
class StoredFile:
    """A file attached to a contact (or to one of its notes); the avatar is one too."""

    id: int
    contact_id: int
    name: str
    size: int
    media_type: str
    sha256: str
    created_at: str
    note_id: int | None = None
    avatar: bool = False
    path: str | None = None
    already_stored: bool | None = None

    def to_record(self) -> dict[str, Any]:
        """Return the description; `path` (where it was written) and `already_stored`
        (its content was kept once) only where they are known."""
        data = asdict(self)
        return {key: data[key] for key in _FILE_ORDER if data[key] is not None or key in _ALWAYS}


_FILE_ORDER = (
    "id", "contact_id", "note_id", "name", "size", "media_type", "sha256", "avatar",
    "created_at", "path", "already_stored",
)  # fmt: skip
_ALWAYS = frozenset(_FILE_ORDER) - {"path", "already_stored"}


@dataclass
class View:
    """A saved selection of the acting user: columns, filters and sort order.

    `replaced` is true on the view `crm.views.save` returns when it replaced one of
    the same name; it is not part of the record.
    """

    name: str
    columns: list[str] | None = None
    filters: list[str] = field(default_factory=list)
    sort: list[str] = field(default_factory=list)
    replaced: bool = field(default=False, compare=False)

    def to_record(self) -> dict[str, Any]:
        return {"name": self.name, "columns": self.columns, "filters": self.filters,
                "sort": self.sort}  # fmt: skip


@dataclass
class DuplicateGroup:
    """Contacts that are probably one person or one organization, with the evidence.

    `score` (0 to 1) is the strongest link between two of them; `reasons` say what
    links them, strongest first; `names` go with `ids`, both in id order.
    """

    score: float
    reasons: list[str]
    ids: list[int]
    names: list[str]

    def to_record(self) -> dict[str, Any]:
        """Return `{"score", "reasons", "ids", "names"}` (CONTRACT section 9)."""
        return {"score": self.score, "reasons": list(self.reasons), "ids": list(self.ids),
                "names": list(self.names)}  # fmt: skip

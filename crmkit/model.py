"""The public data model: what the Python API returns and accepts.

These pydantic models sit at the API boundary (a contact read by id, reference
data, reports). Bulk paths such as imports and exports work on plain tuples and
dicts and only meet these shapes at the edges, because validating a model per
row would cost more than everything else an import does.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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


class _Model(BaseModel):
    # Each model's validator is built on its first use, not at import: a command
    # such as `crm import` uses two of these models, and every run pays for the rest.
    model_config = ConfigDict(extra="forbid", defer_build=True)


class Phone(_Model):
    number: str
    type: str = "mobile"
    label: str | None = None


class Email(_Model):
    address: str
    label: str | None = None


class Address(_Model):
    street: str | None = None
    street2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None


class Membership(_Model):
    """A person's place in an organization; `until` None means it still holds."""

    id: int
    name: str
    since: str | None = None
    until: str | None = None


class Contact(_Model):
    """A person or an organization, as in the JSON record of the contract."""

    id: int
    kind: ContactKind
    external_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    name: str
    position: str | None = None
    stage: str | None = None
    source: str | None = None
    segment: str | None = None
    phones: list[Phone] = Field(default_factory=list)
    emails: list[Email] = Field(default_factory=list)
    address: Address = Field(default_factory=Address)
    pesel: str | None = None
    id_document: str | None = None
    nip: str | None = None
    krs: str | None = None
    regon: str | None = None
    tags: list[str] = Field(default_factory=list)
    guardians: list[str] = Field(default_factory=list)
    observers: list[str] = Field(default_factory=list)
    organizations: list[Membership] = Field(default_factory=list)
    members: list[Membership] = Field(default_factory=list)
    custom: dict[str, Any] = Field(default_factory=dict)
    vip: bool = False
    hidden: bool = False
    note: str | None = None
    created_at: str
    updated_at: str

    def record(self) -> dict[str, Any]:
        """The JSON record: person and organization fields as the contract lists them."""
        data = self.model_dump()
        drop = _ORG_ONLY if self.kind == "person" else _PERSON_ONLY
        return {key: value for key, value in data.items() if key not in drop}


_PERSON_ONLY = frozenset(
    {"first_name", "last_name", "position", "pesel", "id_document", "organizations"}
)
_ORG_ONLY = frozenset({"nip", "krs", "regon", "members"})


class Tag(_Model):
    id: int
    name: str


class User(_Model):
    id: int
    full_name: str
    email: str | None = None


class CustomField(_Model):
    id: int
    key: str
    type: str
    label: str
    options: list[str] = Field(default_factory=list)
    required: bool = False
    applies_to: Literal["person", "organization", "both"] = "both"

    def applies(self, kind: str) -> bool:
        return self.applies_to in ("both", kind)


class RowProblem(_Model):
    """One rejected row (level error) or one warning, with the file line it came from."""

    level: Literal["error", "warning"] = "error"
    row: int | None = None
    column: str | None = None
    value: str | None = None
    reason: str

    def sentence(self) -> str:
        where = f"row {self.row}" if self.row is not None else "file"
        if self.column is not None:
            where += f", column {self.column!r}"
        value = f" value {self.value!r}:" if self.value is not None else ""
        return f"{where}:{value} {self.reason}"


class ImportReport(_Model):
    """What an import did; also what `--dry-run` would have done."""

    import_id: int | None = None
    target: str = "contacts"
    file: str
    status: str = "running"
    dry_run: bool = False
    rows_read: int = 0
    created: int = 0
    organizations_created: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: int = 0
    warnings: int = 0
    ignored_columns: list[str] = Field(default_factory=list)
    errors: list[RowProblem] = Field(default_factory=list)
    warning_details: list[RowProblem] = Field(default_factory=list)
    started_at: str | None = None
    finished_at: str | None = None

    @property
    def exit_code(self) -> int:
        """0 when every row went in, 3 when the import finished but rejected rows."""
        return 3 if self.rejected else 0

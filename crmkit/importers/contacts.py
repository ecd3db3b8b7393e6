"""Import contacts from a CSV/JSON/JSON Lines source.

The whole import is one transaction: a dry run or an `--all-or-nothing`
import with rejected rows rolls it back, and a file-level problem found half
way (a line in the wrong encoding, say) leaves the database as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crmkit.contacts import ContactWriter
from crmkit.drafts import MISSING, DraftBuilder, Problem, UnknownPolicy
from crmkit.importers.history import ImportRun
from crmkit.importers.readers import SourceFile
from crmkit.mapping import Mapping
from crmkit.model import ImportReport
from crmkit.reference import fields_by_key
from crmkit.store import Store
from crmkit.targets import ADDRESS_PARTS, IDENTIFIERS, TEXT_FIELDS
from crmkit.values.datetimes import utc_now

__all__ = ["import_contacts", "flatten_record", "Progress", "record_targets"]

Progress = Callable[[int, int], None]  # (bytes read, rows read)
_PROGRESS_EVERY = 2000


class _Rollback(Exception):
    """Raised inside the transaction to discard it (dry run, all-or-nothing)."""


def flatten_record(record: dict[str, Any]) -> dict[str, Any]:
    """A JSON record's nested parts as flat targets: address.city, custom.industry, ..."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        if key == "address" and isinstance(value, dict):
            for part in ADDRESS_PARTS:
                if part in value:
                    flat[f"address.{part}"] = value[part]
        elif key == "custom" and isinstance(value, dict):
            for field_key, field_value in value.items():
                flat[f"custom.{field_key}"] = field_value
        else:
            flat[key] = value
    return flat


def import_contacts(
    store: Store,
    source: SourceFile,
    mapping: Mapping,
    *,
    dry_run: bool = False,
    unknown: UnknownPolicy = "warn",
    all_or_nothing: bool = False,
    user: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Read every row, create or update contacts, and report what happened."""
    report = ImportReport(file=source.name, target="contacts", dry_run=dry_run)
    fields = fields_by_key(store)
    structured = source.format in ("json", "jsonl")
    header = source.header
    if structured and mapping.columns is None:
        header = record_targets(fields)
    columns, ignored = mapping.resolve_contact_columns(header, fields)
    report.ignored_columns = ignored
    run = ImportRun(store, report, mapping.as_dict() if mapping.columns is not None else None, user)
    try:
        with store.foreign_keys_off(), store.transaction():
            run.begin()
            builder = DraftBuilder(store, columns, mapping.settings, unknown=unknown)
            writer = ContactWriter(store, now=report.started_at or utc_now())
            _import_rows(source, mapping, builder, writer, run, header, structured, progress)
            writer.flush()
            report.organizations_created = writer.created - report.created
            if all_or_nothing and report.rejected:
                raise _Rollback
            status = "finished" if not report.rejected else "finished with rejected rows"
            run.finish(status, source.sha256)
            if dry_run:
                raise _Rollback
    except _Rollback:
        report.import_id = None
        if all_or_nothing and report.rejected:
            report.created = report.updated = report.organizations_created = 0
            status = "nothing written: rows were rejected"
            if dry_run:
                report.status = status
            else:
                run.record_rolled_back(status, source.sha256)
    return report


def record_targets(fields: dict[str, Any]) -> list[str]:
    """Every key a flattened JSON record may carry, as the columns of a record import."""
    names = [*TEXT_FIELDS, *IDENTIFIERS, "kind", "vip", "hidden", "created_at", "updated_at"]
    names += [f"address.{part}" for part in ADDRESS_PARTS]
    names += [
        "phones",
        "emails",
        "tags",
        "guardians",
        "observers",
        "organizations",
        "id",
        "members",
    ]
    names += [f"custom.{key}" for key in fields]
    return names


def _import_rows(
    source: SourceFile,
    mapping: Mapping,
    builder: DraftBuilder,
    writer: ContactWriter,
    run: ImportRun,
    header: list[str],
    structured: bool,
    progress: Progress | None,
) -> None:
    report = run.report
    width = len(header)
    default_kind = mapping.kind
    match = mapping.match
    build = builder.build
    known = set(header)
    for line, cells in source.rows:
        report.rows_read += 1
        if progress is not None and report.rows_read % _PROGRESS_EVERY == 0:
            progress(source.bytes_read, report.rows_read)
        if structured:
            record = cells[0]
            if record is None:
                run.problems(line, [("error", None, None, "the item is not a JSON object")])
                continue
            if mapping.columns is None:
                flat = flatten_record(record)
                if len(report.ignored_columns) < 50:
                    _note_ignored(report, flat.keys() - known)
            else:
                flat = record
            cells = [flat.get(column, MISSING) for column in header]
        elif len(cells) != width and (len(cells) < width or any(map(str.strip, cells[width:]))):
            reason = f"the row has {len(cells)} cells but the header has {width}"
            run.problems(line, [("error", None, None, reason)])
            continue
        draft, problems = build(cells, default_kind)
        if draft is None:
            run.problems(line, problems)
            continue
        kind = draft.kind or default_kind
        found = writer.find(draft, match) if match else []
        if not found and kind == "organization":
            found = writer.find_organization(draft)
        if len(found) > 1:
            problems.append(
                (
                    "error",
                    None,
                    None,
                    f"it matches {len(found)} existing contacts"
                    f" (ids {', '.join(map(str, found[:5]))})",
                )
            )
        elif found:
            problems.extend(_external_id_clash(writer, draft, found[0], builder))
            existing = writer.kind_of(found[0])
            if existing != kind:
                reason = f"it matches contact {found[0]}, which is {_a(existing)}, not {_a(kind)}"
                problems.append(("error", None, None, reason))
        else:
            problems.extend(_external_id_clash(writer, draft, None, builder))
            problems.extend(builder.missing_required(draft, kind))
        if problems and run.problems(line, problems):
            continue
        if found:
            writer.update(found[0], draft, kind=kind)
            report.updated += 1
            writer.maybe_flush()
        else:
            writer.create(draft, kind)
            report.created += 1
            writer.maybe_flush()
    if progress is not None:
        progress(source.bytes_read, report.rows_read)


def _a(kind: str | None) -> str:
    return f"an {kind}" if kind == "organization" else f"a {kind}"


def _note_ignored(report: ImportReport, keys: Any) -> None:
    for key in sorted(keys):
        if key not in report.ignored_columns:
            report.ignored_columns.append(key)


def _external_id_clash(
    writer: ContactWriter, draft: Any, contact_id: int | None, builder: DraftBuilder
) -> list[Problem]:
    external_id = draft.scalars.get("external_id")
    if not external_id:
        return []
    owner = writer.external_id_owner(external_id)
    if owner is None or owner == contact_id:
        return []
    column = builder.target_columns.get("external_id", "external_id")
    return [("error", column, external_id, f"external_id is already used by contact {owner}")]

"""JSON and JSON Lines records as rows of a contact import.

A record exported by `crm export --format json` nests its address and custom
values; imported without a mapping, it is flattened to the same targets a CSV
header would name (`address.city`, `custom.industry`), and its keys are the
columns.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from crmkit.drafts import MISSING, DraftBuilder, Problem
from crmkit.importers.left_out import undefined_field_problem
from crmkit.importers.readers import SourceFile
from crmkit.importers.row_parsing import Parsed
from crmkit.mapping import Mapping
from crmkit.model import ImportReport
from crmkit.targets import ADDRESS_PARTS, IDENTIFIERS, TEXT_FIELDS

__all__ = ["flatten_record", "record_targets", "record_rows", "note_ignored"]


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
        "campaigns",
        "groups",
        "cases",
    ]
    names += [f"custom.{key}" for key in fields]
    return names


def record_rows(
    source: SourceFile,
    mapping: Mapping,
    builder: DraftBuilder,
    header: list[str],
    report: ImportReport,
) -> Iterator[Parsed]:
    """Drafts of JSON records: each record's keys in the order of the header."""
    default_kind = mapping.kind
    known = set(header)
    for line, cells in source.rows:
        record = cells[0]
        if not isinstance(record, dict):
            # The reader's sentence saying why the line or item is not a record.
            problem: Problem = ("error", None, None, str(record))
            yield line, None, [problem], None, None, None
            continue
        undefined: list[Problem] = []
        if mapping.columns is None:
            flat = flatten_record(record)
            unknown = flat.keys() - known
            if unknown:
                if len(report.ignored_columns) < 50:
                    note_ignored(report, unknown)
                undefined = _undefined_fields(flat, unknown, builder)
        else:
            flat = record
        cells = [flat.get(column, MISSING) for column in header]
        draft, problems = builder.build(cells, default_kind)
        yield line, draft, problems + undefined, None, None, None


def _undefined_fields(flat: dict[str, Any], keys: Any, builder: DraftBuilder) -> list[Problem]:
    """The problems of the record's values for custom fields the base does not define."""
    return [
        undefined_field_problem(key, key[len("custom.") :], builder.unknown)
        for key in sorted(keys)
        if key.startswith("custom.") and flat[key] not in (None, "", [])
    ]


def note_ignored(report: ImportReport, keys: Any) -> None:
    for key in sorted(keys):
        if key not in report.ignored_columns:
            report.ignored_columns.append(key)

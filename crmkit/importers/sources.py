"""Choose the reader for a file: by its name, else by its first bytes.

Every reader gives a `SourceFile` (a header and rows of cells), so an import goes
on the same way whichever one read the file.
"""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Any

from crmkit.errors import CrmError
from crmkit.importers.readers import SourceFile, open_source

if TYPE_CHECKING:
    from crmkit.mapping import Mapping
    from crmkit.store import Store

__all__ = ["open_input", "file_head", "choose_mapping"]

# Rows of a file read by a preset find their contacts again by e-mail or phone.
_PRESET_MATCH = ["email", "phone"]


def file_head(path: str, size: int = 16) -> bytes:
    """The first bytes of a file, or nothing for stdin, a folder or a file that is not there."""
    if path == "-":
        return b""
    try:
        with open(path, "rb") as stream:
            return stream.read(size)
    except OSError:
        return b""


def open_input(
    path: str,
    *,
    sheet: str | int | None = None,
    columns: dict[str, str | None] | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    stdin: IO[bytes] | None = None,
) -> SourceFile:
    """Open a CSV/TSV, JSON, JSON Lines, workbook or vCard file for an import.

    `columns` are the mapping's (a workbook's sheet is the one whose header holds
    them); `sheet` picks a workbook's sheet by name or number.
    """
    from crmkit.importers.workbooks import is_workbook, open_workbook

    head = file_head(path)
    if path != "-" and is_workbook(path, head):
        if encoding or delimiter:
            raise CrmError("--encoding and --delimiter are for text files, not workbooks")
        return open_workbook(path, sheet=sheet, columns=columns)
    if sheet is not None:
        raise CrmError(f"--sheet is for workbooks (.xlsx, .xls, .ods); {path} is not one")
    if path.lower().endswith(".vcf") or _is_vcard(head):
        from crmkit.importers.vcards import open_vcards

        return open_vcards(path, encoding=encoding, stdin=stdin)
    return open_source(path, encoding=encoding, delimiter=delimiter, stdin=stdin)


def _is_vcard(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \r\n\t").upper()
    return text.startswith(b"BEGIN:VCARD")


def choose_mapping(
    store: Store, source: SourceFile, mapping: Mapping | None, preset: str | None
) -> tuple[SourceFile, Mapping, str | None]:
    """The rows to import, the mapping that reads them, and the preset used (if any).

    A mapping given is used as it is, unless it names a preset (`preset: google`:
    its settings apply, the preset reads the columns). Without one, the preset given
    or recognised from the header reads a Google or Outlook file; headers that are target names
    are the `crmkit` preset. Cards of a vCard file from a phone or another program
    find the contacts they were imported as by UID, e-mail or phone; other files
    (and crmkit's own cards) by the external id.
    """
    from dataclasses import replace

    from crmkit.importers.presets import PRESETS, apply_preset, recognise_preset
    from crmkit.importers.vcards import VcardSource, name_url_column
    from crmkit.mapping import Mapping
    from crmkit.store.sqlite.reference import fields_by_key

    if preset is not None and preset not in PRESETS:
        raise CrmError(f"unknown preset {preset!r}; use one of: {', '.join(PRESETS)}")
    if mapping is not None:
        if preset is not None:
            raise CrmError("give --mapping or --preset, not both")
        if mapping.preset is None:
            return source, mapping, None
        preset = mapping.preset
    fields = fields_by_key(store)
    url_fields = [key for key, field in fields.items() if field.type == "url"]
    if isinstance(source, VcardSource):
        if preset is not None:
            raise CrmError(f"--preset is for CSV files and workbooks, not for {source.name}")
        name_url_column(source, url_fields)
        keys = ["external_id"] if source.from_crmkit else ["external_id", *_PRESET_MATCH]
        return source, Mapping(match=keys), None
    if source.records:
        if preset not in (None, "crmkit"):
            raise CrmError(f"--preset is for CSV files and workbooks, not for {source.name}")
        return source, Mapping(match=["external_id"]), preset
    chosen = preset or recognise_preset(source.header) or _crmkit_preset(source.header, fields)
    settings = mapping or Mapping()
    if chosen in ("google", "outlook"):
        read = apply_preset(chosen, source)
        name_url_column(read, url_fields)
        return read, replace(settings, match=settings.match or list(_PRESET_MATCH)), chosen
    return source, replace(settings, match=settings.match or ["external_id"]), chosen


def _crmkit_preset(header: list[str], fields: dict[str, Any]) -> str | None:
    """`crmkit` when any column of the header is a target name (as crm export writes)."""
    from crmkit.targets import resolve_target

    for column in header:
        try:
            resolve_target(column, fields)
        except CrmError:
            continue
        return "crmkit"
    return None

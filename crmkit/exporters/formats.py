"""Exports for other tools: an Excel workbook, vCard cards, Google and Outlook CSV files.

Each is written from what the base already gives (the rows of the CSV export, or
the JSON records), to a path (written whole, then renamed), a stream or stdout.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING

from crmkit.errors import CrmError

if TYPE_CHECKING:
    from crmkit.store import Store
    from crmkit.store.sqlite.query.selection import Selection

__all__ = ["OTHER_FORMATS", "VCARD_VERSIONS", "write_other_format"]

OTHER_FORMATS = ("xlsx", "vcard", "google", "outlook")
VCARD_VERSIONS = ("3.0", "4.0")


def write_other_format(
    store: Store,
    selection: Selection,
    target: str | Path | IO[str] | IO[bytes] | None,
    *,
    fmt: str,
    columns: list[str] | None = None,
    vcard_version: str = "4.0",
) -> int:
    """Write the selected contacts as `fmt` (one of OTHER_FORMATS); return how many."""
    if columns and fmt != "xlsx":
        raise CrmError(f"--columns is for csv and xlsx; a {fmt} export has its own columns")
    if vcard_version not in VCARD_VERSIONS:
        raise CrmError(f"--vcard-version must be 3.0 or 4.0, not {vcard_version!r}")
    if fmt == "xlsx":
        return _write_workbook(store, selection, target, columns)
    from crmkit.exporters.outputs import text_output, text_stream
    from crmkit.store.sqlite.records import iter_records

    records = iter_records(store, selection.ids())
    if fmt == "vcard":
        from crmkit.exporters.vcard import write_vcards

        def write(out: IO[str]) -> int:
            return write_vcards(out, records, version=vcard_version, avatar=avatar)

        def avatar(contact_id: int) -> tuple[bytes, str] | None:
            return _avatar(store, contact_id)

    elif fmt in ("google", "outlook"):
        from crmkit.exporters.service_csv import write_service_csv

        def write(out: IO[str]) -> int:
            return write_service_csv(out, records, service=fmt)

    else:
        raise CrmError(f"unknown export format {fmt!r}")
    if target is None or isinstance(target, (str, Path)):
        with text_output(target) as out:
            return write(out)
    with text_stream(target) as out:
        return write(out)


def _write_workbook(
    store: Store,
    selection: Selection,
    target: str | Path | IO[str] | IO[bytes] | None,
    columns: list[str] | None,
) -> int:
    from crmkit.exporters.atomic import atomic_binary_file
    from crmkit.exporters.xlsx import cell_kinds, write_xlsx
    from crmkit.store.sqlite.export import export_table

    specs, rows = export_table(store, selection, columns)
    header = [spec.header for spec in specs]
    kinds = cell_kinds(specs)
    if isinstance(target, (str, Path)) and str(target) != "-":
        with atomic_binary_file(target) as out:
            return write_xlsx(out, header, kinds, rows)
    if target is None or str(target) == "-":
        if sys.stdout.isatty():
            raise CrmError("a workbook is binary: write it to a file with -o FILE.xlsx")
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is None:
            raise CrmError("a workbook is binary: write it to a file with -o FILE.xlsx")
        sys.stdout.flush()
        count = write_xlsx(buffer, header, kinds, rows)
        buffer.flush()
        return count
    if isinstance(target, (str, Path)) or not _is_binary(target):
        raise CrmError("a workbook is binary: give a path or a stream opened with 'wb'")
    return write_xlsx(target, header, kinds, rows)  # type: ignore[arg-type]


def _avatar(store: Store, contact_id: int) -> tuple[bytes, str] | None:
    """The contact's picture and its media type, or None."""
    from crmkit.store.sqlite.files import FileStore, avatar_file

    info = avatar_file(store, contact_id)
    if info is None:
        return None
    try:
        return FileStore.for_store(store).read_bytes(info["sha256"]), info["media_type"]
    except CrmError:
        return None


def _is_binary(stream: IO[str] | IO[bytes]) -> bool:
    import io

    if isinstance(stream, io.TextIOBase):
        return False
    mode = getattr(stream, "mode", "b")
    return not isinstance(mode, str) or "b" in mode

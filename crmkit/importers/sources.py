"""Choose the reader for a file: by its name, else by its first bytes.

Every reader gives a `SourceFile` (a header and rows of cells), so an import goes
on the same way whichever one read the file.
"""

from __future__ import annotations

from typing import IO

from crmkit.importers.readers import SourceFile, open_source

__all__ = ["open_input", "file_head"]


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
    from crmkit.errors import CrmError
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

"""Sources read whole before their rows are given out: a workbook's sheet, vCard cards."""

from __future__ import annotations

from dataclasses import dataclass

from crmkit.importers.readers import SourceFile

__all__ = ["LoadedSource"]


@dataclass
class LoadedSource(SourceFile):
    """A file read whole before its rows are given out (a workbook's sheet, vCard cards).

    Progress is counted in rows, shown as that share of the file's size.
    """

    total_rows: int = 0
    rows_done: int = 0
    file_sha256: str | None = None

    @property
    def sha256(self) -> str | None:
        return self.file_sha256

    @property
    def bytes_read(self) -> int:
        if not self.total_rows or not self.size:
            return 0
        return self.size * min(self.rows_done, self.total_rows) // self.total_rows

"""Read CSV, JSON and JSON Lines files as a header and a stream of rows.

Files are streamed: memory does not grow with the file. The encoding is
detected from a sample (a BOM, else UTF-16 told by its NUL bytes, else UTF-8,
else Windows-1250 as written by a Polish Excel), the CSV delimiter from
Excel's `sep=` line or the header line. Blank lines are passed over. A problem
with the file as a whole is a `CrmError`, raised before the first row is
returned where it can be seen there, else when it is met (the import is then
rolled back). JSON and JSON Lines are read by `json_reading`.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from crmkit.errors import CrmError
from crmkit.exporters.escaping import unescape_row
from crmkit.importers.json_reading import json_rows, jsonl_rows

__all__ = [
    "SourceFile",
    "open_source",
    "detect_encoding",
    "sniff_delimiter",
    "cell_count_problem",
    "check_header",
]

_SAMPLE = 1 << 20
_DELIMITERS = (",", ";", "\t", "|")
_ENCODING_NAMES = {"utf8": "utf-8", "windows-1250": "cp1250", "win1250": "cp1250"}
# Bytes looked at to tell UTF-16 without a byte order mark.
_UTF16_PROBE = 4096
# The first line Excel writes to name a CSV file's delimiter: `sep=;`.
_EXCEL_SEPARATOR = re.compile(r"sep=(.)", re.IGNORECASE)
csv.field_size_limit(1 << 24)


class _HashingReader(io.RawIOBase):
    """Passes bytes through while hashing them, so the file is read once."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        self.digest.update(data)
        self.consumed += size
        return size


@dataclass
class SourceFile:
    """An opened input: its format, header and rows (line number, cells)."""

    name: str
    format: str
    header: list[str]
    rows: Iterator[tuple[int, list[Any]]]
    size: int | None = None
    encoding: str | None = None
    delimiter: str | None = None
    _hashing: _HashingReader | None = field(default=None, repr=False)
    _handles: list[IO[Any]] = field(default_factory=list, repr=False)

    @property
    def records(self) -> bool:
        """Whether each row is one JSON object (in a one-cell list), not cells under a header."""
        return self.format in ("json", "jsonl")

    @property
    def sha256(self) -> str | None:
        return self._hashing.digest.hexdigest() if self._hashing else None

    @property
    def bytes_read(self) -> int:
        return self._hashing.consumed if self._hashing else 0

    def close(self) -> None:
        for handle in reversed(self._handles):
            handle.close()

    def __enter__(self) -> SourceFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def detect_encoding(sample: bytes) -> str:
    """The encoding of a file from its first bytes; CrmError if no supported one fits."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in sample:
        utf16 = _utf16_without_bom(sample)
        if utf16 is None:
            raise CrmError("it is not a text file (it holds NUL bytes)")
        return utf16
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeError:
        pass
    try:
        sample.decode("cp1250")
        return "cp1250"
    except UnicodeError:
        raise CrmError(
            "it is not valid text in any supported encoding (UTF-8, UTF-16, Windows-1250)"
        ) from None


def _utf16_without_bom(sample: bytes) -> str | None:
    """utf-16-le or utf-16-be for UTF-16 text without a byte order mark, else None.

    Such text is told by its NUL bytes: mostly ASCII, as a CSV header is, it has
    one in nearly every pair of bytes, always on the same side.
    """
    head = sample[:_UTF16_PROBE]
    head = head[: len(head) - len(head) % 2]
    pairs = len(head) // 2
    if pairs < 2:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    for encoding, zeros, others in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if zeros * 2 >= pairs and others * 20 <= pairs:
            try:
                codecs.getincrementaldecoder(encoding)().decode(head, final=False)
            except UnicodeError:
                continue
            return encoding
    return None


def sniff_delimiter(header_line: str) -> str:
    """The delimiter that splits the header line into the most columns (outside quotes)."""
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def open_source(
    path: str,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    stdin: IO[bytes] | None = None,
) -> SourceFile:
    """Open a CSV, TSV, JSON or JSON Lines file (`-` for stdin) for streaming."""
    name = "<stdin>" if path == "-" else path
    if path == "-":
        raw: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115
        source = stdin if stdin is not None else sys.stdin.buffer
        while chunk := source.read(1 << 20):
            raw.write(chunk)
        raw.seek(0)
        size = None
    else:
        file_path = Path(path)
        if file_path.is_dir():
            raise CrmError(f"{path} is a folder, not a file")
        try:
            raw = open(file_path, "rb")  # noqa: SIM115 - closed by SourceFile.close
        except FileNotFoundError:
            raise CrmError(f"file {path} does not exist") from None
        except OSError as exc:
            raise CrmError(f"cannot read {path}: {exc.strerror}") from None
        size = file_path.stat().st_size
    try:
        return _open(name, path, raw, size, encoding, delimiter)
    except BaseException:
        raw.close()
        raise


def _open(
    name: str,
    path: str,
    raw: IO[bytes],
    size: int | None,
    encoding: str | None,
    delimiter: str | None,
) -> SourceFile:
    sample = raw.read(_SAMPLE)
    raw.seek(0)
    if not sample.strip():
        raise CrmError(f"{name} is empty")
    if encoding:
        encoding = _ENCODING_NAMES.get(encoding.lower(), encoding)
        try:
            info = codecs.lookup(encoding)
        except LookupError:
            raise CrmError(f"unknown encoding {encoding!r}; try utf-8 or cp1250") from None
        if not getattr(info, "_is_text_encoding", True):
            raise CrmError(f"{encoding!r} is not a text encoding; try utf-8 or cp1250")
    else:
        try:
            encoding = detect_encoding(sample)
        except CrmError as exc:
            raise CrmError(f"{name}: {exc}") from None
    hashing = _HashingReader(raw)
    text = io.TextIOWrapper(io.BufferedReader(hashing, 1 << 16), encoding=encoding, newline="")
    lower = path.lower()
    if lower.endswith((".jsonl", ".ndjson")):
        fmt = "jsonl"
    elif lower.endswith(".json"):
        fmt = "json"
    elif path == "-" and sample.lstrip()[:1] in (b"[", b"{"):
        fmt = "jsonl" if sample.lstrip()[:1] == b"{" else "json"
    else:
        fmt = "csv"
    handles: list[IO[Any]] = [raw, text]
    decoding = _Decoding(name, raw, encoding)
    if fmt == "csv":
        first_line = _first_line(sample, encoding)
        excel = _EXCEL_SEPARATOR.fullmatch(first_line)
        if delimiter is None:
            if excel is not None:
                delimiter = excel[1]
            elif lower.endswith(".tsv"):
                delimiter = "\t"
            else:
                delimiter = sniff_delimiter(first_line)
        elif delimiter in ("\\t", "tab", "TAB"):
            delimiter = "\t"
        if len(delimiter) != 1:
            raise CrmError(f"the delimiter must be one character, not {delimiter!r}")
        header, rows = _csv_rows(name, text, delimiter, decoding, skip_line=excel is not None)
    elif fmt == "jsonl":
        header, rows = jsonl_rows(name, text, decoding)
    else:
        header, rows = json_rows(name, text, decoding)
    source = SourceFile(
        name, fmt, header, rows, size, encoding, delimiter if fmt == "csv" else None
    )
    source._hashing = hashing
    source._handles = handles
    return source


class _Decoding:
    """The file read again for what only a second look tells.

    Called, it builds the error for undecodable bytes, with the exact line.
    """

    def __init__(self, name: str, raw: IO[bytes], encoding: str) -> None:
        self.name, self.raw, self.encoding = name, raw, encoding

    def ends_in_open_quote(self, delimiter: str) -> bool:
        """Whether the file ends inside a quoted CSV cell (read again, strictly).

        Rows the strict reader refuses on the way (`"a"b`, which the import reads
        as `ab`) are passed over: only the end matters here.
        """
        if not self.raw.seekable():
            return False
        self.raw.seek(0)
        text = io.TextIOWrapper(self.raw, encoding=self.encoding, newline="")
        reader = csv.reader(text, delimiter=delimiter, strict=True)
        try:
            while True:
                try:
                    next(reader)
                except StopIteration:
                    return False
                except csv.Error as exc:
                    if "unexpected end of data" in str(exc):
                        return True
        finally:
            text.detach()

    def __call__(self, approximate_line: int) -> CrmError:
        line = approximate_line
        if self.raw.seekable() and not self.encoding.startswith("utf-16"):
            self.raw.seek(0)
            for number, data in enumerate(self.raw, start=1):
                try:
                    data.decode(self.encoding)
                except UnicodeError:
                    line = number
                    break
        return CrmError(
            f"{self.name}: line {line} is not valid {self.encoding} text;"
            " give the file's encoding with --encoding"
        )


def _first_line(sample: bytes, encoding: str) -> str:
    """The sample's first line of text (a byte order mark left out)."""
    text = sample[: 1 << 16].decode(encoding, errors="replace")
    return text.split("\n", 1)[0].rstrip("\r").lstrip("\ufeff")


def _csv_rows(
    name: str, text: IO[str], delimiter: str, decoding: _Decoding, *, skip_line: bool = False
) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    """The header (after any blank lines) and the rows; `skip_line` passes Excel's `sep=` line."""
    skipped = 0
    try:
        if skip_line:
            text.readline()
            skipped = 1
        reader = csv.reader(text, delimiter=delimiter)
        header = next(reader)
        while _blank(header):
            header = next(reader)
    except StopIteration:
        raise CrmError(f"{name} is empty") from None
    except UnicodeError:
        raise decoding(1) from None
    except csv.Error as exc:
        raise CrmError(f"{name}: the header line cannot be read as CSV ({exc})") from None
    header = [column.strip() for column in header]
    while header and not header[-1]:
        header.pop()  # a spreadsheet's trailing delimiter; rows may carry it too
    check_header(name, header)

    def rows() -> Iterator[tuple[int, list[Any]]]:
        previous = reader.line_num
        last: list[str] = []
        start = 0
        try:
            for cells in reader:
                # Most rows start with a cell that is not blank: only others are looked at.
                if cells and ((cells[0] and not cells[0].isspace()) or not _blank(cells)):
                    start = previous + 1 + skipped
                    yield start, unescape_row(cells)
                    last = cells
                previous = reader.line_num
        except UnicodeError:
            raise decoding(reader.line_num + 1 + skipped) from None
        except csv.Error as exc:
            raise CrmError(
                f"{name}: line {reader.line_num + skipped} cannot be read as CSV ({exc})"
            ) from None
        # The csv module ends a quoted cell left open at the end of the file without a
        # word: the rest of the file became that cell.
        multiline = any("\n" in cell or "\r" in cell for cell in last)
        if multiline and decoding.ends_in_open_quote(delimiter):
            raise CrmError(
                f"{name}: line {start}: a quoted cell runs from here to the end of the"
                " file; is a quote left open?"
            )

    return header, rows()


def _blank(cells: list[str]) -> bool:
    """Whether a row holds nothing but white space (a blank line, or only delimiters)."""
    return not "".join(cells).strip()


def check_header(name: str, header: list[str]) -> None:
    """Raise `CrmError` for a header with a column without a name or named twice."""
    seen: set[str] = set()
    for index, column in enumerate(header, start=1):
        if not column:
            raise CrmError(f"{name}: column {index} of the header has no name")
        if column in seen:
            raise CrmError(f"{name}: the header names column {column!r} twice")
        seen.add(column)


def cell_count_problem(cells: list[str], width: int) -> str:
    """Return why a row with the wrong number of cells is rejected.

    A quote left open makes the CSV reader run one cell on over the next lines,
    swallowing them into this row; when a cell holds line breaks, say how many
    lines it took, so that the rows that seem lost can be found.
    """
    reason = f"the row has {len(cells)} cells but the header has {width}"
    breaks = sum(cell.count("\n") for cell in cells if isinstance(cell, str))
    if breaks:
        reason += (
            f"; a quoted cell runs over the next {breaks} line{'s' if breaks > 1 else ''}"
            " of the file: is a quote left open?"
        )
    return reason

"""Read CSV, JSON and JSON Lines files as a header and a stream of rows.

Files are streamed: memory does not grow with the file. The encoding is
detected from a sample (a BOM, else UTF-8, else Windows-1250 as written by a
Polish Excel), the CSV delimiter from the header line. Every problem with the
file as a whole is a `CrmError` raised before the first row is returned.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from crmkit.errors import CrmError
from crmkit.exporters.escaping import unescape_row

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
        raise CrmError("it is not a text file (it holds NUL bytes)")
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
            codecs.lookup(encoding)
        except LookupError:
            raise CrmError(f"unknown encoding {encoding!r}; try utf-8 or cp1250") from None
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
        if delimiter is None:
            first_line = sample.split(b"\n", 1)[0].decode(encoding, errors="replace")
            delimiter = "\t" if lower.endswith(".tsv") else sniff_delimiter(first_line)
        elif delimiter in ("\\t", "tab", "TAB"):
            delimiter = "\t"
        if len(delimiter) != 1:
            raise CrmError(f"the delimiter must be one character, not {delimiter!r}")
        header, rows = _csv_rows(name, text, delimiter, decoding)
    elif fmt == "jsonl":
        header, rows = _jsonl_rows(name, text, decoding)
    else:
        header, rows = _json_rows(name, text, decoding)
    source = SourceFile(
        name, fmt, header, rows, size, encoding, delimiter if fmt == "csv" else None
    )
    source._hashing = hashing
    source._handles = handles
    return source


class _Decoding:
    """Builds the error for undecodable bytes, with the exact line found by a rescan."""

    def __init__(self, name: str, raw: IO[bytes], encoding: str) -> None:
        self.name, self.raw, self.encoding = name, raw, encoding

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


def _csv_rows(
    name: str, text: IO[str], delimiter: str, decoding: _Decoding
) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    reader = csv.reader(text, delimiter=delimiter)
    try:
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
        try:
            for cells in reader:
                if any(cells):
                    yield previous + 1, unescape_row(cells)
                previous = reader.line_num
        except UnicodeError:
            raise decoding(reader.line_num + 1) from None
        except csv.Error as exc:
            raise CrmError(
                f"{name}: line {reader.line_num} cannot be read as CSV ({exc})"
            ) from None

    return header, rows()


def check_header(name: str, header: list[str]) -> None:
    """Raise `CrmError` for a header with a column without a name or named twice."""
    seen: set[str] = set()
    for index, column in enumerate(header, start=1):
        if not column:
            raise CrmError(f"{name}: column {index} of the header has no name")
        if column in seen:
            raise CrmError(f"{name}: the header names column {column!r} twice")
        seen.add(column)


def _object_keys(name: str, record: Any, where: str) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise CrmError(f"{name}: {where} is not a JSON object")
    return record


def _jsonl_rows(
    name: str, text: IO[str], decoding: _Decoding
) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    lines = enumerate(text, start=1)
    first: tuple[int, dict[str, Any]] | None = None
    try:
        for number, line in lines:
            if line.strip():
                first = (
                    number,
                    _object_keys(name, _parse_json(name, line, number), f"line {number}"),
                )
                break
    except UnicodeError:
        raise decoding(1) from None
    if first is None:
        raise CrmError(f"{name} is empty")
    header = list(first[1])

    def rows() -> Iterator[tuple[int, list[Any]]]:
        assert first is not None
        yield first[0], [first[1]]
        number = first[0]
        try:
            for number, line in lines:
                if line.strip():
                    record = _parse_json(name, line, number)
                    if not isinstance(record, dict):
                        yield number, [None]
                    else:
                        yield number, [record]
        except UnicodeError:
            raise decoding(number + 1) from None

    return header, rows()


def _parse_json(name: str, text: str, line: int) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CrmError(f"{name}: line {line} is not valid JSON ({exc.msg})") from None


def _json_rows(
    name: str, text: IO[str], decoding: _Decoding
) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    items = _iter_json_array(name, text)
    try:
        first = next(items, None)
    except UnicodeError:
        raise decoding(1) from None
    if first is None:
        return [], iter(())
    header = list(_object_keys(name, first[1], "item 1 of the array"))

    def rows() -> Iterator[tuple[int, list[Any]]]:
        assert first is not None
        yield first[0], [first[1]]
        try:
            for line, item in items:
                yield line, [item if isinstance(item, dict) else None]
        except UnicodeError:
            raise decoding(1) from None

    return header, rows()


def _iter_json_array(name: str, text: IO[str]) -> Iterator[tuple[int, Any]]:
    """Items of a top-level JSON array with the line each starts on, decoded one at a time."""
    decoder = json.JSONDecoder()
    buffer = text.read(1 << 16)
    line = 1  # the line buffer[0] is on
    position = len(buffer) - len(buffer.lstrip())
    if buffer[position : position + 1] != "[":
        raise CrmError(f"{name} is not a JSON array of objects (it must start with '[')")
    position += 1
    expect_item = True
    while True:
        while True:
            while position < len(buffer) and buffer[position] in " \t\r\n":
                position += 1
            if position < len(buffer):
                break
            more = text.read(1 << 16)
            if not more:
                raise CrmError(f"{name} is not a complete JSON array (it ends too early)")
            line += buffer.count("\n", 0, position)
            buffer = buffer[position:] + more
            position = 0
        char = buffer[position]
        if char == "]":
            return
        if char == "," and not expect_item:
            position += 1
            expect_item = True
            continue
        if not expect_item:
            raise CrmError(f"{name} is not valid JSON (a ',' or ']' is missing between items)")
        while True:
            try:
                item, end = decoder.raw_decode(buffer, position)
                break
            except json.JSONDecodeError as exc:
                more = text.read(1 << 16)
                if not more:
                    raise CrmError(f"{name} is not valid JSON ({exc.msg})") from None
                line += buffer.count("\n", 0, position)
                buffer = buffer[position:] + more
                position = 0
        yield line + buffer.count("\n", 0, position), item
        line += buffer.count("\n", 0, end)
        buffer = buffer[end:]
        position = 0
        expect_item = False


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

"""Read a JSON array of objects or JSON Lines as a header and a stream of records.

Each row's only cell is the record (a dict), or, for an item or line that is
not one, a sentence saying why, which the importer reports as that row's
error: a JSON Lines file with a broken line imports its other lines. What
breaks the whole file (an array that does not parse, ends too early or goes
on after its end) is a `CrmError`.

A record is refused when a string in it holds a NUL character or half of a
surrogate pair (`\\u0000`, `\\ud800`): neither can be stored as text and read
back the same. Both can only be written as escapes, so only lines holding
such an escape are looked at closely.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import IO, Any

from crmkit.errors import CrmError

__all__ = ["json_rows", "jsonl_rows", "NOT_AN_OBJECT"]

Rows = Iterator[tuple[int, list[Any]]]
NOT_AN_OBJECT = "the item is not a JSON object"
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")
_CHUNK = 1 << 16


def jsonl_rows(
    name: str, text: IO[str], decoding: Callable[[int], CrmError]
) -> tuple[list[str], Rows]:
    """The keys of the first record, and each non-blank line as a row."""
    lines = enumerate(text, start=1)
    before: list[tuple[int, list[Any]]] = []  # lines that are not records, before the first one
    first: tuple[int, dict[str, Any]] | None = None
    try:
        for number, line in lines:
            if line.strip():
                item = _line_item(line)
                if isinstance(item, dict):
                    first = (number, item)
                    break
                before.append((number, [item]))
    except UnicodeError:
        raise decoding(1) from None
    if first is None:
        if not before:
            raise CrmError(f"{name} is empty")
        number, (reason,) = before[0]
        raise CrmError(f"{name}: no line is a JSON object (line {number}: {_no_record(reason)})")
    header = list(first[1])

    def rows() -> Rows:
        assert first is not None
        yield from before
        yield first[0], [first[1]]
        number = first[0]
        try:
            for number, line in lines:
                if line.strip():
                    yield number, [_line_item(line)]
        except UnicodeError:
            raise decoding(number + 1) from None

    return header, rows()


def _line_item(line: str) -> dict[str, Any] | str:
    """The record on one line of JSON Lines, or why there is none."""
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        return f"the line is not valid JSON ({exc.msg})"
    except RecursionError:
        return "the line is nested too deeply to read"
    if not isinstance(item, dict):
        return "a JSON array, not an object" if isinstance(item, list) else NOT_AN_OBJECT
    return _checked(item, line, 0, len(line))


def _no_record(reason: str) -> str:
    if reason.startswith("a JSON array"):
        return "it is a JSON array; a file holding one JSON array is read when named .json"
    return reason


def _checked(record: dict[str, Any], source: str, start: int, end: int) -> dict[str, Any] | str:
    """The record, or why it cannot be stored (a NUL or a lone surrogate in a string).

    `source[start:end]` is the record's JSON text.
    """
    if _SUSPECT_ESCAPE.search(source, start, end) is None:
        return record
    stack: list[Any] = [record]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str):
            if "\x00" in value:
                return "the record holds a NUL character (\\u0000)"
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                half = f"\\u{ord(value[exc.start]):04x}"
                return f"the record holds a lone surrogate ({half}), which is not a character"
    return record


def json_rows(
    name: str, text: IO[str], decoding: Callable[[int], CrmError]
) -> tuple[list[str], Rows]:
    """The keys of the first item, and each item of the array as a row."""
    items = _iter_json_array(name, text)
    try:
        first = next(items, None)
    except UnicodeError:
        raise decoding(1) from None
    if first is None:
        return [], iter(())
    if not isinstance(first[1], dict):
        raise CrmError(f"{name}: item 1 of the array is not a JSON object")
    header = list(first[1])

    def rows() -> Rows:
        assert first is not None
        yield first[0], [first[1]]
        try:
            for line, item in items:
                yield line, [item if isinstance(item, (dict, str)) else NOT_AN_OBJECT]
        except UnicodeError:
            raise decoding(1) from None

    return header, rows()


class _ArrayText:
    """The text of a JSON array, read a chunk at a time, and the line its buffer starts on."""

    def __init__(self, name: str, text: IO[str]) -> None:
        self.name = name
        self.text = text
        self.buffer = text.read(_CHUNK)
        self.line = 1

    def more(self, position: int) -> int:
        """Drop what is before `position` and read on: the new position (0), or -1 at the end."""
        more = self.text.read(_CHUNK)
        if not more:
            return -1
        self.line += self.buffer.count("\n", 0, position)
        self.buffer = self.buffer[position:] + more
        return 0

    def line_at(self, position: int) -> int:
        return self.line + self.buffer.count("\n", 0, position)


def _iter_json_array(name: str, text: IO[str]) -> Iterator[tuple[int, Any]]:
    """Items of a top-level JSON array with the line each starts on, decoded one at a time.

    An item that is a record comes as a dict, a record that cannot be stored as
    the sentence saying why (see `_checked`), anything else as it is.
    """
    decoder = json.JSONDecoder()
    reader = _ArrayText(name, text)
    position = len(reader.buffer) - len(reader.buffer.lstrip())
    if reader.buffer[position : position + 1] != "[":
        raise CrmError(f"{name} is not a JSON array of objects (it must start with '[')")
    position += 1
    expect_item = True
    while True:
        position = _skip_space(reader, position)
        if position < 0:
            raise CrmError(f"{name} is not a complete JSON array (it ends too early)")
        char = reader.buffer[position]
        if char == "]":
            _check_end(reader, position + 1)
            return
        if char == "," and not expect_item:
            position += 1
            expect_item = True
            continue
        if not expect_item:
            raise CrmError(
                f"{name} is not valid JSON (a ',' or ']' is missing between items"
                f" at line {reader.line_at(position)})"
            )
        item, end = _decode_item(decoder, reader, position)
        yield item
        reader.line = reader.line_at(end)
        reader.buffer = reader.buffer[end:]
        position = 0
        expect_item = False


def _skip_space(reader: _ArrayText, position: int) -> int:
    """The position of the next character that is not white space, or -1 at the end."""
    while True:
        buffer = reader.buffer
        while position < len(buffer) and buffer[position] in " \t\r\n":
            position += 1
        if position < len(buffer):
            return position
        position = reader.more(position)
        if position < 0:
            return -1


def _decode_item(
    decoder: json.JSONDecoder, reader: _ArrayText, position: int
) -> tuple[tuple[int, Any], int]:
    """((line, item), end) of the item starting at `position`, reading on as needed."""
    while True:
        try:
            item, end = decoder.raw_decode(reader.buffer, position)
            break
        except json.JSONDecodeError as exc:
            after = reader.more(position)
            if after < 0:
                rest = reader.buffer[exc.pos :].strip()
                if not rest:
                    raise CrmError(
                        f"{reader.name} is not a complete JSON array (it ends too early)"
                    ) from None
                raise CrmError(
                    f"{reader.name} is not valid JSON ({exc.msg} at line {reader.line_at(exc.pos)})"
                ) from None
            position = after
        except RecursionError:
            raise CrmError(
                f"{reader.name}: the item at line {reader.line_at(position)} is nested too"
                " deeply to read"
            ) from None
    line = reader.line_at(position)
    if isinstance(item, dict):
        item = _checked(item, reader.buffer, position, end)
    return (line, item), end


def _check_end(reader: _ArrayText, position: int) -> None:
    """Refuse anything but white space after the array's closing bracket."""
    while True:
        rest = reader.buffer[position:]
        if rest.strip():
            offset = len(rest) - len(rest.lstrip())
            raise CrmError(
                f"{reader.name}: line {reader.line_at(position + offset)} holds more after the"
                " end of the JSON array"
            )
        position = reader.more(len(reader.buffer))
        if position < 0:
            return

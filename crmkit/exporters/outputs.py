"""Where an export goes: a file written all at once, stdout, or a stream the caller gives."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from crmkit.exporters.atomic import atomic_text_file

__all__ = ["text_output", "text_stream"]


@contextmanager
def text_output(path: str | Path | None) -> Iterator[IO[str]]:
    """The file to write (atomically), or stdout as UTF-8 without newline translation."""
    if path is not None and str(path) != "-":
        with atomic_text_file(path) as stream:
            yield stream
        return
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        yield sys.stdout
        return
    sys.stdout.flush()
    stream = io.TextIOWrapper(buffer, encoding="utf-8", newline="")
    try:
        yield stream
    finally:
        try:
            stream.flush()
        finally:
            stream.detach()


@contextmanager
def text_stream(stream: IO[str] | IO[bytes]) -> Iterator[IO[str]]:
    """A text stream as it is, or a binary one seen as UTF-8 text (left open after)."""
    if isinstance(stream, io.TextIOBase) or not _is_binary(stream):
        yield stream  # type: ignore[misc]
        return
    wrapper = io.TextIOWrapper(stream, encoding="utf-8", newline="")  # type: ignore[type-var]
    try:
        yield wrapper
    finally:
        wrapper.flush()
        wrapper.detach()


def _is_binary(stream: IO[str] | IO[bytes]) -> bool:
    if isinstance(stream, (io.RawIOBase, io.BufferedIOBase)):
        return True
    mode = getattr(stream, "mode", "")
    return isinstance(mode, str) and "b" in mode

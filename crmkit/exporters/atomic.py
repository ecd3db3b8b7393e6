"""Writing an output file all at once: a temporary file renamed over the target at the end.

A reader never sees half an export, and a failed export leaves any earlier
file with that name untouched.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from crmkit.errors import CrmError

__all__ = ["atomic_text_file", "atomic_binary_file"]


@contextmanager
def atomic_text_file(path: str | Path) -> Iterator[IO[str]]:
    """A UTF-8 text stream (no newline translation) that becomes `path` on success."""
    with _atomic_file(path, binary=False) as stream:
        yield stream


@contextmanager
def atomic_binary_file(path: str | Path) -> Iterator[IO[bytes]]:
    """A binary stream that becomes `path` on success (a workbook, say)."""
    with _atomic_file(path, binary=True) as stream:
        yield stream


@contextmanager
def _atomic_file(path: str | Path, *, binary: bool) -> Iterator[IO[Any]]:
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise CrmError(f"folder {folder} for the output file does not exist")
    if target.is_dir():
        raise CrmError(f"{target} is a folder, not a file")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise CrmError(f"cannot write to folder {folder}: {exc.strerror}") from None
    try:
        opened = (
            os.fdopen(handle, "wb")
            if binary
            else os.fdopen(handle, "w", encoding="utf-8", newline="")
        )
        with opened as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

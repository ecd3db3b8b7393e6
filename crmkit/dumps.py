"""Where a dump goes and where a restore reads it from: a path, a stream, stdout or stdin.

The dump itself (which tables, in which order, how a restore checks it) is
`crmkit.store.sqlite.dump_tables`, `dump` and `restore`.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from crmkit.errors import CrmError
from crmkit.store import Store

__all__ = ["dump_base", "restore_base"]

DumpTarget = str | Path | IO[str] | IO[bytes] | None


def dump_base(store: Store, target: DumpTarget) -> dict[str, Any]:
    """Write the base as a dump to a path (atomically), a stream, or stdout (None or `-`).

    Return what `write_dump` counts, with `path`: the file written, or None.
    """
    from crmkit.exporters.outputs import text_output, text_stream
    from crmkit.store.sqlite.dump import write_dump

    if target is None or isinstance(target, (str, Path)):
        path = None if target is None or str(target) == "-" else str(target)
        with text_output(path) as out:
            done = write_dump(store, out)
    else:
        path = None
        with text_stream(target) as out:
            done = write_dump(store, out)
    done["path"] = path
    return done


def restore_base(store: Store, source: str | Path | IO[str] | IO[bytes]) -> dict[str, Any]:
    """Restore the dump at a path, in a stream, or on stdin (`-`) into the empty `store`.

    Return what `restore_dump` counts, with `path`: the database restored into.
    """
    from crmkit.store.sqlite.restore import restore_dump

    with _dump_lines(source) as (lines, name):
        done = restore_dump(store, lines, name)
    done["path"] = str(store.path)
    return done


@contextmanager
def _dump_lines(source: str | Path | IO[str] | IO[bytes]) -> Iterator[tuple[IO[str], str]]:
    """The source as UTF-8 text split at newlines only, and its name for messages."""
    if isinstance(source, (str, Path)) and str(source) == "-":
        buffer = getattr(sys.stdin, "buffer", None)
        if buffer is None:
            yield sys.stdin, "<stdin>"
            return
        wrapper = io.TextIOWrapper(buffer, encoding="utf-8", newline="\n")
        try:
            yield wrapper, "<stdin>"
        finally:
            wrapper.detach()
        return
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            handle = open(path, encoding="utf-8", newline="\n")  # noqa: SIM115 - closed below
        except FileNotFoundError:
            raise CrmError(f"no dump file {path}") from None
        except OSError as exc:
            raise CrmError(f"cannot read {path}: {exc.strerror or exc}") from None
        with handle:
            yield handle, str(path)
        return
    binary = isinstance(source, (io.RawIOBase, io.BufferedIOBase)) or "b" in str(
        getattr(source, "mode", "")
    )
    if not binary:
        yield source, "the dump"  # type: ignore[misc]
        return
    wrapper = io.TextIOWrapper(source, encoding="utf-8", newline="\n")  # type: ignore[arg-type]
    try:
        yield wrapper, "the dump"
    finally:
        wrapper.detach()

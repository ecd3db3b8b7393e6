"""Files attached to contacts: their names, media types, and writing a stored file out.

The rows and the content-addressed folder are `crmkit.store.sqlite.files`; this
module holds what does not touch the store: cutting a name down to one safe
component, telling the media type from the first bytes, opening the input, and
writing a stored file to a path.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import IO, Any

from crmkit.errors import CrmError
from crmkit.store import Store

__all__ = ["IMAGE_TYPES", "safe_name", "sniff_media_type", "open_input", "is_inside", "export_file"]


_MAX_NAME_BYTES = 200


IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


def safe_name(name: str) -> str:
    """A file name reduced to one harmless component (`../../x.pdf` -> `x.pdf`)."""
    last = re.split(r"[/\\]", name)[-1]
    clean = "".join(char for char in last if char.isprintable()).strip()
    clean = clean.lstrip(".").strip() or "file"
    while len(clean.encode("utf-8")) > _MAX_NAME_BYTES:
        stem, dot, suffix = clean.rpartition(".")
        clean = (stem[:-1] + dot + suffix) if dot and len(suffix) < 16 and stem else clean[:-1]
    return clean


def sniff_media_type(head: bytes, name: str) -> str:
    """The media type from the first bytes of common formats, else from the name."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    import mimetypes

    guessed, _ = mimetypes.guess_type(name, strict=False)
    if guessed in IMAGE_TYPES:
        return "application/octet-stream"  # an image name on bytes that are not that image
    return guessed or "application/octet-stream"


def export_file(
    store: Store,
    file_id: int,
    destination: str | Path | IO[bytes] | None = None,
    *,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Write a stored file out: to a stream, a path, a folder (stored name inside it),
    or by default to its stored name in the current folder. Existing files are kept
    unless `overwrite`."""
    from crmkit.store.sqlite.files import FileStore, get_file_info

    info = get_file_info(store, file_id)
    files = FileStore.for_store(store)
    if destination is not None and not isinstance(destination, (str, Path)):
        files.copy_to(info["sha256"], destination)
        return info
    if destination is None or Path(destination).is_dir():
        folder = Path(destination) if destination is not None else Path.cwd()
        target = folder / safe_name(info["name"])
        if not is_inside(target, folder):
            raise CrmError(f"refusing to write {info['name']!r} outside {folder}")
    else:
        target = Path(destination)
    if target.exists() and not overwrite:
        raise CrmError(f"{target} already exists; give another -o PATH or --force")
    partial = target.with_name(f".{target.name}.partial")
    try:
        with open(partial, "wb") as handle:
            files.copy_to(info["sha256"], handle)
        os.replace(partial, target)
    except FileNotFoundError:
        raise CrmError(f"folder {target.parent} does not exist") from None
    finally:
        if partial.exists():
            partial.unlink()
    info["path"] = str(target)
    return info


def open_input(path: str | Path | None, data: bytes | None) -> Any:
    import io

    if data is not None:
        return io.BufferedReader(io.BytesIO(data))  # type: ignore[arg-type]
    if path is None:
        raise CrmError("give a file path or the bytes to store")
    source = Path(path)
    if source.is_dir():
        raise CrmError(f"{source} is a folder, not a file")
    try:
        return open(source, "rb")  # noqa: SIM115 - closed by the caller's with-block
    except FileNotFoundError:
        raise CrmError(f"file {source} does not exist") from None
    except OSError as exc:
        raise CrmError(f"cannot read {source}: {exc.strerror}") from None


def is_inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True

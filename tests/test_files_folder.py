"""The folder of stored contents beside a SQLite file: paths, symlinks, crashes, fsync.

PostgreSQL keeps contents in the database (see test_files), so these stay SQLite's.
"""

from __future__ import annotations

import hashlib
import io
import os
import signal
import time
from pathlib import Path

import pytest
from processes import python_command, spawn
from timeline_builders import person

from crmkit import CRM, CrmError
from crmkit.store.sqlite.files import FileStore


def _blobs(crm: CRM) -> list[Path]:
    root = FileStore.for_store(crm.store).root
    return sorted(path for path in root.rglob("*") if path.is_file())


def test_files_live_beside_the_database_under_their_sha256(crm: CRM, db_path: Path) -> None:
    anna = person(crm, "Anna", "Nowak")
    info = crm.files.add(anna, data=b"hello", name="hello.txt").to_record()
    digest = hashlib.sha256(b"hello").hexdigest()
    assert info["sha256"] == digest
    assert info["size"] == 5 and info["media_type"] == "text/plain" and info["name"] == "hello.txt"
    assert _blobs(crm) == [db_path.parent / "crm.files" / digest[:2] / digest[2:]]


def test_a_shard_linked_outside_the_store_is_refused(crm: CRM, tmp_path: Path) -> None:
    anna = person(crm, "Anna", "Nowak")
    info = crm.files.add(anna, data=b"content", name="a.txt").to_record()
    store = FileStore.for_store(crm.store)
    shard = store.root / info["sha256"][:2]
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / info["sha256"][2:]).write_bytes(b"content")
    for blob in shard.iterdir():
        blob.unlink()
    shard.rmdir()
    os.symlink(outside, shard)
    with pytest.raises(CrmError, match="outside"):
        crm.files.save(info["id"], io.BytesIO())


def test_the_store_is_found_after_a_change_of_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import crmkit

    monkeypatch.chdir(tmp_path)
    with crmkit.open("crm.db") as crm:
        anna = person(crm, "Anna", "Nowak")
        info = crm.files.add(anna, data=b"here", name="a.txt").to_record()
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        monkeypatch.chdir(elsewhere)
        stream = io.BytesIO()
        crm.files.save(info["id"], stream)
        assert stream.getvalue() == b"here"
    assert (tmp_path / "crm.files").is_dir() and not (elsewhere / "crm.files").exists()


# A `crm file add` killed (SIGKILL) in the store's write, just before `os.<point>` runs.
KILLED_STORE = """
import os
import signal
import sys

import crmkit
from crmkit.store.sqlite import files

db, contact, path, point = sys.argv[1:]
setattr(files.os, point, lambda *args: os.kill(os.getpid(), signal.SIGKILL))
with crmkit.open(db) as crm:
    crm.files.add(int(contact), path)
"""


@pytest.mark.parametrize("point", ["fsync", "replace"])
def test_a_store_killed_before_the_rename_leaves_no_blob_under_its_name(
    crm: CRM, db_path: Path, tmp_path: Path, point: str
) -> None:
    anna = person(crm, "Anna", "Nowak")
    content = os.urandom(3 << 20)
    source = tmp_path / "scan.pdf"
    source.write_bytes(content)
    killed = spawn(python_command(KILLED_STORE, str(db_path), str(anna), str(source), point))
    assert killed.wait() == -signal.SIGKILL
    store = FileStore.for_store(crm.store)
    assert not store.blob_path(hashlib.sha256(content).hexdigest()).exists()
    left = _blobs(crm)
    assert len(left) == 1 and left[0].name.startswith(".incoming-")
    assert crm.files.list(anna) == []
    info = crm.files.add(anna, source).to_record()
    assert info["already_stored"] is False
    stream = io.BytesIO()
    crm.files.save(info["id"], stream)
    assert stream.getvalue() == content
    # A young temporary file may be another store's, still writing: it stays;
    # once left for an hour it is a killed store's, and the next store removes it.
    assert left[0].exists()
    an_hour_ago = time.time() - 3700
    os.utime(left[0], (an_hour_ago, an_hour_ago))
    crm.files.add(anna, data=b"next", name="next.txt")
    assert not left[0].exists()


def test_a_blob_is_on_disk_before_it_takes_its_name(
    crm: CRM, monkeypatch: pytest.MonkeyPatch
) -> None:
    anna = person(crm, "Anna", "Nowak")
    content = b"signed contract" * 1000
    target = FileStore.for_store(crm.store).blob_path(hashlib.sha256(content).hexdigest())
    synced: list[int] = []
    renamed: list[tuple[str, bytes, bool, int]] = []
    fsync, replace = os.fsync, os.replace

    def noted_fsync(fd: int) -> None:
        synced.append(fd)
        fsync(fd)

    def noted_replace(source: str, destination: Path) -> None:
        renamed.append((Path(source).name, Path(source).read_bytes(), target.exists(), len(synced)))
        replace(source, destination)

    monkeypatch.setattr(os, "fsync", noted_fsync)
    monkeypatch.setattr(os, "replace", noted_replace)
    crm.files.add(anna, data=content, name="umowa.txt")
    [(name, written, already_there, synced_before)] = renamed
    assert name.startswith(".incoming-") and written == content and not already_there
    assert synced_before == 1  # the file itself, before its rename
    assert len(synced) > synced_before  # then its folder, so that the rename lasts
    assert target.read_bytes() == content

"""The content-addressed file store: one copy per content, names that cannot escape."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from timeline_builders import DATA, person

from crmkit import CRM, CrmError, NotFound
from crmkit.files import safe_name, sniff_media_type
from crmkit.store.sqlite.files import FileStore

PNG = (DATA / "avatar.png").read_bytes()


def _blobs(crm: CRM) -> list[str]:
    """Every stored content: the folder's files (by path), or the database's rows (by digest)."""
    files = FileStore.for_store(crm.store)
    if files.in_database:
        return [row[0] for row in crm.store.rows("SELECT sha256 FROM file_contents ORDER BY 1")]
    return sorted(str(path) for path in files.root.rglob("*") if path.is_file())


def test_contents_are_stored_under_their_sha256(crm: CRM) -> None:
    anna = person(crm, "Anna", "Nowak")
    info = crm.files.add(anna, data=b"hello", name="hello.txt").to_record()
    digest = hashlib.sha256(b"hello").hexdigest()
    assert info["sha256"] == digest
    assert info["size"] == 5 and info["media_type"] == "text/plain" and info["name"] == "hello.txt"
    assert FileStore.for_store(crm.store).read_bytes(digest) == b"hello"
    assert len(_blobs(crm)) == 1


def test_a_file_whose_row_is_refused_leaves_no_content(
    crm: CRM, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crmkit.store.sqlite import files

    anna = person(crm, "Anna", "Nowak")

    def refuse(*args: object) -> None:
        raise CrmError("refused")

    monkeypatch.setattr(files, "record_history", refuse)
    with pytest.raises(CrmError, match="refused"):
        crm.files.add(anna, data=b"never kept", name="x.txt")
    assert _blobs(crm) == [] and crm.files.list(anna) == []


def test_the_same_bytes_are_stored_once(crm: CRM, tmp_path: Path) -> None:
    anna = person(crm, "Anna", "Nowak")
    jan = person(crm, "Jan", "Kowalski")
    source = tmp_path / "umowa.pdf"
    source.write_bytes(b"%PDF-1.7 the same contract")
    first = crm.files.add(anna, source).to_record()
    second = crm.files.add(jan, source, name="kopia.pdf").to_record()
    assert first["already_stored"] is False and second["already_stored"] is True
    assert first["sha256"] == second["sha256"] and first["id"] != second["id"]
    assert len(_blobs(crm)) == 1
    assert [f.name for f in crm.files.list(jan)] == ["kopia.pdf"]
    crm.files.delete(first["id"])
    assert len(_blobs(crm)) == 1  # still used by the second file
    crm.files.delete(second["id"])
    assert _blobs(crm) == []


@pytest.mark.parametrize(
    ("given_name", "stored"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\win.ini", "win.ini"),
        ("/absolute/path/raport.pdf", "raport.pdf"),
        ("..", "file"),
        ("", "file"),
        (".bashrc", "bashrc"),
        ("a\x00b\nc.txt", "abc.txt"),
        ("x/", "file"),
    ],
)
def test_names_are_cut_to_one_harmless_component(crm: CRM, given_name: str, stored: str) -> None:
    anna = person(crm, "Anna", "Nowak")
    info = crm.files.add(anna, data=b"data", name=given_name).to_record()
    assert info["name"] == stored
    files = FileStore.for_store(crm.store)
    if not files.in_database:
        root = files.root.resolve()
        assert all(root in Path(blob).resolve().parents for blob in _blobs(crm))


@given(st.text(max_size=300))
def test_safe_name_never_leaves_the_folder(name: str) -> None:
    clean = safe_name(name)
    assert clean and "/" not in clean and "\\" not in clean
    assert not clean.startswith(".") and clean.isprintable()
    assert len(clean.encode("utf-8")) <= 200


def test_long_names_keep_their_extension() -> None:
    assert safe_name("x" * 500 + ".pdf").endswith(".pdf")
    assert len(safe_name("ż" * 500).encode("utf-8")) <= 200


def test_default_download_goes_to_the_current_folder_under_the_safe_name(
    crm: CRM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    anna = person(crm, "Anna", "Nowak")
    info = crm.files.add(anna, data=b"secret", name="../../escape.txt").to_record()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    written = crm.files.save(info["id"]).to_record()
    assert Path(written["path"]) == work / "escape.txt"
    assert (work / "escape.txt").read_bytes() == b"secret"
    assert not (tmp_path / "escape.txt").exists()
    with pytest.raises(CrmError, match="already exists"):
        crm.files.save(info["id"])
    (work / "escape.txt").write_bytes(b"old")
    crm.files.save(info["id"], overwrite=True)
    assert (work / "escape.txt").read_bytes() == b"secret"


def test_download_to_a_path_a_folder_or_a_stream(crm: CRM, tmp_path: Path) -> None:
    anna = person(crm, "Anna", "Nowak")
    info = crm.files.add(anna, data=b"content", name="a.txt").to_record()
    crm.files.save(info["id"], tmp_path / "b.txt")
    assert (tmp_path / "b.txt").read_bytes() == b"content"
    folder = tmp_path / "out"
    folder.mkdir()
    crm.files.save(info["id"], folder)
    assert (folder / "a.txt").read_bytes() == b"content"
    stream = io.BytesIO()
    crm.files.save(info["id"], stream)
    assert stream.getvalue() == b"content"
    with pytest.raises(CrmError, match="does not exist"):
        crm.files.save(info["id"], tmp_path / "missing" / "x.txt")


def test_a_damaged_content_address_is_refused(crm: CRM, tmp_path: Path) -> None:
    anna = person(crm, "Anna", "Nowak")
    info = crm.files.add(anna, data=b"content", name="a.txt").to_record()
    crm.store.conn.execute(
        "UPDATE files SET sha256 = '../../../etc/passwd' WHERE id = ?", (info["id"],)
    )
    with pytest.raises(CrmError, match="not a stored file's sha256"):
        crm.files.save(info["id"], io.BytesIO())


def test_changed_content_is_detected(crm: CRM) -> None:
    anna = person(crm, "Anna", "Nowak")
    info = crm.files.add(anna, data=b"content", name="a.txt").to_record()
    files = FileStore.for_store(crm.store)
    if files.in_database:
        crm.store.conn.execute("UPDATE file_contents SET content = ?", (b"tampered",))
    else:
        blob = files.blob_path(info["sha256"])
        blob.chmod(0o644)
        blob.write_bytes(b"tampered")
    with pytest.raises(CrmError, match="damaged"):
        crm.files.save(info["id"], io.BytesIO())


@pytest.mark.parametrize(
    ("head", "name", "media_type"),
    [
        (PNG, "whatever.bin", "image/png"),
        (b"\xff\xd8\xff\xe0 jfif", "x", "image/jpeg"),
        (b"GIF89a....", "x", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "x", "image/webp"),
        (b"%PDF-1.7", "x", "application/pdf"),
        (b"not a picture", "photo.jpg", "application/octet-stream"),
        (b"a,b\n", "lista.csv", "text/csv"),
        (b"\x00\x01", "blob", "application/octet-stream"),
    ],
)
def test_media_type(head: bytes, name: str, media_type: str) -> None:
    assert sniff_media_type(head, name) == media_type


def test_files_attach_to_a_note_of_the_same_contact_only(crm: CRM) -> None:
    anna = person(crm, "Anna", "Nowak")
    jan = person(crm, "Jan", "Kowalski")
    note = crm.notes.add(anna, "Skan").to_record()
    attached = crm.files.add(anna, data=b"scan", name="skan.pdf", note_id=note["id"]).to_record()
    assert attached["note_id"] == note["id"]
    with pytest.raises(CrmError, match=f"note {note['id']} belongs to contact {anna}"):
        crm.files.add(jan, data=b"scan", name="skan.pdf", note_id=note["id"])
    with pytest.raises(NotFound, match="no note with id 99"):
        crm.files.add(anna, data=b"scan", note_id=99)


def test_missing_inputs_are_user_errors(crm: CRM, tmp_path: Path) -> None:
    anna = person(crm, "Anna", "Nowak")
    with pytest.raises(CrmError, match="does not exist"):
        crm.files.add(anna, tmp_path / "nope.pdf")
    with pytest.raises(CrmError, match="is a folder"):
        crm.files.add(anna, tmp_path)
    with pytest.raises(NotFound, match="no contact with id 77"):
        crm.files.add(77, data=b"x")
    with pytest.raises(NotFound, match="no file with id 5"):
        crm.files.delete(5)
    assert _blobs(crm) == []


def test_avatar_must_be_an_image_and_replaces_the_previous_one(crm: CRM) -> None:
    anna = person(crm, "Anna", "Nowak")
    with pytest.raises(CrmError, match="not a PNG, JPEG, GIF or WebP image"):
        crm.files.set_avatar(anna, data=b"<svg onload=alert(1)>")
    first = crm.files.set_avatar(anna, DATA / "avatar.png").to_record()
    assert first["avatar"] is True and first["media_type"] == "image/png"
    second = crm.files.set_avatar(anna, data=PNG + b"\x00", name="inny.png").to_record()
    assert [f.id for f in crm.files.list(anna)] == [second["id"]]
    assert len(_blobs(crm)) == 1
    assert crm.files.clear_avatar(anna) is True
    assert crm.files.list(anna) == [] and _blobs(crm) == []
    assert crm.files.clear_avatar(anna) is False


def test_prune_removes_contents_left_by_deleted_contacts(crm: CRM) -> None:
    anna = person(crm, "Anna", "Nowak")
    jan = person(crm, "Jan", "Kowalski")
    crm.files.add(anna, data=b"only anna", name="a.txt")
    crm.files.add(jan, data=b"jan", name="j.txt")
    crm.contacts.delete(anna)
    assert len(_blobs(crm)) == 1  # deleting a contact takes the contents only it had
    assert crm.files.list(jan)[0].name == "j.txt"
    crm.store.conn.execute("DELETE FROM files WHERE contact_id = ?", (jan,))
    assert crm.files.prune() == 1
    assert _blobs(crm) == []

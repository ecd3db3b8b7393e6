"""`crm backup FILE`: a consistent copy of a base in use, with its stored files."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

import crmkit
from crmkit import CRM


def test_backup_copies_the_base_and_its_files(crm: CRM, tmp_path: Path) -> None:
    anna = crm.contacts.add(first_name="Anna", last_name="Nowak", phones=["601 234 567"])
    crm.files.add(anna.id, data=b"umowa", name="umowa.txt")
    done = crm.backup(tmp_path / "kopia.db")
    assert done["files"] == 1 and done["size"] > 0
    with crmkit.open(tmp_path / "kopia.db", create=False) as copy:
        assert copy.contacts[anna.id].to_record() == crm.contacts[anna.id].to_record()
        [stored] = copy.files.list(anna.id)
        out = tmp_path / "out.txt"
        copy.files.save(stored.id, out)
        assert out.read_bytes() == b"umowa"


def test_backup_takes_what_was_committed_while_a_write_runs(
    crm: CRM, db_path: Path, tmp_path: Path
) -> None:
    crm.contacts.add(first_name="Anna")
    writer = _writer(db_path)
    writer.execute("BEGIN" if isinstance(db_path, str) else "BEGIN IMMEDIATE")
    writer.execute("UPDATE contacts SET first_name = 'Half'")
    try:
        crm.backup(tmp_path / "kopia.db")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    with crmkit.open(tmp_path / "kopia.db", create=False) as copy:
        assert [c.first_name for c in copy.contacts] == ["Anna"]
        assert copy.store.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def _writer(db_path: Path) -> Any:
    """Another connection to the test's database, outside any transaction."""
    if isinstance(db_path, str):
        import psycopg

        return psycopg.connect(db_path, autocommit=True)
    return sqlite3.connect(db_path, isolation_level=None)


def test_backup_never_overwrites(crm: CRM, tmp_path: Path) -> None:
    (tmp_path / "kopia.db").write_bytes(b"keep me")
    with pytest.raises(crmkit.CrmError, match="already exists"):
        crm.backup(tmp_path / "kopia.db")
    assert (tmp_path / "kopia.db").read_bytes() == b"keep me"
    with pytest.raises(crmkit.CrmError, match="does not exist"):
        crm.backup(tmp_path / "no" / "kopia.db")
    assert not list(tmp_path.glob(".*partial"))


def test_crm_backup_command(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("tag", "add", "VIP").exit_code == 0
    result: Result = cli("backup", str(tmp_path / "kopia.db"))
    assert result.exit_code == 0 and result.stdout.startswith(f"Backed up to {tmp_path}")
    assert cli("backup", str(tmp_path / "kopia.db")).exit_code == 1

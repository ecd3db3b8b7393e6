"""The database file: migrations, refusal of newer files, transactions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from crmkit.errors import CrmError
from crmkit.schema import SCHEMA_VERSION
from crmkit.store import Store


def test_new_file_gets_current_schema_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    store = Store(tmp_path / "crm.db")
    assert store.version == SCHEMA_VERSION and store.migrated_from == 0
    assert store.one("PRAGMA journal_mode") == "wal"
    assert store.one("PRAGMA foreign_keys") == 1
    assert "contacts_fts" in store.db.table_names()


def test_reopening_applies_nothing(tmp_path: Path) -> None:
    Store(tmp_path / "crm.db").close()
    assert Store(tmp_path / "crm.db").migrated_from == SCHEMA_VERSION


def test_newer_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(CrmError, match="newer than this crmkit understands"):
        Store(path)


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    path.write_text("hello, this is not SQLite" * 100)
    with pytest.raises(CrmError, match="is not a crmkit database"):
        Store(path)


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CrmError, match="does not exist"):
        Store(tmp_path / "nope" / "crm.db")


def test_transaction_rolls_back_on_error_and_nests(tmp_path: Path) -> None:
    store = Store(tmp_path / "crm.db")
    with pytest.raises(RuntimeError), store.transaction() as conn:
        conn.execute("INSERT INTO tags (name, key) VALUES ('A', 'a')")
        raise RuntimeError("boom")
    assert store.one("SELECT count(*) FROM tags") == 0
    with store.transaction() as conn:
        conn.execute("INSERT INTO tags (name, key) VALUES ('A', 'a')")
        with pytest.raises(RuntimeError), store.transaction():
            conn.execute("INSERT INTO tags (name, key) VALUES ('B', 'b')")
            raise RuntimeError("inner")
    assert [r[0] for r in store.conn.execute("SELECT name FROM tags")] == ["A"]


def test_deleting_a_contact_cascades(tmp_path: Path) -> None:
    store = Store(tmp_path / "crm.db")
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO contacts (id, kind, name, created_at, updated_at)"
            " VALUES (1, 'person', 'A', 'x', 'x')"
        )
        conn.execute("INSERT INTO phones VALUES (1, 0, '+48601234567', 'mobile', NULL)")
    with store.transaction() as conn:
        conn.execute("DELETE FROM contacts WHERE id = 1")
    assert store.one("SELECT count(*) FROM phones") == 0

"""The database file: migrations, refusal of newer files, transactions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from crmkit.errors import CrmError
from crmkit.store import open_store
from crmkit.store.sqlite.connection import Store, _split_statements
from crmkit.store.sqlite.query.fulltext import ID_MASK
from crmkit.store.sqlite.schema import MIGRATIONS, SCHEMA_VERSION
from tests.pg_server import Server


def test_new_file_gets_current_schema_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    store = Store(tmp_path / "crm.db")
    assert store.version == SCHEMA_VERSION and store.migrated_from == 0
    assert store.one("PRAGMA journal_mode") == "wal"
    assert store.one("PRAGMA foreign_keys") == 1
    assert "contacts_fts" in store.db.table_names()


def test_reopening_applies_nothing(tmp_path: Path) -> None:
    Store(tmp_path / "crm.db").close()
    assert Store(tmp_path / "crm.db").migrated_from == SCHEMA_VERSION


def test_open_store_opens_a_sqlite_file(tmp_path: Path) -> None:
    store = open_store(tmp_path / "crm.db")
    assert isinstance(store, Store) and store.version == SCHEMA_VERSION
    store.close()
    with pytest.raises(CrmError, match="no crmkit database at"):
        open_store(tmp_path / "other.db", create=False)


def test_a_postgresql_address_opens_the_postgresql_backend(postgres_server: Server) -> None:
    address = postgres_server.new_database("store")
    with pytest.raises(CrmError, match=r"no crmkit database at .* \(run `crm init`"):
        open_store(address, create=False)
    store = open_store(address)
    try:
        assert (type(store).__name__, store.version) == ("PostgresStore", SCHEMA_VERSION)
        assert str(store.path) == address
    finally:
        store.close()
    again = open_store(address, create=False)
    assert again.migrated_from == SCHEMA_VERSION
    again.close()


def test_an_unreachable_server_is_a_sentence(postgres_server: Server) -> None:
    missing = postgres_server.address("no_such_base")
    with pytest.raises(CrmError, match="cannot connect to the database .*no_such_base"):
        open_store(missing)


def test_open_store_says_when_no_postgresql_server_answers() -> None:
    with pytest.raises(CrmError, match="cannot connect to the database postgresql://"):
        open_store("postgresql://crm@localhost:1/crm")


def test_newer_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(CrmError, match="newer than this crmkit understands"):
        Store(path)


def _file_at_version(path: Path, version: int) -> sqlite3.Connection:
    """A connection to a new file with the schema as it was at `version`."""
    conn = sqlite3.connect(path)
    for script in MIGRATIONS[:version]:
        for statement in _split_statements(script):
            conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {version}")
    return conn


def _version_one_file(path: Path) -> None:
    """A file as the first schema version left it, with a phone, an event and its note."""
    with _file_at_version(path, 1) as conn:
        conn.execute(
            "INSERT INTO contacts (id, kind, name, created_at, updated_at)"
            " VALUES (1, 'person', 'Ala', 't', 't')"
        )
        conn.execute("INSERT INTO phones VALUES (1, 0, '+48601234567', 'mobile', NULL)")
        conn.execute(
            "INSERT INTO events (id, contact_id, kind, occurred_at, created_at)"
            " VALUES (7, 1, 'call', 't', 't')"
        )
        conn.execute(
            "INSERT INTO notes (contact_id, event_id, body, created_at) VALUES (1, 7, 'x', 't')"
        )


def test_upgrade_from_version_one_keeps_rows_and_rules(tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    _version_one_file(path)
    store = Store(path)
    assert store.migrated_from == 1 and store.version == SCHEMA_VERSION
    assert store.one("SELECT number FROM phones WHERE contact_id = 1") == "+48601234567"
    assert store.one("SELECT kind FROM events WHERE id = 7") == "call"
    # Rebuilding events must not have cascaded into its notes.
    assert store.one("SELECT count(*) FROM notes WHERE event_id = 7") == 1
    assert store.one("PRAGMA foreign_keys") == 1
    with pytest.raises(sqlite3.IntegrityError):
        store.conn.execute("INSERT INTO phones VALUES (1, 1, '+48601234568', 'pager', NULL)")
    with pytest.raises(sqlite3.IntegrityError):
        store.conn.execute(
            "INSERT INTO events (contact_id, kind, occurred_at, created_at)"
            " VALUES (1, 'fax', 't', 't')"
        )
    assert {row[0] for row in store.conn.execute("SELECT name FROM sqlite_master")} >= {
        "phones_number",
        "events_contact_time",
        "events_external",
    }


def test_upgrade_refuses_to_break_a_reference(tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    _version_one_file(path)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("INSERT INTO phones VALUES (99, 0, '+48601234567', 'mobile', NULL)")
    with pytest.raises(CrmError, match="would break a reference in table phones"):
        Store(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1


def test_upgrade_from_version_two_keeps_every_document_searchable(tmp_path: Path) -> None:
    """Version 3 moves the indexed text out of FTS5 into the key table; nothing is lost."""
    from crmkit.store.sqlite.search_index import index_entries, indexed_ids, refresh_search_index

    path = tmp_path / "crm.db"
    with _file_at_version(path, 2) as conn:
        for contact_id, name, city in ((1, "Anna Nowak", "Łódź"), (2, "Jan Kot", "Opole")):
            conn.execute(
                "INSERT INTO contacts (id, kind, name, city, created_at, updated_at)"
                " VALUES (?, 'person', ?, ?, 't', 't')",
                (contact_id, name, city),
            )
        # Rowids as version two wrote them: anything, as long as the key table says so.
        conn.execute(
            "INSERT INTO contacts_fts (rowid, name, body)"
            " VALUES (900, 'anna nowak', 'lodz'), (800, 'jan kot', 'opole')"
        )
        conn.execute(
            "INSERT INTO contacts_fts_keys (contact_id, doc, sort_key, hidden)"
            " VALUES (1, 900, 'anna nowak', 0), (2, 800, 'jan kot', 0)"
        )
    store = Store(path)
    assert store.migrated_from == 2 and store.version == SCHEMA_VERSION
    keys = store.conn.execute("SELECT contact_id, doc, name, body FROM contacts_fts_keys")
    assert sorted(keys) == [(1, 900, "anna nowak", "lodz"), (2, 800, "jan kot", "opole")]
    assert [rowid for rowid, *_ in index_entries(store)] == [800, 800, 800, 900, 900, 900]
    assert indexed_ids(store, '"lodz"') == [900]
    # The moved documents can be removed by the text the key table holds.
    store.conn.execute("UPDATE contacts SET city = 'Gdańsk' WHERE id = 1")
    refresh_search_index(store, [1, 2])
    assert indexed_ids(store, '"lodz"') == [] and indexed_ids(store, '"gdansk"') == [1]
    assert {rowid & ID_MASK for rowid, *_ in index_entries(store)} == {1, 2}


def test_upgrade_from_version_three_adds_row_digests_with_their_triggers(tmp_path: Path) -> None:
    from crmkit.store.sqlite.digest_triggers import DIGEST_TRIGGERS

    path = tmp_path / "crm.db"
    with _file_at_version(path, 3) as conn:
        conn.execute(
            "INSERT INTO contacts (id, kind, name, created_at, updated_at)"
            " VALUES (1, 'person', 'Anna Nowak', 't', 't')"
        )
    store = Store(path)
    assert store.migrated_from == 3 and store.version == SCHEMA_VERSION
    assert store.conn.execute("SELECT id, row_digest FROM contacts").fetchall() == [(1, None)]
    triggers = store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    assert sorted(name for (name,) in triggers) == sorted(DIGEST_TRIGGERS)
    store.conn.execute("UPDATE contacts SET row_digest = 3")
    store.conn.execute("UPDATE contacts SET city = 'Opole'")
    assert store.one("SELECT row_digest FROM contacts") is None


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    path.write_text("hello, this is not SQLite" * 100)
    with pytest.raises(CrmError, match="is not a crmkit database"):
        Store(path)


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CrmError, match="does not exist"):
        Store(tmp_path / "nope" / "crm.db")


def test_transaction_rolls_back_on_error_and_nests(db_path: Path) -> None:
    store = open_store(db_path)
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


def test_deleting_a_contact_cascades(db_path: Path) -> None:
    store = open_store(db_path)
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO contacts (id, kind, name, created_at, updated_at)"
            " VALUES (1, 'person', 'A', 'x', 'x')"
        )
        conn.execute("INSERT INTO phones VALUES (1, 0, '+48601234567', 'mobile', NULL)")
    with store.transaction() as conn:
        conn.execute("DELETE FROM contacts WHERE id = 1")
    assert store.one("SELECT count(*) FROM phones") == 0


def test_bulk_load_settings_hold_inside_and_are_restored(tmp_path: Path) -> None:
    store = Store(tmp_path / "crm.db")
    with store.bulk_load():
        assert store.one("PRAGMA foreign_keys") == 0
        assert store.one("PRAGMA temp_store") == 1  # FILE
        with store.transaction(), store.bulk_load():
            # Inside a transaction SQLite would ignore the switch; nothing is changed.
            assert store.one("PRAGMA foreign_keys") == 0
    assert store.one("PRAGMA foreign_keys") == 1
    assert store.one("PRAGMA temp_store") == 2  # MEMORY
    with store.transaction(), store.bulk_load():
        assert store.one("PRAGMA foreign_keys") == 1


def test_none_binds_as_null(tmp_path: Path) -> None:
    store = Store(tmp_path / "crm.db")
    found = store.conn.execute("SELECT ? IS NULL, typeof(?)", (None, None)).fetchone()
    assert found == (1, "null")


def test_json_paths_read_alike_on_both_backends(db_path: Path) -> None:
    store = open_store(db_path)
    try:
        read = store.one("SELECT json_extract(?, '$[1]')", ('[5, "a", {"k": 7}]',))
        nested = store.one("SELECT json_extract(?, '$[2].k')", ('[5, "a", {"k": 7}]',))
        keyed = store.one("SELECT json_extract(?, '$.budget')", ('{"budget": 1500}',))
    finally:
        store.close()
    assert (read, str(nested), str(keyed)) == ("a", "7", "1500")

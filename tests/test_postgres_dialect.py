"""SQLite's idioms said in PostgreSQL (`crmkit.store.postgres.dialect`)."""

from __future__ import annotations

import pytest

from crmkit.store.postgres.dialect import translate


@pytest.mark.parametrize(
    ("sqlite", "postgresql"),
    [
        ("SELECT id FROM contacts WHERE id = ?", "SELECT id FROM contacts WHERE id = %s"),
        ("SELECT :a, :b_2 FROM t", "SELECT %(a)s, %(b_2)s FROM t"),
        ("SELECT ?2, ?1, ?2", "SELECT %(p2)s, %(p1)s, %(p2)s"),
        (
            "SELECT 'a?b', x::text FROM t WHERE y LIKE '50%'",
            "SELECT 'a?b', x::text FROM t WHERE y LIKE '50%%'",
        ),
        ("BEGIN IMMEDIATE", "BEGIN"),
        (
            "INSERT OR IGNORE INTO contact_tags (contact_id, tag_id) VALUES (?, ?)",
            "INSERT INTO contact_tags (contact_id, tag_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        ),
        (
            "INSERT OR REPLACE INTO secrets (name, value) VALUES (?, ?)",
            "INSERT INTO secrets (name, value) VALUES (%s, %s)"
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        ),
        (
            "DELETE FROM t WHERE id IN (SELECT value FROM json_each(?))",
            "DELETE FROM t WHERE id = ANY(%s)",
        ),
        (
            "SELECT 1 FROM t WHERE k NOT IN (SELECT value FROM json_each(:keys))",
            "SELECT 1 FROM t WHERE k <> ALL(%(keys)s)",
        ),
        (
            "SELECT group_concat(number, ' '), group_concat(tag_id) FROM t",
            "SELECT string_agg((number)::text, ' '), string_agg((tag_id)::text, ',') FROM t",
        ),
        (
            "SELECT max(a, coalesce(b, 0)), max(c) FROM t",
            "SELECT greatest(a, coalesce(b, 0)), max(c) FROM t",
        ),
        ("SELECT instr(name, ?) FROM t", "SELECT strpos(name, %s) FROM t"),
        (
            "SELECT 1 FROM t WHERE a IS ? AND b IS NOT ?",
            "SELECT 1 FROM t WHERE a IS NOT DISTINCT FROM %s AND b IS DISTINCT FROM %s",
        ),
        ("SELECT user, h.user FROM history h", 'SELECT "user", h."user" FROM history h'),
        (
            "SELECT id FROM users WHERE active ORDER BY key",
            "SELECT id FROM users WHERE (active <> 0) ORDER BY key",
        ),
        (
            "SELECT id FROM contacts c WHERE NOT c.hidden",
            "SELECT id FROM contacts c WHERE NOT (c.hidden <> 0)",
        ),
        (
            "SELECT id FROM contacts WHERE 1 ORDER BY id",
            "SELECT id FROM contacts WHERE TRUE ORDER BY id",
        ),
        (
            "SELECT id FROM contacts INDEXED BY contacts_name WHERE id > 0",
            "SELECT id FROM contacts WHERE id > 0",
        ),
        ("SELECT CAST(x AS REAL) FROM t", "SELECT CAST(x AS double precision) FROM t"),
    ],
)
def test_a_statement_is_said_in_postgresql(sqlite: str, postgresql: str) -> None:
    assert translate(sqlite).sql == postgresql


def test_json_lists_are_marked_to_bind_as_arrays() -> None:
    translated = translate("SELECT 1 FROM t WHERE a = ? AND id IN (SELECT value FROM json_each(?))")
    assert translated.arrays == (1,)
    numbered = translate("SELECT ?1 WHERE id IN (SELECT value FROM json_each(?2))")
    assert (numbered.arrays, numbered.numbered) == (("p2",), True)


def test_writes_to_the_fts5_index_have_nothing_to_do() -> None:
    assert translate("INSERT INTO contacts_fts (rowid, name, body) SELECT 1, 'a', 'b'").sql == ""
    assert translate("INSERT INTO contacts_fts_keys (contact_id) VALUES (?)").sql != ""


def test_replace_into_a_table_without_a_known_key_is_refused() -> None:
    with pytest.raises(ValueError, match="no key known"):
        translate("INSERT OR REPLACE INTO mystery (a) VALUES (?)")

"""What a dump holds: its format name and version, and the tables it copies, in order.

A dump is JSON Lines: a header, one line per stored row of each table below
(`{"table": "contacts", "row": {...}}`), one line per stored file content
(`{"file": SHA256, "content": BASE64}`), and an end line with the counts, so
that a dump cut short anywhere is refused rather than half restored. The
header names the format version (`DUMP_VERSION`, raised when the layout of the
lines changes) and the schema version of the base dumped. A restore reads
rows by column name, so a dump of an older schema loads into the current one
(columns added since take their defaults); a newer format or schema is refused.

`DUMPED_TABLES` is the one list of tables a dump copies, in the order they are
written and restored: every table comes after the tables it refers to, so
that rows go back with foreign keys checked. A new table of the schema goes
here too (a test compares this list with the schema). Derived data is left
out and rebuilt on restore: the search index (`contacts_fts`,
`contacts_fts_keys`) and the digests of imported rows (`contacts.row_digest`,
which only lets a re-import skip unchanged rows; a restored contact has none,
and its next re-import reads every row in full).
"""

from __future__ import annotations

from dataclasses import dataclass

from crmkit.store.sqlite.connection import Store

__all__ = [
    "DUMP_FORMAT",
    "DUMP_VERSION",
    "DERIVED_TABLES",
    "DUMPED_TABLES",
    "DumpedTable",
    "dumped_columns",
]

DUMP_FORMAT = "crmkit-dump"
# Raised when the layout of the lines changes; a dump from a newer version is refused.
DUMP_VERSION = 1


@dataclass(frozen=True)
class DumpedTable:
    """A table a dump copies: its rows in `order`, without its `derived` columns."""

    name: str
    order: str
    derived: tuple[str, ...] = ()


DUMPED_TABLES: tuple[DumpedTable, ...] = (
    # reference data and saved views
    DumpedTable("tags", "id"),
    DumpedTable("users", "id"),
    DumpedTable("custom_fields", "id"),
    DumpedTable("views", "id"),
    DumpedTable("campaigns", "id"),
    DumpedTable("field_groups", "id"),
    # contacts and what hangs on them
    DumpedTable("contacts", "id", derived=("row_digest",)),
    DumpedTable("phones", "contact_id, position"),
    DumpedTable("emails", "contact_id, position"),
    DumpedTable("contact_tags", "contact_id, tag_id"),
    DumpedTable("contact_users", "contact_id, role, user_id"),
    DumpedTable("memberships", "id"),
    DumpedTable("blacklist", "number"),
    DumpedTable("consents", "contact_id, channel"),
    DumpedTable("campaign_contacts", "id"),
    DumpedTable("group_records", "id"),
    DumpedTable("cases", "id"),
    # merges, and what they keep for their undo
    DumpedTable("merges", "id"),
    DumpedTable("merged_contacts", "contact_id"),
    DumpedTable("contact_aliases", "external_id"),
    # the timeline and its documents
    DumpedTable("events", "id"),
    DumpedTable("notes", "id"),
    DumpedTable("files", "id"),
    # history
    DumpedTable("imports", "id"),
    DumpedTable("import_problems", "rowid"),
    DumpedTable("import_touches", "rowid"),
    DumpedTable("history", "id"),
    # personal data: erasures and what keeps the erased out
    DumpedTable("erasures", "id"),
    DumpedTable("suppression", "hash"),
    DumpedTable("secrets", "name"),
)

# Tables (and the prefix of FTS5's own tables) that restore rebuilds instead of copying.
DERIVED_TABLES: tuple[str, ...] = ("contacts_fts", "contacts_fts_keys")


def dumped_columns(store: Store, table: DumpedTable) -> list[str]:
    """Return the columns of `table` a dump holds: all but its derived ones, in schema order."""
    derived = table.derived
    if getattr(store, "dialect", "sqlite") == "postgresql":
        # SQLite's hidden rowid is a column there; a dump leaves it out on both.
        derived = (*derived, "rowid") if table.order == "rowid" else derived
        sql = (
            "SELECT ordinal_position, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position"
        )
    else:
        sql = "SELECT * FROM pragma_table_info(?)"
    return [row[1] for row in store.conn.execute(sql, (table.name,)) if row[1] not in derived]

"""The SQLite backend of `crmkit.store`: one database file holds everything.

- `connection`: the `Store` (opening, pragmas, migrations, transactions)
- `schema`, `digest_triggers`: the tables, indexes, triggers and migrations
- `records`: the contact read path (JSON records)
- `writer`: the contact write path (`ContactWriter`)
- `search_index`: the full-text index
- `row_digests`: digests of imported rows, for re-imports
- `bulk`: batch reads, grouped inserts and indexes deferred during imports
- `audit`: the audit log
- `reference`: tags, users and custom fields (written through sqlite-utils)
- `contacts`, `events`, `notes`, `files`, `timeline`, `imports`, `event_import`: deleting
  and linking contacts; import history and event imports;
  events, notes and attached files (with their content-addressed folder); timelines

Open a store through `crmkit.store.open_store`, not from here.
"""

"""The database schema as a list of versioned migrations.

`PRAGMA user_version` holds the number of migrations applied. Opening a file
applies the missing ones in order; a file from a newer crmkit is refused, since
this code cannot know what the newer schema means.
"""

from __future__ import annotations

from crmkit.store.sqlite.digest_triggers import DIGEST_TRIGGERS
from crmkit.store.sqlite.schema_features import (
    V5_HISTORY,
    V6_PERSONAL_DATA,
    V7_CAMPAIGNS,
    V8_OVERVIEW,
)

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "CONTACT_COLUMNS"]

# Scalar columns of the contacts table, in the order used by inserts and exports.
CONTACT_COLUMNS: tuple[str, ...] = (
    "kind",
    "external_id",
    "first_name",
    "last_name",
    "name",
    "position",
    "stage",
    "source",
    "segment",
    "street",
    "street2",
    "postal_code",
    "city",
    "region",
    "country",
    "pesel",
    "id_document",
    "nip",
    "krs",
    "regon",
    "custom",
    "vip",
    "hidden",
    "note",
    "created_at",
    "updated_at",
)

_V1 = """
CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('person', 'organization')),
    external_id TEXT UNIQUE,
    first_name TEXT,
    last_name TEXT,
    name TEXT NOT NULL DEFAULT '',
    position TEXT,
    stage TEXT,
    source TEXT,
    segment TEXT,
    street TEXT,
    street2 TEXT,
    postal_code TEXT,
    city TEXT,
    region TEXT,
    country TEXT,
    pesel TEXT,
    id_document TEXT,
    nip TEXT,
    krs TEXT,
    regon TEXT,
    custom TEXT NOT NULL DEFAULT '{}',
    vip INTEGER NOT NULL DEFAULT 0,
    hidden INTEGER NOT NULL DEFAULT 0,
    note TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX contacts_name ON contacts (name COLLATE NOCASE);
CREATE INDEX contacts_city ON contacts (city COLLATE NOCASE);
CREATE INDEX contacts_nip ON contacts (nip) WHERE nip IS NOT NULL;
CREATE INDEX contacts_org_name ON contacts (name COLLATE NOCASE) WHERE kind = 'organization';

CREATE TABLE phones (
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    number TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN
        ('mobile', 'landline', 'work', 'main', 'home_fax', 'office_fax', 'other')),
    label TEXT,
    PRIMARY KEY (contact_id, position)
) WITHOUT ROWID;
CREATE INDEX phones_number ON phones (number);

CREATE TABLE emails (
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    address TEXT NOT NULL,
    label TEXT,
    PRIMARY KEY (contact_id, position)
) WITHOUT ROWID;
CREATE INDEX emails_address ON emails (address COLLATE NOCASE);

CREATE TABLE tags (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE
);
CREATE TABLE contact_tags (
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (contact_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX contact_tags_tag ON contact_tags (tag_id, contact_id);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    full_name TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    email TEXT
);
CREATE TABLE contact_users (
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('guardian', 'observer')),
    PRIMARY KEY (contact_id, role, user_id)
) WITHOUT ROWID;
CREATE INDEX contact_users_user ON contact_users (user_id, role, contact_id);

CREATE TABLE custom_fields (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL CHECK (type IN
        ('text', 'url', 'number', 'date', 'datetime', 'checkbox', 'select', 'multiselect')),
    label TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '[]',
    required INTEGER NOT NULL DEFAULT 0,
    applies_to TEXT NOT NULL DEFAULT 'both'
        CHECK (applies_to IN ('person', 'organization', 'both'))
);

CREATE TABLE memberships (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    organization_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    since TEXT,
    until TEXT
);
CREATE INDEX memberships_person ON memberships (person_id);
CREATE INDEX memberships_organization ON memberships (organization_id);

CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    target TEXT NOT NULL,
    file_name TEXT NOT NULL,
    sha256 TEXT,
    mapping TEXT,
    user TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    rows_read INTEGER NOT NULL DEFAULT 0,
    created INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    rejected INTEGER NOT NULL DEFAULT 0,
    warnings INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE import_problems (
    import_id INTEGER NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    level TEXT NOT NULL CHECK (level IN ('error', 'warning')),
    row INTEGER,
    column_name TEXT,
    value TEXT,
    reason TEXT NOT NULL
);
CREATE INDEX import_problems_import ON import_problems (import_id);

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN
        ('call', 'email', 'sms', 'chat', 'meeting', 'ticket', 'task', 'note', 'order', 'other')),
    direction TEXT CHECK (direction IN ('in', 'out')),
    occurred_at TEXT NOT NULL,
    duration INTEGER,
    subject TEXT,
    body TEXT,
    channel TEXT,
    agent_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    source TEXT NOT NULL DEFAULT '',
    external_id TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX events_contact_time ON events (contact_id, occurred_at);
CREATE UNIQUE INDEX events_external ON events (source, external_id)
    WHERE external_id IS NOT NULL;

CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    event_id INTEGER REFERENCES events (id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    author TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX notes_contact_time ON notes (contact_id, created_at);
CREATE INDEX notes_event ON notes (event_id);

CREATE TABLE files (
    id INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    note_id INTEGER REFERENCES notes (id) ON DELETE CASCADE,
    sha256 TEXT NOT NULL,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    media_type TEXT NOT NULL,
    is_avatar INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX files_contact ON files (contact_id);
CREATE INDEX files_note ON files (note_id);
CREATE INDEX files_sha ON files (sha256);

CREATE TABLE views (
    id INTEGER PRIMARY KEY,
    user TEXT NOT NULL,
    name TEXT NOT NULL,
    columns TEXT NOT NULL DEFAULT '[]',
    filters TEXT NOT NULL DEFAULT '[]',
    sort TEXT NOT NULL DEFAULT '[]',
    UNIQUE (user, name)
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user TEXT,
    action TEXT NOT NULL,
    contact_id INTEGER,
    detail TEXT
);

CREATE VIRTUAL TABLE contacts_fts USING fts5 (
    name, body, tokenize = "unicode61 remove_diacritics 2"
);
CREATE TABLE contacts_fts_keys (
    contact_id INTEGER PRIMARY KEY,
    doc INTEGER NOT NULL,
    sort_key TEXT NOT NULL,
    hidden INTEGER NOT NULL DEFAULT 0
);
"""

# V2: the same tables, with `type`/`kind` checked by OR-ed comparisons. SQLite evaluates a
# CHECK with an IN list of three or more constants through a temporary index built for
# every row, which made inserting a phone or an event several times slower; the rules
# are unchanged. Run with foreign keys off (`Store.migrate`), so that dropping `events`
# does not cascade into `notes`.
_V2 = """
CREATE TABLE phones_v2 (
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    number TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type = 'mobile' OR type = 'landline' OR type = 'work'
        OR type = 'main' OR type = 'home_fax' OR type = 'office_fax' OR type = 'other'),
    label TEXT,
    PRIMARY KEY (contact_id, position)
) WITHOUT ROWID;
INSERT INTO phones_v2 (contact_id, position, number, type, label)
    SELECT contact_id, position, number, type, label FROM phones;
DROP TABLE phones;
ALTER TABLE phones_v2 RENAME TO phones;
CREATE INDEX phones_number ON phones (number);

CREATE TABLE events_v2 (
    id INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind = 'call' OR kind = 'email' OR kind = 'sms' OR kind = 'chat'
        OR kind = 'meeting' OR kind = 'ticket' OR kind = 'task' OR kind = 'note'
        OR kind = 'order' OR kind = 'other'),
    direction TEXT CHECK (direction IN ('in', 'out')),
    occurred_at TEXT NOT NULL,
    duration INTEGER,
    subject TEXT,
    body TEXT,
    channel TEXT,
    agent_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    source TEXT NOT NULL DEFAULT '',
    external_id TEXT,
    created_at TEXT NOT NULL
);
INSERT INTO events_v2 SELECT id, contact_id, kind, direction, occurred_at, duration, subject,
    body, channel, agent_id, source, external_id, created_at FROM events;
DROP TABLE events;
ALTER TABLE events_v2 RENAME TO events;
CREATE INDEX events_contact_time ON events (contact_id, occurred_at);
CREATE UNIQUE INDEX events_external ON events (source, external_id)
    WHERE external_id IS NOT NULL;
"""

# V3: the search index keeps no copy of its documents (`content=''`, no column sizes).
# FTS5 stored each document a second time, in a table keyed by the name-order rowid,
# so every new contact landed at a random place of it; the indexed text now lives in
# `contacts_fts_keys`, which grows in contact-id order and was written anyway.
_V3 = """
CREATE TABLE contacts_fts_keys_v3 (
    contact_id INTEGER PRIMARY KEY,
    doc INTEGER NOT NULL,
    sort_key TEXT NOT NULL,
    hidden INTEGER NOT NULL DEFAULT 0,
    name TEXT NOT NULL,
    body TEXT NOT NULL
);
INSERT INTO contacts_fts_keys_v3
    SELECT k.contact_id, k.doc, k.sort_key, k.hidden, coalesce(f.name, ''), coalesce(f.body, '')
    FROM contacts_fts_keys k LEFT JOIN contacts_fts f ON f.rowid = k.doc;
DROP TABLE contacts_fts_keys;
DROP TABLE contacts_fts;
ALTER TABLE contacts_fts_keys_v3 RENAME TO contacts_fts_keys;
CREATE VIRTUAL TABLE contacts_fts USING fts5 (
    name, body, content = '', columnsize = 0, tokenize = "unicode61 remove_diacritics 2"
);
INSERT INTO contacts_fts (rowid, name, body)
    SELECT doc, name, body FROM contacts_fts_keys ORDER BY doc;
"""

# V4: each contact keeps the digest of the row it was last imported from (see
# `row_digests`), with the triggers that clear it when the contact changes.
_V4 = (
    "ALTER TABLE contacts ADD COLUMN row_digest INTEGER;\n"
    "CREATE INDEX contacts_row_digest ON contacts (row_digest) WHERE row_digest IS NOT NULL;\n"
    + "".join(f"CREATE TRIGGER {name} {body};\n" for name, body in DIGEST_TRIGGERS.items())
)

MIGRATIONS: tuple[str, ...] = (
    _V1,
    _V2,
    _V3,
    _V4,
    V5_HISTORY,
    V6_PERSONAL_DATA,
    V7_CAMPAIGNS,
    V8_OVERVIEW,
)
SCHEMA_VERSION = len(MIGRATIONS)

"""The database schema as a list of versioned migrations.

`PRAGMA user_version` holds the number of migrations applied. Opening a file
applies the missing ones in order; a file from a newer crmkit is refused, since
this code cannot know what the newer schema means.
"""

from __future__ import annotations

from crmkit.store.sqlite.digest_triggers import DIGEST_TRIGGERS

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

# V5: the history of changes with old and new values (replacing the audit log), what
# undoing an import or a merge needs, and the number blacklist.
_V5 = """
CREATE TABLE history (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user TEXT,
    source TEXT NOT NULL,
    source_id INTEGER,
    action TEXT NOT NULL,
    contact_id INTEGER NOT NULL,
    changes TEXT,
    detail TEXT
);
CREATE INDEX history_contact ON history (contact_id, id);
CREATE INDEX history_source ON history (source, source_id) WHERE source_id IS NOT NULL;
INSERT INTO history (at, user, source, action, contact_id, detail)
    SELECT at, user, 'api', action, contact_id, detail FROM audit_log
    WHERE contact_id IS NOT NULL ORDER BY id;
DROP TABLE audit_log;

CREATE TABLE import_touches (
    import_id INTEGER NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    before TEXT NOT NULL,
    after TEXT NOT NULL,
    ids TEXT NOT NULL
);
CREATE INDEX import_touches_import ON import_touches (import_id);
ALTER TABLE events ADD COLUMN import_id INTEGER;
CREATE INDEX events_import ON events (import_id) WHERE import_id IS NOT NULL;

CREATE TABLE merges (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user TEXT,
    keep_id INTEGER NOT NULL,
    merged_ids TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'done'
);
CREATE TABLE merged_contacts (
    contact_id INTEGER PRIMARY KEY,
    into_id INTEGER NOT NULL,
    merge_id INTEGER NOT NULL REFERENCES merges (id) ON DELETE CASCADE
);
CREATE INDEX merged_contacts_merge ON merged_contacts (merge_id);
CREATE TABLE contact_aliases (
    external_id TEXT PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    merge_id INTEGER REFERENCES merges (id) ON DELETE CASCADE
);
CREATE INDEX contact_aliases_contact ON contact_aliases (contact_id);

CREATE TABLE blacklist (
    number TEXT PRIMARY KEY,
    reason TEXT,
    added_at TEXT NOT NULL,
    user TEXT
) WITHOUT ROWID;
ALTER TABLE users ADD COLUMN active INTEGER NOT NULL DEFAULT 1;
"""

# V6: personal data (RODO/GDPR): consents with their legal basis, erasures, and the
# suppression list of salted hashes that keeps an erased person from coming back.
_V6 = """
CREATE TABLE consents (
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'phone', 'sms', 'marketing')),
    state TEXT NOT NULL CHECK (state IN ('given', 'withdrawn')),
    basis TEXT NOT NULL CHECK (basis IN
        ('consent', 'contract', 'legal_obligation', 'legitimate_interest')),
    at TEXT NOT NULL,
    source TEXT,
    user TEXT,
    PRIMARY KEY (contact_id, channel)
) WITHOUT ROWID;
CREATE TABLE erasures (
    id INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL,
    at TEXT NOT NULL,
    user TEXT,
    reason TEXT
);
CREATE INDEX erasures_contact ON erasures (contact_id);
CREATE TABLE suppression (
    hash TEXT PRIMARY KEY,
    erasure_id INTEGER NOT NULL REFERENCES erasures (id)
) WITHOUT ROWID;
CREATE TABLE secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
"""

# V7: campaigns with each contact's status, agent and call-back; groups of special fields
# with their records; cases that gather a contact's events and notes. Events are rebuilt
# (with foreign keys off, as in V2) to allow the kind `campaign` (a status change) and
# to carry their case.
_V7 = """
CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    statuses TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    user TEXT
);
CREATE TABLE campaign_contacts (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    agent_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    callback_at TEXT,
    note TEXT,
    enrolled_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (campaign_id, contact_id)
);
CREATE INDEX campaign_contacts_contact ON campaign_contacts (contact_id);
CREATE INDEX campaign_contacts_status ON campaign_contacts (campaign_id, status);
CREATE INDEX campaign_contacts_callback ON campaign_contacts (campaign_id, callback_at)
    WHERE callback_at IS NOT NULL;

CREATE TABLE field_groups (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    fields TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE group_records (
    id INTEGER PRIMARY KEY,
    group_id INTEGER NOT NULL REFERENCES field_groups (id) ON DELETE CASCADE,
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    fields TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    import_id INTEGER
);
CREATE INDEX group_records_contact ON group_records (contact_id, group_id);
CREATE INDEX group_records_group ON group_records (group_id, contact_id);

CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    guardian_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    opened_at TEXT NOT NULL,
    closed_at TEXT,
    user TEXT
);
CREATE INDEX cases_contact ON cases (contact_id);

CREATE TABLE events_v6 (
    id INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind = 'call' OR kind = 'email' OR kind = 'sms' OR kind = 'chat'
        OR kind = 'meeting' OR kind = 'ticket' OR kind = 'task' OR kind = 'note'
        OR kind = 'order' OR kind = 'other' OR kind = 'campaign'),
    direction TEXT CHECK (direction IN ('in', 'out')),
    occurred_at TEXT NOT NULL,
    duration INTEGER,
    subject TEXT,
    body TEXT,
    channel TEXT,
    agent_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    source TEXT NOT NULL DEFAULT '',
    external_id TEXT,
    created_at TEXT NOT NULL,
    import_id INTEGER,
    case_id INTEGER REFERENCES cases (id) ON DELETE SET NULL
);
INSERT INTO events_v6 (id, contact_id, kind, direction, occurred_at, duration, subject, body,
    channel, agent_id, source, external_id, created_at, import_id)
    SELECT id, contact_id, kind, direction, occurred_at, duration, subject, body, channel,
    agent_id, source, external_id, created_at, import_id FROM events;
DROP TABLE events;
ALTER TABLE events_v6 RENAME TO events;
CREATE INDEX events_contact_time ON events (contact_id, occurred_at);
CREATE UNIQUE INDEX events_external ON events (source, external_id)
    WHERE external_id IS NOT NULL;
CREATE INDEX events_import ON events (import_id) WHERE import_id IS NOT NULL;
CREATE INDEX events_case ON events (case_id) WHERE case_id IS NOT NULL;
ALTER TABLE notes ADD COLUMN case_id INTEGER REFERENCES cases (id) ON DELETE SET NULL;
CREATE INDEX notes_case ON notes (case_id) WHERE case_id IS NOT NULL;
"""

# V8 (formats): one row per contact with its first phone and e-mail, and its tags and
# guardians as JSON arrays, for tools that browse the file (`crm serve` facets on them).
_V8 = """
CREATE VIEW contacts_overview AS
SELECT c.id, c.kind, c.name, c.stage, c.source, c.segment, c.city, c.region,
    (SELECT p.number FROM phones p WHERE p.contact_id = c.id ORDER BY p.position LIMIT 1)
        AS phone,
    (SELECT e.address FROM emails e WHERE e.contact_id = c.id ORDER BY e.position LIMIT 1)
        AS email,
    (SELECT json_group_array(name) FROM (SELECT t.name FROM contact_tags ct
        JOIN tags t ON t.id = ct.tag_id WHERE ct.contact_id = c.id ORDER BY t.name)) AS tags,
    (SELECT json_group_array(full_name) FROM (SELECT u.full_name FROM contact_users cu
        JOIN users u ON u.id = cu.user_id
        WHERE cu.contact_id = c.id AND cu.role = 'guardian' ORDER BY u.full_name)) AS guardians,
    c.vip, c.hidden, c.created_at, c.updated_at
FROM contacts c;
"""

MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3, _V4, _V5, _V6, _V7, _V8)
SCHEMA_VERSION = len(MIGRATIONS)

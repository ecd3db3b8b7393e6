"""Migrations 5 to 8: the tables of history and undo, personal data, campaigns and the
browser view. `schema.MIGRATIONS` lists them after the first four.
"""

from __future__ import annotations

__all__ = ["V5_HISTORY", "V6_PERSONAL_DATA", "V7_CAMPAIGNS", "V8_OVERVIEW"]

# V5: the history of changes with old and new values (replacing the audit log), what
# undoing an import or a merge needs, and the number blacklist.
V5_HISTORY = """
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
V6_PERSONAL_DATA = """
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
V7_CAMPAIGNS = """
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
V8_OVERVIEW = """
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

"""Updates are planned per batch and set only the columns whose values change."""

from __future__ import annotations

import json

from crm_calls import search_ids

from crmkit import CRM
from crmkit.store.sqlite.writer.updates import pending_update, plan_updates
from crmkit.targets import ContactDraft

NOW = "2030-01-01T00:00:00Z"


def stored(crm: CRM) -> int:
    contact = crm.contacts.add(
        "person",
        {
            "first_name": "Anna",
            "last_name": "Nowak",
            "address.city": "Gliwice",
            "custom.consent": "tak",
        },
    )
    return contact.id


def plan(crm: CRM, contact_id: int, draft: ContactDraft) -> tuple[dict, set[int]]:
    update = pending_update(contact_id, "person", draft, NOW)
    statements, reindex, _ = plan_updates(crm.store.conn, [update])
    return statements, reindex


def test_the_same_values_set_only_updated_at(ref_crm: CRM) -> None:
    contact_id = stored(ref_crm)
    draft = ContactDraft(
        scalars={"first_name": "Anna", "last_name": "Nowak", "city": "Gliwice"},
        custom={"consent": True},
    )
    statements, reindex = plan(ref_crm, contact_id, draft)
    assert statements == {"UPDATE contacts SET updated_at = ? WHERE id = ?": [(NOW, contact_id)]}
    assert reindex == set()


def test_a_new_first_name_renames_with_the_stored_last_name(ref_crm: CRM) -> None:
    contact_id = stored(ref_crm)
    statements, reindex = plan(ref_crm, contact_id, ContactDraft(scalars={"first_name": "Anka"}))
    assert statements == {
        "UPDATE contacts SET first_name = ?, updated_at = ?, name = ? WHERE id = ?": [
            ("Anka", NOW, "Anka Nowak", contact_id)
        ]
    }
    assert reindex == {contact_id}


def test_custom_values_merge_and_null_removes_a_key(ref_crm: CRM) -> None:
    contact_id = stored(ref_crm)
    draft = ContactDraft(custom={"consent": None, "industry": ["IT"]})
    statements, reindex = plan(ref_crm, contact_id, draft)
    ((sql, rows),) = statements.items()
    assert sql == "UPDATE contacts SET updated_at = ?, custom = ? WHERE id = ?"
    assert json.loads(rows[0][1]) == {"industry": ["IT"]}
    assert reindex == set()


def test_a_hidden_contact_is_reindexed(ref_crm: CRM) -> None:
    contact_id = stored(ref_crm)
    _, reindex = plan(ref_crm, contact_id, ContactDraft(scalars={"hidden": True}))
    assert reindex == {contact_id}
    edited = ref_crm.contacts.edit(contact_id, {"hidden": "tak", "last_name": "Kot"})
    assert edited.hidden and edited.name == "Anna Kot"
    assert search_ids(ref_crm, "kot", include_hidden=True) == [contact_id]


def test_contacts_given_the_same_values_share_one_statement(ref_crm: CRM) -> None:
    ids = [stored(ref_crm) for _ in range(3)]
    same = ContactDraft(scalars={"first_name": "Anna", "city": "Gliwice"})
    moved = ContactDraft(scalars={"city": "Zabrze"})
    updates = [pending_update(contact_id, "person", same, NOW) for contact_id in ids[:2]]
    updates.append(pending_update(ids[2], "person", moved, NOW))
    statements, _, _ = plan_updates(ref_crm.store.conn, updates)
    assert statements == {
        "UPDATE contacts SET updated_at = ? WHERE id IN (SELECT value FROM json_each(?))": [
            (NOW, json.dumps(ids[:2]))
        ],
        "UPDATE contacts SET city = ?, updated_at = ? WHERE id = ?": [("Zabrze", NOW, ids[2])],
    }
    conn = ref_crm.store.conn
    for sql, rows in statements.items():
        conn.executemany(sql, rows)
    found = conn.execute("SELECT id, city, updated_at FROM contacts ORDER BY id").fetchall()
    assert found == [(ids[0], "Gliwice", NOW), (ids[1], "Gliwice", NOW), (ids[2], "Zabrze", NOW)]


def test_contacts_that_store_the_same_custom_values_merge_apart(ref_crm: CRM) -> None:
    """The stored custom text is decoded once a batch; one merge must not reach the next."""
    first, second = stored(ref_crm), stored(ref_crm)
    updates = [
        pending_update(first, "person", ContactDraft(custom={"consent": None}), NOW),
        pending_update(second, "person", ContactDraft(custom={"motto": "carpe diem"}), NOW),
    ]
    statements, _, _ = plan_updates(ref_crm.store.conn, updates)
    written = {}
    for sql, rows in statements.items():
        columns = sql.split(" SET ")[1].split(" WHERE ")[0].split(", ")
        for row in rows:
            written[row[-1]] = json.loads(row[columns.index("custom = ?")])
    assert written == {first: {}, second: {"consent": True, "motto": "carpe diem"}}

"""Replacing children on update: unchanged lists are left alone, changed ones replaced."""

from __future__ import annotations

from crmkit import CRM
from crmkit.store.sqlite.writer.children import plan_child_changes
from crmkit.targets import ContactDraft


def stored_contact(crm: CRM) -> int:
    contact = crm.contacts.add(
        "person",
        {
            "first_name": "Anna",
            "phone.mobile": "601 234 567",
            "phone.work": "22 113 14 15",
            "email.work": "anna@firma.pl",
            "email.home": "anna@dom.pl",
            "tags": "VIP | Lead",
            "guardians": "Jan Kowalski",
        },
    )
    return contact.id


def tag_id(crm: CRM, name: str) -> int:
    return int(crm.store.one("SELECT id FROM tags WHERE name = ?", (name,)))


def user_id(crm: CRM, name: str) -> int:
    return int(crm.store.one("SELECT id FROM users WHERE full_name = ?", (name,)))


def test_what_the_contact_already_has_changes_nothing(ref_crm: CRM) -> None:
    contact_id = stored_contact(ref_crm)
    draft = ContactDraft(
        phones=[("+48601234567", "mobile", None)],
        phone_types={"mobile"},
        emails=[("anna@firma.pl", "work")],
        email_labels={"work"},
        tags=[tag_id(ref_crm, "Lead"), tag_id(ref_crm, "VIP")],
        guardians=[user_id(ref_crm, "Jan Kowalski")],
    )
    changes = plan_child_changes(ref_crm.store.conn, [(contact_id, draft)])
    assert changes.removals == {} and changes.additions == []
    assert changes.tags == [] and changes.users == []


def test_a_changed_list_is_replaced_within_its_scope(ref_crm: CRM) -> None:
    contact_id = stored_contact(ref_crm)
    vip = tag_id(ref_crm, "VIP")
    piotr = user_id(ref_crm, "Piotr Maj")
    draft = ContactDraft(
        phones=[("+48601234568", "mobile", None)],
        phone_types={"mobile"},
        emails=[("anna@firma.pl", "work"), ("biuro@firma.pl", "work")],
        email_labels={"work"},
        tags=[vip],
        guardians=[piotr],
        observers=[],
    )
    changes = plan_child_changes(ref_crm.store.conn, [(contact_id, draft)])
    assert changes.removals == {
        "DELETE FROM phones WHERE contact_id = ? AND type = ?": [(contact_id, "mobile")],
        "DELETE FROM emails WHERE contact_id = ? AND label IS ?": [(contact_id, "work")],
        "DELETE FROM contact_tags WHERE contact_id = ?": [(contact_id,)],
        "DELETE FROM contact_users WHERE contact_id = ? AND role = ?": [(contact_id, "guardian")],
    }
    assert changes.additions == [(contact_id, draft.phones, draft.emails)]
    assert changes.tags == [(contact_id, vip)]
    assert changes.users == [(contact_id, piotr, "guardian")]


def test_every_phone_replaced_when_the_draft_says_all(ref_crm: CRM) -> None:
    contact_id = stored_contact(ref_crm)
    same = ContactDraft(
        phones=[("+48601234567", "mobile", None), ("+48221131415", "work", None)],
        phone_types={"*"},
    )
    assert plan_child_changes(ref_crm.store.conn, [(contact_id, same)]).additions == []
    reordered = ContactDraft(phones=list(reversed(same.phones)), phone_types={"*"})
    changes = plan_child_changes(ref_crm.store.conn, [(contact_id, reordered)])
    assert changes.removals == {"DELETE FROM phones WHERE contact_id = ?": [(contact_id,)]}
    assert changes.additions == [(contact_id, reordered.phones, [])]


def test_editing_keeps_the_positions_of_unchanged_phones(ref_crm: CRM) -> None:
    contact_id = stored_contact(ref_crm)
    before = ref_crm.store.conn.execute(
        "SELECT position, number FROM phones WHERE contact_id = ? ORDER BY position",
        (contact_id,),
    ).fetchall()
    ref_crm.contacts.edit(contact_id, {"phone.mobile": "601234567", "position": "CEO"})
    after = ref_crm.store.conn.execute(
        "SELECT position, number FROM phones WHERE contact_id = ? ORDER BY position",
        (contact_id,),
    ).fetchall()
    assert after == before
    ref_crm.contacts.edit(contact_id, {"phone.mobile": "601 000 000"})
    numbers = [
        number
        for (number,) in ref_crm.store.conn.execute(
            "SELECT number FROM phones WHERE contact_id = ? ORDER BY position", (contact_id,)
        )
    ]
    assert numbers == ["+48221131415", "+48601000000"]


def test_contacts_read_with_a_batch_but_not_in_it_are_left_alone(ref_crm: CRM) -> None:
    """A dense batch is read by a range of ids, which takes in its neighbours too."""
    first, middle, last = (stored_contact(ref_crm) for _ in range(3))
    draft = ContactDraft(phones=[("+48601234568", "mobile", None)], phone_types={"mobile"})
    changes = plan_child_changes(ref_crm.store.conn, [(first, draft), (last, draft)])
    touched = {params[0] for rows in changes.removals.values() for params in rows}
    assert touched == {first, last}
    assert [contact_id for contact_id, _, _ in changes.additions] == [first, last]
    assert middle not in changes.reindex

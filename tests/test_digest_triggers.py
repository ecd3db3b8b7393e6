"""Every change to what an import compares clears the row digests it makes untrue."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from crmkit import CRM
from crmkit.store.sqlite.digest_triggers import DIGEST_TRIGGERS, digest_triggers_paused
from crmkit.store.sqlite.schema import SCHEMA_VERSION


@pytest.fixture()
def two(ref_crm: CRM) -> tuple[CRM, int, int]:
    """Two persons with a tag, a guardian, a phone and an e-mail each, both digested."""
    crm = ref_crm
    ids = []
    for name, phone in (("Anna", "601234567"), ("Jan", "602345678")):
        values = {
            "first_name": name,
            "phone.mobile": phone,
            "email.work": f"{name.lower()}@example.pl",
            "tags": "VIP",
            "guardians": "Jan Kowalski",
        }
        ids.append(crm.contacts.add("person", values).id)
    crm.store.conn.execute("UPDATE contacts SET row_digest = id * 10")
    return crm, ids[0], ids[1]


def digests(crm: CRM) -> dict[int, int | None]:
    return dict(crm.store.conn.execute("SELECT id, row_digest FROM contacts"))


def sql(statement: str) -> Callable[[CRM, int], object]:
    return lambda crm, contact_id: crm.store.conn.execute(statement, {"id": contact_id})


CHANGES = {
    "edit": lambda crm, contact_id: crm.contacts.edit(contact_id, {"position": "Prezes"}),
    "edit to the same value": lambda crm, contact_id: crm.contacts.edit(
        contact_id, {"first_name": "Anna"}
    ),
    "custom value": sql("UPDATE contacts SET custom = '{\"vip\": 1}' WHERE id = :id"),
    "phone added": sql(
        "INSERT INTO phones (contact_id, position, number, type) VALUES (:id, 9, '+48700', 'work')"
    ),
    "phone changed": sql("UPDATE phones SET number = '+48701' WHERE contact_id = :id"),
    "phone removed": sql("DELETE FROM phones WHERE contact_id = :id"),
    "e-mail changed": sql("UPDATE emails SET label = 'home' WHERE contact_id = :id"),
    "e-mail removed": sql("DELETE FROM emails WHERE contact_id = :id"),
    "tag removed": sql("DELETE FROM contact_tags WHERE contact_id = :id"),
    "tag added": sql(
        "INSERT INTO contact_tags (contact_id, tag_id)"
        " SELECT :id, id FROM tags WHERE key = 'newsletter'"
    ),
    "guardian removed": sql("DELETE FROM contact_users WHERE contact_id = :id"),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_to_a_contact_clears_its_digest_only(
    two: tuple[CRM, int, int], change: str
) -> None:
    crm, anna, jan = two
    CHANGES[change](crm, anna)
    assert digests(crm) == {anna: None, jan: jan * 10}


def test_moving_a_phone_to_another_contact_clears_both(two: tuple[CRM, int, int]) -> None:
    crm, anna, jan = two
    crm.store.conn.execute(
        "UPDATE phones SET contact_id = ?, position = 9 WHERE contact_id = ?", (jan, anna)
    )
    assert digests(crm) == {anna: None, jan: None}


def test_setting_the_digest_itself_keeps_it(two: tuple[CRM, int, int]) -> None:
    crm, anna, jan = two
    crm.store.conn.execute(
        "UPDATE contacts SET row_digest = 5, updated_at = 'now' WHERE id = ?", (anna,)
    )
    assert digests(crm) == {anna: 5, jan: jan * 10}


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE tags SET name = 'Ważny' WHERE key = 'vip'",
        "DELETE FROM tags WHERE key = 'vip'",
        "UPDATE users SET full_name = 'Jan Nowak' WHERE key = 'jan kowalski'",
        "DELETE FROM users WHERE key = 'jan kowalski'",
    ],
)
def test_a_renamed_or_deleted_tag_or_user_clears_its_contacts(
    two: tuple[CRM, int, int], statement: str
) -> None:
    crm, anna, jan = two
    crm.store.conn.execute("DELETE FROM contact_tags WHERE contact_id = ?", (jan,))
    crm.store.conn.execute("DELETE FROM contact_users WHERE contact_id = ?", (jan,))
    crm.store.conn.execute("UPDATE contacts SET row_digest = 20 WHERE id = ?", (jan,))
    crm.store.conn.execute(statement)
    assert digests(crm) == {anna: None, jan: 20}


def test_an_unrelated_tag_or_user_leaves_digests(two: tuple[CRM, int, int]) -> None:
    crm, anna, jan = two
    crm.tags.add("Hurt")
    crm.users.add("Ewa Bąk")
    crm.store.conn.execute("UPDATE tags SET name = 'Hurtownia' WHERE key = 'hurt'")
    assert digests(crm) == {anna: anna * 10, jan: jan * 10}


def test_any_change_to_custom_fields_clears_every_digest(two: tuple[CRM, int, int]) -> None:
    crm, anna, jan = two
    crm.fields.add("region_code", type="text")
    assert digests(crm) == {anna: None, jan: None}


def test_paused_triggers_come_back_and_a_rollback_restores_them(two: tuple[CRM, int, int]) -> None:
    crm, anna, _ = two
    conn = crm.store.conn

    def count() -> int:
        sql = "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
        return int(conn.execute(sql).fetchone()[0])

    assert count() == len(DIGEST_TRIGGERS)
    with crm.store.transaction():
        with digest_triggers_paused(conn):
            assert count() == 0
            conn.execute("DELETE FROM phones WHERE contact_id = ?", (anna,))
        assert count() == len(DIGEST_TRIGGERS)
    assert digests(crm)[anna] == anna * 10
    with pytest.raises(RuntimeError), crm.store.transaction(), digest_triggers_paused(conn):
        raise RuntimeError("the import failed")
    assert count() == len(DIGEST_TRIGGERS)
    assert crm.store.version == SCHEMA_VERSION

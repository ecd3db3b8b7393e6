"""Organizations named in rows: looked up per batch exactly as one by one."""

from __future__ import annotations

import pytest

from crmkit import CRM
from crmkit.store.sqlite.writer import ContactWriter
from crmkit.store.sqlite.writer import organizations as organization_links
from crmkit.targets import ContactDraft

NOW = "2025-01-01T00:00:00Z"


def organizations(crm: CRM, *names: str) -> list[int]:
    with crm.store.transaction():
        writer = ContactWriter(crm.store, now=NOW)
        ids = [
            writer.create(ContactDraft(scalars={"name": name}), "organization") for name in names
        ]
        writer.flush()
    return ids


def linked(crm: CRM, cells: list[str], *, prefetch: bool) -> list[int]:
    """The organization ids these cells link to, with or without a prefetch."""
    with crm.store.transaction():
        writer = ContactWriter(crm.store, now=NOW)
        if prefetch:
            writer.organizations.prefetch(set(cells))
        found = [writer.organization_id(cell) for cell in cells]
        writer.flush()
    return found


@pytest.mark.parametrize("prefetch", [False, True])
def test_names_match_as_nocase_and_the_oldest_wins(crm: CRM, prefetch: bool) -> None:
    first, second, accented = organizations(crm, "Firma A", "FIRMA a", "Żółć S.A.")
    cells = ["firma  a", "FIRMA A", "żółć s.a.", "Nowa", "nowa"]
    found = linked(crm, cells, prefetch=prefetch)
    # NOCASE folds ASCII letters only: "żółć s.a." is a new organization, as is "Nowa".
    assert found[:2] == [first, first]
    assert found[2] not in (first, second, accented)
    assert found[3] == found[4] and found[3] != found[2]
    assert crm.store.one("SELECT count(*) FROM contacts WHERE kind = 'organization'") == 5


def test_a_prefetch_answers_without_a_query_per_cell(crm: CRM) -> None:
    (org,) = organizations(crm, "Firma A")
    statements: list[str] = []
    crm.store.conn.set_trace_callback(statements.append)
    with crm.store.transaction():
        writer = ContactWriter(crm.store, now=NOW)
        writer.organizations.prefetch({"Firma A", "firma a", "Inna"})
        statements.clear()
        assert writer.organization_id("firma a") == org
        assert writer.organization_id("Firma A") == org
    assert not any(statement.startswith("SELECT") for statement in statements)


def test_what_a_prefetch_found_is_forgotten_once_the_batch_is_written(
    crm: CRM, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Caches emptied at every flush: only the store then knows the new organization.
    monkeypatch.setattr(organization_links, "ORGANIZATION_CACHE_LIMIT", 0)
    with crm.store.transaction():
        writer = ContactWriter(crm.store, now=NOW)
        writer.organizations.prefetch({"Nowa"})
        created = writer.organization_id("Nowa")
        writer.flush()
        assert writer.organization_id("Nowa") == created
        writer.flush()
    assert crm.store.one("SELECT count(*) FROM contacts WHERE kind = 'organization'") == 1


def test_a_nip_cell_is_looked_up_by_nip(crm: CRM) -> None:
    with crm.store.transaction():
        writer = ContactWriter(crm.store, now=NOW)
        org = writer.create(
            ContactDraft(scalars={"name": "ACME", "nip": "1234563218"}), "organization"
        )
        writer.flush()
    assert linked(crm, ["PL 123-456-32-18"], prefetch=True) == [org]

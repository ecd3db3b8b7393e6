"""History of imports and `crm undo import N`: back to the export from before the import."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

import crmkit
from crmkit import CRM, CrmError
from tests.conftest import DATA

HISTORY = DATA / "history"


def export(crm: CRM) -> str:
    """The whole base as `crm export --format jsonl` writes it."""
    import io

    out = io.StringIO()
    crm.export(out, format="jsonl")
    return out.getvalue()


def run(crm: CRM, name: str, **kwargs: object) -> int:
    report = crm.imports.run(HISTORY / name, **kwargs)  # type: ignore[arg-type]
    assert report.import_id is not None
    return report.import_id


def test_an_update_is_recorded_with_old_and_new_values(ref_crm: CRM) -> None:
    run(ref_crm, "first.csv")
    second = run(ref_crm, "second.csv")
    anna = ref_crm.contacts.search("Anna")[0]
    latest = ref_crm.contacts.history(anna.id)[0]
    assert (latest.source, latest.action) == (f"import {second}", "update")
    changes = {change.field: (change.old, change.new) for change in latest.changes}
    assert changes["last_name"] == ("Nowak", "Nowak-Kos")
    assert changes["address.city"] == ("Gliwice", "Katowice")
    assert changes["tags"] == (["VIP"], ["Klient", "VIP"])
    assert changes["custom.industry"] == (["IT"], ["IT", "Handel"])


def test_created_contacts_are_recorded_by_id_only(ref_crm: CRM) -> None:
    first = run(ref_crm, "first.csv")
    for contact in ref_crm.contacts:
        (entry,) = ref_crm.contacts.history(contact.id)
        assert (entry.source, entry.action, entry.changes) == (f"import {first}", "add", [])


def test_an_unchanged_row_records_nothing(ref_crm: CRM) -> None:
    run(ref_crm, "first.csv")
    run(ref_crm, "first.csv")
    jan = ref_crm.contacts.search("Zieliński")[0]
    assert [entry.action for entry in ref_crm.contacts.history(jan.id)] == ["add"]


def test_undo_gives_back_the_export_from_before(ref_crm: CRM) -> None:
    run(ref_crm, "first.csv")
    before = export(ref_crm)
    ids = sorted(contact.id for contact in ref_crm.contacts)
    second = run(ref_crm, "second.csv")
    assert export(ref_crm) != before
    report = ref_crm.imports.undo(second)
    assert len(report.removed) == 1 and len(report.restored) == 1
    assert export(ref_crm) == before
    assert sorted(contact.id for contact in ref_crm.contacts) == ids
    assert ref_crm.imports[second].status == "undone"


def test_undo_removes_the_events_an_import_brought(ref_crm: CRM) -> None:
    run(ref_crm, "first.csv")
    calls = run(ref_crm, "calls.csv", mapping=HISTORY / "calls.yaml")
    anna = ref_crm.contacts.search("Anna")[0]
    assert len(ref_crm.timeline(anna.id)) == 1
    assert ref_crm.imports.undo(calls).events == 2
    assert ref_crm.timeline(anna.id) == []


def test_the_undo_is_in_the_history(ref_crm: CRM) -> None:
    run(ref_crm, "first.csv")
    second = run(ref_crm, "second.csv")
    with crmkit.open(ref_crm.path, user="Jan Kowalski") as jan:
        jan.imports.undo(second)
    anna = ref_crm.contacts.search("Anna")[0]
    latest = ref_crm.contacts.history(anna.id)[0]
    assert (latest.source, latest.action, latest.user) == (
        "undo",
        f"undo import {second}",
        "Jan Kowalski",
    )
    assert {"field": "last_name", "old": "Nowak-Kos", "new": "Nowak"} in [
        change.to_record() for change in latest.changes
    ]


def test_a_contact_changed_since_makes_undo_refuse(ref_crm: CRM) -> None:
    run(ref_crm, "first.csv")
    second = run(ref_crm, "second.csv")
    anna = ref_crm.contacts.search("Anna")[0]
    ref_crm.contacts.edit(anna.id, stage="klient")
    before = export(ref_crm)
    with pytest.raises(CrmError, match=f"contacts {anna.id} changed after it"):
        ref_crm.imports.undo(second)
    assert export(ref_crm) == before
    assert ref_crm.imports[second].status != "undone"


def test_force_skips_contacts_changed_since(ref_crm: CRM) -> None:
    run(ref_crm, "first.csv")
    second = run(ref_crm, "second.csv")
    anna = ref_crm.contacts.search("Anna")[0]
    ref_crm.contacts.edit(anna.id, stage="klient")
    report = ref_crm.imports.undo(second, force=True)
    assert report.skipped == [anna.id]
    assert ref_crm.contacts[anna.id].last_name == "Nowak-Kos"
    assert ref_crm.contacts.search("Olga") == []


def test_dry_run_changes_nothing(ref_crm: CRM) -> None:
    run(ref_crm, "first.csv")
    second = run(ref_crm, "second.csv")
    before = export(ref_crm)
    report = ref_crm.imports.undo(second, dry_run=True)
    assert report.dry_run and len(report.removed) == 1
    assert export(ref_crm) == before
    assert ref_crm.imports[second].status != "undone"


def test_undo_twice_is_refused(ref_crm: CRM) -> None:
    second = run(ref_crm, "first.csv")
    ref_crm.imports.undo(second)
    with pytest.raises(CrmError, match="already undone"):
        ref_crm.imports.undo(second)


def test_undo_in_reverse_order_gives_back_the_empty_base(ref_crm: CRM) -> None:
    empty = export(ref_crm)
    first = run(ref_crm, "first.csv")
    second = run(ref_crm, "second.csv")
    with pytest.raises(CrmError, match="changed after it"):
        ref_crm.imports.undo(first)
    ref_crm.imports.undo(second)
    ref_crm.imports.undo(first)
    assert export(ref_crm) == empty


def test_ids_of_undone_contacts_are_not_given_again(ref_crm: CRM) -> None:
    first = run(ref_crm, "first.csv")
    gone = max(contact.id for contact in ref_crm.contacts)
    ref_crm.imports.undo(first)
    fresh = ref_crm.contacts.add("person", first_name="Nowa")
    assert fresh.id > gone
    assert [entry.action for entry in ref_crm.contacts.history(fresh.id)] == ["add"]


def test_cli_undo_import(cli: Callable[..., Result], db_path: Path) -> None:
    for name in ("VIP", "Lead", "Klient"):
        cli("tag", "add", name)
    cli("field", "add", "industry", "--type", "multiselect", "--option", "IT", "--option", "Handel")
    cli("import", str(HISTORY / "first.csv"))
    before = cli("export", "--format", "jsonl").output
    cli("import", str(HISTORY / "second.csv"))
    dry = cli("undo", "import", "2", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would remove 1 contact" in dry.output
    done = cli("undo", "import", "2", "--format", "json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)[0]["removed"] == [4]
    assert cli("export", "--format", "jsonl").output == before
    assert "undone" in cli("imports").output
    again = cli("undo", "import", "2")
    assert again.exit_code == 1 and "already undone" in again.output


def test_cli_undo_refusal_names_the_contacts(cli: Callable[..., Result]) -> None:
    cli("import", str(HISTORY / "first.csv"))
    cli("edit", "1", "--set", "stage=klient")
    refused = cli("undo", "import", "1")
    assert refused.exit_code == 1
    assert "contacts 1 changed after it" in refused.output and "--force" in refused.output
    assert "Traceback" not in refused.output

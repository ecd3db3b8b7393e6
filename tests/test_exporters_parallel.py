"""The two-process CSV export writes exactly what the one-process export writes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from search_builders import build_base

from crmkit import CRM
from crmkit.errors import CrmError
from crmkit.store.sqlite import export as export_module
from crmkit.store.sqlite import parallel_export as parallel
from crmkit.store.sqlite.query.columns import export_columns
from crmkit.store.sqlite.query.fields import QuerySchema
from crmkit.store.sqlite.tabular import TabularReader

pytestmark = pytest.mark.skipif(
    not parallel.parallel_available(Path(__file__)), reason="needs fork and two processors"
)


@pytest.fixture()
def many(ref_crm: CRM) -> CRM:
    build_base(ref_crm)
    for index in range(60):
        ref_crm.contacts.add(
            "person",
            {"first_name": f"Osoba{index}", "tags": "VIP" if index % 2 else "Lead",
             "phone.mobile": f"+48 600 000 {index:03d}", "note": "=1+1" if index % 7 == 0 else ""},
        )  # fmt: skip
    return ref_crm


def exported(crm: CRM, **options: object) -> str:
    out = io.StringIO(newline="")
    crm.export(out, include_hidden=True, **options)  # type: ignore[arg-type]
    return out.getvalue()


def test_parallel_and_serial_exports_are_the_same(
    many: CRM, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export_module, "parallel_available", lambda path: False)
    serial = exported(many)
    sorted_serial = exported(many, sort="-name", filters="tag=VIP")
    some_serial = exported(many, filters="name~osoba1")
    monkeypatch.undo()
    used: list[int] = []
    original = parallel.write_csv_in_parallel

    def spy(*args: object, **kwargs: object) -> int:
        count = original(*args, **kwargs)  # type: ignore[arg-type]
        used.append(count)
        return count

    monkeypatch.setattr(export_module, "write_csv_in_parallel", spy)
    for module in (export_module, parallel):
        monkeypatch.setattr(module, "CHUNK", 4)
    monkeypatch.setattr(export_module, "MIN_CHUNKS", 3)
    assert exported(many) == serial  # in pieces by id range
    assert exported(many, sort="-name", filters="tag=VIP") == sorted_serial  # by lists of ids
    assert exported(many, filters="name~osoba1") == some_serial  # ranges, most of them empty
    assert used == [66, 32, 11]


def test_a_failing_helper_is_an_error(many: CRM, tmp_path: Path) -> None:
    reader = TabularReader(
        many.store.conn, export_columns(many.store.conn, QuerySchema(many.store.conn))
    )
    with pytest.raises(CrmError, match="helper process failed"):
        parallel.write_csv_in_parallel(
            io.StringIO(), tmp_path / "missing.db", reader, parallel.id_chunks([[1, 2]], iter([3]))
        )


def test_the_id_range_of_a_large_export_reads_only_the_ends_of_the_table(many: CRM) -> None:
    conn = many.store.conn
    plan = [row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + export_module._ID_RANGE)]
    assert plan and not any(step.startswith("SCAN contacts") for step in plan)
    ids = [row[0] for row in conn.execute("SELECT id FROM contacts")]
    assert conn.execute(export_module._ID_RANGE).fetchone() == (min(ids), max(ids))

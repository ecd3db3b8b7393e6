"""The benchmarks' own generator and mapping (benchmarks/bench/) import as they should,
and the copies the duplicates benchmark makes of their rows are found."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from crmkit import CRM

BENCH = Path(__file__).parent.parent / "benchmarks" / "bench"


def add_bench_reference_data(crm: CRM) -> None:
    """Add the tags, users and fields of benchmarks/bench/setup.sh."""
    crm.tags.add("VIP", "Newsletter", "Lead", "Klient", "Partner")
    for name in ("Jan Kowalski", "Piotr Maj", "Anna Zając", "Ewa Bąk"):
        crm.users.add(name)
    crm.fields.add("industry", type="multiselect", options=["IT", "Handel", "Produkcja",
                   "Usługi", "Logistyka"])  # fmt: skip
    crm.fields.add("vip_flag", type="checkbox")


def load_duplicates_bench() -> ModuleType:
    path = BENCH.parent / "duplicates_bench.py"
    spec = importlib.util.spec_from_file_location("duplicates_bench", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_rows_import_with_the_benchmark_mapping(crm: CRM, tmp_path: Path) -> None:
    data = tmp_path / "contacts.csv"
    for out in (data, tmp_path / "again.csv"):
        generate = [sys.executable, str(BENCH / "gen_contacts.py"), "300", "--out", str(out)]
        subprocess.run(generate, check=True)
    assert data.read_bytes() == (tmp_path / "again.csv").read_bytes()  # the same seed
    add_bench_reference_data(crm)
    report = crm.imports.run(data, mapping=BENCH / "gen_map.yaml")
    assert report.rows_read == 300 and 270 <= report.created < 300
    assert {problem.column for problem in report.errors} <= {"Telefon", "Utworzono"}
    assert crm.contacts.search("now", limit=1)


@pytest.mark.parametrize(
    ("rows", "surnames"), [(400, 0), (400, 5000), pytest.param(20_000, 0, marks=pytest.mark.slow)]
)
def test_the_duplicates_benchmark_copies_are_found(
    crm: CRM, tmp_path: Path, rows: int, surnames: int
) -> None:
    bench = load_duplicates_bench()
    source = tmp_path / "contacts.csv"
    copies = bench.write_source(rows, 0.05, 7, source, surnames)
    assert len(copies) == 20 * rows // 400
    add_bench_reference_data(crm)
    crm.imports.run(source, mapping=bench.write_mapping(tmp_path / "map.yaml"))
    ids = {contact.external_id: contact.id for contact in crm.contacts}
    groups = [group.to_record() for group in crm.contacts.duplicates()]
    counts = bench.recall(copies, ids, groups)
    expected, found = counts["expected"], counts["found"]
    for variant in ("phone and e-mail", "phone only", "e-mail only"):
        assert found[variant] == expected[variant] > 0
    if surnames:
        assert found["name and address only"] == expected["name and address only"] > 0

"""The benchmarks' own generator and mapping (benchmarks/bench/) import as they should."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from crmkit import CRM

BENCH = Path(__file__).parent.parent / "benchmarks" / "bench"


def test_generated_rows_import_with_the_benchmark_mapping(crm: CRM, tmp_path: Path) -> None:
    data = tmp_path / "contacts.csv"
    for out in (data, tmp_path / "again.csv"):
        generate = [sys.executable, str(BENCH / "gen_contacts.py"), "300", "--out", str(out)]
        subprocess.run(generate, check=True)
    assert data.read_bytes() == (tmp_path / "again.csv").read_bytes()  # the same seed
    crm.tags.add("VIP", "Newsletter", "Lead", "Klient", "Partner")
    for name in ("Jan Kowalski", "Piotr Maj", "Anna Zając", "Ewa Bąk"):
        crm.users.add(name)
    crm.fields.add("industry", type="multiselect", options=["IT", "Handel", "Produkcja",
                   "Usługi", "Logistyka"])  # fmt: skip
    crm.fields.add("vip_flag", type="checkbox")
    report = crm.imports.run(data, mapping=BENCH / "gen_map.yaml")
    assert report.rows_read == 300 and 270 <= report.created < 300
    assert {problem.column for problem in report.errors} <= {"Telefon", "Utworzono"}
    assert crm.contacts.search("now", limit=1)

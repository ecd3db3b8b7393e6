"""Any sequence of imports and merges, undone in reverse order, gives back the first export."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import crmkit
from crmkit import CRM

NAMES = ["Anna", "Ewa", "Jan", "Łucja", "Żaneta", "Piotr"]
CITIES = ["Gliwice", "Łódź", "Kraków", None]
TAGS = ["VIP", "Lead", "Klient"]
COLUMNS = ["external_id", "first_name", "last_name", "phones", "emails", "city", "tags", "stage"]

row = st.fixed_dictionaries(
    {
        "external_id": st.sampled_from([f"X-{n}" for n in range(6)]),
        "first_name": st.sampled_from(NAMES),
        "last_name": st.sampled_from(["Nowak", "Bąk", "Lis", ""]),
        "phones": st.sampled_from(["", "601 234 567", "602 000 111", "+48 22 113 14 15"]),
        "emails": st.sampled_from(["", "a@example.pl", "b@example.pl"]),
        "city": st.sampled_from(CITIES),
        "tags": st.lists(st.sampled_from(TAGS), max_size=2, unique=True).map(" | ".join),
        "stage": st.sampled_from(["", "lead", "klient"]),
    }
)
SAME = {"last_name": "Nowak", "phones": "", "emails": "", "city": "Gliwice", "tags": "",
        "stage": ""}  # fmt: skip
step = st.one_of(
    st.tuples(st.just("import"), st.lists(row, min_size=1, max_size=4)),
    st.tuples(st.just("again"), st.integers(0, 50)),
    st.tuples(st.just("merge"), st.integers(0, 50), st.integers(1, 2)),
)


def export(crm: CRM) -> str:
    out = io.StringIO()
    crm.export(out, format="jsonl", include_hidden=True)
    return out.getvalue()


def write_csv(folder: Path, number: int, rows: list[dict[str, str | None]]) -> Path:
    path = folder / f"file{number}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    start=st.lists(row, min_size=1, max_size=4),
    steps=st.lists(step, min_size=1, max_size=5),
)
# A merge that gives KEEP nothing but a new `updated_at`: its undo gives that back too.
@example(
    start=[
        {**SAME, "external_id": "X-0", "first_name": "Ewa"},
        {**SAME, "external_id": "X-1", "first_name": "Anna"},
    ],
    steps=[("merge", 1, 1)],
)
def test_undo_in_reverse_order_gives_back_the_first_export(
    start: list[dict[str, str | None]], steps: list[tuple]
) -> None:
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        with crmkit.open(folder / "crm.db") as crm:
            crm.tags.add(*TAGS)
            write_csv(folder, 0, start)
            crm.imports.run(folder / "file0.csv")
            crm.contacts.edit(next(iter(crm.contacts)).id, segment="B2B")
            # Older times, so that what a re-import sets differs from what undo gives back.
            with crm.store.transaction() as conn:
                conn.execute("UPDATE contacts SET updated_at = '2020-01-01T00:00:00Z'")
            first = export(crm)
            done: list[tuple[str, int]] = []
            files = [folder / "file0.csv"]
            for number, (kind, *args) in enumerate(steps, start=1):
                if kind in ("import", "again"):
                    if kind == "import":
                        files.append(write_csv(folder, number, args[0]))
                    path = files[-1] if kind == "import" else files[args[0] % len(files)]
                    report = crm.imports.run(path)
                    if report.import_id is not None:
                        done.append(("import", report.import_id))
                    continue
                persons = sorted(c.id for c in crm.contacts if c.kind == "person")
                if len(persons) <= args[1]:
                    continue
                keep = persons[args[0] % len(persons)]
                others = [p for p in persons if p != keep][: args[1]]
                merge = crm.contacts.merge(keep, *others)
                done.append(("merge", merge.id or 0))
            for kind, number in reversed(done):
                if kind == "import":
                    crm.imports.undo(number)
                else:
                    crm.merges.undo(number)
            assert export(crm) == first

"""How much slower is `crm import` of a workbook than of the same rows as CSV?

usage: python benchmarks/xlsx_bench.py [--rows 100000] [--rounds 3] [--keep DIR]

The benchmark generator writes a CSV file; the same rows go into an .xlsx workbook
(whole numbers without a leading zero as number cells, as a spreadsheet holds them,
the rest as text; writing it is not timed). Each round imports the CSV file and
then the workbook, each as a whole `crm import` process into a fresh database
prepared by the benchmark set-up, and checks that both give the same counts. The
target (CONTRACT section 11): the workbook takes at most 1.5x the CSV file's time.
"""

from __future__ import annotations

import argparse
import compileall
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from import_bench import REPO, bench_folder, measure, tool_path  # noqa: E402

TARGET = 1.5


def write_workbook(source: Path, target: Path) -> None:
    """The CSV file's rows as one sheet, whole numbers as number cells."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Kontakty")
    with open(source, encoding="utf-8", newline="") as stream:
        for row in csv.reader(stream):
            sheet.append([_typed(cell) for cell in row])
    book.save(target)


def _typed(cell: str) -> str | int:
    if cell.isdigit() and cell.isascii() and not cell.startswith("0") and len(cell) < 16:
        return int(cell)
    return cell


def import_once(
    data: Path, bench: Path, workdir: Path, env: dict[str, str], label: str
) -> tuple[float, dict[str, int]]:
    """One timed `crm import` into a fresh database; its seconds and its counts."""
    database = workdir / f"{label}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    subprocess.run(
        ["bash", str(bench / "setup.sh"), str(database)],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    command = [
        tool_path("crm"),
        "--db",
        str(database),
        "import",
        str(data),
        "--mapping",
        str(bench / "gen_map.yaml"),
        "--format",
        "json",
    ]
    run = measure(f"crm import {label}", command, env=env, workdir=workdir)
    if run.exit_code not in (0, 3):
        raise SystemExit(f"{run.tool}: exit code {run.exit_code}\n{run.stderr[-2000:]}")
    report = json.loads(run.stdout)
    counts = {key: report[key] for key in ("rows_read", "created", "rejected", "warnings")}
    return run.seconds, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows to generate")
    parser.add_argument("--rounds", type=int, default=3, help="CSV/xlsx pairs to time")
    parser.add_argument("--seed", type=int, default=1, help="generator seed")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep its files")
    parser.add_argument(
        "--shared", type=Path, default=REPO.parent / "shared", help="the shared folder (bench/)"
    )
    args = parser.parse_args()
    bench = bench_folder(args.shared)
    with tempfile.TemporaryDirectory(prefix="crm-xlsx-bench-") as temporary:
        workdir = args.keep.resolve() if args.keep else Path(temporary)
        workdir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        env.pop("CRM_DB", None)
        env.pop("CRM_USER", None)
        csv_file = workdir / "contacts.csv"
        xlsx_file = workdir / "contacts.xlsx"
        generate = [sys.executable, str(bench / "gen_contacts.py"), str(args.rows)]
        subprocess.run([*generate, "--seed", str(args.seed), "--out", str(csv_file)], check=True)
        write_workbook(csv_file, xlsx_file)
        compileall.compile_dir(REPO / "crmkit", quiet=1)
        print(
            f"{args.rows} rows: CSV {csv_file.stat().st_size / (1 << 20):.1f} MiB,"
            f" xlsx {xlsx_file.stat().st_size / (1 << 20):.1f} MiB"
        )
        ratios = []
        for number in range(1, args.rounds + 1):
            csv_seconds, csv_counts = import_once(csv_file, bench, workdir, env, "csv")
            xlsx_seconds, xlsx_counts = import_once(xlsx_file, bench, workdir, env, "xlsx")
            if csv_counts != xlsx_counts:
                raise SystemExit(f"the imports differ: CSV {csv_counts}, xlsx {xlsx_counts}")
            ratio = xlsx_seconds / csv_seconds
            ratios.append(ratio)
            print(
                f"round {number}: CSV {csv_seconds:.2f} s, xlsx {xlsx_seconds:.2f} s,"
                f" ratio {ratio:.2f} ({csv_counts})"
            )
        median = statistics.median(ratios)
        verdict = "met" if median <= TARGET else "MISSED"
        print(f"xlsx import <= {TARGET}x CSV import: median ratio {median:.2f}  {verdict}")


if __name__ == "__main__":
    main()

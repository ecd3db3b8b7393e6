"""How long does `crm mapping suggest` take on a large file? (target: under 1 s for 1M rows)

usage: python benchmarks/suggest_bench.py [--rows 1000000] [--keep DIR]

The benchmark generator writes the file (not timed); the command runs as a whole
process, start-up included, with no base (as before a first import), three times;
the best time counts. The suggestion must map the generator's columns as
benchmarks/bench/gen_map.yaml does, apart from the columns that need reference data.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from import_bench import REPO, bench_folder, tool_path  # noqa: E402

TARGET_SECONDS = 1.0
# Columns whose targets come from the base's tags, users and fields (none here).
NEEDS_REFERENCE = {"Tagi", "Opiekun", "Branża", "VIP", "Firma"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep its files")
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    args = parser.parse_args()
    bench = bench_folder(args.shared)
    with tempfile.TemporaryDirectory(prefix="crm-suggest-bench-") as temporary:
        folder = args.keep.resolve() if args.keep else Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        data = folder / "contacts.csv"
        if not data.exists():
            generate = [sys.executable, str(bench / "gen_contacts.py"), str(args.rows)]
            subprocess.run([*generate, "--out", str(data)], check=True)
        print(f"{args.rows} rows, {data.stat().st_size / (1 << 20):.0f} MiB: {data}")
        command = [tool_path("crm"), "--db", str(folder / "none.db"), "mapping", "suggest"]
        times = []
        for _ in range(3):
            started = time.perf_counter()
            done = subprocess.run([*command, str(data)], capture_output=True, text=True)
            times.append(time.perf_counter() - started)
            if done.returncode != 0:
                raise SystemExit(done.stderr)
        suggested = yaml.safe_load(done.stdout)["columns"]
        expected = yaml.safe_load((bench / "gen_map.yaml").read_text("utf-8"))["columns"]
        wrong = {
            column: (suggested.get(column), target)
            for column, target in expected.items()
            if column not in NEEDS_REFERENCE and suggested.get(column) != target
        }
        print("times:", " ".join(f"{seconds:.2f}" for seconds in times))
        print(f"columns the suggestion maps otherwise than gen_map.yaml: {wrong or 'none'}")
        verdict = "met" if min(times) <= TARGET_SECONDS else "MISSED"
        print(f"suggest <= {TARGET_SECONDS} s on {args.rows} rows: {min(times):.2f} s  {verdict}")


if __name__ == "__main__":
    main()

"""How long erasing one person (GDPR) takes in a large base.

usage: python benchmarks/erase_bench.py [--rows 1000000] [--keep DIR] [--erasures 3]

A generated file (see `import_bench.bench_folder`) is imported into a prepared base
(not timed); then `crm gdpr erase ID --yes` runs for a few contacts spread over the
base, each a whole process, and its wall time is printed with the size of the file
before and after. The target is under 10 s at 1M contacts.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from import_bench import REPO, bench_folder, tool_path  # noqa: E402


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--erasures", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep its files")
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    args = parser.parse_args(argv)
    bench = bench_folder(args.shared)
    work = args.keep or Path(tempfile.mkdtemp(prefix="crm-erase-"))
    work.mkdir(parents=True, exist_ok=True)
    crm = tool_path("crm")
    source = work / f"contacts_{args.rows}.csv"
    db = work / f"erase_{args.rows}.db"
    if not source.exists():
        subprocess.run([sys.executable, str(bench / "gen_contacts.py"), str(args.rows),
                        "--out", str(source)], check=True)  # fmt: skip
    if not db.exists():
        env = {**os.environ, "PATH": f"{Path(crm).parent}{os.pathsep}{os.environ['PATH']}"}
        subprocess.run(["bash", str(bench / "setup.sh"), str(db)], check=True, env=env,
                       capture_output=True)  # fmt: skip
        started = time.perf_counter()
        subprocess.run([crm, "--db", str(db), "import", str(source), "--mapping",
                        str(bench / "gen_map.yaml")], capture_output=True)  # fmt: skip
        print(f"imported {args.rows} rows in {time.perf_counter() - started:.1f} s (not timed)")
    step = max(1, args.rows // (args.erasures + 1))
    for number in range(1, args.erasures + 1):
        contact_id = number * step
        size = db.stat().st_size
        started = time.perf_counter()
        done = subprocess.run(
            [crm, "--db", str(db), "gdpr", "erase", str(contact_id), "--yes"],
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        outcome = done.stdout.strip() or done.stderr.strip()
        print(
            f"erase {contact_id}: {seconds:.2f} s, file {size / 2**20:.0f} ->"
            f" {db.stat().st_size / 2**20:.0f} MiB: {outcome}"
        )


if __name__ == "__main__":
    main()

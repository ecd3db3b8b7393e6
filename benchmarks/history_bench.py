"""What recording the history costs an import, and how fast an import is undone.

usage: python benchmarks/history_bench.py [--rows 100000] [--rounds 3] [--before DIR] [--keep DIR]

One generated file (the benchmark generator, see `import_bench.bench_folder`) and a copy
of it with every third row's city changed are imported, each step a whole process:

* `first`: the file into a prepared, empty base (every row a new contact);
* `same`: the same file again, matching on e-mail (every row found, nothing changes);
* `changed`: the changed copy, matching on e-mail (a third of the contacts change);
* `undo changed`, then `undo first`: `crm undo import N` of the two imports that wrote.

With `--before DIR` (a checkout of crmkit from before the history was recorded, e.g.
`git worktree add /tmp/before 1289523`) the three imports also run with that code, in
turn with this one, and the ratios of this code to that one are printed: the cost of
the history. Rounds alternate the two, so that a busy machine slows both alike; each
figure is the median of its rounds, wall time and CPU time (the child and the helper it
forks) separately.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from import_bench import REPO, bench_folder, match_email_mapping  # noqa: E402

STEPS = ("first", "same", "changed")


def crm(code: Path, db: Path, *args: str) -> tuple[float, float, str]:
    """Run `crm --db DB ARGS` with the crmkit at `code`; wall seconds, CPU seconds, stdout."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    before = os.times()
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "crmkit", "--db", str(db), *args],
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    after = os.times()
    if done.returncode not in (0, 3):
        raise SystemExit(f"crm {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu, done.stdout


def prepare(code: Path, bench: Path, db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": str(code)}
    shim = db.parent / "bin"
    shim.mkdir(exist_ok=True)
    script = shim / "crm"
    script.write_text(f'#!/bin/sh\nexec {sys.executable} -m crmkit "$@"\n', encoding="utf-8")
    script.chmod(0o755)
    env["PATH"] = f"{shim}{os.pathsep}{env['PATH']}"
    subprocess.run(["bash", str(bench / "setup.sh"), str(db)], env=env, check=True,
                   capture_output=True)  # fmt: skip


def changed_copy(source: Path, target: Path) -> None:
    """Write the file with every third row's city changed."""
    import csv

    with source.open(encoding="utf-8", newline="") as inp:
        rows = list(csv.reader(inp))
    city = next(i for i, name in enumerate(rows[0]) if name.lower() in ("miasto", "city"))
    with target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(rows[0])
        for number, row in enumerate(rows[1:]):
            if number % 3 == 0 and row[city]:
                row[city] += " Nowe"
            writer.writerow(row)


def one_round(
    code: Path, bench: Path, work: Path, files: dict[str, Path], undo: bool
) -> dict[str, tuple[float, float]]:
    db = work / "bench.db"
    prepare(code, bench, db)
    figures = {}
    ids = []
    for step in STEPS:
        mapping = files["map"] if step == "first" else files["match"]
        source = files["changed"] if step == "changed" else files["csv"]
        wall, cpu, out = crm(code, db, "import", str(source), "--mapping", str(mapping),
                             "--format", "json")  # fmt: skip
        figures[step] = (wall, cpu)
        ids.append(json.loads(out)["import_id"])
    if undo:
        for label, import_id in (("undo changed", ids[2]), ("undo first", ids[0])):
            wall, cpu, _ = crm(code, db, "undo", "import", str(import_id), "--force")
            figures[label] = (wall, cpu)
    return figures


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", type=Path, help="a checkout of crmkit to compare with")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep its files")
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    args = parser.parse_args(argv)
    bench = bench_folder(args.shared)
    work = args.keep or Path(tempfile.mkdtemp(prefix="crm-history-"))
    work.mkdir(parents=True, exist_ok=True)
    files = {"csv": work / f"contacts_{args.rows}.csv", "map": bench / "gen_map.yaml"}
    if not files["csv"].exists():
        subprocess.run([sys.executable, str(bench / "gen_contacts.py"), str(args.rows),
                        "--out", str(files["csv"])], check=True)  # fmt: skip
    files["changed"] = work / f"changed_{args.rows}.csv"
    changed_copy(files["csv"], files["changed"])
    files["match"] = match_email_mapping(bench, work)
    codes = {"now": REPO}
    if args.before:
        codes["before"] = args.before.resolve()
    rounds: dict[str, list[dict[str, tuple[float, float]]]] = {name: [] for name in codes}
    for number in range(args.rounds):
        for name, code in codes.items():
            rounds[name].append(one_round(code, bench, work, files, undo=name == "now"))
            shown = ", ".join(
                f"{step} {wall:.2f}s/{cpu:.2f}s" for step, (wall, cpu) in rounds[name][-1].items()
            )
            print(f"round {number + 1} {name}: {shown}", flush=True)
    print(f"\n{args.rows} rows, median of {args.rounds} rounds (wall s / CPU s):")
    for name in codes:
        for step in rounds[name][0]:
            wall = statistics.median(r[step][0] for r in rounds[name])
            cpu = statistics.median(r[step][1] for r in rounds[name])
            line = f"  {name:<7} {step:<13} {wall:8.2f} {cpu:8.2f}"
            if name == "now" and "before" in rounds and step in STEPS:
                then_wall = statistics.median(r[step][0] for r in rounds["before"])
                then_cpu = statistics.median(r[step][1] for r in rounds["before"])
                line += f"   x{wall / then_wall:.2f} wall, x{cpu / then_cpu:.2f} CPU of before"
            print(line)


if __name__ == "__main__":
    main()

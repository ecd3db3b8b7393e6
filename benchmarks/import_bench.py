"""How fast is `crm import` next to the floor for any CSV loader written in Python?

usage: python benchmarks/import_bench.py [--rows 100000] [--keep DIR] [--shared DIR] [--second]
                                          [--no-peers] [--rounds N]

One generated file (benchmark generator of the shared folder) is loaded, each tool as a whole
process, by:

* `raw_copy.py FILE DB`: csv.reader into one table, no parsing or checks (the floor);
* `sqlite-utils insert DB t FILE --csv --no-detect-types`: a general-purpose loader;
* `crm import FILE --mapping gen_map.yaml` into a database prepared by the shared setup.sh
  (the preparation is not timed);
* with `--second`, `crm import` of the same file again with `match: [email]` added to the
  mapping, so every row finds the contact the first import created and updates it.

For each it prints the wall time, its ratio to raw_copy and the child's peak RSS (from
`os.wait4`: the larger of that process and the helper process it forks to read the file).
The crm runs are checked: exit code consistent with the report, and as many persons in the
database as rows accepted. Last come the targets of the import issues, met or missed.
With `--no-peers` sqlite-utils is left out (memory checks on files of millions of rows).
With `--rounds N` every tool runs N times in turn on fresh databases; the ratios of each
round are printed with their medians, and the targets are checked on the median ratios.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "REPO",
    "Run",
    "bench_folder",
    "check_crm_run",
    "main",
    "match_email_mapping",
    "measure",
    "tool_path",
]

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    """One timed child process."""

    tool: str
    seconds: float
    peak_mib: float
    exit_code: int
    stdout: str
    stderr: str


def measure(tool: str, command: Sequence[str], *, env: dict[str, str], workdir: Path) -> Run:
    """Run one command as a child process; wall time and its own peak RSS."""
    slug = "".join(char if char.isalnum() else "_" for char in tool).strip("_")
    out_path = workdir / f"{slug}.out"
    err_path = out_path.with_suffix(".err")
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        started = time.perf_counter()
        child = subprocess.Popen(list(command), stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    peak_kib = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss / 1024
    return Run(
        tool,
        seconds,
        peak_kib / 1024,
        child.returncode,
        out_path.read_text("utf-8"),
        err_path.read_text("utf-8", errors="replace"),
    )


def bench_folder(shared: Path) -> Path:
    """The generator, mapping, set-up and floor to use: the shared folder's, else ours.

    `benchmarks/bench/` holds the project's own (a fresh clone has no shared folder);
    its files differ from the shared ones, so figures compare only within one folder.
    """
    needed = ("gen_contacts.py", "gen_map.yaml", "raw_copy.py", "setup.sh")
    if all((shared / "bench" / name).exists() for name in needed):
        return shared / "bench"
    own = REPO / "benchmarks" / "bench"
    print(f"{shared / 'bench'} is not there: using the generator and mapping of {own}")
    return own


def tool_path(name: str) -> str:
    """A console script of this interpreter's environment, else the one on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is not installed (pip install -e {REPO})")
    return found


def check_crm_run(run: Run, db: Path, expect_rows: int, *, updating: bool) -> dict[str, int]:
    """The import's JSON report must agree with its exit code and with the database."""
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        message = f"{run.tool}: exit code {run.exit_code}, no JSON report:\n{run.stderr[-2000:]}"
        raise SystemExit(message) from None
    rejected = report["rejected"]
    expected_code = 3 if rejected else 0
    problems = []
    if run.exit_code != expected_code:
        problems.append(f"exit code {run.exit_code}, expected {expected_code}")
    if report["rows_read"] != expect_rows:
        problems.append(f"read {report['rows_read']} rows of {expect_rows}")
    accepted = expect_rows - rejected
    with sqlite3.connect(db) as conn:
        persons = conn.execute("SELECT count(*) FROM contacts WHERE kind = 'person'").fetchone()[0]
    if persons != accepted:
        problems.append(f"{persons} persons in the database for {accepted} accepted rows")
    done = report["updated"] if updating else report["created"]
    if done < accepted:
        verb = "updated" if updating else "created"
        problems.append(f"{verb} {done} of {accepted} accepted rows")
    if problems:
        raise SystemExit(f"{run.tool}: " + "; ".join(problems))
    return {
        "rejected": rejected,
        "persons": persons,
        "created": report["created"],
        "updated": report["updated"],
    }


def print_table(runs: list[Run]) -> None:
    floor = runs[0].seconds
    print(f"{'tool':<28} {'seconds':>9} {'x raw_copy':>11} {'peak MiB':>9}")
    for run in runs:
        ratio = run.seconds / floor
        print(f"{run.tool:<28} {run.seconds:>9.2f} {ratio:>11.1f} {run.peak_mib:>9.1f}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows to generate")
    parser.add_argument("--seed", type=int, default=1, help="generator seed")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep its files")
    parser.add_argument(
        "--shared", type=Path, default=REPO.parent / "shared", help="the shared folder (bench/)"
    )
    parser.add_argument(
        "--second", action="store_true", help="also re-import the file with match: [email]"
    )
    parser.add_argument(
        "--no-peers",
        action="store_true",
        help="skip sqlite-utils (for memory runs on large files, where it takes long)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure every tool this many times in turn; report medians",
    )
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    bench = bench_folder(args.shared)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        workdir = args.keep.resolve()
        cleanup = None
    else:
        cleanup = tempfile.TemporaryDirectory(prefix="crm-bench-")
        workdir = Path(cleanup.name)
    try:
        run_all(args, bench, workdir)
    finally:
        if cleanup is not None:
            cleanup.cleanup()


def run_all(args: argparse.Namespace, bench: Path, workdir: Path) -> None:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("CRM_DB", None)
    env.pop("CRM_USER", None)
    data = workdir / "contacts.csv"
    subprocess.run(
        [
            sys.executable,
            str(bench / "gen_contacts.py"),
            str(args.rows),
            "--seed",
            str(args.seed),
            "--out",
            str(data),
        ],
        check=True,
    )
    size_mib = data.stat().st_size / (1 << 20)
    print(f"{args.rows} rows, {size_mib:.1f} MiB: {data}")
    # An installed crmkit, like sqlite-utils, has its bytecode compiled at install time;
    # an editable checkout under PYTHONDONTWRITEBYTECODE would compile it on every start.
    compileall.compile_dir(REPO / "crmkit", quiet=1)
    rounds = [run_round(args, bench, workdir, data, env) for _ in range(args.rounds)]
    if len(rounds) > 1:
        print_medians(rounds)
    print_targets(rounds)


def run_round(
    args: argparse.Namespace, bench: Path, workdir: Path, data: Path, env: dict[str, str]
) -> list[Run]:
    """Every tool once, side by side, on fresh databases; the table of their times."""
    for name in ("raw.db", "sqlite_utils.db", "crm.db"):
        for suffix in ("", "-wal", "-shm"):
            (workdir / f"{name}{suffix}").unlink(missing_ok=True)
    crm_db = workdir / "crm.db"
    subprocess.run(
        ["bash", str(bench / "setup.sh"), str(crm_db)],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    crm = tool_path("crm")
    runs = [
        measure(
            "raw_copy",
            [sys.executable, str(bench / "raw_copy.py"), str(data), str(workdir / "raw.db")],
            env=env,
            workdir=workdir,
        )
    ]
    if not args.no_peers:
        runs.append(
            measure(
                "sqlite-utils insert",
                [
                    tool_path("sqlite-utils"),
                    "insert",
                    str(workdir / "sqlite_utils.db"),
                    "t",
                    str(data),
                    "--csv",
                    "--no-detect-types",
                ],
                env=env,
                workdir=workdir,
            )
        )
    runs.append(
        measure(
            "crm import",
            [
                crm,
                "--db",
                str(crm_db),
                "import",
                str(data),
                "--mapping",
                str(bench / "gen_map.yaml"),
                "--format",
                "json",
            ],
            env=env,
            workdir=workdir,
        )
    )
    first = runs[-1]
    for run in runs[:-1]:
        if run.exit_code != 0:
            raise SystemExit(f"{run.tool}: exit code {run.exit_code}\n{run.stderr[-2000:]}")
    facts = [check_crm_run(first, crm_db, args.rows, updating=False)]
    if args.second:
        mapping = match_email_mapping(bench, workdir)
        runs.append(
            measure(
                "crm import (match email)",
                [
                    crm,
                    "--db",
                    str(crm_db),
                    "import",
                    str(data),
                    "--mapping",
                    str(mapping),
                    "--format",
                    "json",
                ],
                env=env,
                workdir=workdir,
            )
        )
        facts.append(check_crm_run(runs[-1], crm_db, args.rows, updating=True))
    print_table(runs)
    crm_runs = runs[runs.index(first) :]
    for run, fact in zip(crm_runs, facts, strict=True):
        print(
            f"{run.tool}: exit {run.exit_code}, created {fact['created']}, updated "
            f"{fact['updated']}, rejected {fact['rejected']}, "
            f"{fact['persons']} persons in the database"
        )
    return runs


def match_email_mapping(bench: Path, workdir: Path) -> Path:
    """gen_map.yaml with `match: [email]` added, written into the work folder."""
    mapping = workdir / "gen_map_match_email.yaml"
    base = (bench / "gen_map.yaml").read_text("utf-8")
    mapping.write_text(base.rstrip("\n") + "\nmatch: [email]\n", "utf-8")
    return mapping


def print_medians(rounds: list[list[Run]]) -> None:
    """Each round's ratios to raw_copy, with their medians.

    On a machine shared with other work a single run can be off by a quarter; the
    tools of one round run back to back, so their ratios hold better than seconds.
    """
    print(f"ratios to raw_copy over {len(rounds)} rounds:")
    for index, tool in enumerate(run.tool for run in rounds[0]):
        ratios = [runs[index].seconds / runs[0].seconds for runs in rounds]
        shown = " ".join(f"{ratio:.2f}" for ratio in ratios)
        print(f"  {tool:<28} median {statistics.median(ratios):6.2f}   ({shown})")


def median_ratio(rounds: list[list[Run]], tool: str, base: str) -> float:
    """The median over the rounds of one tool's time over another's."""
    ratios = []
    for runs in rounds:
        times = {run.tool: run.seconds for run in runs}
        ratios.append(times[tool] / times[base])
    return statistics.median(ratios)


def print_targets(rounds: list[list[Run]]) -> None:
    """Each target of the import issues with the figure measured here (medians of rounds)."""
    tools = [run.tool for run in rounds[0]]
    checks = [("crm import <= 3x raw_copy", median_ratio(rounds, "crm import", "raw_copy"), 3.0)]
    if "sqlite-utils insert" in tools:
        ratio = median_ratio(rounds, "crm import", "sqlite-utils insert")
        checks.append(("crm import <= 1x sqlite-utils (100k)", ratio, 1.0))
        checks.append(("crm import <= 0.5x sqlite-utils (1M)", ratio, 0.5))
    if "crm import (match email)" in tools:
        ratio = median_ratio(rounds, "crm import (match email)", "raw_copy")
        checks.append(("re-import (match email) <= 4x raw_copy", ratio, 4.0))
    peak = max(run.peak_mib for runs in rounds for run in runs if run.tool.startswith("crm"))
    checks.append(("crm peak memory < 200 MiB", peak, 200.0))
    print("targets:" if len(rounds) == 1 else f"targets (medians of {len(rounds)} rounds):")
    for label, value, limit in checks:
        verdict = "met" if value <= limit else "MISSED"
        print(f"  {label:<42} {value:8.2f}  {verdict}")


if __name__ == "__main__":
    main()

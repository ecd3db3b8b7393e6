#!/usr/bin/env python3
"""Time finding and handing out contacts on a large base, as whole `crm` processes.

    python benchmarks/query_bench.py                 # 1,000,000 contacts
    python benchmarks/query_bench.py --rows 100000   # a quick run

The database is built once per size (gen_contacts.py, setup.sh, `crm import` with
gen_map.yaml) in --workdir and reused. Then, each as a separate process:

  * `crm lookup NUMBER` of a number some contact has      target: <= 3x `python -c pass`
  * `crm search now --limit 20` (a surname prefix)         target: <= 8x `python -c pass`
  * `crm tag list` (any other command's start-up)          target: <= 8x `python -c pass`
  * `crm search --filter city=Gliwice --filter tag=VIP --format csv`
  * `crm export --format csv` of every contact             target: >= 100,000 contacts/s
  * `sqlite3 DB -csv 'SELECT * FROM contacts'`, a plain dump of one table; the export
    must take at most 1.5x as long

Modules are byte-compiled first, as they are in an installed package. The `crm`
script next to this interpreter is timed (a pyenv shim would add its own start-up).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(os.environ.get("CRM_BENCH_DIR", ROOT.parent / "shared" / "bench"))
if not (BENCH / "gen_contacts.py").exists():
    BENCH = ROOT / "benchmarks" / "bench"  # a fresh clone: the project's own generator


def crm_script() -> list[str]:
    """The `crm` console script of this interpreter (not a version-manager shim)."""
    local = Path(sysconfig.get_path("scripts")) / "crm"
    if local.exists():
        return [str(local)]
    found = shutil.which("crm")
    if found is None:
        sys.exit("crm is not installed: pip install -e .")
    return [found]


def run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(command, check=False, **kwargs)  # type: ignore[call-overload,no-any-return]


def timed(command: list[str], repeat: int, *, expect: int = 0) -> float:
    """Median wall time of `repeat` runs (output discarded)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        done = run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        times.append(time.perf_counter() - start)
        if done.returncode != expect:
            sys.exit(f"{' '.join(command)} exited {done.returncode}: {done.stderr.decode()}")
    return statistics.median(times)


def timed_with_peak(command: list[str]) -> tuple[float, float]:
    """Wall time and peak RSS in MiB (the process or its helpers) of one run."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(command)} failed")
    scale = 1 << 20 if sys.platform == "darwin" else 1 << 10
    return seconds, usage.ru_maxrss / scale


def build(db: Path, rows: int, crm: list[str]) -> None:
    """Generate, set up and import a base of `rows` contacts."""
    source = db.with_suffix(".csv")
    print(f"building {db} with {rows:,} contacts ...", flush=True)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, str(BENCH / "gen_contacts.py"), str(rows), "--out", str(source)],
        check=True,
    )
    env = {**os.environ, "PATH": f"{Path(crm[0]).parent}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run(
        ["bash", str(BENCH / "setup.sh"), str(db)], check=True, env=env, stdout=subprocess.DEVNULL
    )
    done = run(
        [*crm, "--db", str(db), "import", str(source), "--mapping", str(BENCH / "gen_map.yaml")],
        stdout=subprocess.DEVNULL,
    )
    if done.returncode not in (0, 3):
        sys.exit("the import failed")
    source.unlink()
    print(f"  built in {time.perf_counter() - start:.0f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", nargs="?", type=int, default=None, help="number of contacts")
    parser.add_argument("--rows", type=int, default=None, help="number of contacts (default 1M)")
    parser.add_argument("--repeat", type=int, default=11, help="runs per start-up timing")
    parser.add_argument(
        "--workdir", default=str(Path(tempfile.gettempdir()) / "crmkit-query-bench")
    )
    parser.add_argument("--rebuild", action="store_true", help="build the database again")
    args = parser.parse_args()
    rows = args.rows or args.size or 1_000_000
    crm = crm_script()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / f"contacts_{rows}.db"
    if args.rebuild or not db.exists():
        for leftover in workdir.glob(f"{db.name}*"):
            leftover.unlink()
        build(db, rows, crm)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "crmkit")], check=True)

    conn = sqlite3.connect(db)
    contacts = conn.execute("SELECT count(*) FROM contacts WHERE hidden = 0").fetchone()[0]
    number = conn.execute(
        "SELECT number FROM phones WHERE contact_id >= (SELECT max(id) / 2 FROM contacts) LIMIT 1"
    ).fetchone()[0]
    conn.close()
    base = [*crm, "--db", str(db)]
    print(f"{contacts:,} contacts in {db} ({db.stat().st_size / 1e6:.0f} MB); crm = {crm[0]}")

    python = timed([sys.executable, "-c", "pass"], args.repeat)
    results = [("python -c pass", python, "")]
    for label, command, target in (
        (f"crm lookup {number}", [*base, "lookup", number], 3),
        ("crm search now --limit 20", [*base, "search", "now", "--limit", "20"], 8),
        ("crm tag list", [*base, "tag", "list"], 8),
    ):
        seconds = timed(command, args.repeat)
        ratio = seconds / python
        verdict = "ok" if ratio <= target else "SLOW"
        results.append((label, seconds, f"{ratio:.2f}x python   target <= {target}x: {verdict}"))
    filtered = [*base, "search", "--filter", "city=Gliwice", "--filter", "tag=VIP", "-f", "csv"]
    seconds = timed(filtered, 3)
    results.append(("crm search --filter city=Gliwice --filter tag=VIP -f csv", seconds, ""))
    seconds, peak = timed_with_peak([*base, "export", "--format", "csv"])
    speed = contacts / seconds
    verdict = "ok" if speed >= 100_000 else "SLOW"
    note = f"{speed:,.0f} contacts/s   target >= 100,000: {verdict}   peak {peak:.0f} MiB"
    results.append(("crm export --format csv", seconds, note))
    sqlite3_cli = shutil.which("sqlite3")
    if sqlite3_cli is None:
        results.append(("sqlite3 -csv dump of contacts", 0.0, "sqlite3 is not installed"))
    else:
        dump, _ = timed_with_peak([sqlite3_cli, str(db), "-csv", "SELECT * FROM contacts"])
        ratio = seconds / dump
        verdict = "ok" if ratio <= 1.5 else "SLOW"
        note = f"export is {ratio:.2f}x this   target <= 1.5x: {verdict}"
        results.append(("sqlite3 -csv dump of contacts", dump, note))
    width = max(len(label) for label, _, _ in results)
    for label, seconds, note in results:
        print(f"{label:<{width}}  {seconds * 1000:9.1f} ms  {note}")


if __name__ == "__main__":
    main()

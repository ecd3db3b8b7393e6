#!/usr/bin/env python3
"""How close can a CSV export written in Python come to a plain dump of the contacts table?

    python benchmarks/export_floor.py                 # 1,000,000 contacts
    python benchmarks/export_floor.py --rows 100000   # a quick run

It uses the database query_bench.py builds (same --workdir and size; built here if
missing). First the statements an export runs for every contact are recorded, from
an export of the whole base in this process, range by range of ids as the helper
processes of `crm export` take them. Then, side by side, --rounds times:

  * dump: `sqlite3 DB -csv 'SELECT * FROM contacts'`, the yardstick of the target;
  * SQLite alone: the recorded statements run by the sqlite3 shell, output discarded:
    what SQLite itself does for an export, with no Python (the shell lacks crmkit's
    escaping function, which only runs for cells that start like a formula; SQLite's
    `trim` stands in for it);
  * fetch: the same statements run from Python, every row fetched and dropped: the
    least any Python export must do before it builds a single line;
  * one process: the recorded export itself (fetching and building every line);
  * `crm export --format csv`, which shares that work between two helper processes.

Each is printed with its ratio to the dump; "fetch on two processors" is half the
fetch, the best two processes could do if they shared it perfectly.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from query_bench import ROOT, build, crm_script

from crmkit.exporters.escaping import register_escaping
from crmkit.store import open_store
from crmkit.store.sqlite.export import csv_columns
from crmkit.store.sqlite.parallel_export import csv_reader, id_ranges, rows_of_work
from crmkit.store.sqlite.query.selection import EXPORT_ORDER, Query, compile_query
from crmkit.store.sqlite.tabular import CHUNK

__all__ = ["main", "record_export"]


def record_export(db: Path) -> tuple[list[str], float, int]:
    """Export every contact in this process, by the helpers' ranges of ids.

    Returns the statements run, the seconds taken and the number of rows.
    """
    store = open_store(db, create=False)
    statements: list[str] = []
    count = 0
    try:
        specs = csv_columns(store, None)
        reader, formatter = csv_reader(store.conn, specs, escape=True)
        selection = compile_query(store.conn, Query(), default_order=EXPORT_ORDER)
        passes = [(sql_pass.where, sql_pass.params) for sql_pass in selection.passes]
        low, high = store.conn.execute("SELECT min(id), max(id) FROM contacts").fetchone()
        store.conn.set_trace_callback(statements.append)
        started = time.perf_counter()
        for work in id_ranges(passes, low, high, 2 * CHUNK):
            count += formatter.lines(rows_of_work(reader, work))[1]
        seconds = time.perf_counter() - started
    finally:
        store.conn.set_trace_callback(None)
        store.close()
    return statements, seconds, count


def fetch_all(db: Path, statements: list[str]) -> float:
    """Run the statements from Python, fetching every row; the seconds it took."""
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    register_escaping(conn)
    started = time.perf_counter()
    for sql in statements:
        cursor = conn.execute(sql)
        while cursor.fetchmany(1000):
            pass
    seconds = time.perf_counter() - started
    conn.close()
    return seconds


def timed(command: list[str], stdin: Path | None = None) -> float:
    """Wall time of one run, output discarded."""
    with open(stdin or os.devnull, "rb") as source:
        started = time.perf_counter()
        subprocess.run(command, stdin=source, stdout=subprocess.DEVNULL, check=True)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="number of contacts")
    parser.add_argument("--rounds", type=int, default=3, help="side-by-side rounds")
    parser.add_argument(
        "--workdir", default=str(Path(tempfile.gettempdir()) / "crmkit-query-bench")
    )
    args = parser.parse_args()
    crm = crm_script()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / f"contacts_{args.rows}.db"
    if not db.exists():
        build(db, args.rows, crm)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "crmkit")], check=True)

    statements, _, count = record_export(db)
    script = workdir / "export_statements.sql"
    script.write_text(
        ".output /dev/null\n"
        + "".join(f"{sql.rstrip(';')};\n".replace("crm_escape(", "trim(") for sql in statements),
        "utf-8",
    )
    print(f"{count:,} contacts in {db}; an export runs {len(statements):,} statements")
    times: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        for label, run in (
            ("dump", lambda: timed(["sqlite3", str(db), "-csv", "SELECT * FROM contacts"])),
            ("SQLite alone", lambda: timed(["sqlite3", str(db)], stdin=script)),
            ("fetch", lambda: fetch_all(db, statements)),
            ("one process", lambda: record_export(db)[1]),
            ("crm export", lambda: timed([*crm, "--db", str(db), "export", "--format", "csv"])),
        ):
            times.setdefault(label, []).append(run())
    medians = {label: statistics.median(values) for label, values in times.items()}
    medians["fetch on two processors"] = medians["fetch"] / 2
    dump = medians["dump"]
    print(f"{'median of ' + str(args.rounds) + ' rounds':<26} {'seconds':>8} {'x dump':>7}")
    for label, seconds in medians.items():
        print(f"{label:<26} {seconds:>8.2f} {seconds / dump:>7.2f}")
    target = 1.5 * dump
    print(
        f"target: crm export <= 1.5x the dump ({target:.2f} s): "
        + ("met" if medians["crm export"] <= target else "missed")
    )


if __name__ == "__main__":
    main()

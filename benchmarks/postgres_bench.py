#!/usr/bin/env python3
"""SQLite and PostgreSQL side by side: one import, then lookups during an import.

    python benchmarks/postgres_bench.py                  # 1,000,000 rows
    python benchmarks/postgres_bench.py --rows 100000    # a quick run
    python benchmarks/postgres_bench.py --address postgresql:///bench?host=/run/postgresql

Without --address a throwaway PostgreSQL server is started in a temporary folder
(`tests/pg_server.py`: needs the server's programs, initdb and pg_ctl). On the
same generated file (benchmarks/bench), each as a whole `crm` process:

  * `crm import FILE --mapping gen_map.yaml` into a new SQLite file and into a new
    PostgreSQL database                     target: PostgreSQL no slower than SQLite
  * 20 clients, each a process with its own connection, looking a caller up by
    number (`crm.contacts.lookup`) every 0.1 s while a second file of --rows/10
    rows is imported into the same base: p50 and p99 of a lookup
                                            target: p99 under 20 ms on PostgreSQL
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BENCH = HERE / "bench"
CLIENTS = 20
# Seconds an agent's client waits between two lookups (a call centre, not a load test).
PAUSE = 0.1


def generate(rows: int, out: Path, seed: int) -> Path:
    if not out.exists():
        subprocess.run(
            [
                sys.executable,
                str(BENCH / "gen_contacts.py"),
                str(rows),
                "--out",
                str(out),
                "--seed",
                str(seed),
            ],
            check=True,
        )
    return out


def crm(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crmkit", "--db", db, *args], capture_output=True, text=True
    )


def prepare(db: str) -> None:
    """The reference data the mapping needs (as benchmarks/bench/setup.sh makes it)."""
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    subprocess.run(["bash", str(BENCH / "setup.sh"), db], check=True, env=env, capture_output=True)


def timed_import(db: str, source: Path) -> float:
    start = time.perf_counter()
    done = crm(db, "import", str(source), "--mapping", str(BENCH / "gen_map.yaml"))
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 3):
        raise SystemExit(f"crm import into {db} failed:\n{done.stderr}")
    return elapsed


def numbers_of(source: Path, count: int) -> list[str]:
    """Phone numbers of the file, as callers dial them."""
    found = []
    with source.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            digits = "".join(ch for ch in row["Telefon"] if ch.isdigit())
            if len(digits) >= 9:
                found.append(digits[-9:])
            if len(found) == count:
                break
    return found


def _client(db: str, numbers: list[str], index: int, go: Any, stop: Any, out: Any) -> None:
    """One agent's desk: a lookup, then a pause, until told to stop; send the latencies
    of the lookups made while the import ran (`go`)."""
    import crmkit

    own: list[float] = []
    with crmkit.open(db) as handle:
        handle.contacts.lookup(numbers[index])  # warm: the first call loads the modules
        position = index
        while not stop.is_set():
            number = numbers[position % len(numbers)]
            start = time.perf_counter()
            handle.contacts.lookup(number)
            if go.is_set():
                own.append((time.perf_counter() - start) * 1000)
            position += CLIENTS
            time.sleep(PAUSE)
    out.put(own)


def lookups_during_import(db: str, numbers: list[str], second: Path) -> tuple[float, float, int]:
    """Return p50 and p99 in ms of lookups by 20 clients while `second` is imported.

    Each client is a process of its own with its own connection, as twenty agents'
    desks are, and looks a caller up every PAUSE seconds.
    """
    context = multiprocessing.get_context("spawn")
    go, stop = context.Event(), context.Event()
    out = context.Queue()
    clients = [
        context.Process(target=_client, args=(db, numbers, index, go, stop, out))
        for index in range(CLIENTS)
    ]
    for client in clients:
        client.start()
    time.sleep(5)  # every client started, connected and warm
    go.set()
    importing = subprocess.run(
        [
            sys.executable,
            "-m",
            "crmkit",
            "--db",
            db,
            "import",
            str(second),
            "--mapping",
            str(BENCH / "gen_map.yaml"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    stop.set()
    latencies = [value for _ in clients for value in out.get()]
    for client in clients:
        client.join()
    if importing.returncode not in (0, 3):
        raise SystemExit(f"the import during the lookups failed ({importing.returncode})")
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return statistics.median(latencies), p99, len(latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--address", help="an empty PostgreSQL database to use")
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "crm-pg-bench"
    )
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    source = generate(args.rows, args.workdir / f"contacts-{args.rows}.csv", 7)
    second = generate(max(1, args.rows // 10), args.workdir / f"more-{args.rows}.csv", 8)

    server = None
    address = args.address
    if address is None:
        sys.path.insert(0, str(ROOT))
        from tests.pg_server import start_server

        folder = Path(tempfile.mkdtemp(prefix="crmkit-pg-bench-"))
        folder.chmod(0o755)
        server = start_server(folder / "cluster")
        address = server.new_database("bench")
    sqlite_db = args.workdir / f"bench-{os.getpid()}.db"
    try:
        results = {}
        for name, db in (("SQLite", str(sqlite_db)), ("PostgreSQL", address)):
            prepare(db)
            seconds = timed_import(db, source)
            numbers = numbers_of(source, 2000)
            p50, p99, count = lookups_during_import(db, numbers, second)
            results[name] = (seconds, p50, p99, count)
            print(
                f"{name:<11} import {args.rows:,} rows: {seconds:7.1f} s;"
                f" {count:,} lookups by {CLIENTS} clients during an import:"
                f" p50 {p50:.2f} ms, p99 {p99:.2f} ms",
                flush=True,
            )
        ratio = results["PostgreSQL"][0] / results["SQLite"][0]
        print(
            f"import PostgreSQL/SQLite: x{ratio:.2f} (target <= 1.00):"
            f" {'met' if ratio <= 1 else 'missed'}"
        )
        p99 = results["PostgreSQL"][2]
        print(
            f"lookup p99 on PostgreSQL: {p99:.2f} ms (target < 20 ms):"
            f" {'met' if p99 < 20 else 'missed'}"
        )
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_db}{suffix}").unlink(missing_ok=True)
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()

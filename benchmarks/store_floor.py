"""How long does SQLite alone take to store what `crm import` stores?

usage: python benchmarks/store_floor.py [--rows 100000] [--keep DIR] [--shared DIR]

One generated file is loaded by `raw_copy.py` and by `crm import` (as in
import_bench.py). Then the tables the import filled are copied, in SQLite and
nothing else, into a second database prepared the same way: one transaction,
the same pragmas and deferred indexes as a bulk import, each table by
`INSERT ... SELECT` in id order, and the search index fed a thousand contacts
at a time, sorted by rowid, as the importer feeds it. No Python touches a row.

That copy is a lower bound for any importer that keeps this schema: it parses
nothing, binds no parameters and fills each table in one sequential pass. Its
ratio to raw_copy says how close to the floor `crm import` can get at best.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from import_bench import REPO, bench_folder, check_crm_run, measure, tool_path

from crmkit.store.sqlite.bulk import indexes_to_defer

__all__ = ["generated_file", "main", "replay", "run_with_options"]

# Tables an import of persons fills, each with the order it fills them in.
_TABLES = (
    ("contacts", "id"),
    ("phones", "contact_id, position"),
    ("emails", "contact_id, position"),
    ("contact_tags", "contact_id, tag_id"),
    ("contact_users", "contact_id, role, user_id"),
    ("memberships", "id"),
    ("contacts_fts_keys", "contact_id"),
)
# The importer's write batch: documents go to FTS5 this many contacts at a time.
_BATCH = 1000


def replay(source: Path, target: Path, rows: int) -> list[tuple[str, float]]:
    """Copy what `source` holds beyond its reference data into `target`; timed steps."""
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA cache_size = -8192")
    conn.execute("PRAGMA temp_store = FILE")
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("ATTACH DATABASE ? AS source", (str(source),))
    steps: list[tuple[str, float]] = []
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    deferred = []
    for name in indexes_to_defer([], new_rows=rows, existing_rows=0):
        found = conn.execute(
            "SELECT sql FROM main.sqlite_master WHERE type = 'index' AND name = ?", (name,)
        ).fetchone()
        if found is not None:
            deferred.append(found[0])
            conn.execute(f'DROP INDEX main."{name}"')
    for table, order in _TABLES:
        mark = time.perf_counter()
        conn.execute(f"INSERT INTO main.{table} SELECT * FROM source.{table} ORDER BY {order}")
        steps.append((table, time.perf_counter() - mark))
    mark = time.perf_counter()
    high = conn.execute("SELECT max(contact_id) FROM source.contacts_fts_keys").fetchone()[0]
    for low in range(1, (high or 0) + 1, _BATCH):
        conn.execute(
            "INSERT INTO main.contacts_fts (rowid, name, body)"
            " SELECT doc, name, body FROM source.contacts_fts_keys"
            " WHERE contact_id >= ? AND contact_id < ? ORDER BY doc",
            (low, low + _BATCH),
        )
    steps.append(("contacts_fts", time.perf_counter() - mark))
    mark = time.perf_counter()
    for sql in deferred:
        conn.execute(sql)
    steps.append(("deferred indexes", time.perf_counter() - mark))
    mark = time.perf_counter()
    conn.execute("COMMIT")
    steps.append(("commit and checkpoint", time.perf_counter() - mark))
    steps.append(("total", time.perf_counter() - started))
    conn.close()
    return steps


def main(argv: Sequence[str] | None = None) -> None:
    run_with_options(__doc__.splitlines()[0], run, "crm-floor-", argv)


def run_with_options(
    description: str,
    run: Callable[[int, Path, Path], None],
    prefix: str,
    argv: Sequence[str] | None = None,
) -> None:
    """Parse --rows, --keep and --shared; then `run(rows, bench, workdir)` in a folder.

    The folder is --keep's, or a temporary one named with `prefix`.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rows", type=int, default=100_000, help="rows to generate")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep its files")
    parser.add_argument(
        "--shared", type=Path, default=REPO.parent / "shared", help="the shared folder"
    )
    args = parser.parse_args(argv)
    bench = bench_folder(args.shared)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        run(args.rows, bench, args.keep.resolve())
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        run(args.rows, bench, Path(folder))


def generated_file(rows: int, bench: Path, workdir: Path) -> tuple[dict[str, str], Path]:
    """The environment for the shared scripts and a generated file of `rows` rows."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("CRM_DB", None)
    data = workdir / "contacts.csv"
    generate = [sys.executable, str(bench / "gen_contacts.py"), str(rows), "--out", str(data)]
    subprocess.run(generate, check=True)
    return env, data


def run(rows: int, bench: Path, workdir: Path) -> None:
    env, data = generated_file(rows, bench, workdir)
    databases = [workdir / name for name in ("raw.db", "crm.db", "floor.db")]
    for db in databases:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    raw_db, crm_db, floor_db = databases
    for db in (crm_db, floor_db):
        setup = ["bash", str(bench / "setup.sh"), str(db)]
        subprocess.run(setup, check=True, env=env, stdout=subprocess.DEVNULL)
    raw = measure(
        "raw_copy",
        [sys.executable, str(bench / "raw_copy.py"), str(data), str(raw_db)],
        env=env,
        workdir=workdir,
    )
    crm = measure(
        "crm import",
        [tool_path("crm"), "--db", str(crm_db), "import", str(data), "--mapping",
         str(bench / "gen_map.yaml"), "--format", "json"],
        env=env,
        workdir=workdir,
    )  # fmt: skip
    check_crm_run(crm, crm_db, rows, updating=False)
    steps = replay(crm_db, floor_db, rows)
    print(f"{rows} rows: raw_copy {raw.seconds:.2f} s, crm import {crm.seconds:.2f} s")
    print(f"{'SQLite alone, step':<28} {'seconds':>9} {'x raw_copy':>11}")
    for step, seconds in steps:
        print(f"{step:<28} {seconds:>9.2f} {seconds / raw.seconds:>11.2f}")
    total = steps[-1][1]
    print(
        f"crm import is {crm.seconds / raw.seconds:.2f}x raw_copy; SQLite alone is "
        f"{total / raw.seconds:.2f}x, so {total / crm.seconds:.0%} of the import's time"
    )


if __name__ == "__main__":
    main()

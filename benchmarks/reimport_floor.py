"""What can a re-import with `match: [email]` of unchanged rows not do without?

usage: python benchmarks/reimport_floor.py [--rows 100000] [--keep DIR] [--shared DIR]

One generated file is loaded by `raw_copy.py` and by `crm import` (as in
import_bench.py). A copy of the imported database is then kept aside, and the same
file is imported again with `match: [email]` added to the mapping: every row finds
the contact the first import made, holding the digest of that very row, so nothing
but `updated_at` changes (see crmkit/row_digests.py).

On the copy, what such a re-import cannot skip runs from Python in one process, a
thousand rows at a time as the importer takes them: read the file and digest each
row's cells (as the importer's helper process does), look up each row's e-mail
address, read the stored digests of the contacts found (by a range of ids when they
are dense, as the importer reads them), look up the organizations the rows name
and read the contacts' memberships, set `updated_at`, and commit. Every row read is
fetched into Python; nothing else is done with it. No cell is parsed.

The printout gives each step's time, and the processor time of the real re-import
(both of its processes): the importer splits that work over two processes, so the
steps' total is what one processor would need at the least.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from itertools import islice
from pathlib import Path

import yaml
from import_bench import Run, check_crm_run, match_email_mapping, measure, tool_path
from store_floor import generated_file, run_with_options

from crmkit.store.sqlite.bulk import IN_BATCH, batch_condition
from crmkit.store.sqlite.digest_triggers import digest_triggers_paused
from crmkit.store.sqlite.row_digests import RowDigester
from crmkit.store.sqlite.writer.matching import MATCH_SQL
from crmkit.store.sqlite.writer.organizations import ORGANIZATIONS_BY_NAMES

__all__ = ["main", "replay_reimport"]

_BATCH = 1000
# Each with a {batch} slot for the test of the contact ids (see batch_condition).
_DIGESTS = "SELECT id, row_digest FROM contacts WHERE id {batch}"
_MEMBERSHIPS = "SELECT person_id, organization_id FROM memberships WHERE person_id {batch}"


def reimport_columns(data: Path, mapping: Path) -> tuple[int, int]:
    """The indexes of the file's e-mail and organization columns."""
    columns = yaml.safe_load(mapping.read_text("utf-8"))["columns"]
    with open(data, newline="", encoding="utf-8") as source:
        header = next(csv.reader(source))
    email = next(name for name, target in columns.items() if str(target).startswith("email"))
    organization = next(name for name, target in columns.items() if target == "organization")
    return header.index(email), header.index(organization)


def replay_reimport(db: Path, data: Path, email_at: int, org_at: int) -> list[tuple[str, float]]:
    """Run what a re-import of unchanged rows must do on `db`; timed steps."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA cache_size = -8192")
    update = f"UPDATE contacts SET updated_at = ? WHERE id {IN_BATCH}"
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    digest = RowDigester(bytes(32))
    names = ("digest the rows", "match", "read digests", "organizations", "set updated_at")
    steps = dict.fromkeys(names, 0.0)
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    # As an import does: the triggers would clear each digest `updated_at` is set beside.
    with digest_triggers_paused(conn), open(data, newline="", encoding="utf-8") as source:
        rows = csv.reader(source)
        next(rows)
        while chunk := list(islice(rows, _BATCH)):
            mark = time.perf_counter()
            for cells in chunk:
                digest(cells)
            steps["digest the rows"] += time.perf_counter() - mark
            mark = time.perf_counter()
            emails = [row[email_at].strip().lower() for row in chunk]
            found = conn.execute(MATCH_SQL["email"], (json.dumps(emails),)).fetchall()
            ids = [contact_id for _, contact_id, _ in found]
            condition, params = batch_condition(ids)
            steps["match"] += time.perf_counter() - mark
            mark = time.perf_counter()
            conn.execute(_DIGESTS.format(batch=condition), params).fetchall()
            steps["read digests"] += time.perf_counter() - mark
            mark = time.perf_counter()
            cells = sorted({row[org_at] for row in chunk if row[org_at]})
            conn.execute(ORGANIZATIONS_BY_NAMES, (json.dumps(cells),)).fetchall()
            conn.execute(_MEMBERSHIPS.format(batch=condition), params).fetchall()
            steps["organizations"] += time.perf_counter() - mark
            mark = time.perf_counter()
            conn.execute(update, (now, json.dumps(ids)))
            steps["set updated_at"] += time.perf_counter() - mark
    reading = time.perf_counter() - started - sum(steps.values())
    mark = time.perf_counter()
    conn.execute("COMMIT")
    conn.close()
    timed = [("reading the file", reading), *steps.items()]
    timed.append(("commit and close", time.perf_counter() - mark))
    timed.append(("total", time.perf_counter() - started))
    return timed


def main(argv: Sequence[str] | None = None) -> None:
    run_with_options(__doc__.splitlines()[0], run, "crm-reimport-floor-", argv)


def run(rows: int, bench: Path, workdir: Path) -> None:
    env, data = generated_file(rows, bench, workdir)
    raw_db, crm_db, floor_db = (workdir / name for name in ("raw.db", "crm.db", "floor.db"))
    for db in (raw_db, crm_db, floor_db):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    setup = ["bash", str(bench / "setup.sh"), str(crm_db)]
    subprocess.run(setup, check=True, env=env, stdout=subprocess.DEVNULL)
    mapping = match_email_mapping(bench, workdir)
    crm = tool_path("crm")

    def crm_import(tool: str, with_mapping: Path) -> Run:
        command = [crm, "--db", str(crm_db), "import", str(data), "--mapping", str(with_mapping)]
        return measure(tool, [*command, "--format", "json"], env=env, workdir=workdir)

    raw = measure(
        "raw_copy",
        [sys.executable, str(bench / "raw_copy.py"), str(data), str(raw_db)],
        env=env,
        workdir=workdir,
    )
    first = crm_import("crm import", bench / "gen_map.yaml")
    check_crm_run(first, crm_db, rows, updating=False)
    shutil.copyfile(crm_db, floor_db)
    started = time.perf_counter()
    usage_before = os.times()
    second = crm_import("crm import (match email)", mapping)
    usage = os.times()
    check_crm_run(second, crm_db, rows, updating=True)
    processor = (usage.children_user - usage_before.children_user) + (
        usage.children_system - usage_before.children_system
    )
    wall = time.perf_counter() - started
    email_at, org_at = reimport_columns(data, mapping)
    steps = replay_reimport(floor_db, data, email_at, org_at)
    floor = raw.seconds
    print(f"{rows} rows: raw_copy {floor:.2f} s")
    print(
        f"crm re-import (match email) {second.seconds:.2f} s, {second.seconds / floor:.2f}x"
        f" raw_copy; processor time of both its processes {processor:.2f} s"
        f" ({processor / wall:.2f} processors busy on average)"
    )
    print(f"{'what it cannot skip':<28} {'seconds':>9} {'x raw_copy':>11}")
    for step, seconds in steps:
        print(f"{step:<28} {seconds:>9.2f} {seconds / floor:>11.2f}")


if __name__ == "__main__":
    main()

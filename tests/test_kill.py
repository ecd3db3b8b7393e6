"""`kill -9` at any moment of an import leaves a sound base, and the history says what happened.

An import is one transaction, so a killed one leaves either nothing of its rows
(killed before its commit) or all of them (killed after it): never some
contacts, nor a contact without its phones, e-mails or tags. Each round below
kills `crm import` of a generated file at a random moment of its run (moments
spread over the run: one in each equal slice of the time a whole import
takes), then checks the base: SQLite's integrity and foreign key checks, the
schema as it was (the import drops indexes and triggers inside its
transaction), the rows of every table an import writes as before the import or
as after a whole one, and the history row 'interrupted' once the next command
has opened the base, with the counts it committed. The rounds follow one
another on one base, so each import runs after the interrupted ones before it;
a last import, not killed, must then bring in every row.

Short by default; `pytest --slow` runs 200,000 rows and 20 kills.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from processes import REPO, crm_command, spawn, wait_for_group
from typer.testing import Result

import crmkit

SEED = 20240611
BENCH = REPO / "benchmarks" / "bench"
MAPPING = BENCH / "gen_map.yaml"
# The tables an import writes.
WRITTEN = (
    "contacts",
    "phones",
    "emails",
    "contact_tags",
    "contact_users",
    "memberships",
    "contacts_fts_keys",
    "history",
    "import_touches",
)
FINISHED = "finished with rejected rows"  # the generated files have some bad rows


@pytest.fixture()
def kill_sizes(slow: bool) -> tuple[int, int]:
    """Rows of the imported file and how many kills: (200,000, 20) with --slow."""
    return (200_000, 20) if slow else (5_000, 5)


def prepared_base(path: Path) -> None:
    """The tags, users and fields gen_map.yaml names (as benchmarks/bench/setup.sh)."""
    with crmkit.open(path) as crm:
        crm.tags.add("VIP", "Newsletter", "Lead", "Klient", "Partner")
        for name in ("Jan Kowalski", "Piotr Maj", "Anna Zając", "Ewa Bąk"):
            crm.users.add(name)
        options = ["IT", "Handel", "Produkcja", "Usługi", "Logistyka"]
        crm.fields.add("industry", type="multiselect", label="Branża", options=options)
        crm.fields.add("vip_flag", type="checkbox", label="VIP")


def copy_base(template: Path, db: Path) -> None:
    """A fresh copy of the template at `db`, with nothing left of an earlier base there."""
    for leftover in db.parent.glob(db.name + "*"):
        leftover.unlink()
    shutil.copyfile(template, db)


def start_import(db: Path, csv: Path, *, stdout: Any, stderr: Any) -> subprocess.Popen[bytes]:
    command = crm_command(db, "import", str(csv), "--mapping", str(MAPPING), "--format", "json")
    return spawn(command, stdout=stdout, stderr=stderr)


def whole_import(db: Path, csv: Path) -> tuple[dict[str, Any], float]:
    """Run an import to its end; return its summary and how long the process took."""
    started = time.monotonic()
    process = start_import(db, csv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = process.communicate(timeout=1800)
    took = time.monotonic() - started
    assert process.returncode == 3, err.decode()  # finished, some rows rejected
    return json.loads(out), took


class BaseState:
    """What a killed import may have left: checked with a plain SQLite connection."""

    def __init__(self, db: Path) -> None:
        with closing(sqlite3.connect(db)) as conn:
            self.integrity = conn.execute("PRAGMA integrity_check").fetchall()
            self.broken_references = conn.execute("PRAGMA foreign_key_check").fetchall()
            self.schema = sorted(
                conn.execute("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL")
            )
            self.counts = {
                table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in WRITTEN
            }
            self.persons = conn.execute(
                "SELECT count(*) FROM contacts WHERE kind = 'person'"
            ).fetchone()[0]
            self.history = {
                row[0]: row[1:]
                for row in conn.execute(
                    "SELECT id, status, rows_read, created, updated, rejected FROM imports"
                )
            }


def history_entry(cli: Callable[..., Result], import_id: int) -> dict[str, Any]:
    """One import as `crm imports` lists it and `crm imports show` shows it, checked alike."""
    listed = cli("imports", "--format", "json")
    assert listed.exit_code == 0, listed.output
    entry = next(item for item in json.loads(listed.stdout) if item["id"] == import_id)
    shown = cli("imports", "show", str(import_id), "--format", "json")
    assert shown.exit_code == 0, shown.output
    details = json.loads(shown.stdout)
    assert {key: details[key] for key in entry} == entry
    return details


def test_an_import_killed_at_any_moment_leaves_a_sound_base(
    tmp_path: Path, db_path: Path, cli: Callable[..., Result], kill_sizes: tuple[int, int]
) -> None:
    rows, kills = kill_sizes
    csv = tmp_path / "contacts.csv"
    generate = [sys.executable, str(BENCH / "gen_contacts.py"), str(rows), "--out", str(csv)]
    subprocess.run(generate, check=True)
    template = tmp_path / "template.db"
    prepared_base(template)
    empty = BaseState(template)
    reference_db = tmp_path / "reference.db"
    copy_base(template, reference_db)
    reference, whole = whole_import(reference_db, csv)
    full = BaseState(reference_db)
    assert full.counts["contacts"] > empty.counts["contacts"] and full.schema == empty.schema

    rng = random.Random(SEED)
    moments = [(kill + rng.random()) / kills for kill in range(kills)]
    copy_base(template, db_path)
    errors = tmp_path / "stderr.txt"
    interrupted: list[int] = []
    for number, share in enumerate(moments, 1):
        delay = share * whole
        where = f"seed {SEED}, kill {number}/{kills} at {delay:.2f} s ({share:.0%} of {whole:.2f})"
        before = BaseState(db_path)
        # To files, not pipes: a helper left running would hold a pipe open for ever.
        with open(errors, "wb") as stderr:
            process = start_import(db_path, csv, stdout=subprocess.DEVNULL, stderr=stderr)
            time.sleep(delay)
            process.send_signal(signal.SIGKILL)
            process.wait()
        killed = process.returncode == -signal.SIGKILL
        assert killed or process.returncode == 3, f"{where}: {errors.read_text()}"
        left = wait_for_group(process.pid)
        if left:
            os.killpg(process.pid, signal.SIGKILL)
        assert left == [], f"{where}: a helper process outlived the import"

        after = BaseState(db_path)
        assert after.integrity == [("ok",)], where
        assert after.broken_references == [], where
        assert after.schema == empty.schema, where
        new = sorted(set(after.history) - set(before.history))
        assert len(new) <= 1, where
        status = after.history[new[0]][0] if new else None
        if status in (None, "running"):
            # Killed before its row was committed, or before its transaction was.
            assert after.counts == before.counts, where
        else:
            assert status == FINISHED, where
            assert after.counts == full.counts, where
        if not new:
            continue
        import_id = new[0]
        created = after.history[import_id][2]
        assert after.persons == before.persons + created, where

        entry = history_entry(cli, import_id)
        if status == "running":
            assert entry["status"] == "interrupted", where
            assert (entry["rows_read"], entry["created"], entry["updated"]) == (0, 0, 0), where
            assert entry["problems"] == [], where
            assert BaseState(db_path).history[import_id][0] == "interrupted", where
            interrupted.append(import_id)
        else:
            assert (entry["status"], entry["created"]) == (status, reference["created"]), where
            # Killed too late to stop it: the next rounds start from a fresh base.
            copy_base(template, db_path)
            interrupted.clear()

    last, _ = whole_import(db_path, csv)
    done = BaseState(db_path)
    assert done.integrity == [("ok",)] and done.schema == empty.schema
    assert done.counts == full.counts, f"seed {SEED}: the import after the kills"
    assert (last["created"], last["rejected"]) == (reference["created"], reference["rejected"])
    history = {entry["id"]: entry for entry in json.loads(cli("imports", "-f", "json").stdout)}
    assert sorted(history) == sorted([*interrupted, last["import_id"]])
    assert all(history[import_id]["status"] == "interrupted" for import_id in interrupted)
    assert history[last["import_id"]]["status"] == FINISHED

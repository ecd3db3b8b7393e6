"""How fast are `crm timeline` and the call-log import on a large base?

usage: python benchmarks/timeline_bench.py [--contacts 100000] [--events 1000000]
           [--members 1000] [--heavy 100000] [--runs 7] [--keep DIR]

Builds a database with CONTACTS contacts (persons with phone numbers, organization 1 among
them), makes MEMBERS persons members of organization 1 (open, closed and repeated periods),
then imports EVENTS call-log rows with `crm import --mapping` as one process (numbers in
mixed spellings, matched by phone; timed: rows per second). One member also gets HEAVY more
calls inserted directly (not timed), so the organization has a member with a long history.

Then each command runs RUNS times as a whole process, next to the bare interpreter
(`python -c pass`):

* `crm timeline ORG --limit 50` (organization 1: its own events and its members' while they
  were members);
* `crm timeline PERSON` (a typical member, every item);
* `crm timeline HEAVY --limit 50` (the member with HEAVY events);

each through the `crm` console script (Typer, as every command but `crm lookup`).
It prints the best and median wall time and the best time's ratio to the interpreter's.
Small sizes give a quick run: `--contacts 2000 --events 20000 --members 50 --heavy 5000`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main", "build_database", "write_call_log", "time_command"]

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

_MAPPING = """\
target: events
kind: call
region: PL
timezone: Europe/Warsaw
source: centrala
columns:
  ID połączenia: external_id
  Data i godzina: occurred_at
  Kierunek: direction
  Numer: contact.phone
  Czas rozmowy: duration
  Kolejka: channel
  Konsultant: agent
  Temat: subject
"""
_AGENTS = ("Anna Zając", "Piotr Maj", "Jan Kowalski", "Ewa Bąk")
_QUEUES = ("Infolinia", "Serwis", "Sprzedaż", "Windykacja")
_SUBJECTS = ("Reklamacja", "Zapytanie o ofertę", "Status zamówienia", "Faktura", "")


def phone_of(contact_id: int) -> str:
    """A valid Polish mobile number (E.164) unique to the contact."""
    return f"+4850{contact_id:07d}"


def spelled(e164: str, style: int) -> str:
    """The number as a call centre's switchboard might print it."""
    national = e164[3:]
    return (
        e164,
        f"{national[:3]} {national[3:6]} {national[6:]}",
        f"0048{national}",
        f"48{national}",
        f"({national[:2]}) {national[2:5]}-{national[5:7]}-{national[7:]}",
        national,
    )[style % 6]


def build_database(db: Path, contacts: int, members: int, heavy: int, seed: int) -> dict[str, int]:
    """Contacts, phones, users and memberships written directly (the set-up is not timed)."""
    from crmkit.store import open_store

    rng = random.Random(seed)
    store = open_store(db)
    now = "2025-01-01T00:00:00Z"
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO users (full_name, key) VALUES (?, ?)",
            [(name, name.lower()) for name in _AGENTS[:3]],
        )
        conn.execute(
            "INSERT INTO contacts (id, kind, name, created_at, updated_at)"
            " VALUES (1, 'organization', 'Benchmark Sp. z o.o.', ?, ?)",
            (now, now),
        )
        conn.executemany(
            "INSERT INTO contacts (id, kind, first_name, last_name, name, created_at, updated_at)"
            " VALUES (?, 'person', ?, ?, ?, ?, ?)",
            ((cid, "Osoba", str(cid), f"Osoba {cid}", now, now) for cid in range(2, contacts + 1)),
        )
        conn.executemany(
            "INSERT INTO phones (contact_id, position, number, type) VALUES (?, 0, ?, 'mobile')",
            ((cid, phone_of(cid)) for cid in range(1, contacts + 1)),
        )
        periods = []
        for person in range(2, members + 2):
            start = f"20{rng.randint(19, 23)}-{rng.randint(1, 12):02d}-01T00:00:00Z"
            shape = person % 3
            if shape == 0:
                periods.append((person, start, None))
            elif shape == 1:
                periods.append((person, start, f"{int(start[:4]) + 1}{start[4:]}"))
            else:
                periods.append((person, "2019-01-01T00:00:00Z", "2020-06-01T00:00:00Z"))
                periods.append((person, start, None))
        conn.executemany(
            "INSERT INTO memberships (person_id, organization_id, since, until)"
            " VALUES (?, 1, ?, ?)",
            periods,
        )
    heavy_id = 2
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO events (contact_id, kind, direction, occurred_at, duration, created_at)"
            " VALUES (?, 'call', 'in', ?, 60, ?)",
            ((heavy_id, _moment(rng), now) for _ in range(heavy)),
        )
    store.close()
    return {"org": 1, "heavy": heavy_id, "person": 3 if members >= 2 else contacts}


def _moment(rng: random.Random) -> str:
    return (
        f"20{rng.randint(19, 24)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        f"T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z"
    )


def write_call_log(path: Path, rows: int, contacts: int, members: int, seed: int) -> None:
    """A call-centre CSV: local times, mixed number spellings, m:ss durations."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(
            "ID połączenia,Data i godzina,Kierunek,Numer,Czas rozmowy,Kolejka,Konsultant,Temat\n"
        )
        for number in range(rows):
            # a third of the calls come from the organization's members
            if rng.random() < 0.3:
                contact = rng.randint(2, members + 1)
            else:
                contact = rng.randint(1, contacts)
            moment = _moment(rng)
            when = f"{moment[:10]} {moment[11:19]}"
            seconds = rng.randint(0, 1800)
            agent = _AGENTS[3] if number % 100 == 99 else _AGENTS[number % 3]  # 1% unknown
            out.write(
                f"CC-{number:08d},{when},{'przychodzące' if number % 3 else 'wychodzące'},"
                f"{spelled(phone_of(contact), number)},{seconds // 60}:{seconds % 60:02d},"
                f"{_QUEUES[number % 4]},{agent},{_SUBJECTS[number % 5]}\n"
            )


def time_command(
    command: Sequence[str], runs: int, env: dict[str, str]
) -> tuple[float, float, str]:
    """Best and median wall time of a whole process, and the last run's output."""
    times = []
    output = ""
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(list(command), capture_output=True, env=env, check=False)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(
                f"{' '.join(command)} failed ({done.returncode}): {done.stderr.decode()}"
            )
        output = done.stdout.decode("utf-8")
    return min(times), statistics.median(times), output


def _console_script(name: str) -> str:
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is not installed (pip install -e {REPO})")
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--heavy", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="Build in this folder and keep it.")
    args = parser.parse_args(argv)
    if args.members + 2 > args.contacts:
        parser.error("--contacts must exceed --members + 1")
    work = args.keep or Path(tempfile.mkdtemp(prefix="timeline-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / "crm.db"
    for stale in (db, work / "crm.db-wal", work / "crm.db-shm"):
        stale.unlink(missing_ok=True)
    env = {**os.environ, "CRM_DB": str(db)}
    env.pop("CRM_USER", None)
    try:
        started = time.perf_counter()
        ids = build_database(db, args.contacts, args.members, args.heavy, args.seed)
        log = work / "calls.csv"
        write_call_log(log, args.events, args.contacts, args.members, args.seed)
        (work / "calls_map.yaml").write_text(_MAPPING, encoding="utf-8")
        print(f"set-up: {time.perf_counter() - started:.1f}s in {work}")

        crm = _console_script("crm")
        command = [
            crm,
            "import",
            str(log),
            "--mapping",
            str(work / "calls_map.yaml"),
            "--format",
            "json",
        ]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, env=env, check=False)
        seconds = time.perf_counter() - started
        report = json.loads(done.stdout)
        if done.returncode != 0 or report["created"] + report["skipped"] != args.events:
            raise SystemExit(
                f"import failed ({done.returncode}): {done.stdout[:500]!r} {done.stderr!r}"
            )
        rate = args.events / seconds
        print(
            f"events import: {args.events:,} rows in {seconds:.2f}s as one process"
            f" = {rate:,.0f} rows/s (target >= 50,000); created {report['created']:,},"
            f" warnings {report['warnings']:,}"
        )

        base, base_median, _ = time_command([sys.executable, "-c", "pass"], args.runs, env)
        print(f"python -c pass: best {base * 1000:.1f} ms, median {base_median * 1000:.1f} ms")
        cases = [
            (
                f"timeline ORG={ids['org']} --limit 50",
                ["timeline", str(ids["org"]), "--limit", "50"],
            ),
            (f"timeline PERSON={ids['person']}", ["timeline", str(ids["person"])]),
            (
                f"timeline HEAVY={ids['heavy']} --limit 50",
                ["timeline", str(ids["heavy"]), "--limit", "50"],
            ),
        ]
        print(f"{'command':<42} {'entry':<8} {'best ms':>8} {'median':>8} {'ratio':>6} {'rows':>5}")
        for label, words in cases:
            best, median, output = time_command([crm, *words], args.runs, env)
            rows = max(0, len(output.splitlines()) - 2)
            print(
                f"{label:<42} {'crm':<8} {best * 1000:8.1f} {median * 1000:8.1f}"
                f" {best / base:5.2f}x {rows:5d}"
            )
        print("target: each under 8.00x python -c pass (CONTRACT section 8)")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Eight processes on one base at once: imports, edits, notes and lookups.

No process may print a traceback or lose a write: every command exits as it should,
and afterwards the base holds exactly what they all wrote.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import crmkit

IMPORTS, WRITERS, READERS, ROUNDS = 2, 3, 3, 8
COUNTER = f"""
import json, time
import crmkit
seen = []
for _ in range({ROUNDS * 4}):
    with crmkit.open({{db!r}}, create=False) as crm:
        seen.append([
            len(crm.contacts.search(filters={{{{"last_name": f"Import{{{{n}}}}"}}}}))
            for n in range({IMPORTS})
        ])
    time.sleep(0.05)
print(json.dumps(seen))
"""


def crm_command(db: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "crmkit", "--db", str(db), "--busy-timeout", "60", *args]


def test_eight_processes_at_once_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "crm.db"
    with crmkit.open(db) as crm:
        anna = crm.contacts.add(first_name="Anna", phones=["601 234 567"])
        crm.users.add("Jan Kowalski")
    files = []
    for number in range(IMPORTS):
        rows = "".join(
            f"K-{number}-{row},Osoba{row},Import{number},+48 50{number} {row:03d} 000\n"
            for row in range(200)
        )
        path = tmp_path / f"part{number}.csv"
        path.write_text("external_id,first_name,last_name,phone.mobile\n" + rows, "utf-8")
        files.append(path)
    loop = "for i in $(seq {rounds}); do {command} || exit 1; done"
    scripts = [" ".join(crm_command(db, "import", str(path))) for path in files]
    for writer in range(WRITERS):
        note = " ".join(crm_command(db, "--as", "'Jan Kowalski'", "note", "add", str(anna.id)))
        tag = " ".join(crm_command(db, "tag", "add", f"T{writer}-$i"))
        scripts.append(loop.format(rounds=ROUNDS, command=f'{note} "n{writer}-$i" && {tag}'))
    for _ in range(READERS - 1):
        lookup = " ".join(crm_command(db, "lookup", "601234567", "-f", "json"))
        scripts.append(loop.format(rounds=ROUNDS, command=f"{lookup} > /dev/null"))
    # One reader counts each import's contacts again and again: an import is one
    # transaction, so a reader sees all of its rows or none.
    scripts.append(f"{sys.executable} -c {shlex.quote(COUNTER.format(db=str(db)))}")
    running = [
        subprocess.Popen(["bash", "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for script in scripts
    ]
    outputs = []
    for process in running:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err.decode()
        assert b"Traceback" not in err
        outputs.append(out)
    seen = json.loads(outputs[-1])
    assert len(seen) == ROUNDS * 4
    assert all(count in (0, 200) for counts in seen for count in counts), seen
    with crmkit.open(db, create=False) as crm:
        assert len(crm.contacts) == 1 + IMPORTS * 200
        assert len(crm.tags.list()) == WRITERS * ROUNDS
        notes = [item.body for item in crm.timeline(anna.id)]
        assert sorted(notes) == sorted(
            f"n{w}-{i}" for w in range(WRITERS) for i in range(1, ROUNDS + 1)
        )
        assert all(report.status == "finished" for report in crm.imports.list())
        assert crm.store.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)

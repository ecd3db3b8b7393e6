#!/usr/bin/env python3
"""Time a campaign on a large base: enrolling a whole filter, and an agent's work list.

    python benchmarks/campaign_bench.py                 # 1,000,000 contacts
    python benchmarks/campaign_bench.py --rows 100000   # a quick run

The base is built once per size (as `query_bench.py` builds it) in --workdir and
reused; each run starts with no campaigns. Then, each a whole `crm` process:

  * `crm campaign enroll Bench --filter kind=person`: every contact at once
                                                          target: < 30 s at 1M
  * the same again: nobody added twice, everybody counted as enrolled already
  * (set up in SQL: a call-back on every third contact, in the past or the future)
  * `crm campaign list Bench --due --limit 50`            target: <= 3x `python -c pass`
  * `crm campaign set Bench ID --status Oddzwonić --callback ...` (start-up of a write)
  * `crm campaign list Bench --status Nowy --format csv`: the list for a dialer
  * `crm export --format jsonl` of every contact, whose records carry their campaigns
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from query_bench import ROOT, build, crm_script, timed, timed_with_peak  # noqa: E402

CAMPAIGN = "Bench"


def reset(db: Path) -> None:
    """Take every campaign, its history entries and its events out of the base."""
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("DELETE FROM campaign_contacts")
        conn.execute("DELETE FROM campaigns")
        conn.execute("DELETE FROM history WHERE action LIKE 'campaign %'")
        conn.execute("DELETE FROM events WHERE kind = 'campaign'")
    conn.execute("VACUUM")
    conn.close()


def plan_callbacks(db: Path) -> int:
    """Give every third enrolled contact a call-back, half of them due; return how many due."""
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(
            "UPDATE campaign_contacts SET status = 'Oddzwonić',"
            " callback_at = strftime('%Y-%m-%dT%H:%M:00Z', 'now',"
            "  ((id % 7200) - 3600) || ' minutes')"
            " WHERE id % 3 = 0"
        )
    due = conn.execute(
        "SELECT count(*) FROM campaign_contacts WHERE callback_at <= strftime('%Y-%m-%dT%H:%M:%SZ')"
    ).fetchone()[0]
    conn.close()
    return int(due)


def once(command: list[str]) -> tuple[float, str]:
    """Run a command once; return its wall time and stdout."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} exited {done.returncode}: {done.stderr}")
    return seconds, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="number of contacts")
    parser.add_argument("--repeat", type=int, default=11, help="runs per start-up timing")
    parser.add_argument(
        "--workdir", default=str(Path(tempfile.gettempdir()) / "crmkit-campaign-bench")
    )
    parser.add_argument("--rebuild", action="store_true", help="build the database again")
    args = parser.parse_args()
    crm = crm_script()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / f"contacts_{args.rows}.db"
    if args.rebuild or not db.exists():
        for leftover in workdir.glob(f"{db.name}*"):
            leftover.unlink()
        build(db, args.rows, crm)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "crmkit")], check=True)
    base = [*crm, "--db", str(db)]
    subprocess.run([*base, "init"], check=True, stdout=subprocess.DEVNULL)
    reset(db)
    subprocess.run([*base, "campaign", "add", CAMPAIGN], check=True, stdout=subprocess.DEVNULL)

    results: list[tuple[str, float, str]] = []
    enroll = [*base, "campaign", "enroll", CAMPAIGN, "--filter", "kind=person"]
    seconds, said = once(enroll)
    verdict = "ok" if seconds < 30 else "SLOW"
    results.append(("enroll every person", seconds, f"target < 30 s: {verdict}; {said.strip()}"))
    seconds, said = once(enroll)
    results.append(("enroll them again", seconds, said.strip()))
    due = plan_callbacks(db)
    conn = sqlite3.connect(db)
    enrolled = conn.execute("SELECT count(*) FROM campaign_contacts").fetchone()[0]
    someone = conn.execute("SELECT contact_id FROM campaign_contacts LIMIT 1").fetchone()[0]
    conn.close()
    print(f"{enrolled:,} enrolled in {db} ({db.stat().st_size / 1e6:.0f} MB), {due:,} due")

    python = timed([sys.executable, "-c", "pass"], args.repeat)
    results.append(("python -c pass", python, ""))
    work_list = [*base, "campaign", "list", CAMPAIGN, "--due", "--limit", "50"]
    seconds = timed(work_list, args.repeat)
    ratio = seconds / python
    verdict = "ok" if ratio <= 3 else "SLOW"
    results.append(
        (
            "campaign list --due --limit 50",
            seconds,
            f"{ratio:.2f}x python   target <= 3x: {verdict}",
        )
    )
    outcome = [*base, "campaign", "set", CAMPAIGN, str(someone), "--status", "Oddzwonić"]
    seconds = timed([*outcome, "--callback", "2030-01-01 10:00"], 5)
    results.append(("campaign set (one outcome)", seconds, f"{seconds / python:.2f}x python"))
    seconds, peak = timed_with_peak([*base, "campaign", "list", CAMPAIGN, "-f", "csv"])
    results.append(
        ("campaign list -f csv (all)", seconds, f"{enrolled / seconds:,.0f} rows/s, {peak:.0f} MiB")
    )
    seconds, peak = timed_with_peak([*base, "export", "--format", "jsonl"])
    results.append(
        ("export --format jsonl", seconds, f"{enrolled / seconds:,.0f} contacts/s, {peak:.0f} MiB")
    )
    width = max(len(label) for label, _, _ in results)
    for label, seconds, note in results:
        print(f"{label:<{width}}  {seconds * 1000:10.1f} ms  {note}")


if __name__ == "__main__":
    main()

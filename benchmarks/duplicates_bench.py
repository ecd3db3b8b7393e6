#!/usr/bin/env python3
"""How fast does `crm duplicates` go through a large base, and does it find the copies?

    python benchmarks/duplicates_bench.py                 # 1,000,000 contacts
    python benchmarks/duplicates_bench.py --rows 100000   # a quick run

The base is made once per size in --workdir and reused: gen_contacts.py writes ROWS
contacts, and about 2% of them (--dup-rate) are written a second time as the same
person entered again, the way copies creep into a CRM:

  * the name re-spelled: first and last name swapped, Polish letters left out,
    in capitals or in small letters;
  * the phone number written another way (`601-234-567` for `+48 601 234 567`);
  * the e-mail address in another case (`Anna.Nowak7@Example.pl`).

Each copy keeps some of these and gets new values for the rest: phone and e-mail
(40%), phone only (25%), e-mail only (25%), or neither: only the name, the address
and the company (10%). setup.sh makes the reference data and `crm import` reads the
file with gen_map.yaml, plus a column with each row's external id, so that the copies
can be told apart afterwards.

Then `crm duplicates --format json` runs as a whole process: wall time, peak memory
(ru_maxrss of the child), groups found, and the recall of the copies (a copy is found
when it is in one group with its original), in all and per kind of copy. The target
at 1M contacts: under 60 s, and no more than 200 MiB (the limit of every command).

Names in gen_contacts.py come from 16 first and 14 last names, so at 1M contacts each
name is held by some 600 contacts of every city: a name alone cannot tell a copy from
a namesake there, and `crm duplicates` does not group such common names by name
(phones, e-mails and registry numbers still count). Groups that hold no copy come from
the generator too: random phone numbers that two contacts happen to share, and
namesakes in one company. `--surnames N` draws last names from N made-up ones instead
(`--surnames 50000`), so that most names are rare, as in a real base: then names are
compared in earnest, and copies that share only name and address are found too.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
# The project's own generator: the copies are made from its columns.
BENCH = ROOT / "benchmarks" / "bench"

# What a copy keeps of its original (besides name and address), and how often.
VARIANTS: tuple[tuple[str, float], ...] = (
    ("phone and e-mail", 0.40),
    ("phone only", 0.25),
    ("e-mail only", 0.25),
    ("name and address only", 0.10),
)
_PLAIN = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")
_ID_COLUMN = "Nr"
_SYLLABLES = ("ko", "wal", "now", "ak", "wiś", "nie", "ząb", "ek", "łu", "cz", "dzi", "mar",
              "sow", "ró", "ża", "gór", "ski", "pie", "tr", "bą", "lew", "and", "szy",
              "mań")  # fmt: skip
_ENDINGS = ("ski", "ska", "cki", "wicz", "ak", "czyk", "ek", "owski", "ewska", "ór", "ński")


def load_generator() -> ModuleType:
    """Return gen_contacts.py as a module (its `spelled` writes numbers the usual ways)."""
    spec = importlib.util.spec_from_file_location("gen_contacts", BENCH / "gen_contacts.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def respell_name(first: str, last: str, rng: random.Random) -> tuple[str, str]:
    """Return the name as someone else typed it: swapped, without Polish letters, or cased."""
    changes = rng.sample(["swap", "plain", "upper", "lower"], rng.randrange(1, 3))
    if "upper" in changes and "lower" in changes:
        changes.remove("lower")
    if "plain" in changes:
        first, last = first.translate(_PLAIN), last.translate(_PLAIN)
    if "upper" in changes:
        first, last = first.upper(), last.upper()
    if "lower" in changes:
        first, last = first.lower(), last.lower()
    if "swap" in changes:
        first, last = last, first
    return first, last


def recase_email(address: str, rng: random.Random) -> str:
    """Return the address with its case changed (at least one letter differs)."""
    local, _, domain = address.partition("@")
    choice = rng.randrange(3)
    if choice == 0:
        changed = f"{local.upper()}@{domain}"
    elif choice == 1:
        changed = f"{'.'.join(part.capitalize() for part in local.split('.'))}@{domain.title()}"
    else:
        changed = f"{local}@{domain.upper()}"
    return changed if changed != address else address.upper()


def copy_row(
    row: list[str], header: list[str], variant: str, number: int, rng: random.Random, gen: Any
) -> list[str]:
    """Return the row of the same person entered again (see the module's docstring)."""
    cells = dict(zip(header, row, strict=True))
    cells["Imię"], cells["Nazwisko"] = respell_name(cells["Imię"], cells["Nazwisko"], rng)
    digits = "".join(char for char in cells["Telefon"] if char.isdigit())[-9:]
    if variant in ("phone and e-mail", "phone only"):
        cells["Telefon"] = gen.spelled(digits, rng)
    else:
        cells["Telefon"] = gen.spelled(f"{rng.choice(gen.MOBILE)}{rng.randrange(10**7):07d}", rng)
    if variant in ("phone and e-mail", "e-mail only"):
        cells["E-mail"] = recase_email(cells["E-mail"], rng)
    else:
        cells["E-mail"] = f"kopia{number}.{cells['E-mail']}"
    cells["Telefon służbowy"] = ""
    return [cells[name] for name in header]


def made_up_surnames(count: int, rng: random.Random) -> list[str]:
    """Return `count` different made-up Polish-looking surnames."""
    names: set[str] = set()
    while len(names) < count:
        parts = rng.sample(_SYLLABLES, rng.randrange(1, 4))
        names.add(("".join(parts) + rng.choice(_ENDINGS)).capitalize())
    return sorted(names)


def write_source(
    rows: int, dup_rate: float, seed: int, target: Path, surnames: int = 0
) -> dict[str, Any]:
    """Write ROWS generated contacts plus their copies to `target`; return the copies.

    The answer maps each copy's external id to its original's and its variant. With
    `surnames`, last names are drawn from that many made-up ones. The rows stream
    through (the copies wait in a second file): a child process inherits the peak
    memory of this one, which must stay small for the measurement of `crm duplicates`.
    """
    gen = load_generator()
    plain = target.with_suffix(".plain.csv")
    later = target.with_suffix(".copies.csv")
    generate = [sys.executable, str(BENCH / "gen_contacts.py"), str(rows), "--out", str(plain)]
    subprocess.run([*generate, "--seed", str(seed)], check=True)
    rng = random.Random(seed + 1)
    pool = made_up_surnames(surnames, random.Random(seed + 2)) if surnames else []
    chosen = set(rng.sample(range(rows), round(rows * dup_rate)))
    copies: dict[str, Any] = {}
    names = [name for name, _ in VARIANTS]
    weights = [weight for _, weight in VARIANTS]
    with (
        plain.open(encoding="utf-8", newline="") as source,
        target.open("w", encoding="utf-8", newline="") as out,
        later.open("w+", encoding="utf-8", newline="") as waiting,
    ):
        reader = csv.reader(source)
        header = next(reader)
        last = header.index("Nazwisko")
        writer, copy_writer = csv.writer(out), csv.writer(waiting)
        writer.writerow([*header, _ID_COLUMN])
        for index, row in enumerate(reader):
            if pool:
                row[last] = rng.choice(pool)
            writer.writerow([*row, f"r{index}"])
            if index in chosen:
                number = len(copies)
                variant = rng.choices(names, weights)[0]
                copy = copy_row(row, header, variant, number, rng, gen)
                copy_writer.writerow([*copy, f"c{number}"])
                copies[f"c{number}"] = {"original": f"r{index}", "variant": variant}
        waiting.seek(0)
        shutil.copyfileobj(waiting, out)
    plain.unlink()
    later.unlink()
    return copies


def write_mapping(target: Path) -> Path:
    """Write gen_map.yaml with the external id column added to `target`; return it."""
    mapping = yaml.safe_load((BENCH / "gen_map.yaml").read_text(encoding="utf-8"))
    mapping["columns"][_ID_COLUMN] = "external_id"
    target.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    return target


def build(db: Path, rows: int, dup_rate: float, seed: int, surnames: int) -> None:
    """Make the reference data with setup.sh and import the contacts with their copies."""
    workdir = db.parent
    source = db.with_suffix(".csv")
    print(f"building {db} with {rows:,} contacts and {dup_rate:.0%} copies ...", flush=True)
    start = time.perf_counter()
    copies = write_source(rows, dup_rate, seed, source, surnames)
    db.with_suffix(".copies.json").write_text(json.dumps(copies), encoding="utf-8")
    mapping = write_mapping(workdir / "duplicates_map.yaml")
    bin_dir = workdir / "bin"
    bin_dir.mkdir(exist_ok=True)
    wrapper = bin_dir / "crm"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m crmkit "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    env = crm_env()
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    setup = ["bash", str(BENCH / "setup.sh"), str(db)]
    subprocess.run(setup, check=True, env=env, stdout=subprocess.DEVNULL)
    command = [*crm(db), "import", str(source), "--mapping", str(mapping)]
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=False)
    if done.returncode not in (0, 3):
        sys.exit("the import failed")
    source.unlink()
    print(f"  built in {time.perf_counter() - start:.0f} s", flush=True)


def crm_env() -> dict[str, str]:
    """The environment for `python -m crmkit` of this checkout."""
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{path}" if path else str(ROOT)}


def crm(db: Path) -> list[str]:
    return [sys.executable, "-m", "crmkit", "--db", str(db)]


def run_duplicates(db: Path, out: Path, extra: list[str]) -> tuple[float, float, float]:
    """Run `crm duplicates --format json` into `out`; return wall seconds, CPU seconds
    and peak RSS in MiB."""
    command = [*crm(db), "duplicates", "--format", "json", *extra]
    start = time.perf_counter()
    with out.open("wb") as sink:
        child = subprocess.Popen(command, stdout=sink, env=crm_env())
        _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(command)} failed")
    scale = 1 << 20 if sys.platform == "darwin" else 1 << 10
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / scale


def recall(
    copies: dict[str, Any], ids: dict[str, int], groups: list[dict[str, Any]]
) -> dict[str, Any]:
    """Return how many copies were found, in all and per variant, and the groups with one.

    `copies` is what `write_source` returned, `ids` the contact ids by external id.
    """
    group_of = {contact: number for number, group in enumerate(groups) for contact in group["ids"]}
    expected: Counter[str] = Counter()
    found: Counter[str] = Counter()
    groups_with_copy = set()
    for copy, info in copies.items():
        pair = ids.get(copy), ids.get(info["original"])
        if None in pair:
            continue  # the import rejected one of them (the generator's faulty rows)
        expected[info["variant"]] += 1
        group = group_of.get(pair[0])
        if group is not None and group == group_of.get(pair[1]):
            found[info["variant"]] += 1
            groups_with_copy.add(group)
    return {"expected": expected, "found": found, "groups_with_copy": len(groups_with_copy)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="contacts before the copies")
    parser.add_argument("--dup-rate", type=float, default=0.02, help="share of rows copied")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--surnames", type=int, default=0, help="made-up last names to use")
    parser.add_argument("--min-score", default=None, help="passed to crm duplicates")
    parser.add_argument(
        "--workdir", default=str(Path(tempfile.gettempdir()) / "crmkit-duplicates-bench")
    )
    parser.add_argument("--rebuild", action="store_true", help="build the database again")
    args = parser.parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / f"contacts_{args.rows}_{args.dup_rate}_{args.seed}_{args.surnames}.db"
    if args.rebuild or not db.exists():
        for leftover in workdir.glob(f"{db.stem}*"):
            leftover.unlink()
        build(db, args.rows, args.dup_rate, args.seed, args.surnames)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "crmkit")], check=True)
    out = db.with_suffix(".groups.json")
    extra = ["--min-score", args.min_score] if args.min_score else []
    seconds, cpu, peak = run_duplicates(db, out, extra)
    groups = json.loads(out.read_text(encoding="utf-8"))
    copies = json.loads(db.with_suffix(".copies.json").read_text(encoding="utf-8"))
    conn = sqlite3.connect(db)
    ids = dict(conn.execute("SELECT external_id, id FROM contacts WHERE external_id IS NOT NULL"))
    conn.close()
    counts = recall(copies, ids, groups)
    contacts = sum(len(group["ids"]) for group in groups)
    expected, found = counts["expected"], counts["found"]
    total = sum(expected.values())
    print(f"{db.name}: {db.stat().st_size / 1e6:.0f} MB")
    print(f"crm duplicates --format json: {seconds:.1f} s ({cpu:.1f} s CPU), peak {peak:.0f} MiB"
          f"   target at 1M: < 60 s and <= 200 MiB: "
          f"{'ok' if seconds < 60 and peak <= 200 else 'MISSED'}")  # fmt: skip
    print(
        f"groups found: {len(groups):,} ({contacts:,} contacts);"
        f" {counts['groups_with_copy']:,} hold a copy and its original"
    )
    print(
        f"recall: {sum(found.values()):,} of {total:,} copies"
        f" ({sum(found.values()) / max(total, 1):.1%})"
    )
    for variant, _ in VARIANTS:
        share = found[variant] / max(expected[variant], 1)
        print(f"  {variant:<22} {found[variant]:>7,} of {expected[variant]:>7,} ({share:.1%})")


if __name__ == "__main__":
    main()

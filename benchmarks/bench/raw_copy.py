#!/usr/bin/env python3
"""The floor: a CSV file into one SQLite table with csv.reader, no parsing or checks.

python benchmarks/bench/raw_copy.py FILE DB
"""

from __future__ import annotations

import csv
import sqlite3
import sys
from itertools import islice


def main() -> None:
    source, target = sys.argv[1], sys.argv[2]
    conn = sqlite3.connect(target, isolation_level=None)
    with open(source, encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        header = next(rows)
        columns = ", ".join(f"c{index} TEXT" for index in range(len(header)))
        conn.execute(f"CREATE TABLE raw ({columns})")
        insert = f"INSERT INTO raw VALUES ({', '.join('?' * len(header))})"
        conn.execute("BEGIN")
        while batch := list(islice(rows, 10_000)):
            conn.executemany(insert, batch)
        conn.execute("COMMIT")
    conn.close()


if __name__ == "__main__":
    main()

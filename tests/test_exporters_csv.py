"""CSV output: byte for byte what csv.writer writes, with a BOM when asked."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from crmkit.exporters.csvfile import BOM, write_csv

cells = st.text(alphabet=st.sampled_from(list("ab ,\"\n\r;ł|'=\t")), max_size=6)


@given(st.integers(1, 5).flatmap(lambda width: st.tuples(
    st.lists(cells, min_size=width, max_size=width),
    st.lists(st.lists(cells, min_size=width, max_size=width), max_size=30),
)))  # fmt: skip
def test_same_bytes_as_the_csv_module(table: tuple[list[str], list[list[str]]]) -> None:
    header, rows = table
    ours = io.StringIO(newline="")
    count = write_csv(ours, header, iter(rows))
    theirs = io.StringIO(newline="")
    writer = csv.writer(theirs, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    assert ours.getvalue() == theirs.getvalue()
    assert count == len(rows)


def test_many_rows_are_written_in_batches() -> None:
    out = io.StringIO(newline="")
    rows = [[str(i), "x"] for i in range(2000)]
    assert write_csv(out, ["n", "x"], rows) == 2000
    assert out.getvalue().count("\r\n") == 2001
    assert out.getvalue().endswith("1999,x\r\n")


def test_bom_for_excel() -> None:
    out = io.StringIO(newline="")
    write_csv(out, ["a"], [["ł"]], bom=True)
    assert out.getvalue() == f"{BOM}a\r\nł\r\n"
    assert out.getvalue().encode("utf-8").startswith(b"\xef\xbb\xbf")

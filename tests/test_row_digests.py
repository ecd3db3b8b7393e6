"""Row digests: one per distinct row and reading of it, and looked up as stored."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from crmkit import CRM
from crmkit.store.sqlite.row_digests import RowDigester, StoredDigests, digest_key

HEADER = ["Imię", "E-mail"]
TARGETS = [("first_name", "text", None), ("email", "email", "work")]
SETTINGS = ("person", "PL", "Europe/Warsaw", True, " | ")
KEY = digest_key(HEADER, TARGETS, SETTINGS)

cells = st.lists(st.text(max_size=6), min_size=1, max_size=4)


@given(cells, cells)
def test_rows_share_a_digest_only_when_their_cells_are_equal(a: list[str], b: list[str]) -> None:
    digest = RowDigester(KEY)
    assert (digest(a) == digest(b)) == (a == b)


def test_cells_split_differently_digest_differently() -> None:
    digest = RowDigester(KEY)
    # The same characters in all, cut at other places (a plain join would mix them up).
    assert digest(["a|b", "c"]) != digest(["a", "b|c"])
    assert digest(["ab", ""]) != digest(["a", "b"])


@given(cells)
def test_packed_cells_digest_as_the_cells(row: list[str]) -> None:
    import marshal

    digest = RowDigester(KEY)
    assert digest.of_packed(marshal.dumps(row)) == digest(row)


def test_a_digest_depends_on_what_decides_how_cells_are_read() -> None:
    row = ["Anna", "anna@example.pl"]
    base = RowDigester(KEY)(row)
    others = [
        digest_key(["E-mail", "Imię"], TARGETS, SETTINGS),
        digest_key(HEADER, [TARGETS[0], ("email", "email", "home")], SETTINGS),
        digest_key(HEADER, TARGETS, ("person", "DE", "Europe/Warsaw", True, " | ")),
        digest_key(HEADER, TARGETS, ("person", "PL", "UTC", True, " | ")),
        digest_key(HEADER, TARGETS, ("person", "PL", "Europe/Warsaw", False, " | ")),
        digest_key(HEADER, TARGETS, ("organization", "PL", "Europe/Warsaw", True, " | ")),
    ]
    assert all(RowDigester(key)(row) != base for key in others)
    assert RowDigester(digest_key(list(HEADER), list(TARGETS), SETTINGS))(row) == base


def test_stored_digests_are_those_some_contact_holds(crm: CRM, db_path: Path) -> None:
    first = crm.contacts.add("person", {"first_name": "Anna"}).id
    crm.contacts.add("person", {"first_name": "Jan"})
    crm.store.conn.execute("UPDATE contacts SET row_digest = -7 WHERE id = ?", (first,))
    stored = StoredDigests(db_path)
    assert stored.known([-7, 5, 2**62]) == {-7}
    assert stored.known([]) == set()


def test_stored_digests_that_cannot_be_read_are_none(tmp_path: Path) -> None:
    # A hint only: a file that is not a database (or is locked) leaves every row to be
    # read in full, rather than ending the import.
    path = tmp_path / "not-a-database.db"
    path.write_bytes(b"this is not SQLite" * 300)
    assert StoredDigests(path).known([1, 2]) == set()

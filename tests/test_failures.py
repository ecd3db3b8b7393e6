"""Failures are sentences: a busy database, a missing one, a wrong encoding, a forgotten mapping."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import Result

import crmkit
from crmkit import CRM

Invoke = Callable[..., Result]


@pytest.fixture()
def locked(crm: CRM, db_path: Path) -> Iterator[sqlite3.Connection]:
    """Another process's write in progress: a second connection holding the write lock."""
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    yield other
    other.execute("ROLLBACK")
    other.close()


def test_a_busy_database_is_a_sentence_after_the_timeout(
    db_path: Path, locked: sqlite3.Connection
) -> None:
    with crmkit.open(db_path, busy_timeout=0.2) as crm:
        started = time.monotonic()
        with pytest.raises(crmkit.CrmError, match="is busy .* try again"):
            crm.tags.add("VIP")
        assert time.monotonic() - started >= 0.2
        assert crm.tags.list() == []  # reads do not wait for the writer (WAL)


def test_the_cli_waits_as_long_as_told(
    cli: Invoke, locked: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = cli("--busy-timeout", "0.1", "tag", "add", "VIP")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: the database ") and "is busy" in result.stderr
    assert "Traceback" not in result.output
    monkeypatch.setenv("CRM_BUSY_TIMEOUT", "0.1")
    assert cli("user", "add", "Jan Kowalski").exit_code == 1
    assert cli("tag", "list").exit_code == 0


def test_a_bad_busy_timeout_is_named(cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_BUSY_TIMEOUT", "soon")
    result = cli("tag", "add", "VIP")
    assert result.exit_code == 1 and "CRM_BUSY_TIMEOUT must be a number" in result.stderr


def test_a_read_command_never_creates_a_database(cli: Invoke, db_path: Path) -> None:
    for args in (["search", "x"], ["lookup", "601234567"], ["show", "1"], ["export"],
                 ["timeline", "1"], ["tag", "list"], ["imports"]):  # fmt: skip
        result = cli(*args)
        assert result.exit_code == 1, args
        assert f"no crmkit database at {db_path} (run `crm init` to create one)" in result.stderr
        assert not db_path.exists()

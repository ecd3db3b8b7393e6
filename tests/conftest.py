"""Shared fixtures: a fresh database, the CLI runner, and reference data most tests need."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import crmkit
from crmkit import CRM
from crmkit.cli.app import app

DATA = Path(__file__).parent / "data"


@pytest.fixture()
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "crm.db"


@pytest.fixture()
def crm(db_path: Path) -> Iterator[CRM]:
    handle = crmkit.open(db_path)
    yield handle
    handle.close()


@pytest.fixture()
def ref_crm(crm: CRM) -> CRM:
    """A database with the tags, users and fields that the fixture files use."""
    crm.tags.add("VIP", "Newsletter", "Lead", "Klient")
    for user in ("Jan Kowalski", "Piotr Maj"):
        crm.users.add(user)
    crm.fields.add(
        "industry", type="multiselect", label="Branża", options=["IT", "Handel", "Produkcja"]
    )
    crm.fields.add("consent", type="checkbox", label="Zgoda")
    return crm


@pytest.fixture()
def cli(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run `crm --db <tmp db> ARGS...` through Typer's CliRunner."""
    monkeypatch.delenv("CRM_USER", raising=False)
    monkeypatch.delenv("CRM_DB", raising=False)
    runner = CliRunner()

    def invoke(*args: str, input: str | bytes | None = None) -> Result:
        return runner.invoke(app, ["--db", str(db_path), *args], input=input)

    return invoke


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--slow",
        action="store_true",
        default=False,
        help="run the long variants of the tests that have one (same tests, larger sizes)",
    )


@pytest.fixture()
def slow(request: pytest.FixtureRequest) -> bool:
    """Whether the run asked for the long variants (`pytest --slow`)."""
    return bool(request.config.getoption("--slow"))

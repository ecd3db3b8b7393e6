"""Shared fixtures: a fresh database, the CLI runner, and reference data most tests need."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from crmkit import CRM, open_crm
from crmkit.cli.app import app

DATA = Path(__file__).parent / "data"


@pytest.fixture()
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "crm.db"


@pytest.fixture()
def crm(db_path: Path) -> Iterator[CRM]:
    handle = open_crm(db_path)
    yield handle
    handle.close()


@pytest.fixture()
def ref_crm(crm: CRM) -> CRM:
    """A database with the tags, users and fields that the fixture files use."""
    for tag in ("VIP", "Newsletter", "Lead", "Klient"):
        crm.add_tag(tag)
    for user in ("Jan Kowalski", "Piotr Maj"):
        crm.add_user(user)
    crm.add_field("industry", "multiselect", label="Branża", options=["IT", "Handel", "Produkcja"])
    crm.add_field("consent", "checkbox", label="Zgoda")
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

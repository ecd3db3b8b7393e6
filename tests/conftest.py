"""Shared fixtures: a fresh database, the CLI runner, and reference data most tests need."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import crmkit
from crmkit import CRM
from crmkit.cli.app import app
from tests.pg_server import Server, start_server

DATA = Path(__file__).parent / "data"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--slow",
        action="store_true",
        default=False,
        help="run the long variants: tests marked slow, and larger sizes of the kill test",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: a long variant, run only with --slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out the tests marked slow unless --slow was given."""
    if config.getoption("--slow"):
        return
    kept = [item for item in items if "slow" not in item.keywords]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


# Every test that uses a database runs once on a SQLite file and once on a PostgreSQL
# database, except in these modules, which test what only a SQLite file has.
SQLITE_ONLY = frozenset(
    {
        "test_digest_triggers",  # the row-digest shortcut of re-imports: SQLite's triggers
        "test_row_digests",  # ... and the digest file read beside the base
        "test_exporters_csvlines",  # CSV lines made by SQLite's printf
        "test_exporters_parallel",  # helper processes reading the file at once
        "test_files_folder",  # the folder of stored files beside the base
        "test_kill",  # kill -9 and the file's integrity check
    }
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each test that uses a database on SQLite and on PostgreSQL (see SQLITE_ONLY)."""
    if "backend" in metafunc.fixturenames:
        module = metafunc.module.__name__.rsplit(".", 1)[-1]
        names = ["sqlite"] if module in SQLITE_ONLY else ["sqlite", "postgresql"]
        metafunc.parametrize("backend", names, indirect=True)


@pytest.fixture()
def backend(request: pytest.FixtureRequest) -> str:
    """The backend the test's database lives on: "sqlite" or "postgresql"."""
    return str(request.param)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server]:
    """A PostgreSQL server of this test run (see `pg_server`).

    Its folder is outside pytest's temporary folders, which only root may enter,
    so that the server's own user can reach it.
    """
    folder = Path(tempfile.mkdtemp(prefix="crmkit-pg-"))
    folder.chmod(0o755)
    server = start_server(folder / "cluster")
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture()
def db_path(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """The test's empty database: a file, or the address of a new PostgreSQL database."""
    if backend == "postgresql":
        server = request.getfixturevalue("postgres_server")
        return server.new_database()  # type: ignore[return-value]
    return tmp_path / "crm.db"


@pytest.fixture()
def crm(db_path: Path) -> Iterator[CRM]:
    handle = crmkit.open(db_path)
    yield handle
    handle.close()


@pytest.fixture()
def ref_crm(crm: CRM) -> CRM:
    """A database with the tags, users and fields that the fixture files use."""
    return add_reference_data(crm)


def add_reference_data(crm: CRM) -> CRM:
    """Add the tags, users and fields that the fixture files use; return `crm`."""
    crm.tags.add("VIP", "Newsletter", "Lead", "Klient")
    for user in ("Jan Kowalski", "Piotr Maj"):
        crm.users.add(user)
    crm.fields.add(
        "industry", type="multiselect", label="Branża", options=["IT", "Handel", "Produkcja"]
    )
    crm.fields.add("consent", type="checkbox", label="Zgoda")
    return crm


@pytest.fixture()
def cli_at(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run `crm --db DB ARGS...` through Typer's CliRunner, on any database file DB."""
    monkeypatch.delenv("CRM_USER", raising=False)
    monkeypatch.delenv("CRM_DB", raising=False)
    runner = CliRunner()

    def invoke(db: Path, *args: str, input: str | bytes | None = None) -> Result:
        return runner.invoke(app, ["--db", str(db), *args], input=input)

    return invoke


@pytest.fixture()
def cli(db_path: Path, cli_at: Callable[..., Result]) -> Callable[..., Result]:
    """Run `crm --db <tmp db> ARGS...` through Typer's CliRunner."""

    def invoke(*args: str, input: str | bytes | None = None) -> Result:
        return cli_at(db_path, *args, input=input)

    return invoke


@pytest.fixture()
def slow(request: pytest.FixtureRequest) -> bool:
    """Whether the run asked for the long variants (`pytest --slow`)."""
    return bool(request.config.getoption("--slow"))

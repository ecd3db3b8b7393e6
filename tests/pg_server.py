"""A throwaway PostgreSQL server for the tests: a cluster in a temporary folder.

`start_server(folder)` finds the server's programs (on PATH, else under
/usr/lib/postgresql/*/bin), creates a cluster in `folder`, starts it on a Unix
socket there and returns a `Server` whose `new_database()` gives each test an
empty database. The server refuses to run as root; as root, the cluster belongs
to the `postgres` user if there is one, else to `nobody`.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Server", "find_programs", "start_server"]


def find_programs() -> Path | None:
    """Return the folder holding initdb and pg_ctl, or None if there is none."""
    initdb = shutil.which("initdb")
    if initdb:
        return Path(os.path.realpath(initdb)).parent
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(found[0]).parent if found else None


@dataclass
class Server:
    """A running cluster: its folder, socket folder and owner."""

    folder: Path
    programs: Path
    owner: str | None
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def socket_dir(self) -> Path:
        return self.folder / "socket"

    def address(self, database: str) -> str:
        """Return the libpq URI of `database` on this server."""
        return f"postgresql:///{database}?host={self.socket_dir}&user=crm"

    def new_database(self, prefix: str = "t") -> str:
        """Create an empty database and return its address."""
        import psycopg

        name = f"{prefix}{next(self._numbers)}"
        with psycopg.connect(self.address("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.address(name)

    def stop(self) -> None:
        self._run(
            str(self.programs / "pg_ctl"),
            "-D",
            str(self.folder / "data"),
            "-m",
            "immediate",
            "stop",
        )

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", self.owner, "--"] if self.owner else []
        done = subprocess.run([*prefix, *command], capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"{' '.join(command)} failed: {done.stderr or done.stdout}")


def start_server(folder: Path) -> Server:
    """Create a cluster in `folder`, start it and return it (see the module's doc)."""
    programs = find_programs()
    if programs is None:
        raise RuntimeError(
            "the PostgreSQL tests need the server's programs (initdb, pg_ctl): install"
            " Debian's package postgresql, or put them on PATH"
        )
    owner = None
    if os.geteuid() == 0:
        owner = "postgres" if _user_exists("postgres") else "nobody"
    folder.mkdir(parents=True, exist_ok=True)
    server = Server(folder, programs, owner)
    server.socket_dir.mkdir(exist_ok=True)
    if owner:
        shutil.chown(folder, owner)
        shutil.chown(server.socket_dir, owner)
        os.chmod(folder, 0o755)
    data = folder / "data"
    server._run(
        str(programs / "initdb"),
        "-D",
        str(data),
        "-U",
        "crm",
        "--auth=trust",
        "--encoding=UTF8",
        "--locale=C.UTF-8",
        "--no-sync",
    )
    options = (
        f"-k {server.socket_dir} -c listen_addresses='' -c fsync=off"
        " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    server._run(
        str(programs / "pg_ctl"),
        "-D",
        str(data),
        "-o",
        options,
        "-w",
        "-l",
        str(folder / "server.log"),
        "start",
    )
    return server


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True

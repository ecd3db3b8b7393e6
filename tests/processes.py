"""Running this repository's `crm` (or a few lines of Python) in processes of their own."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["REPO", "crm_command", "python_command", "spawn", "wait_for_group"]

# The repository these tests belong to: the code a child process must run.
REPO = Path(__file__).resolve().parent.parent


def crm_command(db: Path, *args: str) -> list[str]:
    """`crm --db DB ARGS...` as a command line."""
    return [sys.executable, "-m", "crmkit", "--db", str(db), *args]


def python_command(code: str, *args: str) -> list[str]:
    return [sys.executable, "-c", code, *args]


def spawn(command: list[str], **options: Any) -> subprocess.Popen[bytes]:
    """Start a command on this repository's code, as the leader of a process group
    (so that the helpers it forks can be found after it is killed)."""
    env = {key: value for key, value in os.environ.items() if key not in ("CRM_DB", "CRM_USER")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return subprocess.Popen(command, env=env, start_new_session=True, **options)


def wait_for_group(group: int, deadline: float = 30.0) -> list[int]:
    """Wait until no process of `group` runs; return those still running at the deadline."""
    end = time.monotonic() + deadline
    while (running := _running_in_group(group)) and time.monotonic() < end:
        time.sleep(0.05)
    return running


def _running_in_group(group: int) -> list[int]:
    """Processes of a group that still run; a zombie waiting to be reaped does not.

    Read from /proc where there is one (an orphan's zombie may never be reaped in
    a container whose first process does not reap), else asked of the kernel.
    """
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return []
        return [group]
    running = []
    for stat in proc.glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        state, _, process_group = text[text.rindex(")") + 2 :].split()[:3]
        if int(process_group) == group and state != "Z":
            running.append(int(stat.parent.name))
    return running

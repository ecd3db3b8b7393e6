"""Settings from the environment, read here and nowhere else.

| variable       | meaning                                            | default    |
|----------------|----------------------------------------------------|------------|
| `CRM_DB`       | the database file, or a `postgresql://` address    | `./crm.db` |
| `CRM_USER`     | the acting user (notes, views, import history)     | none       |
| `CRM_REGION`   | region of phone numbers written without a country  | `PL`       |
| `CRM_TIMEZONE` | zone of dates and times written without an offset  | `UTC`      |
| `CRM_BUSY_TIMEOUT` | seconds a write waits for another one to finish | `30`     |
| `CRM_DEBUG`    | `1`: an unexpected failure shows its traceback     | off        |

    >>> Settings.from_env().region
    'PL'
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from crmkit.errors import CrmError

__all__ = ["Settings", "DEFAULT_DB", "debugging"]

DEFAULT_DB = "crm.db"


@dataclass(frozen=True)
class Settings:
    """Where the base is, who acts, and how to read phones and times without context."""

    db: str = DEFAULT_DB
    user: str | None = None
    region: str = "PL"
    timezone: str = "UTC"
    dayfirst: bool = True
    busy_timeout: float = 30.0

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        db: str | os.PathLike[str] | None = None,
        user: str | None = None,
        busy_timeout: float | None = None,
    ) -> Settings:
        """Return the settings of `environ` (default `os.environ`); arguments given win.

        Empty variables count as unset, as a shell's `CRM_USER= crm ...` means.
        """
        env = os.environ if environ is None else environ
        return cls(
            db=os.fspath(db) if db else env.get("CRM_DB") or DEFAULT_DB,
            user=user if user is not None else env.get("CRM_USER") or None,
            region=(env.get("CRM_REGION") or "PL").upper(),
            timezone=env.get("CRM_TIMEZONE") or "UTC",
            busy_timeout=_seconds(busy_timeout, env.get("CRM_BUSY_TIMEOUT")),
        )


def _seconds(given: float | None, text: str | None) -> float:
    """Return the busy timeout given, else CRM_BUSY_TIMEOUT, else 30 seconds."""
    if given is not None:
        return max(0.0, float(given))
    if not text:
        return 30.0
    try:
        return max(0.0, float(text))
    except ValueError:
        raise CrmError(f"CRM_BUSY_TIMEOUT must be a number of seconds, not {text!r}") from None


def debugging(environ: Mapping[str, str] | None = None) -> bool:
    """Return whether CRM_DEBUG asks to see the traceback of an unexpected failure."""
    env = os.environ if environ is None else environ
    return (env.get("CRM_DEBUG") or "").strip().lower() in ("1", "yes", "true", "on")

"""The audit log: who changed which contact, and when."""

from __future__ import annotations

import json
from typing import Any

from crmkit.store.sqlite.connection import Store
from crmkit.values.datetimes import utc_now

__all__ = ["record_audit", "audit_entries"]


def record_audit(
    store: Store, action: str, contact_id: int | None, user: str | None, detail: Any = None
) -> None:
    """Append one entry; the caller's transaction decides whether it is kept."""
    text = (
        None
        if detail is None
        else detail
        if isinstance(detail, str)
        else json.dumps(detail, ensure_ascii=False)
    )
    store.conn.execute(
        "INSERT INTO audit_log (at, user, action, contact_id, detail) VALUES (?, ?, ?, ?, ?)",
        (utc_now(), user, action, contact_id, text),
    )


def audit_entries(
    store: Store, contact_id: int | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Newest entries first, for one contact or for all."""
    where = "WHERE contact_id = ?" if contact_id is not None else ""
    params: tuple[Any, ...] = (contact_id, limit) if contact_id is not None else (limit,)
    return [
        dict(row)
        for row in store.rows(
            f"SELECT id, at, user, action, contact_id, detail FROM audit_log {where}"
            " ORDER BY id DESC LIMIT ?",
            params,
        )
    ]

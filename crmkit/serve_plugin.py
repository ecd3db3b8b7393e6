"""The Datasette plugin of `crm serve`: the card page, links to it, and `crm_phone()` in SQL.

Registered once per process, it acts only on databases served with crmkit's metadata
(their path is in the `crmkit` plugin settings).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from crmkit.errors import CrmError, InvalidValue

__all__ = ["register"]

_NAME = "crmkit-serve"
_CARD = "/-/card/"


def register() -> None:
    """Add this module's hooks to Datasette's plugins (once)."""
    import sys

    from datasette.plugins import pm

    if not pm.is_registered(sys.modules[__name__]):
        pm.register(sys.modules[__name__], name=_NAME)


def _served_path(datasette: Any) -> str | None:
    config = datasette.plugin_config("crmkit") or {}
    return config.get("path")


@hookimpl
def prepare_connection(conn: sqlite3.Connection, database: str, datasette: Any) -> None:
    """`crm_phone(text)`: a number typed in any usual way, as the base stores it."""
    if _served_path(datasette) is None:
        return
    conn.create_function("crm_phone", 1, _phone, deterministic=True)


def _phone(text: Any) -> str | None:
    from crmkit.values.phones import normalize_phone

    if text is None:
        return None
    try:
        return normalize_phone(str(text))
    except InvalidValue:
        return str(text)


@hookimpl
def render_cell(
    row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any
) -> Any:
    """Contact names (and ids in views and queries) link to the contact's card."""
    if _served_path(datasette) is None or value is None:
        return None
    if table == "contacts" and column == "name":
        contact_id = row["id"]
    elif table in ("contacts_overview", None) and column in ("id", "contact_id"):
        contact_id = value
    else:
        return None
    try:
        number = int(contact_id)
    except (TypeError, ValueError):
        return None
    return Markup(f'<a href="{_CARD}{number}">{escape(str(value))}</a>')


@hookimpl
def register_routes(datasette: Any) -> list[tuple[str, Any]]:
    return [(r"^/-/card/(?P<contact_id>\d+)$", _card_page)]


async def _card_page(request: Any, datasette: Any) -> Response:
    """The contact's HTML card, as `crm show --html` writes it."""
    import crmkit

    path = _served_path(datasette)
    if path is None or not Path(path).exists():
        return Response.html("No crmkit base is served here.", status=404)
    contact_id = int(request.url_vars["contact_id"])
    try:
        with crmkit.open(path, create=False) as crm:
            page = crm.card_html(contact_id)
    except CrmError as exc:
        return Response.html(f"<p>{escape(str(exc))}</p>", status=404)
    return Response.html(page)

"""`crm serve`: the base in a browser, through Datasette (the extra `crmkit[web]`).

Datasette shows the file read-only with metadata made for it: readable titles and
column descriptions, internal tables (the search index, undo and merge bookkeeping)
hidden, `contacts_overview` faceted by stage, city, tags and guardians, canned
queries for caller lookup and a contact's timeline, and a page per contact with its
HTML card (`/-/card/ID`), linked from every contact's name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crmkit.errors import CrmError

__all__ = ["serve_metadata", "make_datasette", "serve", "CARD_ROUTE"]

CARD_ROUTE = "/-/card/"
_HIDDEN = (
    "contacts_fts", "contacts_fts_keys", "import_touches", "merged_contacts", "contact_aliases",
    "merges", "views", "sqlite_stat1", "sqlite_stat4",
)  # fmt: skip
_TABLES: dict[str, dict[str, Any]] = {
    "contacts_overview": {
        "title": "Contacts at a glance",
        "description": "One row per contact: first phone and e-mail, tags and guardians.",
        "facets": ["kind", "stage", "city", {"array": "tags"}, {"array": "guardians"}],
        "sort": "name",
        "columns": {
            "phone": "The first phone number (E.164)",
            "email": "The first e-mail address",
            "tags": "Tags, as a list",
            "guardians": "Guardians (users), as a list",
        },
    },
    "contacts": {
        "title": "Contacts",
        "description": "People and organizations with every field; the name opens the card.",
        "label_column": "name",
        "facets": ["kind", "stage", "city"],
        "sort_desc": "updated_at",
        "columns": {
            "external_id": "Id in the source system",
            "custom": "Custom fields, as JSON",
            "row_digest": "Internal: the digest of the imported row",
        },
    },
    "phones": {"title": "Phone numbers", "facets": ["type"]},
    "emails": {"title": "E-mail addresses", "facets": ["label"]},
    "tags": {"title": "Tags", "label_column": "name"},
    "contact_tags": {"title": "Tags of contacts", "facets": ["tag_id"]},
    "users": {"title": "Users (guardians, observers, agents)", "label_column": "full_name"},
    "contact_users": {"title": "Guardians and observers", "facets": ["role", "user_id"]},
    "custom_fields": {"title": "Custom fields", "label_column": "label"},
    "memberships": {"title": "Memberships of persons in organizations"},
    "events": {"title": "Events (calls, e-mails, meetings, ...)", "facets": ["kind", "direction"]},
    "notes": {"title": "Notes"},
    "files": {"title": "Files", "facets": ["media_type"]},
    "imports": {"title": "Import history", "facets": ["status", "target"]},
    "import_problems": {"title": "Rejected rows and warnings of imports", "facets": ["level"]},
    "history": {"title": "History of changes", "facets": ["action", "source"]},
    "blacklist": {"title": "Blocked phone numbers"},
}
_QUERIES = {
    "caller": {
        "title": "Who is calling?",
        "description": "The contacts that own a phone number, typed in any usual way.",
        "sql": (
            "SELECT c.id, c.name, c.kind, p.number, p.type AS phone_type, c.city, c.stage,"
            " b.reason AS blacklisted\n"
            "FROM phones p JOIN contacts c ON c.id = p.contact_id\n"
            "LEFT JOIN blacklist b ON b.number = p.number\n"
            "WHERE p.number = crm_phone(:number)\nORDER BY c.name"
        ),
    },
    "timeline": {
        "title": "A contact's timeline",
        "description": "Events and profile notes of one contact, newest first.",
        "sql": (
            "SELECT e.occurred_at AS at, e.kind, e.direction, e.duration, e.subject, e.body,"
            " e.channel, u.full_name AS agent\n"
            "FROM events e LEFT JOIN users u ON u.id = e.agent_id\n"
            "WHERE e.contact_id = :contact_id\n"
            "UNION ALL\n"
            "SELECT n.created_at, 'note', NULL, NULL, NULL, n.body, NULL, n.author\n"
            "FROM notes n WHERE n.contact_id = :contact_id AND n.event_id IS NULL\n"
            "ORDER BY at DESC"
        ),
    },
}


def serve_metadata(path: str | Path) -> dict[str, Any]:
    """Datasette's metadata for a base: titles, hidden tables, facets, canned queries."""
    tables: dict[str, dict[str, Any]] = {name: dict(table) for name, table in _TABLES.items()}
    for name in _HIDDEN:
        tables[name] = {"hidden": True}
    return {
        "title": f"crmkit: {Path(path).name}",
        "description": "The customer base, read-only. A contact's name opens its card.",
        "databases": {Path(path).stem: {"tables": tables, "queries": _QUERIES}},
        "plugins": {"crmkit": {"path": str(Path(path).resolve())}},
    }


def make_datasette(path: str | Path) -> Any:
    """A Datasette instance for the base at `path` (which must exist)."""
    try:
        from datasette.app import Datasette
    except ImportError:
        raise CrmError("crm serve needs Datasette: pip install 'crmkit[web]'") from None
    if not Path(path).is_file():
        raise CrmError(f"database {path} does not exist")
    from crmkit import serve_plugin

    serve_plugin.register()
    return Datasette(
        files=[str(path)],
        metadata=serve_metadata(path),
        settings={"default_page_size": 50, "sql_time_limit_ms": 3000, "facet_time_limit_ms": 500},
    )


def serve(path: str | Path, *, host: str = "127.0.0.1", port: int = 8001) -> None:
    """Serve the base until interrupted (Ctrl+C)."""
    import uvicorn

    datasette = make_datasette(path)
    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning")

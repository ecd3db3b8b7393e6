"""The contact card as one self-contained HTML page (`crm show ID --html card.html`).

The page loads nothing from the network: styles are inline, the avatar (if one is
stored) is embedded as a `data:` URI, the Gravatar address is printed as text, and a
Content-Security-Policy forbids any other source. Every value is escaped.
"""

from __future__ import annotations

import os
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crmkit.card_data import DETAIL_FIELDS, period_text, phone_text, size_text
from crmkit.errors import CrmError
from crmkit.timeline import format_duration

if TYPE_CHECKING:
    from crmkit.card_sections import CardSection

__all__ = ["card_html", "write_card_html"]

_STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;
background:#f4f5f7;color:#1d2430}
main{max-width:920px;margin:24px auto;padding:0 16px}
section{background:#fff;border-radius:10px;box-shadow:0 1px 3px rgba(0,0,0,.08);
padding:16px 20px;margin-bottom:16px}
header{display:flex;gap:18px;align-items:center}
header img{width:84px;height:84px;border-radius:50%;object-fit:cover}
.initials{width:84px;height:84px;border-radius:50%;background:#3b5bdb;color:#fff;display:flex;
align-items:center;justify-content:center;font-size:30px;font-weight:600}
h1{margin:0;font-size:24px}h2{font-size:16px;margin:0 0 10px;color:#3b5bdb}
.kind{color:#68707d;font-size:13px}.tag{display:inline-block;background:#ffe8a3;border-radius:10px;
padding:1px 9px;margin:4px 4px 0 0;font-size:13px}.vip{background:#ffc9c9}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:4px 8px;
border-bottom:1px solid #eceef1}th{color:#68707d;font-weight:500;white-space:nowrap}
td.when{white-space:nowrap;font-variant-numeric:tabular-nums}
.note td{color:#495057;font-style:italic}
.muted{color:#868e96}pre{white-space:pre-wrap;margin:0;font:inherit}
"""
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def card_html(
    data: dict[str, Any],
    custom_rows: list[tuple[str, str]],
    avatar_uri: str | None,
    sections: list[CardSection] | None = None,
) -> str:
    """The page for `card_data(...)`; `avatar_uri` is a `data:` URI or None; `sections`
    the tables of `card_sections(...)`."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(data.get('name') or 'Contact')} — crmkit</title>",
        f"<style>{_STYLE}</style></head><body><main>",
        _profile(data, avatar_uri),
        _pairs("Details", _detail_rows(data)),
    ]
    if custom_rows:
        parts.append(_pairs("Custom fields", custom_rows))
    if data.get("consents"):
        rows = [
            (c["channel"], f"{c['state']} ({c['basis']}, {c['at'][:10]})") for c in data["consents"]
        ]
        parts.append(_pairs("Consents (RODO)", rows))
    parts.extend(_section(section) for section in sections or [])
    parts.append(_files(data.get("files") or []))
    parts.append(_timeline(data))
    parts.append("</main></body></html>\n")
    return "\n".join(parts)


def write_card_html(path: str | Path, html: str) -> Path:
    """Write the page (whole or not at all)."""
    target = Path(path)
    if target.is_dir():
        raise CrmError(f"{target} is a folder; give a file name such as card.html")
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.write_text(html, encoding="utf-8")
        os.replace(partial, target)
    except FileNotFoundError:
        raise CrmError(f"folder {target.parent} does not exist") from None
    except OSError as exc:
        raise CrmError(f"cannot write {target}: {exc.strerror}") from None
    finally:
        if partial.exists():
            partial.unlink()
    return target


def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _muted(text: str) -> str:
    return f'<span class="muted">{_e(text)}</span>'


def _profile(data: dict[str, Any], avatar_uri: str | None) -> str:
    name = data.get("name") or "(no name)"
    if avatar_uri and avatar_uri.startswith("data:image/"):
        picture = f'<img src="{_e(avatar_uri)}" alt="">'
    else:
        initials = "".join(word[0] for word in name.split()[:2]).upper() or "?"
        picture = f'<div class="initials">{_e(initials)}</div>'
    tags = "".join(f'<span class="tag">{_e(tag)}</span>' for tag in data.get("tags") or [])
    if data.get("vip"):
        tags = '<span class="tag vip">VIP</span>' + tags
    rows: list[tuple[str, str]] = []
    if data.get("position"):
        rows.append(("Position", _e(data["position"])))
    phones = [
        _e(phone_text(phone["number"]))
        + " "
        + _muted("(" + (phone["label"] or phone["type"]) + ")")
        for phone in data.get("phones") or []
    ]
    if phones:
        rows.append(("Phones", "<br>".join(phones)))
    emails = [
        _e(e["address"]) + (" " + _muted("(" + e["label"] + ")") if e.get("label") else "")
        for e in data.get("emails") or []
    ]
    if emails:
        rows.append(("E-mails", "<br>".join(emails)))
    address = data.get("address") or {}
    town = " ".join(part for part in (address.get("postal_code"), address.get("city")) if part)
    lines = [
        address.get("street"),
        address.get("street2"),
        town,
        address.get("region"),
        address.get("country"),
    ]
    if any(lines):
        rows.append(("Address", "<br>".join(_e(line) for line in lines if line)))
    for label, key in (("Guardians", "guardians"), ("Observers", "observers")):
        if data.get(key):
            rows.append((label, _e(", ".join(data[key]))))
    key = "organizations" if data["kind"] == "person" else "members"
    links = data.get(key) or []
    if links:
        rows.append(
            (
                "Organizations" if key == "organizations" else "Members",
                "<br>".join(
                    _e(link["name"])
                    + " "
                    + _muted(f"#{link['id']}, {period_text(link['since'], link['until'])}")
                    for link in links
                ),
            )
        )
    gravatar = (data.get("avatar") or {}).get("gravatar")
    if gravatar:
        rows.append(("Gravatar", _muted(gravatar)))
    table = "".join(f"<tr><th>{_e(label)}</th><td>{value}</td></tr>" for label, value in rows)
    return (
        f"<section><header>{picture}<div><h1>{_e(name)}</h1>"
        f'<div class="kind">{_e(data["kind"])} #{_e(data["id"])}</div>'
        f"<div>{tags}</div></div></header>"
        f"<table>{table}</table></section>"
    )


def _detail_rows(data: dict[str, Any]) -> list[tuple[str, str]]:
    rows = []
    for key in DETAIL_FIELDS:
        value = data.get(key)
        if value is None or value == "" or value is False:
            continue
        rows.append((key.replace("_", " "), "yes" if value is True else str(value)))
    return rows


def _pairs(title: str, rows: list[tuple[str, str]]) -> str:
    if not rows:
        return ""
    body = "".join(
        f"<tr><th>{_e(label)}</th><td><pre>{_e(value)}</pre></td></tr>" for label, value in rows
    )
    return f"<section><h2>{_e(title)}</h2><table>{body}</table></section>"


def _section(section: CardSection) -> str:
    head = "<tr>" + "".join(f"<th>{_e(header)}</th>" for header in section.headers) + "</tr>"
    rows = "".join(
        "<tr>" + "".join(f"<td><pre>{_e(cell)}</pre></td>" for cell in row) + "</tr>"
        for row in section.rows
    )
    return f"<section><h2>{_e(section.title)}</h2><table>{head}{rows}</table></section>"


def _files(files: list[dict[str, Any]]) -> str:
    if not files:
        return '<section><h2>Files</h2><p class="muted">No files.</p></section>'
    rows = "".join(
        f"<tr><td>{_e(f['id'])}</td><td>{_e(f['name'])}</td><td>{_e(size_text(f['size']))}</td>"
        f"<td>{_e(f['media_type'])}</td>"
        f"<td>{_e('note ' + str(f['note_id']) if f.get('note_id') else 'profile')}</td>"
        f'<td class="when">{_e(f["created_at"])}</td></tr>'
        for f in files
    )
    head = (
        "<tr>"
        + "".join(
            f"<th>{name}</th>" for name in ("id", "name", "size", "type", "attached to", "added")
        )
        + "</tr>"
    )
    return f"<section><h2>Files</h2><table>{head}{rows}</table></section>"


def _timeline(data: dict[str, Any]) -> str:
    items = data.get("timeline") or []
    if not items:
        return '<section><h2>Timeline</h2><p class="muted">Nothing yet.</p></section>'
    rows = []
    for item in items:
        who = item.get("contact_name") if item.get("contact_id") != data["id"] else ""
        if item["type"] == "note":
            rows.append(
                _timeline_row(
                    item["occurred_at"], "note", who, item.get("author"), item.get("body")
                )
            )
            continue
        what = item["kind"] + (f" {item['direction']}" if item.get("direction") else "")
        if item.get("duration") is not None:
            what += f" {format_duration(item['duration'])}"
        text = " — ".join(part for part in (item.get("subject"), item.get("body")) if part)
        if item.get("channel"):
            text = f"[{item['channel']}] {text}".strip()
        rows.append(_timeline_row(item["occurred_at"], what, who, item.get("agent"), text))
        for note in item.get("notes") or []:
            rows.append(
                _timeline_row("", "↳ note", "", note.get("author"), note.get("body"), css="note")
            )
    head = "<tr><th>when</th><th>what</th><th>who</th><th>agent</th><th>subject / text</th></tr>"
    title = f"Timeline (latest {len(items)})"
    return f"<section><h2>{title}</h2><table>{head}{''.join(rows)}</table></section>"


def _timeline_row(
    when: str, what: str, who: str | None, agent: str | None, text: str | None, css: str = ""
) -> str:
    attribute = f' class="{css}"' if css else ""
    return (
        f'<tr{attribute}><td class="when">{_e(when)}</td><td>{_e(what)}</td><td>{_e(who)}</td>'
        f"<td>{_e(agent)}</td><td><pre>{_e(text)}</pre></td></tr>"
    )

"""The contact card in the terminal (`crm show ID`), drawn with rich.

Every value from the database goes into `rich.text.Text` objects, never into
markup strings, so a name such as `[bold]x[/]` prints as typed.
"""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Any

from rich import box
from rich.console import Console, Group
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from crmkit.card_data import DETAIL_FIELDS, period_text, phone_text, size_text
from crmkit.timeline import format_duration

if TYPE_CHECKING:
    from crmkit.card_sections import CardSection

__all__ = ["render_card", "card_text"]

_MEMBERS_SHOWN = 20
_BODY_CHARS = 160


def render_card(
    data: dict[str, Any],
    custom_rows: list[tuple[str, str]],
    *,
    file: IO[str] | None = None,
    width: int | None = None,
    sections: list[CardSection] | None = None,
) -> None:
    """Print the card of `card_data(...)` to a terminal (or to `file`), with the tables
    of `card_sections(...)` after the custom fields."""
    console = Console(file=file, width=width, highlight=False, soft_wrap=False)
    console.print(_profile(data))
    console.print(_details(data))
    if custom_rows:
        console.print(_pairs_table("Custom fields", custom_rows))
    if data.get("consents"):
        rows = [
            (c["channel"], f"{c['state']} ({c['basis']}, {c['at'][:10]})") for c in data["consents"]
        ]
        console.print(_pairs_table("Consents (RODO)", rows))
    for section in sections or []:
        console.print(_section_table(section))
    console.print(_files(data))
    console.print(_timeline(data))
    console.print(_history(data))


def card_text(
    data: dict[str, Any],
    custom_rows: list[tuple[str, str]],
    width: int = 100,
    sections: list[CardSection] | None = None,
) -> str:
    """The card as plain text (no colours), e.g. for tests and e-mails."""
    import io

    buffer = io.StringIO()
    render_card(data, custom_rows, file=buffer, width=width, sections=sections)
    return buffer.getvalue()


def _profile(data: dict[str, Any]) -> Panel:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold cyan", no_wrap=True)
    grid.add_column(overflow="fold")
    if data.get("tags"):
        tags = Text()
        for index, tag in enumerate(data["tags"]):
            if index:
                tags.append("  ")
            tags.append(tag, style="bold black on yellow")
        grid.add_row("Tags", tags)
    if data.get("position"):
        grid.add_row("Position", Text(data["position"]))
    phones = [
        f"{phone_text(p['number'])} ({p['label'] or p['type']})" for p in data.get("phones") or []
    ]
    if phones:
        grid.add_row("Phones", Text("\n".join(phones)))
    emails = [
        e["address"] + (f" ({e['label']})" if e.get("label") else "")
        for e in data.get("emails") or []
    ]
    if emails:
        grid.add_row("E-mails", Text("\n".join(emails)))
    address = _address(data.get("address") or {})
    if address:
        grid.add_row("Address", Text(address))
    for label, key in (("Guardians", "guardians"), ("Observers", "observers")):
        if data.get(key):
            grid.add_row(label, Text(", ".join(data[key])))
    links_key = "organizations" if data["kind"] == "person" else "members"
    links = data.get(links_key) or []
    if links:
        shown = [
            f"{link['name']} (#{link['id']}), {period_text(link['since'], link['until'])}"
            for link in links[:_MEMBERS_SHOWN]
        ]
        if len(links) > _MEMBERS_SHOWN:
            shown.append(f"... and {len(links) - _MEMBERS_SHOWN} more")
        grid.add_row(
            "Organizations" if links_key == "organizations" else "Members", Text("\n".join(shown))
        )
    avatar = data.get("avatar") or {}
    if avatar.get("file_id"):
        grid.add_row("Avatar", Text(f"file {avatar['file_id']}"))
    elif avatar.get("gravatar"):
        grid.add_row("Avatar", Text(avatar["gravatar"]))
    title = Text(data.get("name") or "(no name)", style="bold")
    title.append(f"  {data['kind']} #{data['id']}", style="dim")
    if data.get("vip"):
        title.append("  VIP", style="bold red")
    return Panel(grid, title=title, title_align="left", box=box.ROUNDED, expand=True)


def _address(address: dict[str, Any]) -> str:
    town = " ".join(part for part in (address.get("postal_code"), address.get("city")) if part)
    parts = [
        address.get("street"),
        address.get("street2"),
        town,
        address.get("region"),
        address.get("country"),
    ]
    return ", ".join(part for part in parts if part)


def _details(data: dict[str, Any]) -> Table:
    rows: list[tuple[str, str]] = []
    for key in DETAIL_FIELDS:
        if key not in data:
            continue
        value = data[key]
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            if not value:
                continue
            value = "yes"
        rows.append((key.replace("_", " "), str(value)))
    return _pairs_table("Details", rows)


def _pairs_table(title: str, rows: list[tuple[str, str]]) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE, show_header=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for label, value in rows:
        table.add_row(Text(label), Text(value))
    return table


def _section_table(section: CardSection) -> Table:
    table = Table(title=section.title, title_justify="left", box=box.SIMPLE, expand=True)
    for header in section.headers:
        table.add_column(header, overflow="fold")
    for row in section.rows:
        table.add_row(*(Text(_short(cell)) for cell in row))
    return table


def _files(data: dict[str, Any]) -> Group | Table:
    files = data.get("files") or []
    if not files:
        return Group(Text("Files: none", style="dim"))
    table = Table(title="Files", title_justify="left", box=box.SIMPLE, expand=True)
    table.add_column("id", no_wrap=True)
    table.add_column("name", overflow="fold", ratio=1, min_width=12)
    table.add_column("size", no_wrap=True, justify="right")
    table.add_column("type", overflow="fold", max_width=24)
    table.add_column("attached to", no_wrap=True)
    table.add_column("added", no_wrap=True)
    for info in files:
        where = f"note {info['note_id']}" if info.get("note_id") else "profile"
        table.add_row(
            str(info["id"]),
            Text(info["name"]),
            size_text(info["size"]),
            Text(info["media_type"]),
            where,
            info["created_at"][:10],
        )
    return table


def _timeline(data: dict[str, Any]) -> Group:
    """A feed: one headline per item (when, what, who), its text indented below."""
    items = data.get("timeline") or []
    if not items:
        return Group(Text("Timeline: nothing yet", style="dim"))
    parts: list[Any] = [Text(f"Timeline (latest {len(items)})", style="italic"), Text("")]
    for item in items:
        headline = Text(item["occurred_at"], style="bold")
        headline.append("  ")
        people: list[str] = []
        if item.get("contact_id") != data["id"]:
            people.append(item.get("contact_name") or "")
        if item["type"] == "note":
            headline.append("note", style="magenta")
            if item.get("author"):
                people.append(f"by {item['author']}")
            text = item.get("body")
        else:
            what = item["kind"] + (f" {item['direction']}" if item.get("direction") else "")
            if item.get("duration") is not None:
                what += f" {format_duration(item['duration'])}"
            headline.append(what, style="green")
            if item.get("agent"):
                people.append(f"agent {item['agent']}")
            text = " — ".join(part for part in (item.get("subject"), item.get("body")) if part)
            if item.get("channel"):
                text = f"[{item['channel']}] {text}".rstrip()
        for person in people:
            headline.append(" · ", style="dim")
            headline.append(person)
        parts.append(Padding(headline, (0, 0, 0, 2)))
        if text:
            parts.append(Padding(Text(_short(text)), (0, 0, 0, 6)))
        for note in item.get("notes") or []:
            line = Text("↳ note", style="magenta")
            if note.get("author"):
                line.append(f" by {note['author']}", style="dim")
            line.append(": ")
            line.append(_short(note["body"]), style="italic")
            parts.append(Padding(line, (0, 0, 0, 6)))
    return Group(*parts)


def _history(data: dict[str, Any]) -> Group:
    """The latest changes: when, who and from where, then what changed."""
    entries = data.get("history") or []
    if not entries:
        return Group(Text("History: nothing recorded", style="dim"))
    parts: list[Any] = [
        Text(f"History (latest {len(entries)}; `crm history {data['id']}` for all)", style="italic")
    ]
    for entry in entries:
        headline = Text(entry["at"], style="bold")
        headline.append(f"  {entry['action']}", style="cyan")
        headline.append(f" · {entry['source']}", style="dim")
        if entry.get("user"):
            headline.append(f" · {entry['user']}")
        parts.append(Padding(headline, (0, 0, 0, 2)))
        if entry.get("summary"):
            parts.append(Padding(Text(_short(entry["summary"])), (0, 0, 0, 6)))
    return Group(*parts)


def _short(text: str | None) -> str:
    if not text:
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= _BODY_CHARS else flat[: _BODY_CHARS - 1] + "…"

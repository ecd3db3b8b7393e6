"""`crm show`, `crm timeline`, and the `event`, `note`, `file` and `avatar` commands."""

from __future__ import annotations

import sys
from enum import Enum
from typing import Any

import typer

from crmkit.cli.app import get_crm
from crmkit.cli.output import OutputFormat, dump_json, emit

__all__ = ["register"]

event_app = typer.Typer(help="Events on a contact's timeline: `crm event add`, `crm event delete`.")
note_app = typer.Typer(help="Notes on a profile or on an event: `crm note add`, `crm note delete`.")
file_app = typer.Typer(help="Files attached to contacts and notes.")
avatar_app = typer.Typer(help="A contact's picture: `crm avatar set ID PATH`.")


class CardFormat(str, Enum):
    table = "table"
    json = "json"


def show(
    ctx: typer.Context,
    contact_id: int = typer.Argument(..., metavar="ID"),
    fmt: CardFormat = typer.Option(CardFormat.table, "--format", "-f", help="table (the card) or json."),
    html: str = typer.Option(None, "--html", help="Write the card as one self-contained HTML page."),
) -> None:
    """The contact card: profile, details, custom fields, files and the latest timeline.

    Example: `crm show 7`, `crm show 7 --html card.html`
    """
    crm = get_crm(ctx)
    if html:
        crm.card_html(contact_id, html)
        typer.echo(f"Wrote the card of contact {contact_id} to {html}.")
        return
    data = crm.card(contact_id)
    if fmt is CardFormat.json:
        typer.echo(dump_json(data))
        return
    from crmkit.card import render_card
    from crmkit.card_data import custom_field_rows

    render_card(data, custom_field_rows(crm.store, data))


def timeline(
    ctx: typer.Context,
    contact_id: int = typer.Argument(..., metavar="ID"),
    kind: list[str] = typer.Option(None, "--kind", "-k", help="Only these kinds: call,email,... (repeatable)."),
    since: str = typer.Option(None, "--since", help="From this date/time (inclusive)."),
    until: str = typer.Option(None, "--until", help="Before this date/time (exclusive)."),
    limit: int = typer.Option(None, "--limit", "-n", help="At most N items (the newest)."),
    agent: str = typer.Option(None, "--agent", help="Only events of this agent (and notes by this user)."),
    channel: str = typer.Option(None, "--channel", help="Only events of this channel (queue, campaign, mailbox)."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", "-f"),
) -> None:
    """Events and notes, newest first; an organization's includes its members' events
    from the periods they were members.

    Example: `crm timeline 3 --kind call --since 2024-01-01 --limit 50`
    """
    from crmkit.cli.timeline_print import write_timeline

    items = get_crm(ctx).timeline(
        contact_id, kinds=kind or None, since=since, until=until, limit=limit, agent=agent, channel=channel
    )
    write_timeline(items, fmt.value, sys.stdout, contact_id=contact_id)


@event_app.command("add")
def event_add(
    ctx: typer.Context,
    contact_id: int = typer.Argument(..., metavar="ID"),
    kind: str = typer.Option(..., "--kind", "-k", help="call, email, sms, chat, meeting, ticket, task, note, order, other."),
    at: str = typer.Option(None, "--at", help="When it happened (default: now); naive times are CRM_TIMEZONE."),
    direction: str = typer.Option(None, "--direction", help="in or out."),
    duration: str = typer.Option(None, "--duration", help="Seconds, or [h:]mm:ss."),
    subject: str = typer.Option(None, "--subject"),
    body: str = typer.Option(None, "--body"),
    channel: str = typer.Option(None, "--channel", help="Queue, campaign or mailbox."),
    agent: str = typer.Option(None, "--agent", help="Full name of the user who handled it."),
    external_id: str = typer.Option(None, "--external-id", help="Id in the source system (unique)."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", "-f"),
) -> None:
    """Log an event: `crm event add 7 --kind call --at "2024-03-05 14:30" --direction in --duration 1:35`."""
    item = get_crm(ctx).add_event(
        contact_id,
        kind,
        at=at,
        direction=direction,
        duration=duration,
        subject=subject,
        body=body,
        channel=channel,
        agent=agent,
        external_id=external_id,
    )
    if _structured(fmt):
        typer.echo(dump_json(item))
    else:
        typer.echo(f"Logged {item['kind']} {item['id']} for {item['contact_name']} at {item['occurred_at']}.")


@event_app.command("delete")
def event_delete(ctx: typer.Context, event_id: int = typer.Argument(..., metavar="EVENT_ID")) -> None:
    """Delete an event with its notes."""
    item = get_crm(ctx).delete_event(event_id)
    notes = len(item["notes"])
    extra = f" and {notes} note{'s' if notes != 1 else ''}" if notes else ""
    typer.echo(f"Deleted {item['kind']} {event_id} of {item['contact_name']}{extra}.")


@note_app.command("add")
def note_add(
    ctx: typer.Context,
    contact_id: int = typer.Argument(..., metavar="ID"),
    text: str = typer.Argument(..., help="The note."),
    event_id: int = typer.Option(None, "--event", help="Put the note on this event."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", "-f"),
) -> None:
    """Add a note (author: --as / CRM_USER): `crm note add 7 "Oddzwonić jutro" --event 12`."""
    note = get_crm(ctx).add_note(contact_id, text, event_id=event_id)
    if _structured(fmt):
        typer.echo(dump_json(note))
        return
    where = f"event {event_id} of {note['contact_name']}" if event_id else note["contact_name"]
    typer.echo(f"Added note {note['id']} to {where}.")


@note_app.command("delete")
def note_delete(ctx: typer.Context, note_id: int = typer.Argument(..., metavar="NOTE_ID")) -> None:
    """Delete a note and the files attached to it."""
    note = get_crm(ctx).delete_note(note_id)
    typer.echo(f"Deleted note {note_id} of {note['contact_name']}.")


@file_app.command("add")
def file_add(
    ctx: typer.Context,
    contact_id: int = typer.Argument(..., metavar="ID"),
    path: str = typer.Argument(..., metavar="PATH"),
    note_id: int = typer.Option(None, "--note", help="Attach it to this note of the contact."),
    name: str = typer.Option(None, "--name", help="Store it under this name (default: the file's)."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", "-f"),
) -> None:
    """Attach a file: `crm file add 7 umowa.pdf`."""
    info = get_crm(ctx).add_file(contact_id, path, note_id=note_id, name=name)
    if _structured(fmt):
        typer.echo(dump_json(info))
        return
    from crmkit.card_data import size_text

    kept = " (the same content was already stored; it is kept once)" if info["already_stored"] else ""
    typer.echo(
        f"Stored {info['name']} ({size_text(info['size'])}, {info['media_type']}) as file {info['id']}{kept}."
    )


@file_app.command("list")
def file_list(
    ctx: typer.Context,
    contact_id: int = typer.Argument(..., metavar="ID"),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", "-f"),
) -> None:
    """A contact's files."""
    files = get_crm(ctx).files(contact_id)
    if fmt is OutputFormat.table and not files:
        typer.echo(f"Contact {contact_id} has no files.")
        return
    columns = ["id", "name", "size", "media_type", "note_id", "avatar", "created_at", "sha256"]
    emit(files, fmt, columns if not _structured(fmt) else None)


@file_app.command("get")
def file_get(
    ctx: typer.Context,
    file_id: int = typer.Argument(..., metavar="FILE_ID"),
    output: str = typer.Option(None, "--output", "-o", help="Where to write it (- for stdout; default: its name here)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> None:
    """Write a stored file out: `crm file get 3 -o umowa.pdf`."""
    crm = get_crm(ctx)
    if output == "-":
        stream = typer.get_binary_stream("stdout")
        crm.get_file(file_id, stream)
        stream.flush()
        return
    info = crm.get_file(file_id, output, overwrite=force)
    typer.echo(f"Wrote {info['name']} to {info['path']}.", err=True)


@file_app.command("delete")
def file_delete(ctx: typer.Context, file_id: int = typer.Argument(..., metavar="FILE_ID")) -> None:
    """Remove a file (its content goes too unless another file has the same bytes)."""
    info = get_crm(ctx).delete_file(file_id)
    typer.echo(f"Deleted file {file_id} ({info['name']}).")


@file_app.command("prune")
def file_prune(ctx: typer.Context) -> None:
    """Remove stored contents that no file refers to (left behind by deleted contacts)."""
    removed = get_crm(ctx).prune_files()
    typer.echo(f"Removed {removed} unreferenced stored file{'s' if removed != 1 else ''}.")


@avatar_app.command("set")
def avatar_set(
    ctx: typer.Context,
    contact_id: int = typer.Argument(..., metavar="ID"),
    path: str = typer.Argument(..., metavar="PATH"),
) -> None:
    """Store a PNG, JPEG, GIF or WebP image as the contact's picture."""
    info = get_crm(ctx).set_avatar(contact_id, path)
    typer.echo(f"Set the avatar of contact {contact_id} (file {info['id']}, {info['media_type']}).")


@avatar_app.command("clear")
def avatar_clear(ctx: typer.Context, contact_id: int = typer.Argument(..., metavar="ID")) -> None:
    """Remove the picture; the card shows the Gravatar of the first e-mail instead."""
    removed = get_crm(ctx).clear_avatar(contact_id)
    typer.echo("Removed the avatar." if removed else f"Contact {contact_id} has no avatar.")


def _structured(fmt: Any) -> bool:
    return fmt in (OutputFormat.json, OutputFormat.jsonl)


def register(app: typer.Typer) -> None:
    app.command("show")(show)
    app.command("timeline")(timeline)
    app.add_typer(event_app, name="event")
    app.add_typer(note_app, name="note")
    app.add_typer(file_app, name="file")
    app.add_typer(avatar_app, name="avatar")

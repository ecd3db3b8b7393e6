"""`crm show`, `crm timeline`, and the `event`, `note`, `file` and `avatar` commands."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from crmkit.cli.app import get_crm
from crmkit.cli.output import OutputFormat, dump_json, emit

if TYPE_CHECKING:
    from crmkit import CRM

__all__ = ["register"]

event_app = typer.Typer(help="Events on a contact's timeline: `crm event add`, `crm event delete`.")
note_app = typer.Typer(help="Notes on a profile or on an event: `crm note add`, `crm note delete`.")
file_app = typer.Typer(help="Files attached to contacts and notes.")
avatar_app = typer.Typer(help="A contact's picture: `crm avatar set ID PATH`.")


ContactId = Annotated[int, typer.Argument(metavar="ID", help="The contact's id.")]
Format = Annotated[OutputFormat, typer.Option("--format", "-f", help="table, csv, json or jsonl.")]


def show(
    ctx: typer.Context,
    contact_id: ContactId,
    fmt: Annotated[
        OutputFormat,
        typer.Option("--format", "-f", help="table (the card), json/jsonl (one object) or csv."),
    ] = OutputFormat.table,
    html: Annotated[
        str | None, typer.Option("--html", help="Write the card as one self-contained HTML page.")
    ] = None,
) -> None:
    """The contact card: profile, details, custom fields, files and the latest timeline.

    Example: `crm show 7`, `crm show 7 --html card.html`
    """
    from crmkit.errors import MergedContact

    try:
        _show(get_crm(ctx, create=False), contact_id, fmt, html)
    except MergedContact as merged:
        # Not an error: the contact lives on in the one it was merged into.
        if _structured(fmt):
            typer.echo(dump_json({"id": contact_id, "merged_into": merged.into}))
        else:
            typer.echo(
                f"Contact {contact_id} was merged into {merged.into} (`crm show {merged.into}`)."
            )


def _show(crm: CRM, contact_id: int, fmt: OutputFormat, html: str | None) -> None:
    if html:
        crm.card_html(contact_id, html)
        typer.echo(f"Wrote the card of contact {contact_id} to {html}.")
        return
    if fmt is OutputFormat.table:
        crm.show_card(contact_id)
        return
    data = crm.card(contact_id)
    if _structured(fmt):
        typer.echo(dump_json(data))
        return
    record = {key: value for key, value in data.items() if key not in _CARD_EXTRAS}
    emit([record], fmt)


_CARD_EXTRAS = ("timeline", "files", "avatar", "history", "consents")


def timeline(
    ctx: typer.Context,
    contact_id: ContactId,
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", "-k", help="Only these kinds: call,email,... (repeatable)."),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="From this date/time (inclusive).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Before this date/time (exclusive).")
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", help="At most N items (the newest).")
    ] = None,
    agent: Annotated[
        str | None, typer.Option("--agent", help="Only events of this agent (and notes by them).")
    ] = None,
    channel: Annotated[
        str | None, typer.Option("--channel", help="Only events of this queue, campaign, mailbox.")
    ] = None,
    case: Annotated[
        int | None, typer.Option("--case", help="Only the events and notes of this case.")
    ] = None,
    fmt: Format = OutputFormat.table,
) -> None:
    """Events and notes, newest first; an organization's includes its members' events
    from the periods they were members.

    Example: `crm timeline 3 --kind call --since 2024-01-01 --limit 50`
    """
    from crmkit.cli.timeline_print import write_timeline

    items = get_crm(ctx, create=False).timeline(
        contact_id,
        kinds=kind or None,
        since=since,
        until=until,
        limit=limit,
        agent=agent,
        channel=channel,
        case=case,
    )
    records = [item.to_record() for item in items]
    write_timeline(records, fmt.value, sys.stdout, contact_id=contact_id)


@event_app.command("add")
def event_add(
    ctx: typer.Context,
    contact_id: ContactId,
    kind: Annotated[
        str, typer.Option("--kind", "-k", help="call, email, sms, chat, meeting, ticket, task, ...")
    ],
    at: Annotated[
        str | None, typer.Option("--at", help="When (default now); naive times are CRM_TIMEZONE.")
    ] = None,
    direction: Annotated[str | None, typer.Option("--direction", help="in or out.")] = None,
    duration: Annotated[
        str | None, typer.Option("--duration", help="Seconds, or [h:]mm:ss.")
    ] = None,
    subject: Annotated[str | None, typer.Option("--subject")] = None,
    body: Annotated[str | None, typer.Option("--body")] = None,
    channel: Annotated[
        str | None, typer.Option("--channel", help="Queue, campaign or mailbox.")
    ] = None,
    agent: Annotated[
        str | None, typer.Option("--agent", help="Full name of the user who handled it.")
    ] = None,
    external_id: Annotated[
        str | None, typer.Option("--external-id", help="Id in the source system (unique).")
    ] = None,
    case: Annotated[int | None, typer.Option("--case", help="Part of this open case.")] = None,
    fmt: Format = OutputFormat.table,
) -> None:
    """Log an event: `crm event add 7 --kind call --at "2024-03-05 14:30" --duration 1:35`."""
    item = get_crm(ctx).events.add(
        contact_id,
        kind=kind,
        at=at,
        direction=direction,
        duration=duration,
        subject=subject,
        body=body,
        channel=channel,
        agent=agent,
        external_id=external_id,
        case=case,
    )
    if _structured(fmt):
        typer.echo(dump_json(item.to_record()))
        return
    typer.echo(f"Logged {item.kind} {item.id} for {item.contact_name} at {item.occurred_at}.")


@event_app.command("delete")
def event_delete(
    ctx: typer.Context, event_id: Annotated[int, typer.Argument(metavar="EVENT_ID")]
) -> None:
    """Delete an event with its notes."""
    item = get_crm(ctx).events.delete(event_id)
    count = len(item.notes)
    extra = f" and {count} note{'s' if count != 1 else ''}" if count else ""
    typer.echo(f"Deleted {item.kind} {event_id} of {item.contact_name}{extra}.")


@note_app.command("add")
def note_add(
    ctx: typer.Context,
    contact_id: ContactId,
    text: Annotated[str, typer.Argument(metavar="TEXT", help="The note.")],
    event_id: Annotated[
        int | None, typer.Option("--event", help="Put the note on this event.")
    ] = None,
    case: Annotated[int | None, typer.Option("--case", help="Part of this open case.")] = None,
    fmt: Format = OutputFormat.table,
) -> None:
    """Add a note (author: --as / CRM_USER): `crm note add 7 "Oddzwonić jutro" --event 12`."""
    note = get_crm(ctx).notes.add(contact_id, text, event_id=event_id, case=case)
    if _structured(fmt):
        typer.echo(dump_json(note.to_record()))
        return
    where = f"event {event_id} of {note.contact_name}" if event_id else note.contact_name
    typer.echo(f"Added note {note.id} to {where}.")


@note_app.command("delete")
def note_delete(
    ctx: typer.Context, note_id: Annotated[int, typer.Argument(metavar="NOTE_ID")]
) -> None:
    """Delete a note and the files attached to it."""
    note = get_crm(ctx).notes.delete(note_id)
    typer.echo(f"Deleted note {note_id} of {note.contact_name}.")


@file_app.command("add")
def file_add(
    ctx: typer.Context,
    contact_id: ContactId,
    path: Annotated[str, typer.Argument(metavar="PATH", help="The file to attach.")],
    note_id: Annotated[
        int | None, typer.Option("--note", help="Attach it to this note of the contact.")
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Store it under this name (default: its own).")
    ] = None,
    fmt: Format = OutputFormat.table,
) -> None:
    """Attach a file: `crm file add 7 umowa.pdf`."""
    info = get_crm(ctx).files.add(contact_id, path, note_id=note_id, name=name)
    if _structured(fmt):
        typer.echo(dump_json(info.to_record()))
        return
    from crmkit.card_data import size_text

    kept = " (the same content was already stored; it is kept once)" if info.already_stored else ""
    typer.echo(
        f"Stored {info.name} ({size_text(info.size)}, {info.media_type}) as file {info.id}{kept}."
    )


@file_app.command("list")
def file_list(ctx: typer.Context, contact_id: ContactId, fmt: Format = OutputFormat.table) -> None:
    """A contact's files (the avatar too)."""
    files = [info.to_record() for info in get_crm(ctx, create=False).files.list(contact_id)]
    if fmt is OutputFormat.table and not files:
        typer.echo(f"Contact {contact_id} has no files.")
        return
    columns = ["id", "name", "size", "media_type", "note_id", "avatar", "created_at", "sha256"]
    emit(files, fmt, None if _structured(fmt) else columns)


@file_app.command("get")
def file_get(
    ctx: typer.Context,
    file_id: Annotated[int, typer.Argument(metavar="FILE_ID")],
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", help="Where to write it; - for stdout (default: its name)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a stored file out: `crm file get 3 -o umowa.pdf`."""
    crm = get_crm(ctx, create=False)
    if output == "-":
        stream = typer.get_binary_stream("stdout")
        crm.files.save(file_id, stream)
        stream.flush()
        return
    info = crm.files.save(file_id, output, overwrite=force)
    typer.echo(f"Wrote {info.name} to {info.path}.", err=True)


@file_app.command("delete")
def file_delete(
    ctx: typer.Context, file_id: Annotated[int, typer.Argument(metavar="FILE_ID")]
) -> None:
    """Remove a file (its content goes too unless another file has the same bytes)."""
    info = get_crm(ctx).files.delete(file_id)
    typer.echo(f"Deleted file {file_id} ({info.name}).")


@file_app.command("prune")
def file_prune(ctx: typer.Context) -> None:
    """Remove stored contents no file refers to (left behind by deleted contacts)."""
    removed = get_crm(ctx).files.prune()
    typer.echo(f"Removed {removed} unreferenced stored file{'s' if removed != 1 else ''}.")


@avatar_app.command("set")
def avatar_set(
    ctx: typer.Context,
    contact_id: ContactId,
    path: Annotated[str, typer.Argument(metavar="PATH", help="A PNG, JPEG, GIF or WebP image.")],
) -> None:
    """Store an image as the contact's picture (replacing the previous one)."""
    info = get_crm(ctx).files.set_avatar(contact_id, path)
    typer.echo(f"Set the avatar of contact {contact_id} (file {info.id}, {info.media_type}).")


@avatar_app.command("clear")
def avatar_clear(ctx: typer.Context, contact_id: ContactId) -> None:
    """Remove the picture; the card shows the Gravatar of the first e-mail instead."""
    removed = get_crm(ctx).files.clear_avatar(contact_id)
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

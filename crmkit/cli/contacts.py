"""`crm init`, `crm backup`, `crm dump`, `crm restore`, `crm add`, `crm edit`, `crm delete`
and `crm link`."""

from __future__ import annotations

import typer

from crmkit import CrmError
from crmkit.cli.app import get_crm
from crmkit.cli.output import OutputFormat, dump_json
from crmkit.errors import ErasedPersonWarning

__all__ = ["register", "parse_assignments"]

SET = typer.Option(..., "--set", "-s", help="FIELD=VALUE with the targets of a mapping; repeat.")


def parse_assignments(pairs: list[str]) -> list[tuple[str, str]]:
    """`first_name=Anna` pairs as (target, value); the value may contain '='."""
    parsed = []
    for pair in pairs:
        target, equals, value = pair.partition("=")
        if not equals or not target.strip():
            raise CrmError(f"--set {pair!r} must look like FIELD=VALUE")
        parsed.append((target.strip(), value))
    return parsed


def init(ctx: typer.Context) -> None:
    """Create the database, or upgrade an older one (safe to run again)."""
    info = get_crm(ctx).init()
    if info["upgraded_from"] == 0:
        typer.echo(f"Created {info['path']} (schema version {info['schema_version']}).")
    elif info["upgraded_from"] < info["schema_version"]:
        typer.echo(
            f"Upgraded {info['path']} from schema {info['upgraded_from']}"
            f" to {info['schema_version']}."
        )
    else:
        typer.echo(f"{info['path']} is up to date (schema version {info['schema_version']}).")


def backup(
    ctx: typer.Context,
    target: str = typer.Argument(..., metavar="FILE", help="A new file for the copy."),
) -> None:
    """Copy the database, even while others use it, and its stored files: `crm backup kopia.db`."""
    done = get_crm(ctx, create=False).backup(target)
    files = (
        f", {done['files']} stored file{'s' if done['files'] != 1 else ''}" if done["files"] else ""
    )
    typer.echo(f"Backed up to {done['path']} ({done['size']:,} bytes{files}).")


def dump(
    ctx: typer.Context,
    output: str = typer.Option(
        None, "--output", "-o", metavar="FILE", help="Write to FILE instead of stdout."
    ),
) -> None:
    """Write the whole base as JSON Lines, a portable copy: `crm dump -o kopia.jsonl`."""
    done = get_crm(ctx, create=False).dump(output)
    where = done["path"] or "stdout"
    typer.echo(
        f"Dumped {_counted(done['contacts'], 'contact')} ({done['rows']:,} rows in all)"
        f" and {_counted(done['files'], 'stored file')} to {where}.",
        err=done["path"] is None,
    )


def restore(
    ctx: typer.Context,
    source: str = typer.Argument(..., metavar="FILE", help="A dump of `crm dump`; - for stdin."),
) -> None:
    """Load a dump into an empty database: `crm --db nowa.db restore kopia.jsonl`."""
    done = get_crm(ctx).restore(source)
    typer.echo(
        f"Restored {_counted(done['contacts'], 'contact')} ({done['rows']:,} rows in all)"
        f" and {_counted(done['files'], 'stored file')} into {done['path']}."
    )


def _counted(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def add(
    ctx: typer.Context,
    kind: str = typer.Argument(..., help="person or organization."),
    assignments: list[str] = SET,
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", "-f"),
) -> None:
    """Create one contact: `crm add person --set first_name=Anna --set phone.mobile=601234567`."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ErasedPersonWarning)
        contact = get_crm(ctx).contacts.add(kind, parse_assignments(assignments))
    for warning in caught:
        typer.echo(f"Warning: {warning.message}", err=True)
    if fmt in (OutputFormat.json, OutputFormat.jsonl):
        typer.echo(dump_json(contact.to_record()))
    else:
        typer.echo(f"Added {contact.kind} {contact.id}: {contact.name}")


def edit(
    ctx: typer.Context,
    contact_id: int = typer.Argument(..., metavar="ID"),
    assignments: list[str] = SET,
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", "-f"),
) -> None:
    """Change fields of one contact: `crm edit 7 --set stage=client --set "tags=VIP | Lead"`."""
    contact = get_crm(ctx).contacts.edit(contact_id, parse_assignments(assignments))
    if fmt in (OutputFormat.json, OutputFormat.jsonl):
        typer.echo(dump_json(contact.to_record()))
    else:
        typer.echo(f"Updated {contact.kind} {contact.id}: {contact.name}")


def delete(ctx: typer.Context, contact_id: int = typer.Argument(..., metavar="ID")) -> None:
    """Delete one contact with its phones, links, events, notes and files."""
    contact = get_crm(ctx).contacts.delete(contact_id)
    typer.echo(f"Deleted contact {contact_id}: {contact.name}")


def link(
    ctx: typer.Context,
    person_id: int = typer.Argument(..., metavar="PERSON_ID"),
    organization_id: int = typer.Argument(..., metavar="ORG_ID"),
    since: str = typer.Option(None, "--since", help="Start of the membership (date or datetime)."),
    until: str = typer.Option(None, "--until", help="End of the membership; open if left out."),
) -> None:
    """Make a person a member of an organization: `crm link 7 3 --since 2024-01-01`."""
    membership = get_crm(ctx).contacts.link(person_id, organization_id, since=since, until=until)
    period = f" from {membership.since or 'the start'} until {membership.until or 'now'}"
    typer.echo(f"Linked person {person_id} to organization {organization_id}{period}.")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("backup")(backup)
    app.command("dump")(dump)
    app.command("restore")(restore)
    app.command("add")(add)
    app.command("edit")(edit)
    app.command("delete")(delete)
    app.command("link")(link)

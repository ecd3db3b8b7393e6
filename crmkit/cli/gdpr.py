"""`crm gdpr find|export|erase` and `crm consent set|list`: personal data on request."""

from __future__ import annotations

from typing import Annotated

import typer

from crmkit.cli.app import get_crm
from crmkit.cli.output import OutputFormat, emit

__all__ = ["register"]

gdpr_app = typer.Typer(help="A person's data (RODO/GDPR): find it, hand it over, erase it.")
consent_app = typer.Typer(help="Consents per channel with their legal basis.")

ContactId = Annotated[int, typer.Argument(metavar="ID", help="The contact's id.")]
Format = Annotated[OutputFormat, typer.Option("--format", "-f", help="table, csv, json or jsonl.")]


@gdpr_app.command("find")
def find(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="A name, phone, e-mail, PESEL or NIP.")],
    fmt: Format = OutputFormat.table,
) -> None:
    """Every place a person's name, phone (any spelling), e-mail, PESEL or NIP occurs.

    Example: `crm gdpr find "601 234 567"`, `crm gdpr find "Anna Nowak" --format json`
    """
    places = get_crm(ctx, create=False).gdpr.find(text)
    if not places and fmt is OutputFormat.table:
        typer.echo(f"{text!r} occurs nowhere in this base.")
        return
    emit(places, fmt, ["table", "row", "field", "contact_id", "text"])


@gdpr_app.command("export")
def export(
    ctx: typer.Context,
    contact_id: ContactId,
    output: Annotated[str, typer.Option("--output", "-o", metavar="FILE.zip", help="The zip.")],
) -> None:
    """Write all of a person's data into one zip: subject.json, their files, summary.html.

    Example: `crm gdpr export 7 -o anna_nowak.zip`
    """
    done = get_crm(ctx, create=False).gdpr.export(contact_id, output)
    typer.echo(
        f"Wrote the data of contact {contact_id} to {done['path']}"
        f" ({done['events']} events, {done['files']} files)."
    )


@gdpr_app.command("erase")
def erase(
    ctx: typer.Context,
    contact_id: ContactId,
    reason: Annotated[str | None, typer.Option("--reason", help="Why, e.g. the request.")] = None,
    keep_events: Annotated[
        bool,
        typer.Option("--keep-events", help="Keep events' times, kinds and durations, no text."),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask; erase.")] = False,
) -> None:
    """Erase a person everywhere, bytes included, and keep them from coming back.

    Example: `crm gdpr erase 7 --reason "wniosek z 2025-01-10" --yes`
    """
    crm = get_crm(ctx)
    if not yes:
        name = crm.contacts[contact_id].name
        if not typer.confirm(f"Erase contact {contact_id} ({name}) for good?", default=False):
            typer.echo("Nothing erased.")
            raise typer.Exit(1)
    done = crm.gdpr.erase(contact_id, reason=reason, keep_events=keep_events)
    typer.echo(
        f"Erased contact {contact_id} (erasure {done['erasure_id']});"
        f" {done['scrubbed']} other places scrubbed, {done['suppressed']} values suppressed."
    )
    if not done["wal_cleared"]:
        typer.echo(
            "Another process was reading the base: the old pages leave its WAL file when it"
            " stops (run any write command then).",
            err=True,
        )


@consent_app.command("set")
def consent_set(
    ctx: typer.Context,
    contact_id: ContactId,
    channel: Annotated[str, typer.Argument(help="email, phone, sms or marketing.")],
    basis: Annotated[
        str,
        typer.Option("--basis", help="consent, contract, legal_obligation or legitimate_interest."),
    ],
    given: Annotated[
        bool | None, typer.Option("--given/--withdrawn", help="Given or withdrawn.")
    ] = None,
    at: Annotated[str | None, typer.Option("--at", help="When (default now).")] = None,
    source: Annotated[
        str | None, typer.Option("--source", help="Where it came from, e.g. a form.")
    ] = None,
) -> None:
    """Record a consent given or withdrawn on a channel, with its legal basis.

    Example: `crm consent set 7 marketing --basis consent --given --source "formularz WWW"`
    """
    if given is None:
        raise typer.BadParameter("say --given or --withdrawn", param_hint="--given/--withdrawn")
    done = get_crm(ctx).consents.set(
        contact_id, channel, given=given, basis=basis, at=at, source=source
    )
    typer.echo(f"Consent {channel} of contact {contact_id}: {done['state']} ({done['basis']}).")


@consent_app.command("list")
def consent_list(
    ctx: typer.Context, contact_id: ContactId, fmt: Format = OutputFormat.table
) -> None:
    """A contact's consents, one per channel.

    Example: `crm consent list 7`
    """
    found = get_crm(ctx, create=False).consents.list(contact_id)
    if not found and fmt is OutputFormat.table:
        typer.echo(f"No consents recorded for contact {contact_id}.")
        return
    emit(found, fmt, ["channel", "state", "basis", "at", "source", "user"])


def register(app: typer.Typer) -> None:
    app.add_typer(gdpr_app, name="gdpr")
    app.add_typer(consent_app, name="consent")

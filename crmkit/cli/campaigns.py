"""`crm campaign ...` and `crm campaigns`: outbound campaigns and an agent's work list."""

from __future__ import annotations

import typer

from crmkit.cli.app import get_crm
from crmkit.cli.campaign_output import print_enrollments
from crmkit.cli.output import OutputFormat, emit

__all__ = ["register"]

campaign_app = typer.Typer(
    help="Outbound campaigns: add one, enroll contacts, record outcomes, work the call-backs.",
    no_args_is_help=True,
)

FORMAT = typer.Option(OutputFormat.table, "--format", "-f", help="table, csv, json or jsonl.")
NAME = typer.Argument(..., help="The campaign's name.")
CONTACT = typer.Argument(..., help="The contact's id.")


@campaign_app.command("add")
def campaign_add(
    ctx: typer.Context,
    name: str = NAME,
    statuses: list[str] = typer.Option(
        None,
        "--status-option",
        help="A status the campaign allows; repeat, the first is a new contact's"
        " (default: Nowy, Dzwonić, Oddzwonić, Umówiony, Sprzedaż, Odmowa, Błędny numer).",
    ),
) -> None:
    """Create a campaign with its statuses.

    Example: `crm campaign add "Jesień 2025" --status-option Nowy --status-option Umówiony`
    """
    campaign = get_crm(ctx).campaigns.add(name, statuses=statuses or None)
    typer.echo(f"Campaign {campaign.name!r} added; statuses: {', '.join(campaign.statuses)}.")


@campaign_app.command("enroll")
def campaign_enroll(
    ctx: typer.Context,
    name: str = NAME,
    ids: list[int] = typer.Argument(None, help="Contact ids to enroll."),
    filters: list[str] = typer.Option(
        None, "--filter", help="FIELD OP VALUE, e.g. tag=Lead; repeat to AND."
    ),
    text: str = typer.Option(None, "--text", help="Contacts found by this full-text search."),
    view: str = typer.Option(None, "--view", help="The contacts of a saved view."),
    everyone: bool = typer.Option(False, "--all", help="Every contact."),
    include_hidden: bool = typer.Option(False, "--include-hidden", help="Hidden contacts too."),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Enroll contacts by id or a whole selection; those enrolled already stay as they are.

    Example: `crm campaign enroll "Jesień 2025" --filter tag=Lead --filter city=Gliwice`
    """
    report = get_crm(ctx).campaigns.enroll(
        name,
        ids or (),
        text=text,
        filters=filters,
        view=view,
        include_hidden=include_hidden,
        everyone=everyone,
    )
    if fmt is OutputFormat.table:
        typer.echo(report.summary)
    else:
        emit([report.to_record()], fmt)


@campaign_app.command("set")
def campaign_set(
    ctx: typer.Context,
    name: str = NAME,
    contact_id: int = CONTACT,
    status: str = typer.Option(None, "--status", help="The outcome: a status the campaign allows."),
    agent: str = typer.Option(None, "--agent", help="The user working this contact."),
    callback: str = typer.Option(
        None,
        "--callback",
        help="Next call, local time (CRM_TIMEZONE) unless an offset is given; '' clears it.",
    ),
    note: str = typer.Option(None, "--note", help="A short note on the outcome."),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Record an outcome; a status is also an event on the contact's timeline.

    A new status without --callback clears the old call-back.
    Example: `crm campaign set "Jesień 2025" 7 --status Oddzwonić --callback "2025-10-02 16:00"`
    """
    row = get_crm(ctx).campaigns.set(
        name, contact_id, status=status, agent=agent, callback=callback, note=note
    )
    if fmt is not OutputFormat.table:
        emit([row.to_record()], fmt)
        return
    parts = [f"{row.name} (#{row.id}): {row.status}"]
    if row.agent:
        parts.append(f"agent {row.agent}")
    if row.callback:
        parts.append(f"call-back {row.callback}")
    typer.echo(", ".join(parts) + ".")


@campaign_app.command("list")
def campaign_list(
    ctx: typer.Context,
    name: str = NAME,
    status: str = typer.Option(None, "--status", help="Only contacts with this status."),
    due: bool = typer.Option(
        False, "--due", help="Only call-backs due now or earlier, earliest first."
    ),
    agent: str = typer.Option(None, "--agent", help="Only contacts of this agent."),
    columns: str = typer.Option(
        None,
        "--columns",
        "-c",
        help="Columns for table/CSV: id, name, phone, phones, email, status, agent, callback,"
        " note, enrolled_at, updated_at.",
    ),
    limit: int = typer.Option(None, "--limit", "-n", min=0, help="At most N contacts."),
    fmt: OutputFormat = FORMAT,
) -> None:
    """A campaign's contacts with status, agent and call-back: an agent's work list.

    Examples: `crm campaign list "Jesień 2025" --due --limit 50`,
    `crm campaign list "Jesień 2025" --status Dzwonić --format csv > dialer.csv`
    """
    rows = get_crm(ctx, create=False).campaigns.contacts(
        name, status=status, due=due, agent=agent, limit=limit
    )
    if print_enrollments(rows, fmt.value, columns) == 0 and fmt is OutputFormat.table:
        typer.echo("No contacts.", err=True)


@campaign_app.command("remove")
def campaign_remove(ctx: typer.Context, name: str = NAME, contact_id: int = CONTACT) -> None:
    """Take a contact out of a campaign."""
    row = get_crm(ctx).campaigns.remove(name, contact_id)
    typer.echo(f"{row.name} (#{row.id}) is no longer in the campaign.")


def campaigns_list(ctx: typer.Context, fmt: OutputFormat = FORMAT) -> None:
    """Every campaign with its statuses, contacts and call-backs due now."""
    campaigns = [campaign.to_record() for campaign in get_crm(ctx, create=False).campaigns]
    if not campaigns and fmt is OutputFormat.table:
        typer.echo("No campaigns yet; add one with `crm campaign add NAME`.", err=True)
        return
    emit(campaigns, fmt, ["name", "enrolled", "due", "statuses"])


def register(app: typer.Typer) -> None:
    app.add_typer(campaign_app, name="campaign")
    app.command("campaigns")(campaigns_list)

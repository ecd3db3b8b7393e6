"""`crm field group add|list` and `crm record add|edit|delete|list`: groups of special fields
and the records contacts hold in them."""

from __future__ import annotations

import typer

from crmkit.cli.app import get_crm
from crmkit.cli.contacts import parse_assignments
from crmkit.cli.output import OutputFormat, emit

__all__ = ["register"]

group_app = typer.Typer(
    help="Groups of special fields: many records per contact (orders, contracts, ...).",
    no_args_is_help=True,
)
record_app = typer.Typer(
    help="Records of a group on a contact: `crm record add 7 orders --set amount=1500`.",
    no_args_is_help=True,
)

FORMAT = typer.Option(OutputFormat.table, "--format", "-f", help="table, csv, json or jsonl.")
CONTACT = typer.Argument(..., help="The contact's id.")
GROUP = typer.Argument(..., help="The group's key, e.g. orders.")
RECORD = typer.Argument(..., help="The record's id (`crm record list` shows them).")
SET = typer.Option(..., "--set", "-s", help="FIELD=VALUE of the group; repeat.")


@group_app.command("add")
def group_add(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="Key used in filters, e.g. orders."),
    label: str = typer.Option(None, "--label", help="Name shown on the card."),
    fields: list[str] = typer.Option(
        ..., "--field", help="NAME:TYPE, or NAME:select=a|b|c for options; repeat."
    ),
) -> None:
    """Define a group of fields.

    Example: `crm field group add orders --label Zamówienia --field product:text
    --field amount:number --field ordered_at:date --field status:select=nowe|wysłane`
    """
    group = get_crm(ctx).groups.add(key, label=label, fields=fields)
    shown = ", ".join(group.to_record()["fields"])
    typer.echo(f"Group {group.key!r} ({group.label}) added with fields {shown}.")


@group_app.command("list")
def group_list(ctx: typer.Context, fmt: OutputFormat = FORMAT) -> None:
    """Every group with its fields and how many records it holds."""
    groups = [group.to_record() for group in get_crm(ctx, create=False).groups]
    if not groups and fmt is OutputFormat.table:
        typer.echo("No groups yet; add one with `crm field group add KEY --field ...`.", err=True)
        return
    emit(groups, fmt, ["key", "label", "fields", "records"])


@record_app.command("add")
def record_add(
    ctx: typer.Context, contact_id: int = CONTACT, group: str = GROUP, pairs: list[str] = SET
) -> None:
    """Add a record to a contact.

    Example: `crm record add 7 orders --set product=Laptop --set amount=1500`
    """
    record = get_crm(ctx).records.add(contact_id, group, dict(parse_assignments(pairs)))
    typer.echo(f"Record {record.id} added to {group} of contact {contact_id}.")


@record_app.command("edit")
def record_edit(
    ctx: typer.Context,
    contact_id: int = CONTACT,
    group: str = GROUP,
    record_id: int = RECORD,
    pairs: list[str] = SET,
) -> None:
    """Change values of a record (FIELD= empties one).

    Example: `crm record edit 7 orders 3 --set status=wysłane`
    """
    record = get_crm(ctx).records.edit(
        record_id, dict(parse_assignments(pairs)), contact_id=contact_id, group=group
    )
    typer.echo(f"Record {record.id} changed.")


@record_app.command("delete")
def record_delete(
    ctx: typer.Context, contact_id: int = CONTACT, group: str = GROUP, record_id: int = RECORD
) -> None:
    """Delete a record of a contact."""
    record = get_crm(ctx).records.delete(record_id, contact_id=contact_id, group=group)
    typer.echo(f"Record {record.id} deleted.")


@record_app.command("list")
def record_list(
    ctx: typer.Context,
    contact_id: int = CONTACT,
    group: str = typer.Argument(None, help="The group's key (default: every group)."),
    fmt: OutputFormat = FORMAT,
) -> None:
    """A contact's records, by group and id: `crm record list 7 orders`."""
    records = [r.to_record() for r in get_crm(ctx, create=False).records.list(contact_id, group)]
    if not records and fmt is OutputFormat.table:
        typer.echo("No records.", err=True)
        return
    if fmt in (OutputFormat.table, OutputFormat.csv):
        # Records of several groups have different fields: a column for each, in order met.
        columns = list(dict.fromkeys(key for record in records for key in record))
        records = [{column: record.get(column) for column in columns} for record in records]
    emit(records, fmt)


def register(app: typer.Typer) -> None:
    from crmkit.cli.reference import field_app

    field_app.add_typer(group_app, name="group")
    app.add_typer(record_app, name="record")

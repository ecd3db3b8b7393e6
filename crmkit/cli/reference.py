"""`crm tag`, `crm user` and `crm field`: the reference data imports match against."""

from __future__ import annotations

import typer

from crmkit.cli.app import get_crm
from crmkit.cli.listing import COLUMNS, LIMIT, SORT, emit_listing
from crmkit.cli.output import OutputFormat

__all__ = ["register"]

FORMAT = typer.Option(OutputFormat.table, "--format", "-f", help="table, csv, json or jsonl.")

tag_app = typer.Typer(
    help="Tags: `crm tag add VIP Newsletter`, `crm tag list`.", no_args_is_help=True
)
user_app = typer.Typer(help="Users who can be guardians and observers.", no_args_is_help=True)
field_app = typer.Typer(help="Custom fields.", no_args_is_help=True)


@tag_app.command("add")
def tag_add(
    ctx: typer.Context, names: list[str] = typer.Argument(..., help="One or more tag names.")
) -> None:
    """Create tags: `crm tag add VIP Newsletter`."""
    for tag in get_crm(ctx).tags.add(*names):
        typer.echo(f"Tag {tag.name!r} added (id {tag.id}).")


@tag_app.command("list")
def tag_list(
    ctx: typer.Context,
    fmt: OutputFormat = FORMAT,
    columns: str = COLUMNS,
    sort: str = SORT,
    limit: int = LIMIT,
) -> None:
    """All tags, by name."""
    tags = [tag.to_record() for tag in get_crm(ctx, create=False).tags]
    if not tags and fmt is OutputFormat.table:
        typer.echo("No tags yet; add one with `crm tag add NAME`.", err=True)
        return
    emit_listing(tags, fmt, ["id", "name"], columns, sort, limit)


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    full_name: str = typer.Argument(..., help='Full name, e.g. "Jan Kowalski".'),
    email: str = typer.Option(None, "--email", help="The user's e-mail address."),
) -> None:
    """Create a user: `crm user add "Jan Kowalski" --email jan@firma.pl`."""
    user = get_crm(ctx).users.add(full_name, email=email)
    typer.echo(f"User {user.full_name!r} added (id {user.id}).")


@user_app.command("list")
def user_list(
    ctx: typer.Context,
    fmt: OutputFormat = FORMAT,
    columns: str = COLUMNS,
    sort: str = SORT,
    limit: int = LIMIT,
) -> None:
    """All users, by name."""
    users = [user.to_record() for user in get_crm(ctx, create=False).users]
    if not users and fmt is OutputFormat.table:
        typer.echo('No users yet; add one with `crm user add "FULL NAME"`.', err=True)
        return
    emit_listing(users, fmt, ["id", "full_name", "email"], columns, sort, limit)


@field_app.command("add")
def field_add(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="Key used in mappings as custom.KEY, e.g. industry."),
    type_: str = typer.Option(
        ...,
        "--type",
        "-t",
        help="text, url, number, date, datetime, checkbox, select or multiselect.",
    ),
    label: str = typer.Option(None, "--label", help="Name shown to people (default: the key)."),
    options: list[str] = typer.Option(
        None, "--option", "-o", help="An option of a select/multiselect field; repeat."
    ),
    required: bool = typer.Option(False, "--required", help="A new contact must have a value."),
    applies_to: str = typer.Option("both", "--for", help="person, organization or both."),
) -> None:
    """Define a custom field: `crm field add industry --type multiselect --option IT`."""
    field = get_crm(ctx).fields.add(
        key, type=type_, label=label, options=options, required=required, applies_to=applies_to
    )
    typer.echo(f"Field {field.key!r} ({field.type}) added (id {field.id}).")


@field_app.command("list")
def field_list(
    ctx: typer.Context,
    fmt: OutputFormat = FORMAT,
    columns: str = COLUMNS,
    sort: str = SORT,
    limit: int = LIMIT,
) -> None:
    """All custom fields with their types and options."""
    fields = [field.to_record() for field in get_crm(ctx, create=False).fields]
    if not fields and fmt is OutputFormat.table:
        typer.echo("No custom fields yet; define one with `crm field add KEY --type T`.", err=True)
        return
    default = ["key", "type", "label", "options", "required", "applies_to"]
    emit_listing(fields, fmt, default, columns, sort, limit)


def register(app: typer.Typer) -> None:
    app.add_typer(tag_app, name="tag")
    app.add_typer(user_app, name="user")
    app.add_typer(field_app, name="field")

"""`crm tag`, `crm user` and `crm field`: the reference data imports match against."""

from __future__ import annotations

import typer

from crmkit.cli.app import get_crm
from crmkit.cli.listing import COLUMNS, LIMIT, SORT, emit_listing
from crmkit.cli.output import OutputFormat

__all__ = ["register"]

FORMAT = typer.Option(OutputFormat.table, "--format", "-f", help="table, csv, json or jsonl.")

tag_app = typer.Typer(
    help="Tags: `crm tag add VIP Newsletter`, `crm tag list`, rename, delete, merge.",
    no_args_is_help=True,
)
user_app = typer.Typer(help="Users who can be guardians and observers.", no_args_is_help=True)
field_app = typer.Typer(help="Custom fields.", no_args_is_help=True)
option_app = typer.Typer(
    help="Options of select and multiselect fields: add, rename, delete.", no_args_is_help=True
)
field_app.add_typer(option_app, name="option")


def _contacts(count: int) -> str:
    return f"{count} contact{'' if count == 1 else 's'}"


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


@tag_app.command("rename")
def tag_rename(
    ctx: typer.Context,
    old: str = typer.Argument(..., help="The tag's name now."),
    new: str = typer.Argument(..., help="Its new name (not another tag's)."),
) -> None:
    """Rename a tag on every contact: `crm tag rename Vip VIP`."""
    fix = get_crm(ctx).tags.rename(old, new)
    typer.echo(f"Tag {fix.old!r} renamed to {fix.new!r} ({_contacts(fix.contacts)}).")


@tag_app.command("delete")
def tag_delete(
    ctx: typer.Context, name: str = typer.Argument(..., help="The tag to delete.")
) -> None:
    """Delete a tag and take it off every contact (recorded in their history)."""
    fix = get_crm(ctx).tags.delete(name)
    typer.echo(f"Tag {fix.old!r} deleted; {_contacts(fix.contacts)} lost it.")


@tag_app.command("merge")
def tag_merge(
    ctx: typer.Context,
    source: str = typer.Argument(..., metavar="FROM", help="The tag to merge and delete."),
    into: str = typer.Argument(..., metavar="INTO", help="The tag its contacts get."),
) -> None:
    """Give the contacts of tag FROM the tag INTO, then delete FROM."""
    fix = get_crm(ctx).tags.merge(source, into)
    typer.echo(f"Tag {fix.old!r} merged into {fix.new!r} ({_contacts(fix.contacts)}).")


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
    emit_listing(users, fmt, ["id", "full_name", "email", "active"], columns, sort, limit)


@user_app.command("rename")
def user_rename(
    ctx: typer.Context,
    old: str = typer.Argument(..., help="The user's full name now."),
    new: str = typer.Argument(..., help="The new full name (not another user's)."),
) -> None:
    """Rename a user on contacts, events and the notes they wrote."""
    fix = get_crm(ctx).users.rename(old, new)
    typer.echo(
        f"User {fix.old!r} renamed to {fix.new!r}"
        f" (guardian or observer of {_contacts(fix.contacts)})."
    )


@user_app.command("deactivate")
def user_deactivate(
    ctx: typer.Context, name: str = typer.Argument(..., help="The user's full name.")
) -> None:
    """Stop assigning a user; kept where already named (contacts, events, history)."""
    user = get_crm(ctx).users.deactivate(name)
    typer.echo(f"User {user.full_name!r} deactivated.")


@user_app.command("activate")
def user_activate(
    ctx: typer.Context, name: str = typer.Argument(..., help="The user's full name.")
) -> None:
    """Make a deactivated user assignable again."""
    user = get_crm(ctx).users.activate(name)
    typer.echo(f"User {user.full_name!r} is active again.")


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


@field_app.command("rename")
def field_rename(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="The field's key (it stays)."),
    label: str = typer.Option(..., "--label", help="The new label, the name people see."),
) -> None:
    """Give a field a new label: `crm field rename industry --label "Branża"`."""
    field = get_crm(ctx).fields.rename(key, label=label)
    typer.echo(f"Field {field.key!r} is now labelled {field.label!r}.")


@field_app.command("delete")
def field_delete(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="The field's key."),
    yes: bool = typer.Option(False, "--yes", help="Delete even if contacts hold values."),
) -> None:
    """Delete a field and every contact's value of it (with --yes when contacts hold one)."""
    fix = get_crm(ctx).fields.delete(key, force=yes)
    typer.echo(f"Field {fix.old!r} deleted; {_contacts(fix.contacts)} lost its value.")


@option_app.command("add")
def option_add(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="The select or multiselect field's key."),
    options: list[str] = typer.Argument(..., help="One or more new options."),
) -> None:
    """Add options: `crm field option add industry Budownictwo`."""
    field = get_crm(ctx).fields.add_options(key, *options)
    typer.echo(f"Field {field.key!r} options: {', '.join(field.options)}.")


@option_app.command("rename")
def option_rename(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="The field's key."),
    old: str = typer.Argument(..., help="The option now."),
    new: str = typer.Argument(..., help="Its new spelling."),
) -> None:
    """Rename an option, in the field and on every contact holding it."""
    fix = get_crm(ctx).fields.rename_option(key, old, new)
    typer.echo(f"Option {fix.old!r} renamed to {fix.new!r} ({_contacts(fix.contacts)}).")


@option_app.command("delete")
def option_delete(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="The field's key."),
    option: str = typer.Argument(..., help="The option to delete."),
) -> None:
    """Delete an option from the field and from every contact holding it."""
    fix = get_crm(ctx).fields.delete_option(key, option)
    typer.echo(f"Option {fix.old!r} deleted; {_contacts(fix.contacts)} lost it.")


def register(app: typer.Typer) -> None:
    app.add_typer(tag_app, name="tag")
    app.add_typer(user_app, name="user")
    app.add_typer(field_app, name="field")

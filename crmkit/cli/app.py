"""The `crm` command: global options, error handling and the command groups.

Every command parses its options, makes one call on `crmkit.CRM` and prints.
A `CrmError` becomes one plain sentence on stderr and exit code 1.
"""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer.core import TyperGroup

from crmkit import CRM, CrmError, __version__

__all__ = ["app", "main", "get_crm"]


class _CrmGroup(TyperGroup):
    """Turns user-fixable errors into a sentence and exit code 1, for every subcommand."""

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            _name_values(command)
        return command

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except CrmError as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(1) from None
        except BrokenPipeError:
            sys.stderr.close()
            raise typer.Exit(0) from None
        except Exception as exc:
            # Usage errors and exits belong to Typer; any other failure nobody foresaw is
            # still one sentence, and CRM_DEBUG=1 shows where it happened.
            from crmkit.settings import debugging

            if type(exc).__module__.startswith(("typer", "click")) or debugging():
                raise
            typer.echo(
                f"Error: unexpected failure ({type(exc).__name__}: {exc});"
                " run again with CRM_DEBUG=1 to see where it happened",
                err=True,
            )
            raise typer.Exit(1) from None


def _name_values(command: Any) -> None:
    """Give the options and arguments of a command (and its subcommands) the value names
    a help text shows: `--filter TEXT`, `--limit N`, `NAMES...`, not type names."""
    for param in command.params:
        if param.metavar is not None:
            continue
        if param.param_type_name == "argument":
            param.metavar = param.name.upper() + ("..." if param.nargs != 1 else "")
        elif not getattr(param, "is_flag", False):
            param.metavar = _value_name(param.type)
    for sub in getattr(command, "commands", {}).values():
        _name_values(sub)


def _value_name(kind: Any) -> str:
    """Return how a help text names a value of this parameter type."""
    choices = getattr(kind, "choices", None)
    if choices:
        return "|".join(str(getattr(choice, "value", choice)) for choice in choices)
    name = type(kind).__name__
    if name.startswith("Int"):
        return "N"
    if name.startswith("Float"):
        return "NUMBER"
    if name.startswith("Path") or name.startswith("File"):
        return "PATH"
    return "TEXT"


HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(
    cls=_CrmGroup,
    help="crmkit: contacts, reference data, imports, search and timelines in one SQLite file.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
    context_settings=HELP_OPTIONS,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"crmkit {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    ctx: typer.Context,
    db: str = typer.Option(
        None,
        "--db",
        help="Database file, or postgresql:// address (default: $CRM_DB, else ./crm.db).",
        show_default=False,
    ),
    acting_user: str = typer.Option(
        None, "--as", help="Acting user, for notes, views and import history (default: $CRM_USER)."
    ),
    busy_timeout: float = typer.Option(
        None,
        "--busy-timeout",
        min=0,
        help="Seconds a write waits for another import or edit (default: $CRM_BUSY_TIMEOUT or 30).",
    ),
    version: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="Print crmkit's version and exit.",
    ),
) -> None:
    ctx.obj = {"db": db, "user": acting_user, "busy_timeout": busy_timeout, "crm": None}


def get_crm(ctx: typer.Context, *, create: bool = True) -> CRM:
    """Return the CRM of this invocation, opened on first use and closed at exit.

    Commands that only read pass `create=False`: a mistyped `--db` is then an
    error naming the path, not a new empty base.
    """
    root = ctx.find_root()
    state = root.obj
    if state.get("crm") is None:
        import crmkit

        state["crm"] = crmkit.open(
            state.get("db"),
            user=state.get("user"),
            create=create,
            busy_timeout=state.get("busy_timeout"),
            source="cli",
        )
        root.call_on_close(state["crm"].close)
    return state["crm"]  # type: ignore[no-any-return]


def _register() -> None:
    from crmkit.cli import (
        blacklist,
        campaigns,
        cases,
        contacts,
        duplicates,
        gdpr,
        groups,
        history,
        imports,
        mapping,
        reference,
        search,
        serve,
        timeline,
    )

    modules = (contacts, imports, mapping, search, duplicates, timeline, history, reference)
    for module in (*modules, blacklist, serve, gdpr):
        module.register(app)
    for module in (campaigns, groups, cases):
        module.register(app)


_register()


def main() -> None:
    app(prog_name="crm")

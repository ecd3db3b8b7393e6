"""The `crm` console script: quick paths for lookup, search, export and timeline, else Typer.

A phone system runs `crm lookup NUMBER` on every incoming call, and people
run `crm search` all day; loading Typer, Rich and pydantic would take longer
than the answer. So when the command line is a plain `lookup`, `search` or `export`
(after the global `--db` / `--as`), it is read here and answered through
`crmkit.cli.query_commands`, the same functions the Typer commands call.
Anything this reader does not recognise — `--help`, a misspelt option, a bad
value — goes to the Typer app, which explains it.
"""

from __future__ import annotations

import os
import sys
from typing import Any, NamedTuple

__all__ = ["main"]

# option -> (field, kind): kind "value" takes the next token, "many" may repeat,
# "int" is a whole number, "flag" takes nothing.
_COMMON: dict[str, tuple[str, str]] = {
    "--format": ("fmt", "value"),
    "-f": ("fmt", "value"),
    "--columns": ("columns", "value"),
    "-c": ("columns", "value"),
    "--sort": ("sort", "value"),
    "--limit": ("limit", "int"),
    "-n": ("limit", "int"),
    "--include-hidden": ("include_hidden", "flag"),
}
_SELECTING: dict[str, tuple[str, str]] = {
    **_COMMON,
    "--filter": ("filters", "many"),
    "--view": ("view", "value"),
}
_OPTIONS: dict[str, dict[str, tuple[str, str]]] = {
    "search": _SELECTING,
    "lookup": {**_COMMON, "--region": ("region", "value")},
    "export": {
        **_SELECTING,
        "--text": ("text", "value"),
        "--output": ("output", "value"),
        "-o": ("output", "value"),
        "--no-escape": ("no_escape", "flag"),
        "--bom": ("bom", "flag"),
    },
}
_FORMATS = {
    "search": ("table", "csv", "json", "jsonl"),
    "lookup": ("table", "csv", "json", "jsonl"),
    "export": ("csv", "json", "jsonl"),
}


class _Call(NamedTuple):
    """A command line the quick path answers."""

    command: str
    db: str | None
    user: str | None
    argument: str | None
    extra: dict[str, Any]
    fields: dict[str, Any]


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `crm` script."""
    args = sys.argv[1:] if argv is None else argv
    call = _quick_command(args)
    if call is not None:
        sys.exit(_answer(call))
    if "timeline" in args:
        from crmkit.cli.timeline_fast import run

        code = run(args)
        if code is not None:
            sys.exit(code)
    from crmkit.cli.app import main as typer_main

    typer_main()


def _quick_command(args: list[str]) -> _Call | None:
    """The call for a plain lookup/search command line, else None."""
    globals_: dict[str, str] = {}
    index = 0
    while index < len(args):
        name, equals, value = args[index].partition("=")
        if name not in ("--db", "--as"):
            break
        if not equals:
            if index + 1 >= len(args):
                return None
            index += 1
            value = args[index]
        globals_[name] = value
        index += 1
    if index >= len(args) or args[index] not in _OPTIONS:
        return None
    command = args[index]
    parsed = _read_options(args[index + 1 :], _OPTIONS[command], _FORMATS[command])
    if parsed is None:
        return None
    fields, positional = parsed
    extra: dict[str, Any] = {
        key: fields.pop(key) for key in ("region", "output", "no_escape", "bom") if key in fields
    }
    if command == "lookup":
        if len(positional) != 1:
            return None
        argument: str | None = positional[0]
    elif command == "export":
        if positional:
            return None
        argument = None
        fields.setdefault("fmt", "csv")
    else:
        argument = None
        fields["text"] = " ".join(positional) if positional else None
    return _Call(command, globals_.get("--db"), globals_.get("--as"), argument, extra, fields)


def _read_options(
    tokens: list[str], known: dict[str, tuple[str, str]], formats: tuple[str, ...]
) -> tuple[dict[str, Any], list[str]] | None:
    """(QueryOptions fields, positional arguments), or None for anything unexpected."""
    fields: dict[str, Any] = {}
    filters: list[str] = []
    positional: list[str] = []
    index = 0
    only_positional = False
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if only_positional or not token.startswith("-") or token == "-":
            positional.append(token)
            continue
        if token == "--":
            only_positional = True
            continue
        name, equals, value = token.partition("=")
        spec = known.get(name)
        if spec is None:
            return None
        field, kind = spec
        if kind == "flag":
            if equals:
                return None
            fields[field] = True
            continue
        if not equals:
            if index >= len(tokens):
                return None
            value = tokens[index]
            index += 1
        if kind == "many":
            filters.append(value)
        elif kind == "int":
            if not value.strip().isdigit():
                return None
            fields[field] = int(value)
        else:
            fields[field] = value
    if fields.get("fmt", formats[0]) not in formats:
        return None
    fields["filters"] = tuple(filters)
    return fields, positional


def _answer(call: _Call) -> int:
    """Run the command body with the CLI's error handling; return the exit code."""
    from crmkit.cli import query_commands as commands
    from crmkit.errors import CrmError

    user = call.user or os.environ.get("CRM_USER") or None
    options = commands.QueryOptions(**call.fields)
    try:
        store = commands.open_store(call.db or os.environ.get("CRM_DB") or None)
        if call.command == "lookup":
            region = call.extra.get("region")
            code = commands.run_lookup(
                store, call.argument or "", options, sys.stdout, sys.stderr, region=region
            )
        elif call.command == "export":
            code = commands.run_export(
                store,
                user,
                options,
                sys.stderr,
                output=call.extra.get("output"),
                escape=not call.extra.get("no_escape", False),
                bom=bool(call.extra.get("bom", False)),
            )
        else:
            code = commands.run_search(store, user, options, sys.stdout, sys.stderr)
        sys.stdout.flush()
        return code
    except CrmError as exc:
        sys.stderr.write(f"Error: {exc}\n")
        return 1
    except BrokenPipeError:
        # The reader (say, `head`) went away: stop quietly, as the Typer commands do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0

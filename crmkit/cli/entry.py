"""The `crm` console script: a quick path for `crm lookup`, Typer for everything else.

A phone system runs `crm lookup NUMBER` on every incoming call, and loading
Typer and Click would take longer than the answer. So when the command line is
a plain lookup (after the global `--db` / `--as`), it is read here with the
options of `LOOKUP_OPTIONS` and answered by the same library call and printer
as the Typer command. `tests/test_cli_entry.py` holds this table to the Typer
command's options, so the two cannot drift. Anything this reader does not
recognise (`--help`, a misspelt option, a bad value) goes to Typer, which
explains it.
"""

from __future__ import annotations

import os
import sys
from typing import Any

__all__ = ["LOOKUP_OPTIONS", "main"]

# option -> (parameter of the Typer `lookup` command, whether it takes a value)
LOOKUP_OPTIONS: dict[str, tuple[str, bool]] = {
    "--region": ("region", True),
    "--columns": ("columns", True),
    "-c": ("columns", True),
    "--sort": ("sort", True),
    "--limit": ("limit", True),
    "-n": ("limit", True),
    "--format": ("fmt", True),
    "-f": ("fmt", True),
    "--include-hidden": ("include_hidden", False),
}
_FORMATS = ("table", "csv", "json", "jsonl")


def main(argv: list[str] | None = None) -> None:
    """Run the `crm` command line (default: `sys.argv`)."""
    args = sys.argv[1:] if argv is None else argv
    call = read_lookup(args)
    if call is not None:
        sys.exit(_answer(call))
    from crmkit.cli.app import main as typer_main

    typer_main()


def read_lookup(args: list[str]) -> dict[str, Any] | None:
    """Return the parameters of a plain `crm lookup` command line, else None."""
    found: dict[str, Any] = {"db": None, "user": None}
    index = 0
    while index < len(args) and args[index].split("=")[0] in ("--db", "--as"):
        name, equals, value = args[index].partition("=")
        if not equals:
            if index + 1 >= len(args):
                return None
            index += 1
            value = args[index]
        found["db" if name == "--db" else "user"] = value
        index += 1
    if index >= len(args) or args[index] != "lookup":
        return None
    positional: list[str] = []
    tokens = iter(args[index + 1 :])
    for token in tokens:
        if token == "--":
            positional.extend(tokens)
            break
        if not token.startswith("-") or token == "-":
            positional.append(token)
            continue
        name, equals, value = token.partition("=")
        spec = LOOKUP_OPTIONS.get(name)
        if spec is None:
            return None
        parameter, takes_value = spec
        if not takes_value:
            if equals:
                return None
            found[parameter] = True
            continue
        if not equals:
            following = next(tokens, None)
            if following is None:
                return None
            value = following
        found[parameter] = value
    if len(positional) != 1 or found.get("fmt", "table") not in _FORMATS:
        return None
    if "limit" in found:
        if not found["limit"].strip().isdigit():
            return None
        found["limit"] = int(found["limit"])
    found["phone"] = positional[0]
    return found


def _answer(call: dict[str, Any]) -> int:
    """Run the lookup with the CLI's error handling; return the exit code."""
    import crmkit
    from crmkit.cli.contact_output import print_owners

    try:
        with crmkit.open(call["db"], user=call["user"], create=False) as crm:
            owners = crm.contacts.owners(
                call["phone"],
                region=call.get("region"),
                include_hidden=call.get("include_hidden", False),
                sort=call.get("sort"),
                limit=call.get("limit"),
                columns=call.get("columns"),
            )
            code = print_owners(owners, call.get("fmt", "table"))
        sys.stdout.flush()
        return code
    except crmkit.CrmError as exc:
        sys.stderr.write(f"Error: {exc}\n")
        return 1
    except BrokenPipeError:
        # The reader (say, `head`) went away: stop quietly, as the Typer commands do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:
        from crmkit.settings import debugging

        if debugging():
            raise
        sys.stderr.write(
            f"Error: unexpected failure ({type(exc).__name__}: {exc});"
            " run again with CRM_DEBUG=1 to see where it happened\n"
        )
        return 1

"""The `crm` console script: quick paths for `crm lookup` and `crm campaign list`, Typer
for everything else.

A phone system runs `crm lookup NUMBER` on every incoming call, and an agent's
screen asks `crm campaign list NAME --due` between calls; loading Typer and
Click would take longer than the answer. So when the command line is a plain
lookup or campaign list (after the global `--db` / `--as`), it is read here
with the options of `LOOKUP_OPTIONS` or `CAMPAIGN_LIST_OPTIONS` and answered
by the same library call and printer as the Typer command.
`tests/test_cli_entry.py` and `tests/test_cli_campaigns.py` hold these tables
to the Typer commands' options, so the two cannot drift. Anything this reader
does not recognise (`--help`, a misspelt option, a bad value) goes to Typer,
which explains it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["LOOKUP_OPTIONS", "CAMPAIGN_LIST_OPTIONS", "main", "read_lookup", "read_campaign_list"]

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
# option -> (parameter of the Typer `campaign list` command, whether it takes a value)
CAMPAIGN_LIST_OPTIONS: dict[str, tuple[str, bool]] = {
    "--status": ("status", True),
    "--due": ("due", False),
    "--agent": ("agent", True),
    "--columns": ("columns", True),
    "-c": ("columns", True),
    "--limit": ("limit", True),
    "-n": ("limit", True),
    "--format": ("fmt", True),
    "-f": ("fmt", True),
}
_FORMATS = ("table", "csv", "json", "jsonl")


def main(argv: list[str] | None = None) -> None:
    """Run the `crm` command line (default: `sys.argv`)."""
    args = sys.argv[1:] if argv is None else argv
    call = read_lookup(args)
    if call is not None:
        sys.exit(_run(lambda: _answer_lookup(call)))
    listing = read_campaign_list(args)
    if listing is not None:
        sys.exit(_run(lambda: _answer_campaign_list(listing)))
    from crmkit.cli.app import main as typer_main

    typer_main()


def read_lookup(args: list[str]) -> dict[str, Any] | None:
    """Return the parameters of a plain `crm lookup` command line, else None."""
    found = _read_command(args, ("lookup",), LOOKUP_OPTIONS)
    if found is None:
        return None
    found["phone"] = found.pop("positional")[0]
    return found


def read_campaign_list(args: list[str]) -> dict[str, Any] | None:
    """Return the parameters of a plain `crm campaign list NAME` command line, else None."""
    found = _read_command(args, ("campaign", "list"), CAMPAIGN_LIST_OPTIONS)
    if found is None:
        return None
    found["name"] = found.pop("positional")[0]
    return found


def _read_command(
    args: list[str], words: tuple[str, ...], options: dict[str, tuple[str, bool]]
) -> dict[str, Any] | None:
    """Return the global options, the options and the one positional value (`positional`)
    of a command line naming this command, or None for anything else."""
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
    if tuple(args[index : index + len(words)]) != words:
        return None
    positional: list[str] = []
    tokens = iter(args[index + len(words) :])
    for token in tokens:
        if token == "--":
            positional.extend(tokens)
            break
        if not token.startswith("-") or token == "-":
            positional.append(token)
            continue
        name, equals, value = token.partition("=")
        spec = options.get(name)
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
    found["positional"] = positional
    return found


def _answer_lookup(call: dict[str, Any]) -> int:
    """Print the owners of the number; return the exit code."""
    import crmkit
    from crmkit.cli.contact_output import print_owners

    with crmkit.open(call["db"], user=call["user"], create=False) as crm:
        owners = crm.contacts.owners(
            call["phone"],
            region=call.get("region"),
            include_hidden=call.get("include_hidden", False),
            sort=call.get("sort"),
            limit=call.get("limit"),
            columns=call.get("columns"),
        )
        return print_owners(owners, call.get("fmt", "table"))


def _answer_campaign_list(call: dict[str, Any]) -> int:
    """Print the campaign's work list; return the exit code."""
    import crmkit
    from crmkit.cli.campaign_output import print_enrollments

    with crmkit.open(call["db"], user=call["user"], create=False) as crm:
        rows = crm.campaigns.contacts(
            call["name"],
            status=call.get("status"),
            due=call.get("due", False),
            agent=call.get("agent"),
            limit=call.get("limit"),
        )
        print_enrollments(rows, call.get("fmt", "table"), call.get("columns"))
        return 0


def _run(answer: Callable[[], int]) -> int:
    """Run a quick answer with the CLI's error handling; return the exit code."""
    import crmkit

    try:
        code = answer()
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

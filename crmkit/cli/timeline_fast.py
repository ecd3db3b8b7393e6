"""`crm timeline` without Typer: the lean path a console entry can take.

Reading a timeline is a query and a print, so the process start-up dominates.
`run(argv)` handles `crm [--db PATH] [--as USER] timeline ID [options]` using only
the standard library, sqlite3 and tabulate, and returns the exit code; it returns
None for anything it does not handle (help, a usage error, another command), and
the caller then hands the same arguments to the Typer app, which answers exactly as
it always does.

    from crmkit.cli.timeline_fast import run
    code = run(sys.argv[1:])
    if code is not None:
        sys.exit(code)
"""

from __future__ import annotations

import os
import sys
from typing import Any

from crmkit.errors import CrmError

__all__ = ["run", "parse_timeline_args"]

_GLOBAL = {"--db": "db", "--as": "user"}
_OPTIONS = {
    "--kind": "kind",
    "-k": "kind",
    "--since": "since",
    "--until": "until",
    "--limit": "limit",
    "-n": "limit",
    "--agent": "agent",
    "--channel": "channel",
    "--format": "format",
    "-f": "format",
}
_FORMATS = ("table", "csv", "json", "jsonl")


def parse_timeline_args(argv: list[str]) -> dict[str, Any] | None:
    """The options of a `timeline` command line, or None if it is not one this path reads."""
    options: dict[str, Any] = {"db": None, "user": None, "kind": []}
    words = iter(argv)
    for word in words:
        name, equals, value = word.partition("=")
        if name in _GLOBAL:
            options[_GLOBAL[name]] = value if equals else next(words, None)
            if options[_GLOBAL[name]] is None:
                return None
            continue
        if word != "timeline":
            return None
        break
    else:
        return None
    positional: list[str] = []
    for word in words:
        name, equals, value = word.partition("=")
        if name in _OPTIONS:
            given = value if equals else next(words, None)
            if given is None:
                return None
            key = _OPTIONS[name]
            if key == "kind":
                options["kind"].append(given)
            elif key in options:
                return None
            else:
                options[key] = given
        elif word.startswith("-") and word != "-":
            return None
        else:
            positional.append(word)
    if len(positional) != 1 or not positional[0].isdigit():
        return None
    options["id"] = int(positional[0])
    if options.get("format", "table") not in _FORMATS:
        return None
    limit = options.get("limit")
    if limit is not None:
        if not limit.lstrip("-").isdigit():
            return None
        options["limit"] = int(limit)
    return options


def run(argv: list[str]) -> int | None:
    """Answer a `timeline` command line and return its exit code (None: not handled)."""
    options = parse_timeline_args(argv)
    if options is None:
        return None
    try:
        _print(options)
    except CrmError as exc:
        sys.stdout.flush()
        sys.stderr.write(f"Error: {exc}\n")
        return 1
    except BrokenPipeError:
        sys.stderr.close()
        return 0
    return 0


def _print(options: dict[str, Any]) -> None:
    from crmkit.cli.timeline_print import write_timeline
    from crmkit.store import Store
    from crmkit.timeline import parse_kinds, timeline_items

    path = options["db"] or os.environ.get("CRM_DB") or "crm.db"
    store = Store(path, create=False)
    try:
        items = timeline_items(
            store,
            options["id"],
            kinds=parse_kinds(options["kind"]) or None,
            since=_moment(options.get("since"), "--since"),
            until=_moment(options.get("until"), "--until"),
            limit=options.get("limit"),
            agent=options.get("agent"),
            channel=options.get("channel"),
        )
    finally:
        store.close()
    write_timeline(items, options.get("format", "table"), sys.stdout, contact_id=options["id"])


def _moment(value: str | None, option: str) -> str | None:
    """Canonical UTC text for --since/--until (dateutil is imported only when needed)."""
    if value is None or not value.strip():
        return None
    from crmkit.errors import InvalidValue
    from crmkit.values.datetimes import parse_datetime

    try:
        return parse_datetime(value, os.environ.get("CRM_TIMEZONE", "UTC"))
    except InvalidValue as exc:
        raise CrmError(f"{option} {value!r}: {exc}") from None


if __name__ == "__main__":
    code = run(sys.argv[1:])
    if code is None:
        from crmkit.cli.app import main

        main()
    else:
        sys.exit(code)

"""`crm serve`: the base in a browser (Datasette, the extra `crmkit[web]`)."""

from __future__ import annotations

import typer

from crmkit.cli.app import get_crm

__all__ = ["register"]


def serve_command(
    ctx: typer.Context,
    port: int = typer.Option(8001, "--port", "-p", help="Port to listen on."),
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Address to listen on (0.0.0.0: the whole network)."
    ),
) -> None:
    """Open the base, read-only, in Datasette: browse, facet, look up callers, see cards.

    Example: `crm serve --port 8001`, then open http://127.0.0.1:8001 (Ctrl+C stops it).
    """
    crm = get_crm(ctx, create=False)
    typer.echo(f"Serving {crm.path} on http://{host}:{port} (Ctrl+C to stop)", err=True)
    crm.serve(host=host, port=port)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)

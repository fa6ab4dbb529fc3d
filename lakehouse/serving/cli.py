"""Typer commands of the serving layer, to be added to the main CLI:

    app.add_typer(trino_app, name="trino")    # regulake trino export | hash-password
    app.add_typer(serve_app, name="serve")    # regulake serve trino --host H --port P
"""
from __future__ import annotations

from typing import Optional

import typer

trino_app = typer.Typer(help="Trino: catalog export for a real cluster.", no_args_is_help=True)
serve_app = typer.Typer(help="Serve the warehouse to clients.", no_args_is_help=True)

EnvOpt = typer.Option(None, "--env", "-e", help="Configuration environment (conf/<env>.yaml); default REGULAKE_ENV or local.")


def _load(env: Optional[str]):
    from lakehouse.config import load_config
    from lakehouse.serving.settings import serving_settings

    cfg = load_config(env)
    return cfg, serving_settings(cfg).trino


def _fail(exc: Exception) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(2)


@trino_app.command("export")
def trino_export(
    out: str = typer.Option("./trino", "--out", "-o", help="Folder for catalog/<catalog>.properties and register_tables.sql."),
    env: Optional[str] = EnvOpt,
) -> None:
    """Write Trino Delta Lake catalog properties and register_table calls (with comments) for the served tables."""
    from lakehouse.errors import RegulakeError
    from lakehouse.serving.export import export
    from lakehouse.tables.exceptions import TableError

    cfg, settings = _load(env)
    try:
        res = export(settings, cfg.warehouse.root, out, cfg.warehouse.storage_options)
    except (RegulakeError, TableError) as e:
        _fail(e)
    typer.echo(f"wrote {res.properties_file} and {res.sql_file} ({len(res.tables)} tables: {', '.join(res.tables) or 'none yet'})")


@trino_app.command("hash-password")
def trino_hash_password(password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True)) -> None:
    """Print a password hash for serving.trino.users[].password_hash."""
    from lakehouse.serving.settings import hash_password

    typer.echo(hash_password(password))


@serve_app.command("trino")
def serve_trino(
    host: Optional[str] = typer.Option(None, "--host", help="Address to bind (default serving.trino.host)."),
    port: Optional[int] = typer.Option(None, "--port", help="Port (default serving.trino.port)."),
    env: Optional[str] = EnvOpt,
) -> None:
    """Embedded Trino-protocol endpoint over the gold tables (DuckDB on the Delta snapshots), read-only."""
    from lakehouse.errors import RegulakeError
    from lakehouse.serving.trino.server import TrinoEndpoint

    cfg, settings = _load(env)
    try:
        endpoint = TrinoEndpoint(settings, cfg.warehouse.root, cfg.warehouse.storage_options)
        h, p = endpoint.bind(host, port)
    except (RegulakeError, OSError) as e:
        _fail(e)
    users = ", ".join(u.name for u in settings.users) or "nobody (add serving.trino.users)"
    typer.echo(f"Trino endpoint on {endpoint.catalog.http_uri}: catalog {settings.catalog}, schemas {', '.join(settings.schemas)}; users: {users}")
    typer.echo(f"  trino --server {endpoint.catalog.http_uri} --catalog {settings.catalog} --schema {settings.schemas[0]} --user <name>")
    try:
        endpoint.serve_forever()
    except KeyboardInterrupt:
        endpoint.stop()

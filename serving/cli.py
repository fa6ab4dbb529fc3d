"""Typer commands of the serving layer, to be added to the main CLI:

app.add_typer(trino_app, name="trino")    # regulake trino export | sync | hash-password
app.add_typer(serve_app, name="serve")    # regulake serve trino | api --host H --port P; serve api-key
"""

from __future__ import annotations

from typing import Optional

import typer

trino_app = typer.Typer(help="Trino: register tables on the running server; catalog export for a real cluster.", no_args_is_help=True)
serve_app = typer.Typer(help="Serve the warehouse to clients.", no_args_is_help=True)

EnvOpt = typer.Option(None, "--env", "-e", help="Configuration environment (conf/<env>.yaml); default REGULAKE_ENV or local.")


def _load(env: Optional[str]):
    from lakehouse.config import load_config
    from lakehouse.config.serving import serving_settings

    cfg = load_config(env)
    return cfg, serving_settings(cfg).trino


def _fail(exc: Exception) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(2)


@trino_app.command("export")
def trino_export(
    out: str = typer.Option("./trino", "--out", "-o", help="Folder for catalog/<catalog>.properties, register_tables.sql and rules.json."),
    env: Optional[str] = EnvOpt,
) -> None:
    """Write a real Trino cluster's Delta Lake catalog, its register_table calls and access rules (same generator as serve trino)."""
    from lakehouse.errors import RegulakeError
    from lakehouse.tables.exceptions import TableError
    from serving.trino.export import export

    cfg, settings = _load(env)
    try:
        res = export(settings, cfg.warehouse.root, out, cfg.warehouse.storage_options)
    except (RegulakeError, TableError) as e:
        _fail(e)
    typer.echo(
        f"wrote {res.properties_file}, {res.sql_file} and {res.rules_file} ({len(res.tables)} tables: {', '.join(res.tables) or 'none yet'})"
    )


@trino_app.command("sync")
def trino_sync(env: Optional[str] = EnvOpt) -> None:
    """Register on the running Trino ('regulake serve trino') the tables created since it started; write missing comments."""
    from lakehouse.errors import RegulakeError
    from lakehouse.tables import Tables
    from serving.trino.launcher import connect, running_server
    from serving.trino.sync import sync

    cfg, settings = _load(env)
    try:
        info = running_server(settings)
        conn = connect(info["uri"], info["catalog"], info["user"], info.get("password"), verify=settings.tls_cert_file or True)
        res = sync(conn, settings, cfg.warehouse.root, Tables.from_config(cfg), cfg.warehouse.storage_options)
    except RegulakeError as e:
        _fail(e)
    typer.echo(f"Trino on {info['uri']}: {res.summary()}")


@trino_app.command("hash-password")
def trino_hash_password(password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True)) -> None:
    """Print a password hash for serving.trino.users[].password_hash."""
    from lakehouse.config.serving import hash_password

    typer.echo(hash_password(password))


@serve_app.command("trino")
def serve_trino(
    host: Optional[str] = typer.Option(
        None, "--host", help="Address to bind (default serving.trino.host; non-loopback needs passwords + TLS)."
    ),
    port: Optional[int] = typer.Option(None, "--port", help="Port (default serving.trino.port)."),
    env: Optional[str] = EnvOpt,
) -> None:
    """Run a real Trino 476 (single node) over the warehouse: register the served tables, print how to connect, stop on Ctrl-C / SIGTERM."""
    import signal
    import threading

    from lakehouse.errors import RegulakeError
    from lakehouse.tables import Tables
    from serving.trino.launcher import TrinoServer
    from serving.trino.sync import sync

    cfg, settings = _load(env)
    server = TrinoServer(settings, cfg.warehouse.root, host, port)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())
    try:
        typer.echo(f"starting Trino on {server.uri} (warehouse {server.warehouse_root}) ...")
        server.start()
        res = sync(server.connect(), settings, cfg.warehouse.root, Tables.from_config(cfg), cfg.warehouse.storage_options)
    except RegulakeError as e:
        server.stop()
        _fail(e)
    except BaseException:
        server.stop()
        raise
    typer.echo("\n".join(server.connect_info()))
    typer.echo(f"started in {server.started_s:.1f} s; {res.summary()}")
    typer.echo("tables written later: regulake trino sync.  Ctrl-C stops Trino.")
    try:
        while not stop.wait(1.0):
            if not server.running():
                _fail(RegulakeError(f"Trino stopped on its own; see {server.layout.log_file}"))
    finally:
        typer.echo("stopping Trino ...")
        server.stop()


@serve_app.command("api")
def serve_api(
    host: Optional[str] = typer.Option(None, "--host", help="Address to bind (default serving.api.host)."),
    port: Optional[int] = typer.Option(None, "--port", help="Port (default serving.api.port)."),
    workers: Optional[int] = typer.Option(
        None, "--workers", help="uvicorn worker processes (default serving.api.workers); each holds the snapshot."
    ),
    env: Optional[str] = EnvOpt,
) -> None:
    """Scoring API (FastAPI on uvicorn): risk lookups, scoring with the champion, public plans and hot words."""
    import os

    import uvicorn

    from lakehouse.config.serving import serving_settings
    from lakehouse.errors import RegulakeError

    try:
        from lakehouse.config import load_config

        cfg = load_config(env)
    except RegulakeError as e:
        _fail(e)
    settings = serving_settings(cfg).api
    h, p = host or settings.host, settings.port if port is None else port
    n = workers or settings.workers
    keys = (
        ", ".join(f"{k.name} ({' '.join(k.scopes)})" for k in settings.api_keys) or "none (only public endpoints; add serving.api.api_keys)"
    )
    typer.echo(
        f"scoring API on http://{h}:{p} (docs /docs, OpenAPI /openapi.json); warehouse {cfg.warehouse.root}; {n} worker(s); keys: {keys}"
    )
    kwargs = dict(host=h, port=p, access_log=settings.access_log, log_level="info", timeout_graceful_shutdown=5)
    try:
        if n > 1:
            os.environ["REGULAKE_ENV"] = cfg.env
            uvicorn.run("serving.app:app_from_env", factory=True, workers=n, **kwargs)
        else:
            from serving.app import app_from_config

            uvicorn.run(app_from_config(cfg), **kwargs)
    except OSError as e:
        _fail(e)


@serve_app.command("dashboard")
def serve_dashboard(
    host: Optional[str] = typer.Option(None, "--host", help="Address to bind (default serving.api.host)."),
    port: Optional[int] = typer.Option(None, "--port", help="Port (default serving.api.port)."),
    session_key: bool = typer.Option(
        False, "--session-key", help="Also accept a random dashboard:read key made now and printed once (gone when the server stops)."
    ),
    env: Optional[str] = EnvOpt,
) -> None:
    """The operations-centre dashboard (with the scoring API): http://HOST:PORT/dashboard (serving/dashboard, docs/dashboard.md)."""
    from serving.dashboard.cli import run

    run(env, host, port, session_key, _fail)


@serve_app.command("api-key")
def serve_api_key(
    name: str = typer.Option(..., "--name", help="Who gets the key (shown in logs and metrics)."),
    scope: list[str] = typer.Option(
        ["risk:read"], "--scope", help="risk:read, risk:score, metrics:read, dashboard:read (repeat for several)."
    ),
) -> None:
    """Make a random API key; print it once and the entry for serving.api.api_keys (which holds only its hash)."""
    from lakehouse.config.api import SCOPES, hash_api_key, new_api_key

    bad = [s for s in scope if s not in SCOPES]
    if bad:
        _fail(ValueError(f"unknown scope(s) {bad}; choose from {', '.join(SCOPES)}"))
    key = new_api_key()
    typer.echo(f"API key (give it to {name}; it is not stored anywhere): {key}")
    typer.echo("add to serving.api.api_keys:")
    typer.echo(f"  - name: {name}\n    key_hash: {hash_api_key(key)}\n    scopes: [{', '.join(scope)}]")

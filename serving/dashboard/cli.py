"""``regulake serve dashboard``: the scoring API's app with the dashboard mounted, under uvicorn."""

from __future__ import annotations

import typer


def run(env, host, port, session_key: bool, fail) -> None:
    import uvicorn

    from lakehouse.config import load_config
    from lakehouse.config.api import ApiKey, hash_api_key, new_api_key
    from lakehouse.config.serving import serving_settings
    from lakehouse.errors import RegulakeError
    from serving.app import app_from_config
    from serving.assets import missing, node_modules

    try:
        cfg = load_config(env)
    except RegulakeError as e:
        fail(e)
    gone = missing()
    if gone:
        fail(
            RegulakeError(
                f"the dashboard's web assets are missing under {node_modules()} ({', '.join(gone[:4])}...); "
                "run 'make install' (scripts/install_web_assets.sh runs npm ci in serving/web)"
            )
        )
    settings = serving_settings(cfg).api
    if session_key:
        key = new_api_key()
        settings.api_keys = [*settings.api_keys, ApiKey(name="session-key", key_hash=hash_api_key(key), scopes=["dashboard:read"])]
        typer.echo(f"one-time dashboard key (valid until this server stops): {key}")
    elif not any("dashboard:read" in k.scopes for k in settings.api_keys):
        typer.echo(
            "no API key has the scope dashboard:read: add one to serving.api.api_keys "
            "('regulake serve api-key --name NAME --scope dashboard:read'), or start with --session-key"
        )
    h, p = host or settings.host, settings.port if port is None else port
    typer.echo(f"dashboard on http://{h}:{p}/dashboard (English: ?lang=en); API docs /docs, /redoc; warehouse {cfg.warehouse.root}")
    app = app_from_config(cfg)  # settings is cfg.serving.api: the session key above is in it
    try:
        uvicorn.run(app, host=h, port=p, access_log=settings.access_log, log_level="info", timeout_graceful_shutdown=5)
    except OSError as e:
        fail(e)

"""The npm packages regulake serves itself, so nothing is fetched from a CDN at run time.

``make install`` (scripts/install_web_assets.sh) runs ``npm ci`` in ``serving/web`` against the
pinned package-lock.json; each package below is mounted read-only at ``/assets/npm/<package>/``
with its own LICENSE file. ``REGULAKE_WEB_ASSETS`` points elsewhere (a folder holding the same
``node_modules`` layout), e.g. for an installed wheel.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger("regulake.api")

PREFIX = "/assets/npm"
# what the dashboard, /docs, /redoc and the Great Expectations Data Docs load
PACKAGES = (
    "echarts",
    "echarts-wordcloud",
    "swagger-ui-dist",
    "redoc",
    "jquery",
    "bootstrap",
    "popper.js",
    "bootstrap-table",
    "@fortawesome/fontawesome-free",
    "bootstrap-datepicker",
    "@forevolve/bootstrap-dark",
    "vega",
    "vega-lite",
    "vega-embed",
)


def node_modules() -> Path:
    env = os.environ.get("REGULAKE_WEB_ASSETS")
    return Path(env) if env else Path(__file__).resolve().parents[1] / "web" / "node_modules"


def missing() -> list[str]:
    root = node_modules()
    return [p for p in PACKAGES if not (root / p / "package.json").exists()]


def url(package: str, path: str) -> str:
    return f"{PREFIX}/{package}/{path}"


def mount_assets(app) -> None:
    """Mount each installed package once (idempotent); a missing one is logged with the fix."""
    from starlette.staticfiles import StaticFiles

    if getattr(app.state, "npm_assets_mounted", False):
        return
    app.state.npm_assets_mounted = True
    root = node_modules()
    gone = missing()
    if gone:
        log.warning("web assets missing under %s: %s; run 'make install' (npm ci in serving/web)", root, ", ".join(gone))
    for p in PACKAGES:
        if p not in gone:
            app.mount(f"{PREFIX}/{p}", StaticFiles(directory=root / p), name=f"npm:{p}")

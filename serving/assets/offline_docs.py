"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) from the self-hosted npm assets (FastAPI's
"self-hosting JavaScript and CSS for docs" recipe): FastAPI's defaults load both from a CDN and
stay blank on a network that cannot reach it."""

from __future__ import annotations

from functools import lru_cache

from serving.assets import mount_assets, node_modules, url

REDOC_JS = "/assets/redoc.standalone.js"
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"  # the "powered by" logo in ReDoc's bundle: replaced by an empty image
BLANK_SVG = "data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22/%3E"


@lru_cache(maxsize=1)
def _redoc_bundle() -> bytes:
    """ReDoc's standalone bundle with its one CDN address (the sidebar logo) replaced by an empty image."""
    text = (node_modules() / "redoc" / "bundles" / "redoc.standalone.js").read_text(encoding="utf-8")
    return text.replace(REDOC_LOGO, BLANK_SVG).encode("utf-8")


def install_offline_docs(app, title: str) -> None:
    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html

    mount_assets(app)
    favicon = url("swagger-ui-dist", "favicon-32x32.png")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui():
        return get_swagger_ui_html(
            openapi_url=app.openapi_url,
            title=f"{title} - Swagger UI",
            oauth2_redirect_url="/docs/oauth2-redirect",
            swagger_js_url=url("swagger-ui-dist", "swagger-ui-bundle.js"),
            swagger_css_url=url("swagger-ui-dist", "swagger-ui.css"),
            swagger_favicon_url=favicon,
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def swagger_ui_redirect():
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_JS, include_in_schema=False)
    async def redoc_js():
        from starlette.responses import Response

        return Response(_redoc_bundle(), media_type="application/javascript", headers={"Cache-Control": "public, max-age=3600"})

    @app.get("/redoc", include_in_schema=False)
    async def redoc():
        return get_redoc_html(
            openapi_url=app.openapi_url, title=f"{title} - ReDoc", redoc_js_url=REDOC_JS, redoc_favicon_url=favicon, with_google_fonts=False
        )

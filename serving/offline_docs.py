"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) from the self-hosted npm assets (FastAPI's
"self-hosting JavaScript and CSS for docs" recipe): FastAPI's defaults load both from a CDN and
stay blank on a network that cannot reach it."""
from __future__ import annotations

from serving.assets import mount_assets, url


def install_offline_docs(app, title: str) -> None:
    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html

    mount_assets(app)
    favicon = url("swagger-ui-dist", "favicon-32x32.png")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui():
        return get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{title} - Swagger UI",
                                   oauth2_redirect_url="/docs/oauth2-redirect",
                                   swagger_js_url=url("swagger-ui-dist", "swagger-ui-bundle.js"),
                                   swagger_css_url=url("swagger-ui-dist", "swagger-ui.css"), swagger_favicon_url=favicon)

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def swagger_ui_redirect():
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc():
        return get_redoc_html(openapi_url=app.openapi_url, title=f"{title} - ReDoc", redoc_js_url=url("redoc", "bundles/redoc.standalone.js"),
                              redoc_favicon_url=favicon, with_google_fonts=False)

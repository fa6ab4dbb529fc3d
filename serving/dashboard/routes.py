"""The dashboard's routes, mounted on the scoring API's app (:func:`mount_dashboard`).

| route | access | what |
|---|---|---|
| GET /dashboard | session | the page (Chinese; ``?lang=en`` English) |
| GET, POST /dashboard/login | open (CSRF-checked POST) | login with an API key holding ``dashboard:read`` |
| POST /dashboard/logout | session + CSRF token | ends the session |
| GET /dashboard/api/meta | session or X-API-Key | source tables, versions, filter choices, reload generation |
| GET /dashboard/api/panels/{name} | session or X-API-Key | one panel's figures under ?from=YYYY-MM&to=YYYY-MM&district=&industry= |
| GET /dashboard/datadocs/... | session | the Great Expectations Data Docs, with their CDN links pointing at /assets/npm |
| /dashboard/static/..., /assets/npm/... | open | the page's own JS/CSS and the npm packages (no data) |
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import parse_qs

import orjson
from fastapi import FastAPI, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from serving.dashboard import panels as P
from serving.dashboard.auth import COOKIE, LOGIN_COOKIE, SCOPE, Sessions, same_origin, tokens_match

STATIC = Path(__file__).resolve().parent / "static"
_MONTH = re.compile(P.PERIOD_RE)
_DISTRICT = re.compile(r"^\d{6}$")
_SECTION = re.compile(r"^[A-T]$")
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def _json(obj, status: int = 200) -> Response:
    return Response(orjson.dumps(obj, default=str), status_code=status, media_type="application/json", headers=NO_STORE)


def _page(text: str, status: int = 200, headers: dict | None = None) -> HTMLResponse:
    return HTMLResponse(
        text,
        status_code=status,
        headers={
            "Content-Security-Policy": PAGE_CSP,
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "same-origin",
            **NO_STORE,
            **(headers or {}),
        },
    )


def _cookie(resp: Response, name: str, value: str, request: Request, max_age: int | None) -> None:
    resp.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https")


def mount_dashboard(app: FastAPI, state, keys, sessions: Sessions | None = None) -> Sessions:
    """Add the dashboard to ``app``; ``state`` is a :class:`DashboardState`, ``keys`` the API's KeyRing."""
    from serving.assets import mount_assets
    from serving.assets.datadocs import datadocs_response

    sessions = sessions or Sessions()
    app.state.dashboard = state
    app.state.dashboard_sessions = sessions
    mount_assets(app)
    app.mount("/dashboard/static", StaticFiles(directory=STATIC), name="dashboard-static")
    template = (STATIC / "dashboard.html").read_text(encoding="utf-8")
    login_template = (STATIC / "login.html").read_text(encoding="utf-8")

    def session_of(request: Request):
        return sessions.get(request.cookies.get(COOKIE))

    def allowed(request: Request) -> bool:
        if session_of(request) is not None:
            return True
        k = keys.lookup(request.headers.get("x-api-key"))
        return k is not None and SCOPE in k.scopes

    def lang_of(request: Request) -> str:
        return "en" if request.query_params.get("lang") == "en" else "zh"

    def login_page(request: Request, error: str | None = None, status: int = 200) -> HTMLResponse:
        import secrets

        token = secrets.token_urlsafe(24)
        lang = lang_of(request)
        body = (
            login_template.replace("{{csrf}}", token)
            .replace("{{lang}}", lang)
            .replace("{{error}}", f'<p class="error" role="alert">{html.escape(error)}</p>' if error else "")
        )
        resp = _page(body, status)
        _cookie(resp, LOGIN_COOKIE, token, request, 600)
        return resp

    @app.get("/dashboard", include_in_schema=False)
    async def dashboard_page(request: Request):
        s = session_of(request)
        if s is None:
            q = "?lang=en" if lang_of(request) == "en" else ""
            return RedirectResponse("/dashboard/login" + q, status_code=303)
        return _page(template.replace("{{csrf}}", s.csrf).replace("{{lang}}", lang_of(request)))

    @app.get("/dashboard/login", include_in_schema=False)
    async def dashboard_login_form(request: Request):
        return login_page(request)

    @app.post("/dashboard/login", include_in_schema=False)
    async def dashboard_login(request: Request):
        en = lang_of(request) == "en"
        if not same_origin(request.headers, request.headers.get("host")):
            return login_page(request, "cross-site login refused" if en else "拒绝跨站登录请求", 403)
        body = await request.body()
        if len(body) > 4096:
            return login_page(request, "request too large" if en else "请求过大", 413)
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        if not tokens_match(form.get("csrf"), request.cookies.get(LOGIN_COOKIE)):
            return login_page(request, "the login form expired; try again" if en else "登录表单已过期，请重试", 403)
        k = keys.lookup(form.get("api_key", "").strip())
        if k is None:
            return login_page(request, "unknown API key" if en else "API 密钥无效", 401)
        if SCOPE not in k.scopes:
            return login_page(request, f"the key '{k.name}' lacks the scope {SCOPE}" if en else f"密钥“{k.name}”没有 {SCOPE} 权限", 403)
        token, _ = sessions.create(k.name)
        resp = RedirectResponse("/dashboard" + ("?lang=en" if en else ""), status_code=303)
        _cookie(resp, COOKIE, token, request, None)
        resp.delete_cookie(LOGIN_COOKIE, path="/")
        return resp

    @app.post("/dashboard/logout", include_in_schema=False)
    async def dashboard_logout(request: Request):
        s = session_of(request)
        body = (await request.body())[:4096]
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        given = request.headers.get("x-csrf-token") or form.get("csrf")
        if s is None or not same_origin(request.headers, request.headers.get("host")) or not tokens_match(given, s.csrf):
            return _json({"detail": "logout needs the session's CSRF token from the dashboard's own page", "reason": "csrf"}, 403)
        sessions.drop(request.cookies.get(COOKIE))
        resp = RedirectResponse("/dashboard/login", status_code=303)
        resp.delete_cookie(COOKIE, path="/")
        return resp

    def _filters(request: Request) -> P.Filters | Response:
        q = request.query_params
        out = {}
        for name, attr, rx in (
            ("from", "period_from", _MONTH),
            ("to", "period_to", _MONTH),
            ("district", "district", _DISTRICT),
            ("industry", "industry", _SECTION),
        ):
            v = q.get(name) or None
            if v is not None and not rx.match(v):
                return _json({"detail": f"invalid filter {name}={v[:40]!r}", "reason": "invalid_filter"}, 422)
            out[attr] = v
        return P.Filters(**out)

    @app.get("/dashboard/api/meta", include_in_schema=False)
    async def dashboard_meta(request: Request):
        if not allowed(request):
            return _json(
                {"detail": f"log in at /dashboard/login or send an X-API-Key with the scope {SCOPE}", "reason": "unauthenticated"}, 401
            )
        return _json(
            {
                "generation": state.generation,
                "sources": state.versions(),
                "panels": list(P.PANELS),
                "data_docs": datadocs_available(state),
                **P.filter_options(state),
            }
        )

    @app.get("/dashboard/api/panels/{name}", include_in_schema=False)
    async def dashboard_panel(name: str, request: Request):
        if not allowed(request):
            return _json(
                {"detail": f"log in at /dashboard/login or send an X-API-Key with the scope {SCOPE}", "reason": "unauthenticated"}, 401
            )
        if name not in P.PANELS:
            return _json({"detail": f"no panel '{name[:40]}'; panels: {', '.join(P.PANELS)}", "reason": "not_found"}, 404)
        f = _filters(request)
        if isinstance(f, Response):
            return f
        import anyio

        data = await anyio.to_thread.run_sync(P.panel, state, name, f)
        return _json({**data, "generation": state.generation})

    def datadocs_available(st) -> bool:
        from serving.assets.datadocs import site_dir

        d = site_dir(st.data_docs_root)
        return d is not None and (d / "index.html").exists()

    @app.get("/dashboard/datadocs/{path:path}", include_in_schema=False)
    async def dashboard_datadocs(path: str, request: Request):
        if session_of(request) is None:
            return RedirectResponse("/dashboard/login", status_code=303)
        return datadocs_response(state.data_docs_root, path or "index.html")

    return sessions

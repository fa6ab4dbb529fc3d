"""The scoring API: FastAPI on uvicorn.

| endpoint | access | what |
|---|---|---|
| GET /v1/entities/{uscc}/risk | scope risk:read | the entity's latest score, class, reasons, model version, as-of date |
| POST /v1/risk:batch | scope risk:read | the same for up to ``batch_max`` (1,000) codes |
| POST /v1/score | scope risk:score | factor values in, the champion's probability, class and reasons out |
| GET /v1/model | scope risk:score | the champion's factors with their descriptions |
| GET /v1/plans/{plan_id} | public | an inspection plan's public view (gold.public_inspection_plans + _results, or gold.plan_disclosure) |
| GET /v1/hotwords | public | the latest period's complaint hot words (by keyness against general Chinese) |
| /healthz, /readyz, /metrics | public (metrics: configurable) | liveness, readiness (snapshots loaded), Prometheus metrics |

Everything served comes from in-memory snapshots (:mod:`serving.api.state`) that a
background thread reloads when a Delta version or the champion alias moves. Responses are
built from allowlisted fields only; personal data never leaves.
"""
# no "from __future__ import annotations": FastAPI resolves the route annotations defined inside create_app

import logging
import math
import time
from contextlib import asynccontextmanager
from typing import Annotated, Any

import orjson
from fastapi import FastAPI, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from stdnum.cn import uscc as _uscc
from stdnum.exceptions import InvalidChecksum

from lakehouse.config.api import ApiKey, ApiSettings
from serving.api.auth import HEADER, KeyRing
from serving.api.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from serving.api.metrics import Metrics
from serving.api.ratelimit import RateLimiter
from serving.api.state import ApiState

log = logging.getLogger("regulake.api")
JSON = "application/json"


def _dumps(obj: Any) -> bytes:
    return orjson.dumps(obj, default=str)


def _json(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(_dumps(obj), status_code=status, media_type=JSON, headers=headers)


class ApiError(Exception):
    def __init__(self, status: int, detail: str, reason: str | None = None, headers: dict[str, str] | None = None, **extra):
        self.status, self.detail, self.reason, self.headers, self.extra = status, detail, reason, headers, extra


# -- USCC ---------------------------------------------------------------------------------


def check_uscc(value: str) -> str:
    """The canonical USCC, or ApiError 422 with reason 'format' or 'check digit'."""
    try:
        return _uscc.validate(value)
    except InvalidChecksum:
        code = _uscc.compact(value)
        expected = _uscc.calc_check_digit(code)
        raise ApiError(
            422,
            f"'{value}' fails the GB 32100-2015 check digit: the 18th character is '{code[-1]}', expected '{expected}'",
            "check digit",
            uscc=value,
        ) from None
    except Exception:  # noqa: BLE001 - InvalidLength, InvalidFormat, odd input
        raise ApiError(
            422,
            f"'{value}' is not a unified social credit code: it must be 18 characters, 8 digits then digits and "
            "capital letters other than I, O, S, V and Z (GB 32100-2015)",
            "format",
            uscc=value,
        ) from None


# -- response models (documentation; responses are rendered with orjson) ---------------------


class Error(BaseModel):
    detail: str = Field(..., description="What went wrong and, where it helps, how to fix it.")
    reason: str | None = Field(None, description="Machine-readable reason: format, check digit, not_found, unknown_factor, ...")
    uscc: str | None = None
    errors: list[dict[str, Any]] | None = Field(None, description="Request validation errors (location, message, type).")


class Reason(BaseModel):
    factor: str | None
    description_zh: str | None = Field(None, description="The factor's Chinese description (gold.factor_catalog).")
    value: float | None = Field(None, description="The entity's value of the factor (null: missing).")
    contribution: float | None = Field(None, description="SHAP contribution to the raw score (log-odds).")


class ScoreReason(Reason):
    description_en: str | None = None


class EntityRisk(BaseModel):
    uscc: str
    as_of: str = Field(..., description="Score date (YYYY-MM-DD) of the snapshot served.", examples=["2026-01-03"])
    probability: float | None = Field(None, description="Probability of a violation (the risk score).")
    risk_class: str | None = Field(None, description="A lowest … D highest.")
    raw_score: float | None = Field(None, description="Log-odds: base_value + Σ contributions.")
    base_value: float | None = None
    reasons: list[Reason] = Field(default_factory=list, description="Factors raising the score most, largest first.")
    model_name: str | None = None
    model_version: str | None = None
    table_version: int = Field(..., description="Delta version of gold.risk_scores served.")


class BatchItem(BaseModel):
    uscc: str
    status: str = Field(..., description="ok | not_found | invalid")
    reason: str | None = Field(None, description="For invalid codes: format or check digit.")
    detail: str | None = None
    risk: EntityRisk | None = None


class BatchResponse(BaseModel):
    as_of: str
    table_version: int
    requested: int
    found: int
    results: list[BatchItem]


class ScoreResponse(BaseModel):
    model_name: str
    model_version: str
    probability: float
    risk_class: str
    raw_score: float
    base_value: float
    reasons: list[ScoreReason]
    missing: list[str] = Field(..., description="The champion's factors not given (scored as missing values).")


class ModelFactor(BaseModel):
    factor: str
    description_zh: str | None = None
    description_en: str | None = None


class ModelInfo(BaseModel):
    model_name: str
    model_version: str
    factors: list[ModelFactor]
    class_thresholds: list[float]
    metrics: dict[str, Any] | None = Field(
        None,
        description="Held-out figures, each beside its baseline: AUC with its 95% interval, "
        "average precision and base rate, balanced accuracy at the base-rate threshold (case 77.6%), "
        "accuracy and always-0, hit rate / lift / recall at k with Wilson intervals, Brier, "
        "reliability bins, oracle ratios (with the simulator's answer key).",
    )


class Plan(BaseModel):
    model_config = ConfigDict(extra="allow")
    plan_id: str
    task_count: int
    tasks: list[dict[str, Any]] = Field(..., description="One entry per task; public columns only.")
    table_version: int | str = Field(..., description="Delta version(s) served: 'plans+results' or the plan_disclosure version.")


class Hotwords(BaseModel):
    period: str | None
    previous_period: str | None = None
    scope: str | None = None
    district_code: str | None = None
    industry_section: str | None = None
    words: list[dict[str, Any]]
    table_version: int


class Health(BaseModel):
    status: str


class Ready(BaseModel):
    ready: bool
    sources: dict[str, dict[str, Any]]


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    text = {
        400: "The body is not readable JSON.",
        401: "No or unknown API key (header X-API-Key).",
        403: "The key lacks the scope this endpoint needs.",
        404: "Not found.",
        422: "Invalid input; `reason` names it (format, check digit, unknown_factor, ...).",
        429: "Rate limit exceeded; retry after Retry-After seconds.",
        503: "The data this endpoint serves is not loaded (yet).",
    }
    return {c: {"model": Error, "description": text[c]} for c in codes}


# -- the gate: rate limits and metrics (plain ASGI, cheaper than BaseHTTPMiddleware) ----------


ENTITY_PREFIX = "/v1/entities/"
ENTITY_ROUTE = "/v1/entities/{uscc}/risk"


class Gate:
    def __init__(self, app, settings: ApiSettings, keys: KeyRing, metrics: Metrics, fast_lookup=None):
        self.app = app
        self.fast_lookup = fast_lookup
        self.keys = keys
        self.metrics = metrics
        rl = settings.rate_limit
        self.rl = rl
        self.limiter = RateLimiter(rl.per_key_per_second, rl.burst) if rl.enabled else None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        t0 = time.perf_counter()
        path = scope["path"]
        if path.startswith("/v1/"):
            key = None
            for name, value in scope["headers"]:
                if name == b"x-api-key":
                    key = value.decode("latin-1")
                    break
            k = self.keys.lookup(key)
            if self.limiter is not None:
                if k is not None:
                    wait = self.limiter.take("k:" + k.name, k.rate_limit_per_second or self.rl.per_key_per_second, k.burst or self.rl.burst)
                    kind = "key"
                else:
                    client = scope.get("client")
                    wait = self.limiter.take("i:" + (client[0] if client else "?"), self.rl.per_ip_per_second, self.rl.burst)
                    kind = "ip"
                if wait:
                    self.metrics.limited(kind)
                    body = _dumps({"detail": f"rate limit exceeded; retry in {wait:.2f} s", "reason": "rate_limited"})
                    await self._send(send, 429, body, [(b"retry-after", str(max(1, math.ceil(wait))).encode())])
                    self.metrics.observe(scope["method"], "rate_limited", 429, time.perf_counter() - t0)
                    return
            # fast path of the hot endpoint: an authorised lookup of a code the snapshot holds is answered here; every
            # other case (no key, wrong scope, invalid or unknown code, no snapshot) goes to the FastAPI route below
            if (
                k is not None
                and self.fast_lookup is not None
                and scope["method"] == "GET"
                and path.startswith(ENTITY_PREFIX)
                and path.endswith("/risk")
                and "risk:read" in k.scopes
            ):
                rec = self.fast_lookup(path[len(ENTITY_PREFIX) : -5])
                if rec is not None:
                    await self._send(send, 200, _dumps(rec))
                    self.metrics.observe("GET", ENTITY_ROUTE, 200, time.perf_counter() - t0)
                    return
        status = [500]

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            self.metrics.observe(scope["method"], getattr(route, "path", "unmatched"), status[0], time.perf_counter() - t0)

    @staticmethod
    async def _send(send, status: int, body: bytes, extra: list | None = None) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
        await send({"type": "http.response.body", "body": body})


# -- the app ----------------------------------------------------------------------------------


def create_app(
    settings: ApiSettings,
    warehouse_root: str,
    storage_options: dict | None = None,
    mlflow_cfg=None,
    class_thresholds: list[float] | None = None,
    reasons: int = 3,
    start_reloader: bool = True,
    state: ApiState | None = None,
    inspections=None,
    dashboard=None,
) -> FastAPI:
    """The API over a warehouse; snapshots load at startup (lifespan) and reload in the background.

    Args:
        settings: ``serving.api`` of the configuration (keys and scopes, rate limits, served fields).
        warehouse_root: the warehouse whose gold tables are served (read with delta-rs, no Spark).
        storage_options: object-store credentials for delta-rs.
        mlflow_cfg: ``risk.mlflow``, for the champion model that ``POST /v1/score`` uses.
        class_thresholds: the risk classes' probability thresholds (A-D), default ``risk.class_thresholds``.
        reasons: how many top reasons each score carries.
        start_reloader: reload snapshots when their tables get a new version (off in some tests).
        state: an existing ``ApiState`` to share (tests).
        inspections: ``serving.inspections`` settings: mounts the inspection-records routes.
        dashboard: a ``DashboardState``: mounts the operations-centre dashboard.

    Returns:
        The FastAPI app; ``app_from_config(cfg)`` builds it from a configuration.

    Example::

        app = app_from_config(load_config("local"))
        uvicorn.run(app, host="127.0.0.1", port=8000)      # what ``regulake serve api`` does
    """
    keys = KeyRing(settings)
    state = state or ApiState(settings, warehouse_root, storage_options, mlflow_cfg, class_thresholds, reasons, _dumps)
    metrics = Metrics(state)
    state.on_reload = metrics.reload
    thresholds = state.class_thresholds

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        import anyio

        await anyio.to_thread.run_sync(state.refresh)
        if dashboard is not None:  # issue 27: the dashboard's snapshots (serving/dashboard/state.py)
            await anyio.to_thread.run_sync(dashboard.refresh)
            if start_reloader:
                dashboard.start()
        for key, st in state.status.items():
            if st.error:
                log.warning("%s: %s", key, st.error)
        if start_reloader:
            state.start()
        try:
            yield
        finally:
            state.stop()
            if dashboard is not None:
                dashboard.stop()

    app = FastAPI(
        title="regulake scoring API",
        version="1.0",
        description=(
            "Risk scores of market entities (统一社会信用代码 USCC), scoring with the champion model, the public view of "
            "inspection plans (双随机、一公开) and complaint hot words. Protected endpoints need an `X-API-Key` header with "
            "the right scope; public endpoints are open. Never returns personal data."
        ),
        docs_url=None,
        redoc_url=None,  # self-hosted below (serving/assets/offline_docs.py): no CDN
        lifespan=lifespan,
        openapi_tags=[
            {"name": "risk", "description": "Risk scores (scope risk:read) and scoring (scope risk:score)."},
            {"name": "public", "description": "Open to anyone: plans' public view, hot words."},
            {"name": "ops", "description": "Health, readiness, metrics."},
        ],
    )
    app.state.api = state
    app.state.metrics = metrics
    if settings.docs:
        from serving.assets.offline_docs import install_offline_docs

        install_offline_docs(app, app.title)
    if dashboard is not None:
        from serving.dashboard.routes import mount_dashboard

        mount_dashboard(app, dashboard, keys)

    def fast_lookup(code: str):
        snap = state.scores
        if snap is None or len(code) != 18:
            return None
        return snap.lookup(code)  # the index holds only valid canonical codes (see state.valid_usccs)

    app.add_middleware(Gate, settings=settings, keys=keys, metrics=metrics, fast_lookup=fast_lookup)

    api_key = APIKeyHeader(name=HEADER, auto_error=False, description="An API key from serving.api.api_keys.")

    def require(scope_name: str):
        async def dependency(key: Annotated[str | None, Security(api_key)] = None) -> ApiKey:  # async: no thread hop
            if not key:
                raise ApiError(
                    401, f"this endpoint needs an API key in the {HEADER} header", "unauthenticated", {"WWW-Authenticate": "ApiKey"}
                )
            k = keys.lookup(key)
            if k is None:
                raise ApiError(401, "unknown API key", "unauthenticated", {"WWW-Authenticate": "ApiKey"})
            if scope_name not in k.scopes:
                raise ApiError(403, f"the key '{k.name}' lacks the scope '{scope_name}'", "forbidden")
            return k

        return dependency

    ReadKey = Annotated[ApiKey, Security(require("risk:read"))]
    ScoreKey = Annotated[ApiKey, Security(require("risk:score"))]

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        body = {"detail": exc.detail}
        if exc.reason:
            body["reason"] = exc.reason
        body.update(exc.extra)
        return _json(body, exc.status, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        errs = [
            {"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))} for e in exc.errors()
        ]
        summary = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errs[:5])
        return _json({"detail": f"invalid request: {summary}", "reason": "invalid_request", "errors": errs}, 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        return _json({"detail": str(exc.detail)}, exc.status_code, getattr(exc, "headers", None))

    # -- risk ------------------------------------------------------------------------------

    def _scores():
        snap = state.scores
        if snap is None:
            err = state.status["risk_scores"].error or "not loaded yet"
            raise ApiError(503, f"risk scores are not available: {err}", "not_loaded")
        return snap

    @app.get(
        ENTITY_ROUTE,
        tags=["risk"],
        response_model=EntityRisk,
        responses=_errors(401, 403, 404, 422, 429, 503),
        summary="An entity's latest risk score",
    )
    async def entity_risk(uscc: str, key: ReadKey):
        """Score, class (A lowest … D highest), reasons, model version and as-of date of one entity, from the latest
        score date of gold.risk_scores. An invalid USCC gives 422 with `reason` `format` or `check digit`."""
        code = check_uscc(uscc)
        snap = _scores()
        rec = snap.lookup(code)
        if rec is None:
            raise ApiError(404, f"no risk score for {code} in {snap.table} as of {snap.score_date}", "not_found", uscc=code)
        return _json(rec)

    class BatchRequest(BaseModel):
        model_config = ConfigDict(extra="forbid")
        uscc: list[Annotated[str, Field(max_length=64)]] = Field(
            ..., min_length=1, max_length=settings.batch_max, description=f"Up to {settings.batch_max} codes."
        )

    @app.post(
        "/v1/risk:batch",
        tags=["risk"],
        response_model=BatchResponse,
        responses=_errors(400, 401, 403, 422, 429, 503),
        summary="Latest risk scores of up to 1,000 entities",
    )
    async def risk_batch(body: BatchRequest, key: ReadKey):
        """One result per code, in order: `ok` with the risk, `not_found`, or `invalid` with the reason (format or
        check digit). The request fails as a whole only when it is malformed or has more than batch_max codes."""
        snap = _scores()
        out, found = [], 0
        for raw in body.uscc:
            try:
                code = check_uscc(raw)
            except ApiError as e:
                out.append({"uscc": raw, "status": "invalid", "reason": e.reason, "detail": e.detail})
                continue
            rec = snap.lookup(code)
            if rec is None:
                out.append({"uscc": code, "status": "not_found"})
            else:
                found += 1
                out.append({"uscc": code, "status": "ok", "risk": rec})
        return _json({"as_of": snap.score_date, "table_version": snap.version, "requested": len(body.uscc), "found": found, "results": out})

    FactorValue = Annotated[float | None, Field(allow_inf_nan=False)]

    class ScoreRequest(BaseModel):
        model_config = ConfigDict(
            extra="forbid", json_schema_extra={"examples": [{"factors": {"ent_age_days": 120, "sh_noncash_share": 0.5}}]}
        )
        factors: dict[Annotated[str, Field(max_length=200)], FactorValue] = Field(
            ...,
            max_length=1000,
            description="Factor name → value; a factor left out or null is scored as missing. "
            "Names the champion does not use are refused (GET /v1/model lists them).",
        )

    def _champion():
        c = state.champion
        if c is None:
            err = state.status["champion"].error or "not loaded yet"
            raise ApiError(503, f"the champion model is not available: {err}", "not_loaded")
        return c

    @app.post(
        "/v1/score",
        tags=["risk"],
        response_model=ScoreResponse,
        responses=_errors(400, 401, 403, 422, 429, 503),
        summary="Score factor values with the champion model",
    )
    async def score(body: ScoreRequest, key: ScoreKey):
        """Probability, class, raw score and the top reasons (SHAP contributions, Chinese descriptions from
        gold.factor_catalog) for the factor values given, by the current champion of the MLflow registry."""
        c = _champion()
        unknown = sorted(set(body.factors) - set(c.factors))
        if unknown:
            raise ApiError(
                422, f"unknown factor(s) {unknown[:20]}; the champion (version {c.version}) uses: {', '.join(c.factors)}", "unknown_factor"
            )
        return _json(c.score(body.factors, thresholds, state.reasons, state.factor_catalog))

    @app.get("/v1/model", tags=["risk"], response_model=ModelInfo, responses=_errors(401, 403, 429, 503), summary="The champion's factors")
    async def model_info(key: ScoreKey):
        c = _champion()
        desc = state.factor_catalog.descriptions if state.factor_catalog else {}
        return _json(
            {
                "model_name": c.name,
                "model_version": c.version,
                "class_thresholds": thresholds,
                "factors": [{"factor": f, **desc.get(f, {})} for f in c.factors],
                "metrics": c.metrics,
            }
        )

    # -- public ------------------------------------------------------------------------------

    @app.get(
        "/v1/plans/{plan_id}", tags=["public"], response_model=Plan, responses=_errors(404, 429), summary="An inspection plan's public view"
    )
    async def plan(plan_id: str):
        """Plan-level fields (the same on every task: name, period, ...) and its tasks, from the public disclosure
        table; only allowlisted, non-personal columns."""
        snap = state.plans
        if snap is None:
            err = state.status["plans"].error or "not loaded yet"
            raise ApiError(404, f"inspection plans are not published here yet ({err})", "not_available")
        body = snap.plans.get(plan_id)
        if body is None:
            raise ApiError(404, f"no plan '{plan_id}' in {snap.table}", "not_found")
        return Response(body, media_type=JSON)

    top = settings.hotwords_top

    @app.get(
        "/v1/hotwords",
        tags=["public"],
        response_model=Hotwords,
        responses=_errors(422, 429, 503),
        summary="Complaint hot words of the latest period, by keyness",
    )
    async def hotwords(
        scope: Annotated[
            str | None, Query(max_length=64, description="city, district or district_industry (default: from the filters given)")
        ] = None,
        district_code: Annotated[str | None, Query(max_length=64)] = None,
        industry_section: Annotated[str | None, Query(max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=top)] = top,
    ):
        snap = state.hotwords
        if snap is None:
            err = state.status["hotwords"].error or "not loaded yet"
            raise ApiError(503, f"complaint hot words are not available: {err}", "not_available")
        if scope is None and "scope" in snap.columns:
            scope = "district_industry" if district_code and industry_section else "district" if district_code else "city"
        words = snap.groups.get((scope if "scope" in snap.columns else None, district_code, industry_section), [])
        return _json(
            {
                "period": snap.period,
                "previous_period": snap.previous_period,
                "scope": scope,
                "district_code": district_code,
                "industry_section": industry_section,
                "words": words[:limit],
                "table_version": snap.version,
            }
        )

    # -- inspection records (issue 28: serving/inspections) ------------------------------------
    from lakehouse.config.inspections import InspectionSettings

    inspections = inspections if inspections is not None else InspectionSettings()
    if inspections.enabled:
        from lakehouse.tables import Tables
        from serving.inspections.api import add_routes

        add_routes(
            app, inspections, Tables(warehouse_root, None, storage_options=storage_options), require("inspection:write"), ApiError, _errors
        )

    # -- ops ---------------------------------------------------------------------------------

    @app.get("/healthz", tags=["ops"], response_model=Health, summary="Liveness")
    async def healthz():
        return _json({"status": "ok"})

    @app.get(
        "/readyz",
        tags=["ops"],
        response_model=Ready,
        responses={503: {"model": Ready, "description": "Risk scores not loaded."}},
        summary="Readiness: the risk-score snapshot is loaded",
    )
    async def readyz():
        return _json({"ready": state.ready, "sources": state.describe()}, 200 if state.ready else 503)

    metrics_deps = [] if settings.metrics_public else [Security(require("metrics:read"))]

    @app.get(
        "/metrics",
        tags=["ops"],
        dependencies=metrics_deps,
        summary="Prometheus metrics",
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}} | (_errors(401, 403) if metrics_deps else {}),
        response_class=Response,
    )
    async def prometheus():
        return Response(metrics.render(), media_type=METRICS_CONTENT_TYPE)

    return app


# -- construction from configuration -----------------------------------------------------------


def app_from_config(cfg, start_reloader: bool = True) -> FastAPI:
    """The app of ``regulake serve api``: :func:`create_app` with every setting taken from ``cfg``."""
    from lakehouse.config.serving import serving_settings
    from serving.dashboard.state import DashboardState

    settings = serving_settings(cfg).api
    dashboard = DashboardState(cfg.warehouse.root, cfg.warehouse.storage_options, settings.reload_interval_s, cfg.silver.data_docs_root)
    return create_app(
        settings,
        cfg.warehouse.root,
        cfg.warehouse.storage_options,
        cfg.risk.mlflow,
        list(cfg.risk.class_thresholds),
        cfg.risk.reasons,
        start_reloader,
        inspections=serving_settings(cfg).inspections,
        dashboard=dashboard,
    )


def app_from_env() -> FastAPI:
    """uvicorn factory for worker processes: configuration from REGULAKE_ENV (``regulake serve api`` sets it)."""
    import os

    from lakehouse.config import load_config

    return app_from_config(load_config(os.environ.get("REGULAKE_ENV")))

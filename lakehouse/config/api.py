"""Settings of the scoring API (``serving: api:`` in ``conf/*.yaml``).

API keys are stored as ``sha256$<hex>`` digests of the key (``regulake serve api-key`` makes a
random key and its digest); the key itself never sits in configuration. Keys are long random
tokens, so one unsalted SHA-256 is enough and costs a microsecond per request.

Output fields of the public endpoints (plans, hot words) go through an allowlist; a field
that looks personal (legal representatives, persons, ID numbers, phones, hashes, masked
values) is refused even when someone adds it to the allowlist.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Literal

from pydantic import Field, field_validator, model_validator

from lakehouse.config.base import Section

KEY_HASH_PREFIX = "sha256"
SCOPES = ("risk:read", "risk:score", "metrics:read", "inspection:write", "dashboard:read")
_TABLE = re.compile(r"^(bronze|silver|gold|ml|audit|ops)\.[a-z][a-z0-9_]*$")

# names the patterns below would catch that hold nothing personal (identifiers of plans and tasks, counts, the draw's seed hash)
SAFE_FIELDS = frozenset(
    {
        "plan_id",
        "task_id",
        "item_id",
        "batch_id",
        "run_id",
        "catalog_id",
        "department_id",
        "district_id",
        "inspectors_per_task",
        "seed_hash",
        "commitment_hash",
    }
)  # the two hashes are of public draw material
_PERSONAL = re.compile(
    r"(legal_rep|representative|person|inspector|shareholder_name|officer|contact|phone|mobile|tel$|email|"
    r"id_number|id_card|idcard|citizen|passport|_hash$|_masked$|^name$|^full_name$)"
)


def is_personal_field(name: str) -> bool:
    """True for a column name that may hold personal data (never served)."""
    n = name.lower()
    if n in SAFE_FIELDS:
        return False
    return bool(_PERSONAL.search(n)) or n.endswith("_id") or n.endswith("_ids")


def hash_api_key(key: str) -> str:
    return f"{KEY_HASH_PREFIX}${hashlib.sha256(key.encode('utf-8')).hexdigest()}"


def new_api_key() -> str:
    return "rk_" + secrets.token_urlsafe(32)


class ApiKey(Section):
    name: str = Field(..., min_length=1, description="Who holds the key (shown in logs and metrics, never the key).")
    key_hash: str = Field(..., description="sha256$<64 hex> of the key, from 'regulake serve api-key'.")
    scopes: list[Literal["risk:read", "risk:score", "metrics:read", "inspection:write", "dashboard:read"]] = Field(
        default_factory=lambda: ["risk:read"],
        description="risk:read (entity lookups, batch), risk:score (POST /v1/score), metrics:read, "
        "inspection:write (inspectors: records and signatures), dashboard:read (the dashboard's login and JSON).",
    )
    rate_limit_per_second: float | None = Field(None, gt=0, description="This key's own limit (default rate_limit.per_key_per_second).")
    burst: int | None = Field(None, ge=1, description="This key's own burst (default rate_limit.burst).")

    @field_validator("key_hash")
    @classmethod
    def _hash_format(cls, v: str) -> str:
        if not re.fullmatch(rf"{KEY_HASH_PREFIX}\$[0-9a-f]{{64}}", v):
            raise ValueError(f"must look like {KEY_HASH_PREFIX}$<64 lower-case hex digits>; make one with 'regulake serve api-key'")
        return v


class RateLimitSettings(Section):
    enabled: bool = True
    per_key_per_second: float = Field(200.0, gt=0, description="Sustained requests per second of one API key.")
    per_ip_per_second: float = Field(20.0, gt=0, description="Sustained requests per second of one client address without a valid key.")
    burst: int = Field(100, ge=1, description="Requests allowed at once above the sustained rate (token bucket size).")


class ApiTables(Section):
    risk_scores: str = Field("gold.risk_scores", description="Scores served; the latest score_date partition is held in memory.")
    factor_catalog: str = Field("gold.factor_catalog", description="Factor descriptions for the reasons of POST /v1/score.")
    public_plans: str = Field(
        "gold.public_inspection_plans", description="Published plans, one row per plan (the plan-level fields); used when it exists."
    )
    public_results: str = Field(
        "gold.public_inspection_results", description="Published tasks and results, one row per task (with public_plans)."
    )
    plan_disclosure: str = Field(
        "gold.plan_disclosure", description="Fallback when public_plans does not exist: one row per task, grouped by plan_id."
    )
    hotwords: str = Field(
        "gold.complaint_hot_words",
        description=(
            "Complaint hot words, ranked by keyness against general Chinese; the latest period is served "
            "(gold.complaint_rising_words serves the rising words instead, by their period-over-period ratio)."
        ),
    )

    @field_validator("*")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _TABLE.match(v):
            raise ValueError("must be '<layer>.<name>' (e.g. gold.risk_scores)")
        return v


DEFAULT_PLAN_FIELDS = [
    # gold.public_inspection_plans / gold.public_inspection_results (lakehouse.gold.plans.disclosure)
    "authority",
    "period_start",
    "period_end",
    "items",
    "item_names",
    "rule_version",
    "seed_hash",
    "drawn_at",
    "input_versions",
    "verify_command",
    "results_reported",
    "problems_found",
    "inspection_item",
    "inspection_item_name",
    "inspection_result",
    "inspection_result_name",
    # issue 29: the commitment, T, the randomness and the value used; cross-district staffing
    "status",
    "attempt",
    "abandoned_attempts",
    "commitment_hash",
    "committed_at",
    "reveal_after",
    "randomness_source",
    "randomness_target",
    "public_value",
    "cross_district_tasks",
    "cross_district",
    # a one-row-per-task gold.plan_disclosure
    "plan_id",
    "plan_name",
    "period",
    "plan_type",
    "department",
    "department_code",
    "department_name",
    "item_code",
    "item_name",
    "inspection_item",
    "task_id",
    "uscc",
    "entity_name",
    "entity_type",
    "district_code",
    "district_name",
    "town_code",
    "town_name",
    "industry_code",
    "industry_section",
    "industry_name",
    "risk_class",
    "targeted",
    "draw_date",
    "draw_seed",
    "seed",
    "draw_method",
    "status",
    "result",
    "result_code",
    "result_description",
    "finding",
    "handling",
    "inspection_date",
    "due_date",
    "published_at",
    "publish_date",
    "published",
    "tasks",
    "entities",
    "inspectors_per_task",
]
DEFAULT_HOTWORD_FIELDS = [
    "period",
    "previous_period",
    "scope",
    "district_code",
    "district_name",
    "industry_section",
    "industry_name",
    "rank",
    "word",
    "count",
    "previous_count",
    "share",
    "previous_share",
    "ratio",
    "growth",
    "is_new",
    "complaints",
    "kind",
    "parts",
    "keyness",
    "log_likelihood",
    "per_million",
    "background_per_million",
    "total_words",
]


class ApiSettings(Section):
    host: str = Field("127.0.0.1", description="Address the API binds.")
    port: int = Field(8000, ge=0, le=65535, description="Port (0: any free port).")
    workers: int = Field(1, ge=1, description="uvicorn worker processes; each holds its own copy of the snapshot.")
    api_keys: list[ApiKey] = Field(
        default_factory=list, description="Keys allowed on the protected endpoints; empty: only public endpoints work."
    )
    metrics_public: bool = Field(
        True, description="Serve /metrics without a key (a Prometheus scraper on the same network); false: needs scope metrics:read."
    )
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    reload_interval_s: float = Field(30.0, gt=0, description="How often the Delta versions and the MLflow champion alias are checked.")
    tables: ApiTables = Field(default_factory=ApiTables)
    batch_max: int = Field(1000, ge=1, le=1000, description="Most codes in one POST /v1/risk:batch.")
    hotwords_top: int = Field(50, ge=1, description="Most words one GET /v1/hotwords returns.")
    plan_fields: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PLAN_FIELDS), description="Columns of the plan tables that may be served; others are dropped."
    )
    hotword_fields: list[str] = Field(
        default_factory=lambda: list(DEFAULT_HOTWORD_FIELDS), description="Columns of the hot-word table that may be served."
    )
    docs: bool = Field(True, description="Serve /docs and /redoc (the OpenAPI document /openapi.json is always served).")
    access_log: bool = Field(False, description="uvicorn access log (one line per request; costs throughput).")

    @field_validator("plan_fields", "hotword_fields")
    @classmethod
    def _no_personal(cls, v: list[str]) -> list[str]:
        bad = [f for f in v if is_personal_field(f)]
        if bad:
            raise ValueError(f"field(s) {bad} may hold personal data and are never served; remove them")
        return list(dict.fromkeys(v))

    @model_validator(mode="after")
    def _unique_keys(self) -> ApiSettings:
        names = [k.name for k in self.api_keys]
        hashes = [k.key_hash for k in self.api_keys]
        if len(set(names)) != len(names) or len(set(hashes)) != len(hashes):
            raise ValueError("api_keys: names and key hashes must be unique")
        return self

"""Settings of the inspection plans (``plans:`` in conf/*.yaml) and the plan files (conf/plans/*.yaml).

A plan is configuration: what to inspect (the random-inspection items), whom (a population
filter over the entity register), how many (a total or a share of the eligible population),
how much of it is targeted by risk (a share, default 35%, or class-dependent ratios), the
strata the random share is spread over, how many inspectors per task, the recusal rules and
the workload cap. Defaults come from the ``plans:`` section; a plan file overrides them.

Example plan file (``conf/plans/demo-2026q1.yaml``)::

    id: demo-2026q1
    name: 2026年第一季度双随机抽查计划（演示）
    period: {start: 2026-01-05, end: 2026-03-31}
    items:
      - {code: "01"}
      - {code: "03", industry_sections: [F, H]}
    size: {population_share: 0.092}
    targeting: {mode: share, share: 0.35}
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from lakehouse.config.base import Section, default_conf_dir

ITEM_CODES = ("01", "02", "03", "04", "05", "06", "07", "08")
CLASSES = ("A", "B", "C", "D")
STRATA_COLUMNS = ("district_code", "town_code", "industry_section", "industry_division", "enterprise_type", "risk_class")


class RecusalRules(Section):
    """When an inspector must not inspect an entity (回避)."""

    declared_conflicts: bool = Field(
        True,
        description="Recuse inspectors from the entities they declared a conflict of interest with (always on in practice; off only for tests).",
    )
    home_town: bool = Field(True, description="Recuse inspectors from entities registered in the town (街道/镇) they live in.")


class Exclusions(Section):
    """Entities left out of the register before the draw."""

    inactive: bool = Field(
        True,
        description="Leave out entities whose registration status is not 1 (active): revoked, deregistered, moved out, cancelled, suspended.",
    )
    inspected_within_months: int = Field(
        12,
        ge=0,
        description="Leave out entities inspected in the last N months (gold.entity_profile inspections_days_since_last); 0 = keep them.",
    )
    under_investigation: bool = Field(
        True,
        description="Leave out entities whose latest inspection found a problem still pending follow-up (result 3, 发现问题待后续处理) within the last N months: they are under investigation.",
    )


class Signals(Section):
    """Weights of the risk signals beside the model (``lakehouse.gold.plans.signals``) in the targeted share:
    priority = 1 − (1 − probability) · Π (1 − weight) over the signals an entity has; 0 turns a signal off."""

    complaint_hotspot: float = Field(
        0.2, ge=0, lt=1, description="Entity with complaints in a complaint hotspot of the newest period (gold.hotspot_entities)."
    )
    registration_cluster: float = Field(
        0.3, ge=0, lt=1, description="Entity in a registration cluster that raised an alert (gold.registration_clusters, alert)."
    )

    def weights(self) -> dict[str, float]:
        return self.model_dump()


FOSHAN_NEIGHBOURS = {
    # Foshan's districts and the districts they border, nearest first (the recorded fallback order)
    "440604": ["440605", "440606"],  # 禅城 Chancheng: Nanhai, Shunde
    "440605": ["440604", "440606", "440607", "440608"],  # 南海 Nanhai: Chancheng, Shunde, Sanshui, Gaoming
    "440606": ["440604", "440605"],  # 顺德 Shunde: Chancheng, Nanhai
    "440607": ["440605", "440608"],  # 三水 Sanshui: Nanhai, Gaoming
    "440608": ["440607", "440605"],  # 高明 Gaoming: Sanshui, Nanhai
}


class Fallback(Section):
    """Cross-district staffing: where a task's own district cannot staff it (too few qualified, non-recused
    inspectors below the workload cap), its inspectors come from the neighbouring districts in the order
    listed, then from the city-level register (every inspector of the city). The order is part of the plan
    (recorded with the commitment); a task staffed from outside its district is marked cross-district."""

    enabled: bool = Field(
        True,
        description="Fall back to neighbouring districts and then the city register; false: a task its district cannot staff fails the plan.",
    )
    neighbours: dict[str, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in FOSHAN_NEIGHBOURS.items()},
        description="District → neighbouring districts, in the order they are tried.",
    )
    city: bool = Field(
        True, description="After the neighbours, the city-level register: every active inspector of the city (city-level bureau included)."
    )


class Randomness(Section):
    """Where a draw's unpredictability comes from (``lakehouse.gold.plans.randomness``).

    ``regulake plan commit`` publishes the commitment (register fingerprint, share hashes) and fixes T =
    commitment time + ``delay_seconds``; ``regulake plan draw`` is allowed only once the public value for T
    exists: the seed is SHA-256 of the revealed shares and that value."""

    source: Literal["drand", "published", "local"] = Field(
        "drand",
        description="drand: the first round of a drand beacon at or after T (BLS-verified); published: the first value of a published-values file (e.g. a lottery's numbers) at or after T; local: no public value, the shares of several parties only (closed network).",
    )
    delay_seconds: int = Field(
        86400, ge=0, description="T = commitment time + this delay; at least one day in production, 0 only for demos."
    )
    min_parties: int = Field(
        1, ge=1, description="Fewest parties whose shares are committed before T (local mode needs at least 2 to mean anything)."
    )
    parties: list[str] = Field(
        default_factory=list,
        description="Parties besides the operator (e.g. a discipline-inspection officer) who must commit a share before T and reveal it at the draw.",
    )
    drand_chain: str = Field("quicknet", description="A known drand chain (quicknet, default) or 'custom' with drand_info.")
    drand_urls: list[str] = Field(
        default_factory=lambda: ["https://api.drand.sh", "https://api2.drand.sh", "https://drand.cloudflare.com"],
        description="drand HTTP relays tried in order.",
    )
    drand_info: dict | None = Field(None, description="Chain info of a custom chain: hash, public_key, period, genesis_time, schemeID.")
    published_file: str | None = Field(
        None,
        description="published: a JSON-lines file of values (source, ref, value, published_at, url), entered with 'regulake plan enter-value'.",
    )
    published_source: str | None = Field(
        None, description="published: which source of that file the draw uses (e.g. 'China Welfare Lottery 3D')."
    )
    secrets_dir: str = Field(
        "./secrets/plans", description="Where 'plan commit' keeps the operator's secret share until the draw (never in the warehouse)."
    )
    abandon_after_hours: float = Field(
        168, ge=0, description="A commitment not drawn this long after T is shown as abandoned in the public tables."
    )
    timeout_seconds: float = Field(10, gt=0, description="HTTP timeout of a beacon request.")


class InspectorSimulation(Section):
    """The simulated inspector register (执法检查人员名录库) for the demo; a real deployment loads its catalog."""

    per_1000_entities: float = Field(4.0, gt=0, description="Inspectors per 1,000 registered entities of a district.")
    min_per_district: int = Field(6, ge=1, description="Fewest inspectors of a district.")
    qualification_rates: dict[str, float] = Field(
        default_factory=lambda: {"01": 1.0, "02": 1.0, "03": 0.45, "04": 0.4, "05": 0.25, "06": 0.25, "07": 0.3, "08": 0.35},
        description="Share of inspectors qualified for each inspection item (every district gets at least inspectors_per_task qualified for each).",
    )
    conflicts_per_inspector: float = Field(
        1.0, ge=0, description="Mean declared conflicts of interest per inspector (entities of their district)."
    )
    other_department_share: float = Field(
        0.15, ge=0, le=1, description="Share of inspectors from other departments joining market supervision (联合抽查)."
    )
    seed: int = Field(20260101, description="Seed of the simulated register.")

    @field_validator("qualification_rates")
    @classmethod
    def _rates(cls, v: dict[str, float]) -> dict[str, float]:
        bad = [k for k in v if k not in ITEM_CODES]
        if bad:
            raise ValueError(f"unknown inspection item(s) {bad}; items are {', '.join(ITEM_CODES)}")
        if any(not 0 <= r <= 1 for r in v.values()):
            raise ValueError("qualification rates are shares between 0 and 1")
        return v


class PlansSettings(Section):
    plans_dir: str | None = Field(None, description="Folder of plan files (*.yaml); default: <conf dir>/plans.")
    reports_root: str = Field("./reports/plans", description="Where effectiveness reports (HTML, PNG, JSON) go.")
    targeted_share: float = Field(0.35, ge=0, le=1, description="Default share of a plan targeted by risk (the case: 35%).")
    inspectors_per_task: int = Field(2, ge=2, description="Default inspectors per task (at least two).")
    workload_cap: int = Field(60, ge=1, description="Default most tasks one inspector gets in one plan.")
    strata: list[str] = Field(
        default_factory=lambda: ["district_code", "industry_section"],
        description="Default strata of the random share (proportional allocation).",
    )
    exclusions: Exclusions = Field(default_factory=Exclusions)
    recusal: RecusalRules = Field(default_factory=RecusalRules)
    signals: Signals = Field(default_factory=Signals)
    inspectors: InspectorSimulation = Field(default_factory=InspectorSimulation)
    fallback: Fallback = Field(default_factory=Fallback)
    randomness: Randomness = Field(default_factory=Randomness)
    simulate_inspectors: bool = Field(
        True, description="Create gold.inspectors from the simulator when it does not exist (demo); false: it must be loaded."
    )
    operator: str | None = Field(
        None, description="Who draws, recorded in the audit table; default the OS user (override with --operator)."
    )

    @field_validator("strata")
    @classmethod
    def _strata(cls, v: list[str]) -> list[str]:
        bad = [c for c in v if c not in STRATA_COLUMNS]
        if bad:
            raise ValueError(f"unknown stratum column(s) {bad}; choose from {', '.join(STRATA_COLUMNS)}")
        return v


# ---------------------------------------------------------------------------
# plan files


class Period(Section):
    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _order(self) -> Period:
        if self.end < self.start:
            raise ValueError("period.end is before period.start")
        return self


class Item(Section):
    """One item of the random-inspection item list (随机抽查事项清单)."""

    code: str = Field(..., description="Inspection item code 01..08 (code table inspection_item).")
    industry_sections: list[str] = Field(
        default_factory=list, description="GB/T 4754 sections (letters) the item applies to; empty: every industry."
    )

    @field_validator("code")
    @classmethod
    def _code(cls, v: str) -> str:
        if v not in ITEM_CODES:
            raise ValueError(f"unknown inspection item {v!r}; items are {', '.join(ITEM_CODES)}")
        return v


class Population(Section):
    """Filter of the entity register (empty lists: no filter)."""

    districts: list[str] = Field(default_factory=list)
    industry_sections: list[str] = Field(default_factory=list)
    enterprise_types: list[str] = Field(default_factory=list)
    risk_classes: list[str] = Field(default_factory=list)
    min_age_days: int = Field(0, ge=0, description="Only entities established at least this many days before the period start.")


class Size(Section):
    total: int | None = Field(None, ge=1, description="Tasks in the plan.")
    population_share: float | None = Field(
        None, gt=0, le=1, description="Tasks as a share of the eligible population (the case: ≈29k/0.35 of ≈900k ≈ 0.092)."
    )

    @model_validator(mode="after")
    def _one(self) -> Size:
        if (self.total is None) == (self.population_share is None):
            raise ValueError("give exactly one of size.total and size.population_share")
        return self


class Targeting(Section):
    mode: Literal["share", "class_ratios"] = Field(
        "share",
        description="share: a share of the plan goes to the highest-risk entities; class_ratios: each risk class is drawn at its own ratio.",
    )
    share: float | None = Field(None, ge=0, le=1, description="Targeted share of the plan (mode share); default plans.targeted_share.")
    method: Literal["top", "weighted"] = Field(
        "top", description="top: the highest probabilities (ties broken by the seed); weighted: a seeded draw weighted by probability."
    )
    ratios: dict[str, float] = Field(
        default_factory=dict, description="mode class_ratios: class → share of the class drawn, e.g. {A: 0.01, B: 0.02, C: 0.10, D: 0.30}."
    )

    @model_validator(mode="after")
    def _ratios(self) -> Targeting:
        if self.mode == "class_ratios":
            if set(self.ratios) != set(CLASSES):
                raise ValueError(f"targeting.ratios needs a ratio for each class {', '.join(CLASSES)}")
            if any(not 0 <= r <= 1 for r in self.ratios.values()):
                raise ValueError("targeting.ratios are shares between 0 and 1")
        elif self.ratios:
            raise ValueError("targeting.ratios only goes with mode: class_ratios")
        return self


class Plan(Section):
    """One inspection plan (抽查计划)."""

    id: str = Field(..., pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="Plan id: lower case letters, digits, '-' and '_'.")
    name: str
    period: Period
    items: list[Item] = Field(..., min_length=1)
    population: Population = Field(default_factory=Population)
    size: Size | None = Field(None, description="Plan size (mode share); class_ratios plans are sized by their ratios.")
    targeting: Targeting = Field(default_factory=Targeting)
    strata: list[str] | None = None
    inspectors_per_task: int | None = Field(None, ge=2)
    workload_cap: int | None = Field(None, ge=1)
    recusal: RecusalRules | None = None
    exclusions: Exclusions | None = None
    signals: Signals | None = Field(
        None, description="Weights of the complaint-hotspot and registration-cluster signals in the targeted share; default plans.signals."
    )
    fallback: Fallback | None = Field(None, description="Cross-district staffing order; default plans.fallback.")
    randomness: Randomness | None = Field(None, description="The draw's randomness (source, delay, parties); default plans.randomness.")
    task_number: int | None = Field(
        None, ge=100000, le=899999, description="Number of the plan's task in task ids SJ<year>-<number>; default derived from the id."
    )
    score_date: dt.date | None = Field(None, description="Risk scores of this date; default the latest in gold.risk_scores.")
    profile_as_of: dt.date | None = Field(None, description="Entity profile as of this date; default the latest in gold.entity_profile.")
    authority: str = Field("佛山市市场监督管理局", description="The authority publishing the plan.")

    @field_validator("strata")
    @classmethod
    def _strata(cls, v):
        if v is not None:
            bad = [c for c in v if c not in STRATA_COLUMNS]
            if bad:
                raise ValueError(f"unknown stratum column(s) {bad}; choose from {', '.join(STRATA_COLUMNS)}")
        return v

    @model_validator(mode="after")
    def _unique_items(self) -> Plan:
        codes = [i.code for i in self.items]
        if len(codes) != len(set(codes)):
            raise ValueError("an inspection item is listed twice")
        if self.targeting.mode == "share" and self.size is None:
            raise ValueError("a plan with targeting mode 'share' needs a size (size.total or size.population_share)")
        return self

    def resolved(self, defaults: PlansSettings) -> Plan:
        """The plan with every default filled in from the ``plans:`` section (what the draw records)."""
        import hashlib

        data = self.model_dump()
        data["strata"] = self.strata if self.strata is not None else list(defaults.strata)
        data["inspectors_per_task"] = self.inspectors_per_task or defaults.inspectors_per_task
        data["workload_cap"] = self.workload_cap or defaults.workload_cap
        data["recusal"] = (self.recusal or defaults.recusal).model_dump()
        data["exclusions"] = (self.exclusions or defaults.exclusions).model_dump()
        data["signals"] = (self.signals or defaults.signals).model_dump()
        data["fallback"] = (self.fallback or defaults.fallback).model_dump()
        if self.randomness is not None:  # the plan's own keys over plans.randomness; the secrets folder stays out of the plan
            merged = self.randomness_settings(defaults).model_dump()
            merged.pop("secrets_dir")
            data["randomness"] = merged
        if self.targeting.mode == "share" and self.targeting.share is None:
            data["targeting"]["share"] = defaults.targeted_share
        if self.task_number is None:
            data["task_number"] = 100000 + int(hashlib.sha256(self.id.encode()).hexdigest(), 16) % 800000
        return Plan.model_validate(data)

    def randomness_settings(self, defaults: PlansSettings) -> Randomness:
        """``plans.randomness`` with the keys the plan file sets itself over it (the source, delay and parties the
        commitment records); the secrets folder always comes from ``plans.randomness``."""
        if self.randomness is None:
            return defaults.randomness
        own = {k: getattr(self.randomness, k) for k in self.randomness.model_fields_set if k != "secrets_dir"}
        return defaults.randomness.model_copy(update=own)

    def canonical_json(self) -> str:
        import json

        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def settings_of(config) -> PlansSettings:
    """The ``plans`` section of a RegulakeConfig."""
    return config.plans


def plans_dir(settings: PlansSettings) -> Path:
    if settings.plans_dir:
        return Path(settings.plans_dir).expanduser()
    return default_conf_dir() / "plans"


def load_plan_file(path: Path) -> Plan:
    import yaml
    from pydantic import ValidationError

    from lakehouse.errors import ConfigError

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    try:
        return Plan.model_validate(data)
    except ValidationError as exc:
        lines = [f"'{'.'.join(str(p) for p in e['loc'])}': {e['msg']}" for e in exc.errors()]
        raise ConfigError(f"{path}: invalid plan:\n  " + "\n  ".join(lines)) from None


def load_plans(settings: PlansSettings) -> dict[str, Plan]:
    """Every plan file in the plans folder, by id (ids must be unique)."""
    from lakehouse.errors import ConfigError

    folder = plans_dir(settings)
    out: dict[str, Plan] = {}
    if not folder.exists():
        return out
    for path in sorted(folder.glob("*.yaml")):
        plan = load_plan_file(path)
        if plan.id in out:
            raise ConfigError(f"{path}: plan id '{plan.id}' is used by another file in {folder}")
        out[plan.id] = plan
    return out


def get_plan(settings: PlansSettings, plan_id: str) -> Plan:
    from lakehouse.errors import ConfigError

    plans = load_plans(settings)
    if plan_id not in plans:
        raise ConfigError(
            f"no plan '{plan_id}' in {plans_dir(settings)}; plans there: {', '.join(plans) or 'none'} "
            f"(add a file <id>.yaml, see docs/plans.md)"
        )
    return plans[plan_id]

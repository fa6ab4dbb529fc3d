"""The draw: a pure function of (plan, entity register, inspector register, seed) → tasks.

Nothing here reads a table, the clock or the environment. Every random choice is a
**draw key**: the first 8 bytes of ``SHA-256(material | purpose | id)`` as an unsigned
integer, where ``material = SHA-256("regulake-plan|<rule version>|<plan id>|<seed>")``.
Sorting by draw keys is a uniformly random permutation that anyone can recompute with any
SHA-256 implementation, independent of row order, library versions or machine; Python's
``hash()`` and Spark's ordering never enter.

Rule version ``RULE_VERSION`` names this algorithm; it is recorded with every draw, and a
change to anything below that alters results must bump it.

Steps (``draw``):

1. ``eligible``: the register minus exclusions (inactive, inspected within N months, under
   investigation), minus the population filter, minus entities no plan item applies to.
2. Sizes: ``total`` (or ``population_share`` × eligible); mode ``share``: targeted =
   round(share × total), random = the rest; mode ``class_ratios``: random = round(min ratio ×
   eligible), then each class topped up to round(ratio × class size).
3. Random share first, uniformly over the eligible population: proportional allocation over
   the strata (largest remainder, ties by draw key), inside a stratum the lowest keys. So the
   random share is a stratified uniform sample and its results are unbiased labels.
4. Targeted share from the rest, by **priority**: the model's probability combined with the
   complaint-hotspot and registration-cluster signals (``lakehouse.gold.plans.signals``, noisy-or
   with the plan's signal weights). Method ``top`` takes the highest priorities (ties by draw
   key); ``weighted`` draws with priority-proportional weights (Efraimidis–Spirakis keys
   ``log(u)/p`` from the draw keys); ``class_ratios`` draws uniformly inside each class.
5. One inspection item per task, by draw key, among the plan items that apply to the
   entity's industry section.
6. Inspectors (``lakehouse.gold.plans.assign``): the task's district first, then, in the plan's recorded
   fallback order, its neighbouring districts and the city register (tasks marked cross-district).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lakehouse.errors import RegulakeError
from lakehouse.gold.plans import signals
from lakehouse.gold.plans.keys import draw_keys, seed_hash, uniforms  # noqa: F401  (part of the draw's API)

if TYPE_CHECKING:
    from lakehouse.config.plans import Plan

RULE_VERSION = "dr-2026.3"  # .2: signals beside the model in the targeted share; .3: cross-district staffing fallback
REGISTER_COLUMNS = {
    "uscc": "string",
    "entity_name": "string",
    "enterprise_type": "string",
    "registration_status": "string",
    "establishment_date": "date",
    "industry_code": "string",
    "district_code": "string",
    "town_code": "string",
    "days_since_inspection": "double",
    "under_investigation": "boolean",
    "probability": "double",
    "risk_class": "string",
    "hotspot": "boolean",
    "cluster_alert": "boolean",
}
# register columns a hand-made register may leave out (no signal)
OPTIONAL_REGISTER_COLUMNS = {"hotspot": False, "cluster_alert": False}
TASK_COLUMNS = [
    "plan_id",
    "task_no",
    "task_id",
    "uscc",
    "entity_name",
    "district_code",
    "town_code",
    "industry_code",
    "industry_section",
    "stratum",
    "share",
    "inspection_mode",
    "inspection_item",
    "risk_class",
    "probability",
    "priority",
    "signals",
    "inspectors",
    "cross_district",
    "staffed_from",
]


class DrawError(RegulakeError):
    """The plan cannot be drawn as configured (too large, no scored entities, ...)."""


# ---------------------------------------------------------------------------
# draw keys


def key_material(seed: str, plan_id: str, rule_version: str = RULE_VERSION) -> bytes:
    return hashlib.sha256(f"regulake-plan|{rule_version}|{plan_id}|{seed}".encode()).digest()


# ---------------------------------------------------------------------------
# eligibility


def normalise_register(df: pd.DataFrame) -> pd.DataFrame:
    """The register's columns in canonical Python types (str/None, float, bool/None, ISO date text),
    whether it came from Spark, a Delta read-back or a test's hand-made frame."""
    absent = [c for c in OPTIONAL_REGISTER_COLUMNS if c not in df.columns]
    if absent:
        df = df.assign(**{c: OPTIONAL_REGISTER_COLUMNS[c] for c in absent})
    missing = [c for c in REGISTER_COLUMNS if c not in df.columns]
    if missing:
        raise DrawError(f"the entity register lacks column(s) {missing}")
    out = pd.DataFrame(index=range(len(df)))
    for c, t in REGISTER_COLUMNS.items():
        s = df[c].reset_index(drop=True)
        if t == "double":
            out[c] = pd.to_numeric(s, errors="coerce").astype(float)
            continue
        obj = s.astype(object)
        missing = s.isna().to_numpy()
        if t == "boolean":
            vals = [bool(v) for v in obj.tolist()]
        elif t == "date":
            vals = [str(v)[:10] for v in obj.tolist()]
        else:
            vals = obj.tolist()
            if not all(type(v) is str for v in vals):
                vals = [v if type(v) is str else str(v) for v in vals]
        out[c] = pd.Series(vals, dtype=object).where(~missing, None)
        if c in OPTIONAL_REGISTER_COLUMNS:  # a missing signal is no signal
            out[c] = [v is True for v in out[c].tolist()]
    if out["uscc"].isna().any() or out["uscc"].duplicated().any():
        raise DrawError("the entity register must hold each uscc once and no empty uscc")
    return out.sort_values("uscc", kind="stable").reset_index(drop=True)


# GB/T 4754-2017: division (2 digits) → section letter
_SECTIONS = [
    ("A", 1, 5),
    ("B", 6, 12),
    ("C", 13, 43),
    ("D", 44, 46),
    ("E", 47, 50),
    ("F", 51, 52),
    ("G", 53, 60),
    ("H", 61, 62),
    ("I", 63, 65),
    ("J", 66, 69),
    ("K", 70, 70),
    ("L", 71, 72),
    ("M", 73, 75),
    ("N", 76, 79),
    ("O", 80, 82),
    ("P", 83, 83),
    ("Q", 84, 85),
    ("R", 86, 90),
    ("S", 91, 96),
    ("T", 97, 97),
]
SECTION_OF_DIVISION = {f"{d:02d}": s for s, lo, hi in _SECTIONS for d in range(lo, hi + 1)}


def industry_parts(code: str | None) -> tuple[str, str]:
    """(section letter, division) of an industry code given as 'C3381' or '3381'."""
    code = (code or "").strip()
    if code[:1].isalpha():
        return code[:1].upper(), code[1:3]
    return SECTION_OF_DIVISION.get(code[:2], ""), code[:2]


def with_derived(register: pd.DataFrame) -> pd.DataFrame:
    """Sorted by uscc (the canonical order), with industry section and division."""
    reg = normalise_register(register)
    parts = [industry_parts(c) for c in reg["industry_code"]]
    reg["industry_section"] = [p[0] for p in parts]
    reg["industry_division"] = [p[1] for p in parts]
    return reg


def applicable_items(plan: Plan, sections: pd.Series) -> list[list[str]]:
    items = [(i.code, set(i.industry_sections)) for i in plan.items]
    cache: dict[str, list[str]] = {}
    out = []
    for s in sections:
        if s not in cache:
            cache[s] = [c for c, secs in items if not secs or s in secs]
        out.append(cache[s])
    return out


def exclusion_reasons(register: pd.DataFrame, plan: Plan) -> pd.Series:
    """Why each entity of the (derived) register is not drawable; None when it is eligible."""
    ex = plan.exclusions
    pop = plan.population
    reason = pd.Series([None] * len(register), index=register.index, dtype=object)

    def mark(mask, why):
        mask = pd.Series(mask, index=register.index).fillna(False).astype(bool)
        reason[mask & reason.isna()] = why

    if ex is None:
        raise DrawError("plan is not resolved (call Plan.resolved with the plans settings)")
    if ex.inactive:
        mark(register["registration_status"].astype(object) != "1", "inactive")
    if ex.inspected_within_months > 0:
        days = ex.inspected_within_months * 365.25 / 12
        mark(register["days_since_inspection"].astype(float) < days, f"inspected within {ex.inspected_within_months} months")
    if ex.under_investigation:
        mark(register["under_investigation"].astype(object) == True, "under investigation")  # noqa: E712
    if pop.districts:
        mark(~register["district_code"].isin(pop.districts), "outside population: district")
    if pop.industry_sections:
        mark(~register["industry_section"].isin(pop.industry_sections), "outside population: industry")
    if pop.enterprise_types:
        mark(~register["enterprise_type"].isin(pop.enterprise_types), "outside population: enterprise type")
    if pop.risk_classes:
        mark(~register["risk_class"].isin(pop.risk_classes), "outside population: risk class")
    if pop.min_age_days:
        est = pd.to_datetime(register["establishment_date"], errors="coerce")
        age = (pd.Timestamp(plan.period.start) - est).dt.days
        mark(~(age >= pop.min_age_days), "outside population: too young")
    no_item = [len(x) == 0 for x in applicable_items(plan, register["industry_section"])]
    mark(no_item, "no plan item applies")
    return reason


# ---------------------------------------------------------------------------
# allocation


def allocate(sizes: dict[str, int], n: int, tie_keys: dict[str, int]) -> dict[str, int]:
    """Proportional allocation of ``n`` over strata of ``sizes`` by largest remainder.

    Quotas sum to ``n`` (when n ≤ Σ sizes) and never exceed a stratum's size; remainders
    that tie are ordered by ``tie_keys`` (draw keys of the stratum names).
    """
    total = sum(sizes.values())
    if n > total:
        raise DrawError(f"cannot draw {n} from {total} entities")
    if n == 0 or total == 0:
        return {s: 0 for s in sizes}
    quotas = {}
    rema = []
    for s, size in sizes.items():
        exact = n * size / total
        q = math.floor(exact)
        quotas[s] = q
        rema.append((-(exact - q), tie_keys[s], s))
    left = n - sum(quotas.values())
    for _, _, s in sorted(rema):
        if left == 0:
            break
        if quotas[s] < sizes[s]:
            quotas[s] += 1
            left -= 1
    return quotas


def stratum_labels(reg: pd.DataFrame, strata: list[str]) -> pd.Series:
    if not strata:
        return pd.Series(["all"] * len(reg), index=reg.index, dtype=object)
    parts = [reg[c].fillna("-").astype(str) for c in strata]
    out = parts[0]
    for p in parts[1:]:
        out = out + "|" + p
    return out


# ---------------------------------------------------------------------------
# the draw


@dataclass
class DrawResult:
    tasks: pd.DataFrame
    register: pd.DataFrame  # the derived register with 'exclusion' (None = eligible)
    random_quotas: dict[str, int]
    summary: dict = field(default_factory=dict)


def plan_sizes(plan: Plan, n_eligible: int) -> tuple[int, int]:
    """(total, targeted) of a share-mode plan."""
    size = plan.size
    total = size.total if size.total is not None else int(round(size.population_share * n_eligible))
    if total > n_eligible:
        raise DrawError(
            f"plan {plan.id} asks for {total} tasks but only {n_eligible} entities are eligible; "
            "lower size.total or loosen the population filter and exclusions"
        )
    targeted = int(round(plan.targeting.share * total))
    return total, targeted


def select_entities(plan: Plan, register: pd.DataFrame, seed: str, rule_version: str = RULE_VERSION) -> DrawResult:
    """Steps 1-5: which entities, which share, which item (no inspectors yet)."""
    reg = with_derived(register)
    reg["exclusion"] = exclusion_reasons(reg, plan)
    el = reg[reg["exclusion"].isna()].copy()
    weights = plan.signals.weights() if plan.signals is not None else {}
    flags = {s: el[c].to_numpy(dtype=bool) for s, c in signals.COLUMN.items()}
    el["priority"] = signals.priority(el["probability"].to_numpy(dtype=float), flags, weights)
    el["signals"] = signals.labels(flags, weights)
    material = key_material(seed, plan.id, rule_version)
    el["stratum"] = stratum_labels(el, plan.strata or [])
    el["k_random"] = draw_keys(material, "random", el["uscc"].tolist())
    el["k_target"] = draw_keys(material, "targeted", el["uscc"].tolist())
    n = len(el)

    if plan.targeting.mode == "share":
        total, n_target = plan_sizes(plan, n)
        n_random = total - n_target
    else:
        ratios = plan.targeting.ratios
        n_random = int(round(min(ratios.values()) * n))
        n_target = None

    sizes = el.groupby("stratum", sort=True).size().to_dict()
    strata_names = sorted(sizes)
    tie = dict(zip(strata_names, draw_keys(material, "stratum", strata_names).tolist()))
    quotas = allocate(sizes, n_random, tie)
    el = el.sort_values(["stratum", "k_random", "uscc"], kind="stable")
    rank = el.groupby("stratum", sort=False).cumcount()
    el["share"] = np.where(rank.to_numpy() < el["stratum"].map(quotas).to_numpy(), "random", None)
    el = el.sort_values("uscc", kind="stable")

    pool = el[el["share"].isna()]
    if plan.targeting.mode == "share":
        scored = pool[pool["priority"].notna()]
        if n_target > len(scored):
            raise DrawError(
                f"plan {plan.id} targets {n_target} entities but only {len(scored)} eligible entities outside the "
                "random share have a risk score; run 'regulake run score' or lower the size or targeted share"
            )
        if plan.targeting.method == "top":
            order = scored.sort_values(["priority", "k_target", "uscc"], ascending=[False, True, True], kind="stable")
        else:
            p = scored["priority"].clip(lower=1e-12).to_numpy()
            es = np.log(uniforms(scored["k_target"].to_numpy())) / p  # larger is better
            order = scored.assign(_es=es).sort_values(["_es", "uscc"], ascending=[False, True], kind="stable")
        chosen = order.index[:n_target]
        el.loc[chosen, "share"] = "targeted"
    else:
        ratios = plan.targeting.ratios
        for cls, ratio in sorted(ratios.items()):
            in_class = el["risk_class"] == cls
            want = int(round(ratio * int(in_class.sum())))
            have = int((in_class & (el["share"] == "random")).sum())
            extra = max(0, want - have)
            cand = el[in_class & el["share"].isna()].sort_values(["k_target", "uscc"], kind="stable")
            el.loc[cand.index[:extra], "share"] = "targeted"

    tasks = el[el["share"].notna()].copy().sort_values("uscc", kind="stable").reset_index(drop=True)
    items = applicable_items(plan, tasks["industry_section"])
    k_item = uniforms(draw_keys(material, "item", tasks["uscc"].tolist()))
    tasks["inspection_item"] = [opts[min(int(u * len(opts)), len(opts) - 1)] for opts, u in zip(items, k_item)]
    year = plan.period.start.year
    tasks["plan_id"] = plan.id
    tasks["task_no"] = np.arange(1, len(tasks) + 1, dtype=np.int64)
    tasks["task_id"] = f"SJ{year}-{plan.task_number:06d}"
    tasks["inspection_mode"] = np.where(tasks["share"] == "random", "1", "2")
    summary = {
        "register": int(len(reg)),
        "eligible": int(n),
        "tasks": int(len(tasks)),
        "random": int((tasks["share"] == "random").sum()),
        "targeted": int((tasks["share"] == "targeted").sum()),
        "excluded": {str(k): int(v) for k, v in reg["exclusion"].value_counts().sort_index().items()},
        "signals": {
            s: {
                "eligible": int(el[c].sum()),
                "targeted": int((el[c] & (el["share"] == "targeted")).sum()),
                "weight": float(weights.get(s, 0.0)),
            }
            for s, c in signals.COLUMN.items()
        },
    }
    return DrawResult(tasks, reg, quotas, summary)


def draw(plan: Plan, register: pd.DataFrame, inspectors: pd.DataFrame, seed: str, rule_version: str = RULE_VERSION) -> DrawResult:
    """The whole draw: entities, shares, items and inspectors. Pure and deterministic."""
    from lakehouse.gold.plans.assign import assign_inspectors

    if rule_version != RULE_VERSION:
        raise DrawError(
            f"this code implements draw rule {RULE_VERSION}; a draw recorded with rule {rule_version} "
            "must be recomputed with the release that implements it"
        )
    res = select_entities(plan, register, seed, rule_version)
    material = key_material(seed, plan.id, rule_version)
    staffing = assign_inspectors(res.tasks, inspectors, plan.inspectors_per_task, plan.workload_cap, plan.recusal, material, plan.fallback)
    loads = staffing.loads
    res.tasks["inspectors"] = staffing.inspectors
    res.tasks["cross_district"] = staffing.cross_district
    res.tasks["staffed_from"] = staffing.staffed_from
    res.tasks = res.tasks[TASK_COLUMNS]
    res.summary["cross_district"] = int(sum(staffing.cross_district))
    res.summary["inspectors_used"] = int(sum(1 for v in loads.values() if v))
    res.summary["workload_max"] = int(max(loads.values(), default=0))
    res.summary["workload_min_used"] = int(min((v for v in loads.values() if v), default=0))
    return res


# ---------------------------------------------------------------------------
# canonical fingerprints


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, (list, tuple, np.ndarray)):
        return ",".join(_fmt(x) for x in v)
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    if isinstance(v, (np.integer,)):
        return str(int(v))
    if hasattr(v, "isoformat"):
        return v.isoformat()[:10] if not hasattr(v, "hour") else v.isoformat()
    return str(v)


def _column_text(values: list) -> list[str]:
    if all(type(v) is str for v in values):
        return values
    return [v if type(v) is str else _fmt(v) for v in values]


def frame_hash(df: pd.DataFrame, columns: list[str], sort_by: list[str]) -> str:
    """SHA-256 over a canonical text rendering (sorted rows, tab-separated, repr floats, '' for missing)."""
    h = hashlib.sha256()
    h.update(("\t".join(columns) + "\n").encode())
    if len(df):
        d = df.sort_values(sort_by, kind="stable")
        cols = [_column_text(d[c].tolist()) for c in columns]
        step = 100_000
        for i in range(0, len(d), step):
            chunk = ["\t".join(row) + "\n" for row in zip(*(c[i : i + step] for c in cols))]
            h.update("".join(chunk).encode("utf-8"))
    return h.hexdigest()


def tasks_hash(tasks: pd.DataFrame) -> str:
    return frame_hash(tasks, TASK_COLUMNS, ["task_no"])


def register_hash(register: pd.DataFrame) -> str:
    return frame_hash(register, list(REGISTER_COLUMNS), ["uscc"])

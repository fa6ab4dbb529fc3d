"""Draw, verify and show plans against the warehouse (the pure draw is in draw.py).

``draw_plan``: registers at the current table versions → frozen register → commit the seed
hash → draw → tasks → reveal the seed → public disclosure. ``verify_plan``: recompute
everything from the recorded inputs and say whether it matches exactly.
"""
from __future__ import annotations

import datetime as dt
import getpass
import json
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import pandas as pd

from lakehouse.errors import RegulakeError
from lakehouse.plans import audit, registers
from lakehouse.plans.draw import RULE_VERSION, draw, register_hash, seed_hash, tasks_hash

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakehouse.plans.settings import Plan, PlansSettings
    from lakehouse.tables import Tables


@dataclass
class DrawOutcome:
    plan_id: str
    attempt: int
    seed_hash: str
    seed: str
    tasks: int
    tasks_hash: str
    tasks_version: int
    input_versions: dict[str, int]
    summary: dict


def operator_name(settings: PlansSettings, operator: str | None) -> str:
    if operator:
        return operator
    if settings.operator:
        return settings.operator
    try:
        return getpass.getuser()
    except Exception:  # pragma: no cover
        return "unknown"


def draw_plan(spark: SparkSession, tables: Tables, settings: PlansSettings, plan: Plan, seed: str | None = None,
              operator: str | None = None, progress: Callable[[str], None] | None = None, publish: bool = True) -> DrawOutcome:
    """Draw ``plan`` once: refuses a plan already drawn (give a new plan id instead)."""
    say = progress or (lambda m: None)
    plan = plan.resolved(settings)
    evts = audit.events(tables, plan.id)
    done = audit.revealed(evts)
    if done:
        raise RegulakeError(f"plan {plan.id} was drawn already (attempt {done[1]['attempt']} at {done[1]['at']}, seed revealed); "
                            "a plan is drawn once — give a new plan a new id, or check this one with 'regulake plan verify'")
    attempt = audit.next_attempt(evts)
    who = operator_name(settings, operator)
    versions = registers.input_versions(tables)
    as_of, score_date = registers.resolve_dates(tables, versions, plan.profile_as_of, plan.score_date)
    say(f"{plan.id}: entity register as of {as_of}, scores of {score_date}")
    register = registers.build_entity_register(tables, versions, as_of, score_date)
    versions[registers.INSPECTORS] = registers.ensure_inspectors(spark, tables, settings, register, plan.inspectors_per_task)
    inspectors = registers.read_inspectors(tables, versions[registers.INSPECTORS])
    reg_hash = register_hash(register)
    reg_version = audit.freeze_register(spark, tables, plan.id, register)
    seed = seed if seed is not None else secrets.token_hex(16)
    s_hash = seed_hash(seed)
    common = dict(plan_id=plan.id, attempt=attempt, rule_version=RULE_VERSION, plan_json=plan.canonical_json(),
                  plan_hash=seed_hash(plan.canonical_json()), input_versions=versions, profile_as_of=as_of,
                  score_date=score_date, register_hash=reg_hash, register_version=reg_version, seed_hash=s_hash, operator=who)
    audit.record(spark, tables, event="committed", **common)
    say(f"{plan.id}: seed hash {s_hash[:16]}… committed (attempt {attempt}); drawing {len(register):,} entities")
    try:
        result = draw(plan, register, inspectors, seed)
    except RegulakeError as exc:
        audit.record(spark, tables, event="failed", message=str(exc), **common)
        raise
    result.summary["input_retention"] = input_retention(tables, versions)
    short = [n for n, r in result.summary["input_retention"].items() if r.get("audit") is False]
    if short:
        say(f"{plan.id}: note: {', '.join(short)} keep(s) old versions for less than the audit horizon; "
            f"verify falls back to the frozen register once they expire (write them with audit=True)")
    t_hash = tasks_hash(result.tasks)
    t_version = audit.write_tasks(spark, tables, plan.id, result.tasks)
    audit.record(spark, tables, event="revealed", seed=seed, tasks_hash=t_hash, tasks_version=t_version,
                 tasks=len(result.tasks), summary_json=json.dumps(result.summary, ensure_ascii=False, sort_keys=True), **common)
    say(f"{plan.id}: {len(result.tasks):,} tasks ({result.summary['targeted']:,} targeted), seed revealed")
    if publish:
        from lakehouse.plans import disclosure

        disclosure.publish(spark, tables, plan.id)
    return DrawOutcome(plan.id, attempt, s_hash, seed, len(result.tasks), t_hash, t_version, versions, result.summary)


def input_retention(tables: Tables, versions: dict[str, int]) -> dict[str, dict]:
    """Each input's log and file retention, and whether they cover the audit horizon."""
    from lakehouse.tables.maintenance import interval_hours

    out = {}
    for name in versions:
        try:
            props = tables.properties(name)
        except Exception:  # noqa: BLE001
            continue
        log = props.get("delta.logRetentionDuration", "")
        files = props.get("delta.deletedFileRetentionDuration", "")
        need = tables.audit_retention_days * 24
        ok = all((interval_hours(x) or 0) >= need for x in (log, files))
        out[name] = {"log_retention": log or "default", "file_retention": files or "default", "audit": ok}
    return out


# ---------------------------------------------------------------------------
# verification


@dataclass
class Check:
    name: str
    status: str           # ok | mismatch | unavailable
    detail: str = ""


@dataclass
class Verification:
    plan_id: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.status != "mismatch" for c in self.checks) and any(c.name == "draw" and c.status == "ok" for c in self.checks)

    def add(self, name, status, detail=""):
        self.checks.append(Check(name, status, detail))


def _diff(expected: pd.DataFrame, actual: pd.DataFrame, limit: int = 5) -> str:
    from lakehouse.plans.draw import TASK_COLUMNS, _fmt

    def rows(df):
        return {int(r["task_no"]): "\t".join(_fmt(r[c]) for c in TASK_COLUMNS) for r in df.to_dict("records")}

    e, a = rows(expected), rows(actual)
    out = []
    for k in sorted(set(e) | set(a)):
        if e.get(k) != a.get(k):
            if k not in a:
                out.append(f"task {k} missing")
            elif k not in e:
                out.append(f"task {k} added")
            else:
                ev, av = e[k].split("\t"), a[k].split("\t")
                cols = [c for c, x, y in zip(TASK_COLUMNS, ev, av) if x != y]
                out.append(f"task {k}: " + ", ".join(f"{c} {x!r} → {y!r}" for c, x, y in zip(TASK_COLUMNS, ev, av) if c in cols))
    n = len(out)
    return "; ".join(out[:limit]) + (f"; … {n - limit} more" if n > limit else "") if out else ""


def verify_plan(spark: SparkSession, tables: Tables, plan_id: str) -> Verification:
    """Recompute the draw from the recorded inputs; every check and whether all match exactly."""
    from lakehouse.plans.settings import Plan

    ver = Verification(plan_id)
    evts = audit.events(tables, plan_id)
    pair = audit.revealed(evts)
    if not pair:
        raise RegulakeError(f"plan {plan_id} has no completed draw in {audit.DRAWS}; draw it with 'regulake plan draw {plan_id}'")
    com, rev = pair
    # 1. the seed revealed is the seed committed; the commit came first
    fields_same = all(com[f] == rev[f] for f in ("plan_json", "rule_version", "seed_hash", "register_hash", "input_versions"))
    ver.add("audit trail", "ok" if fields_same else "mismatch",
            "committed and revealed events agree on plan, rule, inputs and seed hash" if fields_same else "the revealed event differs from the committed one")
    ok_seed = seed_hash(rev["seed"] or "") == com["seed_hash"]
    ver.add("seed", "ok" if ok_seed else "mismatch", f"SHA-256(seed) {'=' if ok_seed else '≠'} committed hash {com['seed_hash'][:16]}…")
    order_ok = com["at"] <= rev["at"]
    ver.add("order", "ok" if order_ok else "mismatch", f"seed hash committed {com['at']} before the seed was revealed {rev['at']}")
    plan = Plan.model_validate_json(com["plan_json"])
    versions = {k: int(v) for k, v in (com["input_versions"] or {}).items()}
    # 2. the inputs at their recorded versions give the recorded register
    try:
        rebuilt = registers.build_entity_register(tables, versions, com["profile_as_of"], com["score_date"])
        same = register_hash(rebuilt) == com["register_hash"]
        ver.add("inputs", "ok" if same else "mismatch",
                f"entity register rebuilt from {', '.join(f'{k}@v{v}' for k, v in sorted(versions.items()))}: "
                f"{'same' if same else 'different'} fingerprint")
    except Exception as exc:  # noqa: BLE001 - an input past its retention is reported, not fatal
        ver.add("inputs", "unavailable", f"cannot re-read the inputs at their recorded versions ({type(exc).__name__}: {str(exc)[:200]}); using the frozen register")
    frozen = audit.read_register(tables, plan_id, com["register_version"])
    same = register_hash(frozen) == com["register_hash"]
    ver.add("frozen register", "ok" if same else "mismatch", f"{audit.REGISTERS}@v{com['register_version']}: {len(frozen):,} entities")
    # 3. the draw recomputed from the frozen register, the inspectors and the seed
    inspectors = registers.read_inspectors(tables, versions[registers.INSPECTORS])
    try:
        expected = draw(plan, frozen, inspectors, rev["seed"], com["rule_version"]).tasks
    except RegulakeError as exc:
        ver.add("draw", "mismatch", f"recomputation failed: {exc}")
        return ver
    e_hash = tasks_hash(expected)
    ver.add("draw", "ok" if e_hash == rev["tasks_hash"] else "mismatch",
            f"recomputed {len(expected):,} tasks, fingerprint {'=' if e_hash == rev['tasks_hash'] else '≠'} the revealed {rev['tasks_hash'][:16]}…")
    # 4. the published tasks: as written and as they are now
    for label, version in (("tasks as written", rev["tasks_version"]), ("tasks now", None)):
        stored = audit.read_tasks(tables, plan_id, version)
        s_hash = tasks_hash(stored)
        where = f"{audit.TASKS}@v{version}" if version is not None else f"{audit.TASKS}@v{tables.version(audit.TASKS)} (current)"
        if s_hash == e_hash:
            ver.add(label, "ok", f"{where}: identical to the recomputed draw")
        else:
            ver.add(label, "mismatch", f"{where}: differs from the recomputed draw: {_diff(expected, stored)}")
    return ver


def show(tables: Tables, plan_id: str) -> dict:
    """The plan's audit trail, sizes and workloads."""
    evts = audit.events(tables, plan_id)
    if not evts:
        raise RegulakeError(f"plan {plan_id} has not been drawn (no events in {audit.DRAWS})")
    out = {"plan_id": plan_id, "events": [{k: (str(v) if isinstance(v, (dt.date, dt.datetime)) else v) for k, v in e.items()
                                           if k in ("attempt", "event", "at", "operator", "seed_hash", "seed", "tasks", "tasks_hash", "message", "input_versions")}
                                          for e in evts]}
    pair = audit.revealed(evts)
    if pair:
        tasks = audit.read_tasks(tables, plan_id)
        out["summary"] = audit.summary_of(pair[1])
        out["by_share"] = tasks.groupby("share").size().to_dict()
        out["by_district"] = tasks.groupby(["district_code", "share"]).size().unstack(fill_value=0).to_dict("index")
        out["by_item"] = tasks.groupby("inspection_item").size().to_dict()
        loads = pd.Series([i for lst in tasks["inspectors"] for i in lst]).value_counts()
        out["workload"] = {"inspectors": int(len(loads)), "min": int(loads.min()) if len(loads) else 0,
                           "max": int(loads.max()) if len(loads) else 0, "mean": float(loads.mean()) if len(loads) else 0.0}
    return out

"""Public disclosure (一公开): plans and their results, with no personal data.

``gold.public_inspection_plans``: one row per drawn plan — name, authority, period, items,
size, the rule version, the seed hash committed before the draw and the seed revealed after
it, the input table versions and how to verify, and once results are in, how many were
inspected and how many had problems.

``gold.public_inspection_results``: one row per task — task id, the entity's registered name
and USCC (public registration facts), district, inspection item and, when delivered, the
inspection date and result. Never published: inspector ids, legal representatives, risk
probabilities, classes or reasons, and whether a task was risk-targeted (that would disclose
the risk assessment of a named entity).

Both are plain Delta tables in gold (Trino serves them); ``public_router`` is a FastAPI router
over the same tables for the scoring API (``app.include_router(public_router(root))``).
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING

from lakehouse.plans import audit

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakehouse.tables import Tables

PUBLIC_PLANS = "gold.public_inspection_plans"
PUBLIC_RESULTS = "gold.public_inspection_results"
PLANS_SCHEMA = (
    "plan_id string, plan_name string, authority string, period_start date, period_end date, items array<string>, "
    "item_names array<string>, tasks int, inspectors_per_task int, rule_version string, seed_hash string, seed string, "
    "drawn_at timestamp, input_versions string, verify_command string, results_reported int, problems_found int, published_at timestamp"
)
RESULTS_SCHEMA = (
    "plan_id string, task_id string, uscc string, entity_name string, district_code string, district_name string, "
    "inspection_item string, inspection_item_name string, inspection_date date, inspection_result string, "
    "inspection_result_name string, authority string"
)
# never in a public table, whatever the upstream schema grows into
FORBIDDEN = ("inspector", "probability", "priority", "signal", "hotspot", "cluster", "risk", "share", "reason", "legal_rep", "phone",
             "id_hash", "id_masked", "stratum")


def _code_names() -> tuple[dict, dict]:
    import csv

    from catalog.loader import DATA_DIR

    items, results = {}, {}
    with open(DATA_DIR / "code_tables.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            first = list(r.values())
            table, code, name = first[0], first[1], first[2]
            if table == "inspection_item":
                items[code] = name
            elif table == "inspection_result":
                results[code] = name
    return items, results


def _district_names() -> dict[str, str]:
    try:
        from lakehouse.landing.places import load_places

        p = load_places()
        return dict(zip(p.district_codes.tolist(), p.district_names.tolist()))
    except Exception:  # pragma: no cover
        return {}


def publish(spark: SparkSession, tables: Tables, plan_id: str) -> dict:
    """(Re)write the plan's public rows: the plan, its tasks and whatever results silver holds for them."""
    from pyspark.sql import functions as F

    from lakehouse.plans.settings import Plan

    pair = audit.revealed(audit.events(tables, plan_id))
    if not pair:
        from lakehouse.errors import RegulakeError

        raise RegulakeError(f"plan {plan_id} has no completed draw to publish")
    com, rev = pair
    plan = Plan.model_validate_json(com["plan_json"])
    tasks = audit.read_tasks(tables, plan_id, rev["tasks_version"])
    item_names, result_names = _code_names()
    districts = _district_names()
    results = _results(tables, tasks)
    rows = []
    for t in tasks.to_dict("records"):
        r = results.get((t["task_id"], t["uscc"]), {})
        rows.append({
            "plan_id": plan_id, "task_id": t["task_id"], "uscc": t["uscc"], "entity_name": t["entity_name"],
            "district_code": t["district_code"], "district_name": districts.get(t["district_code"]),
            "inspection_item": t["inspection_item"], "inspection_item_name": item_names.get(t["inspection_item"]),
            "inspection_date": r.get("inspection_date"), "inspection_result": r.get("inspection_result"),
            "inspection_result_name": result_names.get(r.get("inspection_result")), "authority": r.get("authority") or plan.authority,
        })
    reported = sum(1 for r in rows if r["inspection_result"])
    problems = sum(1 for r in rows if r["inspection_result"] and r["inspection_result"] != "1")
    plan_row = {
        "plan_id": plan_id, "plan_name": plan.name, "authority": plan.authority, "period_start": plan.period.start,
        "period_end": plan.period.end, "items": [i.code for i in plan.items], "item_names": [item_names.get(i.code, "") for i in plan.items],
        "tasks": len(rows), "inspectors_per_task": plan.inspectors_per_task, "rule_version": com["rule_version"],
        "seed_hash": com["seed_hash"], "seed": rev["seed"], "drawn_at": rev["at"],
        "input_versions": json.dumps(com["input_versions"], sort_keys=True), "verify_command": f"regulake plan verify {plan_id}",
        "results_reported": reported, "problems_found": problems, "published_at": audit.now(),
    }
    v1 = tables.write(PUBLIC_PLANS, spark.createDataFrame([plan_row], PLANS_SCHEMA), mode="overwrite",
                      partition_by=["plan_id"], replace_where={"plan_id": plan_id}).version
    df = spark.createDataFrame(rows, RESULTS_SCHEMA) if rows else spark.createDataFrame([], RESULTS_SCHEMA)
    assert not any(any(f in c for f in FORBIDDEN) for c in df.columns)
    v2 = tables.write(PUBLIC_RESULTS, df.withColumn("inspection_date", F.col("inspection_date").cast("date")), mode="overwrite",
                      partition_by=["plan_id"], replace_where={"plan_id": plan_id}).version
    return {"plans_version": v1, "results_version": v2, "tasks": len(rows), "results_reported": reported, "problems_found": problems}


def _results(tables: Tables, tasks) -> dict:
    """(task_id, uscc) → latest delivered result from silver.inspections."""
    from lakehouse.plans.registers import inspection_rows

    if len(tasks) == 0:
        return {}
    rows = inspection_rows(tables, sorted(set(tasks["task_id"])),
                           ["uscc", "inspection_date", "inspection_result", "authority", "update_time"])
    keep = set(zip(tasks["task_id"], tasks["uscc"]))
    out = {}
    for r in sorted(rows, key=lambda r: (r.get("update_time") is not None, r.get("update_time") or 0)):
        if (r["task_id"], r["uscc"]) in keep:
            out[(r["task_id"], r["uscc"])] = r
    return out


# ---------------------------------------------------------------------------
# API view


def read_public(warehouse_root: str, name: str, plan_id: str | None = None, storage_options: dict | None = None) -> list[dict]:
    """Rows of a public table through delta-rs (no Spark), for the API."""
    from deltalake import DeltaTable

    from lakehouse.tables.names import table_uri

    uri = table_uri(warehouse_root, name)
    if not DeltaTable.is_deltatable(uri, storage_options=storage_options or None):
        return []
    dt_ = DeltaTable(uri, storage_options=storage_options or None)
    filters = [("plan_id", "=", plan_id)] if plan_id else None
    table = dt_.to_pyarrow_table(filters=filters)
    rows = table.to_pylist()
    for r in rows:
        for k, v in list(r.items()):
            if hasattr(v, "isoformat"):
                r[k] = v.isoformat()
    return rows


def public_router(warehouse_root: str, storage_options: dict | None = None):
    """FastAPI router: GET /public/plans, /public/plans/{plan_id}, /public/plans/{plan_id}/results."""
    from fastapi import APIRouter, HTTPException

    router = APIRouter(prefix="/public", tags=["public disclosure"])

    @router.get("/plans")
    def plans() -> list[dict]:
        return read_public(warehouse_root, PUBLIC_PLANS, storage_options=storage_options)

    @router.get("/plans/{plan_id}")
    def plan(plan_id: str) -> dict:
        rows = read_public(warehouse_root, PUBLIC_PLANS, plan_id, storage_options)
        if not rows:
            raise HTTPException(404, f"no published plan {plan_id}")
        return rows[0]

    @router.get("/plans/{plan_id}/results")
    def results(plan_id: str) -> list[dict]:
        return read_public(warehouse_root, PUBLIC_RESULTS, plan_id, storage_options)

    return router

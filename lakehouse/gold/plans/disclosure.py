"""Public disclosure (一公开): plans and their results, with no personal data.

``gold.public_inspection_plans``: one row per committed plan — name, authority, period, items,
size, the rule version, its public status (committed, awaiting draw, drawn, failed, abandoned,
drawn more than once), the commitment (hash, time, T, the randomness source and the value it
names), the operator's committed share hash, and once drawn the public value used, the seed, the
input table versions and how to verify; once results are in, how many were inspected and how many
had problems. ``gold.public_plan_commitments`` (``commitment.LEDGER``) is the append-only ledger
behind it: every commitment, share, draw, failure and abandoned attempt.

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

from lakehouse.gold.plans import audit

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakehouse.tables import Tables

PUBLIC_PLANS = "gold.public_inspection_plans"
PUBLIC_RESULTS = "gold.public_inspection_results"
PLANS_SCHEMA = (
    "plan_id string, plan_name string, authority string, period_start date, period_end date, items array<string>, "
    "item_names array<string>, tasks int, inspectors_per_task int, rule_version string, seed_hash string, seed string, "
    "drawn_at timestamp, input_versions string, verify_command string, results_reported int, problems_found int, published_at timestamp, "
    "status string, attempt int, abandoned_attempts int, commitment_hash string, committed_at timestamp, reveal_after timestamp, "
    "randomness_source string, randomness_target string, public_value string, cross_district_tasks int"
)
RESULTS_SCHEMA = (
    "plan_id string, task_id string, uscc string, entity_name string, district_code string, district_name string, "
    "inspection_item string, inspection_item_name string, inspection_date date, inspection_result string, "
    "inspection_result_name string, authority string, cross_district boolean"
)
# never in a public table, whatever the upstream schema grows into
FORBIDDEN = (
    "inspector",
    "probability",
    "priority",
    "signal",
    "hotspot",
    "cluster",
    "risk",
    "share",
    "reason",
    "legal_rep",
    "phone",
    "id_hash",
    "id_masked",
    "stratum",
)


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


def authority_of(district: str, names: dict[str, str]) -> str:
    """The market regulation authority of a district (the city's when the district is unknown)."""
    name = names.get(district)
    return f"佛山市{name}市场监督管理局" if name else "佛山市市场监督管理局"


def _district_names() -> dict[str, str]:
    try:
        from catalog.divisions import load_divisions

        return load_divisions().district_names()
    except Exception:  # pragma: no cover
        return {}


def _source_text(desc: dict) -> str:
    kind = desc.get("kind")
    if kind == "drand":
        return f"drand beacon, chain {desc['chain_hash']} ({desc.get('beacon_id') or desc.get('scheme')}), public key {desc['public_key']}"
    if kind == "published":
        return f"published values: {desc['source']}"
    return "local multi-party mode: no public value (the committed parties' shares only)"


def _value_text(value: dict) -> str | None:
    if not value:
        return None
    if value.get("kind") == "drand":
        return f"round {value['round']}: randomness {value['randomness']} (signature {value['signature']})"
    if value.get("kind") == "published":
        return f"{value['source']} {value.get('ref')}: {value['value']} (published {value['published_at']}; {value.get('url') or 'no address'})"
    return "none (local multi-party mode)"


def publish(spark: SparkSession, tables: Tables, plan_id: str, settings=None, now=None) -> dict:
    """(Re)write the plan's public rows from the public ledger: its status, the commitment (time, T, the randomness
    it names) and, once drawn, the value used, the seed, its tasks and whatever results silver holds for them."""
    from pyspark.sql import functions as F

    from lakehouse.config.plans import Plan
    from lakehouse.errors import RegulakeError
    from lakehouse.gold.plans import commitment as cm

    rows_l = audit.ledger(tables, plan_id)
    pair = audit.revealed(audit.events(tables, plan_id))
    if not rows_l and not pair:
        raise RegulakeError(f"plan {plan_id} has no commitment or draw to publish")
    hours = settings.randomness.abandon_after_hours if settings is not None else 168
    st = (
        cm.plan_status(rows_l, now or audit.now(), hours)
        if rows_l
        else {"status": "drawn without a published commitment", "attempt": pair[1]["attempt"], "abandoned_attempts": 0}
    )
    by = cm.attempts(rows_l)
    latest = by.get(st["attempt"], []) if rows_l else []
    drawn = [e for e in rows_l if e["event"] == "drawn"]
    com_pub = next((e for e in (by.get(int(drawn[-1]["attempt"]), []) if drawn else latest) if e["event"] == "committed"), None)
    c = json.loads(com_pub["commitment_json"]) if com_pub else {}
    if pair:
        com, rev = pair
        plan = Plan.model_validate_json(com["plan_json"])
        tasks = audit.read_tasks(tables, plan_id, rev["tasks_version"])
    else:
        com, rev = None, None
        plan = Plan.model_validate_json(c["plan_json"])
        tasks = None
    item_names, result_names = _code_names()
    districts = _district_names()
    rows = []
    if tasks is not None:
        results = _results(tables, tasks)
        for t in tasks.to_dict("records"):
            r = results.get((t["task_id"], t["uscc"]), {})
            rows.append(
                {
                    "plan_id": plan_id,
                    "task_id": t["task_id"],
                    "uscc": t["uscc"],
                    "entity_name": t["entity_name"],
                    "district_code": t["district_code"],
                    "district_name": districts.get(t["district_code"]),
                    "inspection_item": t["inspection_item"],
                    "inspection_item_name": item_names.get(t["inspection_item"]),
                    "inspection_date": r.get("inspection_date"),
                    "inspection_result": r.get("inspection_result"),
                    "inspection_result_name": result_names.get(r.get("inspection_result")),
                    "authority": r.get("authority") or plan.authority,
                    "cross_district": bool(t.get("cross_district") is True),
                }
            )
    reported = sum(1 for r in rows if r["inspection_result"])
    problems = sum(1 for r in rows if r["inspection_result"] and r["inspection_result"] != "1")
    value = json.loads(drawn[-1]["public_value_json"]) if drawn and drawn[-1].get("public_value_json") else {}
    rnd = c.get("randomness") or {}
    plan_row = {
        "plan_id": plan_id,
        "plan_name": plan.name,
        "authority": plan.authority,
        "period_start": plan.period.start,
        "period_end": plan.period.end,
        "items": [i.code for i in plan.items],
        "item_names": [item_names.get(i.code, "") for i in plan.items],
        "tasks": len(rows),
        "inspectors_per_task": plan.inspectors_per_task,
        "rule_version": c.get("rule_version") or (com or {}).get("rule_version"),
        "seed_hash": (com_pub or {}).get("share_hash") or (com or {}).get("seed_hash"),
        "seed": rev["seed"] if rev else None,
        "drawn_at": rev["at"] if rev else None,
        "input_versions": json.dumps(c.get("input_versions") or (com or {}).get("input_versions"), sort_keys=True),
        "verify_command": f"regulake plan verify {plan_id}  |  python -m lakehouse.gold.plans.verifier {plan_id} --tables <published tables>",
        "results_reported": reported,
        "problems_found": problems,
        "published_at": audit.now(),
        "status": st["status"],
        "attempt": st["attempt"],
        "abandoned_attempts": st["abandoned_attempts"],
        "commitment_hash": (com_pub or {}).get("commitment_hash"),
        "committed_at": audit.read_time(c["committed_at"]) if c else None,
        "reveal_after": audit.read_time(c["reveal_after"]) if c else None,
        "randomness_source": _source_text(rnd["source"]) if rnd else None,
        "randomness_target": (rnd.get("target") or {}).get("text"),
        "public_value": _value_text(value),
        "cross_district_tasks": sum(1 for r in rows if r["cross_district"]),
    }
    v1 = tables.write(
        PUBLIC_PLANS,
        spark.createDataFrame([plan_row], PLANS_SCHEMA),
        mode="overwrite",
        partition_by=["plan_id"],
        replace_where={"plan_id": plan_id},
        schema_mode="add_columns",
    ).version
    df = spark.createDataFrame(rows, RESULTS_SCHEMA) if rows else spark.createDataFrame([], RESULTS_SCHEMA)
    assert not any(any(f in c_ for f in FORBIDDEN) for c_ in df.columns)
    v2 = tables.write(
        PUBLIC_RESULTS,
        df.withColumn("inspection_date", F.col("inspection_date").cast("date")),
        mode="overwrite",
        partition_by=["plan_id"],
        replace_where={"plan_id": plan_id},
        schema_mode="add_columns",
    ).version
    return {
        "plans_version": v1,
        "results_version": v2,
        "tasks": len(rows),
        "results_reported": reported,
        "problems_found": problems,
        "status": st["status"],
    }


def _results(tables: Tables, tasks) -> dict:
    """(task_id, uscc) → latest delivered result from silver.inspections."""
    from lakehouse.gold.plans.registers import inspection_rows

    if len(tasks) == 0:
        return {}
    rows = inspection_rows(
        tables, sorted(set(tasks["task_id"])), ["uscc", "inspection_date", "inspection_result", "authority", "update_time"]
    )
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
    """FastAPI router: GET /public/plans, /public/plans/{plan_id}, /public/plans/{plan_id}/results,
    /public/commitments, /public/plans/{plan_id}/commitments (the ledger)."""
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

    @router.get("/commitments")
    def commitments() -> list[dict]:
        """The public ledger: every commitment, share, draw, failure and abandoned attempt (without the task lists)."""
        from lakehouse.gold.plans.commitment import LEDGER

        return [
            {k: v for k, v in r.items() if k != "public_tasks_json"}
            for r in read_public(warehouse_root, LEDGER, storage_options=storage_options)
        ]

    @router.get("/plans/{plan_id}/commitments")
    def plan_commitments(plan_id: str) -> list[dict]:
        from lakehouse.gold.plans.commitment import LEDGER

        rows = read_public(warehouse_root, LEDGER, plan_id, storage_options)
        if not rows:
            raise HTTPException(404, f"no published commitment of plan {plan_id}")
        return rows

    return router

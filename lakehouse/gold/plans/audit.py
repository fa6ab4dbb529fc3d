"""The draw's audit trail (``audit.plan_draws``) and its frozen inputs (``audit.plan_registers``).

Commit first, draw later (issue 29, ``lakehouse.gold.plans.commitment``): ``regulake plan commit``
records event ``committed`` — the plan, the rule version, the input table versions, the frozen
register's fingerprint, the hash of the operator's secret share, the randomness source and T — and
publishes the same commitment in the public ledger ``gold.public_plan_commitments``; further parties
add ``share_committed`` before T; ``regulake plan draw`` (after T) records ``revealed`` with the shares,
the public value, the seed derived from them and the tasks' fingerprint. A failed attempt
(``failed``) and a commitment replaced by a new one (``abandoned``) are recorded and published too,
so the trail — and the public — see every attempt, not only the one that was kept.

All three tables are audit tables (``audit=True``): their logs and files stay for the audit
horizon (``warehouse.audit_retention_days``, 365 days), so every version stays readable.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakehouse.tables import Tables

DRAWS = "audit.plan_draws"
REGISTERS = "audit.plan_registers"
TASKS = "gold.inspection_tasks"
DRAWS_SCHEMA = (
    "plan_id string, attempt int, event string, rule_version string, plan_json string, plan_hash string, "
    "input_versions map<string,bigint>, profile_as_of date, score_date date, register_hash string, register_version bigint, "
    "seed_hash string, seed string, tasks_hash string, tasks_version bigint, tasks int, summary_json string, "
    "operator string, at timestamp, message string, commitment_hash string, commitment_json string, reveal_after timestamp, "
    "party string, shares_json string, public_value_json string"
)
REGISTER_SCHEMA = (
    "plan_id string, uscc string, entity_name string, enterprise_type string, registration_status string, "
    "establishment_date date, industry_code string, district_code string, town_code string, days_since_inspection double, "
    "under_investigation boolean, probability double, risk_class string, hotspot boolean, cluster_alert boolean"
)
TASKS_SCHEMA = (
    "plan_id string, task_no bigint, task_id string, uscc string, entity_name string, district_code string, town_code string, "
    "industry_code string, industry_section string, stratum string, share string, inspection_mode string, inspection_item string, "
    "risk_class string, probability double, priority double, signals string, inspectors array<string>, "
    "cross_district boolean, staffed_from string"
)
EVENT_FIELDS = [f.split(" ")[0] for f in DRAWS_SCHEMA.split(", ")]


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def record(spark: SparkSession, tables: Tables, **event: Any) -> int:
    """Append one audit event (one commit); returns the audit table's version."""
    unknown = set(event) - set(EVENT_FIELDS)
    if unknown:
        raise ValueError(f"unknown audit fields {sorted(unknown)}")
    row = {f: event.get(f) for f in EVENT_FIELDS}
    row["at"] = row["at"] or now()
    df = spark.createDataFrame([row], DRAWS_SCHEMA)
    return int(tables.write(DRAWS, df, audit=True, schema_mode="add_columns").version)


def publish_event(spark: SparkSession, tables: Tables, **event: Any) -> int:
    """Append one row to the public, append-only ledger of commitments and draws (gold.public_plan_commitments)."""
    from lakehouse.gold.plans.commitment import LEDGER, LEDGER_FIELDS, LEDGER_SCHEMA

    unknown = set(event) - set(LEDGER_FIELDS)
    if unknown:
        raise ValueError(f"unknown ledger fields {sorted(unknown)}")
    row = {f: event.get(f) for f in LEDGER_FIELDS}
    row["at"] = row["at"] or now()
    df = spark.createDataFrame([row], LEDGER_SCHEMA)
    return int(tables.write(LEDGER, df, audit=True, schema_mode="add_columns").version)


def ledger(tables: Tables, plan_id: str | None = None) -> list[dict]:
    from lakehouse.gold.plans.commitment import LEDGER

    if not tables.exists(LEDGER):
        return []
    rows = read_rows(tables, LEDGER, filters=[("plan_id", "=", plan_id)] if plan_id else None)
    order = {"committed": 0, "share_committed": 1, "abandoned": 2, "failed": 2, "drawn": 3}
    return sorted(rows, key=lambda r: (r["plan_id"], r["attempt"], r["at"], order.get(r["event"], 4)))


def read_time(text) -> dt.datetime | None:
    """A recorded ISO time (…Z) as a naive UTC datetime."""
    from lakehouse.gold.plans.randomness import utc

    return None if text is None else utc(text)


def read_rows(
    tables: Tables, name: str, version: int | None = None, filters: list | None = None, columns: list[str] | None = None
) -> list[dict]:
    """Rows of one of our (small) audit/gold tables through delta-rs, without a Spark job.

    The tables keep the plain Delta protocol, so delta-rs reads exactly what Spark would;
    maps come back as dicts, timestamps as naive UTC datetimes.
    """
    from deltalake import DeltaTable

    opts = tables.storage_options or None
    dtable = DeltaTable(tables.uri(name), version=version, storage_options=opts)
    table = dtable.to_pyarrow_table(columns=columns, filters=filters or None)
    rows = table.to_pylist()
    for r in rows:
        for k, v in r.items():
            if isinstance(v, list) and v and isinstance(v[0], tuple):
                r[k] = dict(v)
            elif isinstance(v, dt.datetime) and v.tzinfo is not None:
                r[k] = v.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return rows


def events(tables: Tables, plan_id: str) -> list[dict]:
    """Every audit event of a plan, oldest first."""
    if not tables.exists(DRAWS):
        return []
    rows = read_rows(tables, DRAWS, filters=[("plan_id", "=", plan_id)])
    order = {"committed": 0, "share_committed": 1, "failed": 2, "abandoned": 2, "revealed": 3}
    return sorted(rows, key=lambda r: (r["attempt"], order.get(r["event"], 4), r["at"]))


def next_attempt(evts: list[dict]) -> int:
    return max((e["attempt"] for e in evts), default=0) + 1


def revealed(evts: list[dict]) -> tuple[dict, dict] | None:
    """(committed, revealed) of the latest completed attempt, or None."""
    done = [e for e in evts if e["event"] == "revealed"]
    if not done:
        return None
    rev = done[-1]
    com = next((e for e in evts if e["event"] == "committed" and e["attempt"] == rev["attempt"]), None)
    return (com, rev) if com else None


# ---------------------------------------------------------------------------
# frozen register and tasks


def freeze_register(spark: SparkSession, tables: Tables, plan_id: str, register: pd.DataFrame) -> int:
    from lakehouse.gold.plans.draw import REGISTER_COLUMNS

    rows = register[list(REGISTER_COLUMNS)].copy()
    rows["establishment_date"] = [dt.date.fromisoformat(v) if v else None for v in rows["establishment_date"]]
    rows.insert(0, "plan_id", plan_id)
    records = [
        {k: (None if isinstance(v, float) and v != v and k not in ("probability", "days_since_inspection") else v) for k, v in r.items()}
        for r in rows.to_dict("records")
    ]
    for r in records:
        for k in ("probability", "days_since_inspection"):
            if r[k] is not None and r[k] != r[k]:
                r[k] = None
    df = spark.createDataFrame(records, REGISTER_SCHEMA)
    return int(
        tables.write(
            REGISTERS,
            df,
            mode="overwrite",
            partition_by=["plan_id"],
            replace_where={"plan_id": plan_id},
            audit=True,
            schema_mode="add_columns",
        ).version
    )


def read_register(tables: Tables, plan_id: str, version: int | None = None) -> pd.DataFrame:
    from lakehouse.gold.plans.draw import REGISTER_COLUMNS, normalise_register

    rows = read_rows(tables, REGISTERS, version, [("plan_id", "=", plan_id)])
    return normalise_register(pd.DataFrame(rows, columns=["plan_id", *REGISTER_COLUMNS]))


def write_tasks(spark: SparkSession, tables: Tables, plan_id: str, tasks: pd.DataFrame) -> int:
    records = tasks.to_dict("records")
    for r in records:
        for k in ("probability", "priority"):
            p = r[k]
            r[k] = None if p is None or p != p else float(p)
        r["task_no"] = int(r["task_no"])
        r["inspectors"] = list(r["inspectors"])
        r["cross_district"] = bool(r.get("cross_district") or False)
    df = spark.createDataFrame(records, TASKS_SCHEMA) if records else spark.createDataFrame([], TASKS_SCHEMA)
    return int(
        tables.write(
            TASKS, df, mode="overwrite", partition_by=["plan_id"], replace_where={"plan_id": plan_id}, audit=True, schema_mode="add_columns"
        ).version
    )


def read_tasks(tables: Tables, plan_id: str, version: int | None = None) -> pd.DataFrame:
    from lakehouse.gold.plans.draw import TASK_COLUMNS

    rows = read_rows(tables, TASKS, version, [("plan_id", "=", plan_id)])
    df = pd.DataFrame(rows, columns=TASK_COLUMNS)
    df["inspectors"] = [list(v or []) for v in df["inspectors"]]
    return df.sort_values("task_no", kind="stable").reset_index(drop=True)


def summary_of(event: dict) -> dict:
    return json.loads(event.get("summary_json") or "{}")

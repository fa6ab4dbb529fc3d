"""The two registers of double-random inspection (双随机): entities and inspectors.

**Entity register** (检查对象名录库): every entity of ``gold.entity_profile`` as of a date, with
its risk probability and class from ``gold.risk_scores`` of a score date and what the
exclusions need: registration status; from the market-supervision inspections
(``silver.inspections``, catalog SCJG-005, any mode) the days since the latest one and
whether it left the entity under investigation (result 3, a problem pending follow-up).
Without silver.inspections the profile's ``inspections_days_since_last`` stands in. The
complaint-hotspot and registration-cluster signals (``lakehouse.gold.plans.signals``) are joined on. It is read at recorded table versions and collected to the driver in canonical
order (by uscc); the draw filters it (``draw.exclusion_reasons``).

**Inspector register** (执法检查人员名录库): ``gold.inspectors`` — per inspector the district,
department, qualifications by inspection item, declared conflicts of interest (entities) and
home town. In a real deployment it is loaded from the personnel catalog; for the demo
``simulate_inspectors`` builds one from the entity register.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lakehouse.errors import RegulakeError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakehouse.config.plans import InspectorSimulation, PlansSettings
    from lakehouse.tables import Tables

PROFILE = "gold.entity_profile"
SCORES = "gold.risk_scores"
INSPECTIONS = "silver.inspections"
INSPECTORS = "gold.inspectors"
INSPECTION_CATALOG = "SCJG-005"
PENDING_RESULT = "3"
INSPECTOR_SCHEMA = (
    "inspector_id string, district_code string, department string, qualifications array<string>, "
    "conflicts array<string>, home_town_code string, active boolean, source string"
)
OTHER_DEPARTMENTS = ["WJJ", "GAJ", "ZJJ"]  # joint inspections: health, public security, housing


def input_versions(tables: Tables) -> dict[str, int]:
    """Current versions of the draw's input tables (those that exist)."""
    out = {}
    from lakehouse.gold.plans.signals import TABLES as SIGNAL_TABLES

    for name in (PROFILE, SCORES, INSPECTIONS, INSPECTORS, *SIGNAL_TABLES):
        if tables.exists(name):
            out[name] = tables.version(name)
    return out


def _latest_partition(tables: Tables, name: str, column: str, version: int) -> dt.date:
    """The newest value of a date partition column at a version (from the snapshot's file list, no scan)."""
    snap = tables.snapshot(name, version)
    if column in snap.partition_by:
        values = snap.partition_values(column)
        if not values:
            raise RegulakeError(f"{name} is empty; run the job that writes it first")
        return dt.date.fromisoformat(max(values)[:10])
    from pyspark.sql import functions as F

    value = tables.read(name, version=version, columns=[column]).agg(F.max(column)).first()[0]
    if value is None:
        raise RegulakeError(f"{name} is empty; run the job that writes it first")
    return value


def inspection_rows(tables: Tables, task_ids: list[str], columns: list[str]) -> list[dict]:
    """SCJG-005 rows of silver.inspections for some task ids, through delta-rs (a small lookup)."""
    from lakehouse.gold.plans.audit import read_rows

    if not tables.exists(INSPECTIONS) or not task_ids:
        return []
    snap = tables.snapshot(INSPECTIONS)
    filters = [("catalog", "=", INSPECTION_CATALOG)] if "catalog" in snap.partition_by else None
    wanted = set(task_ids)
    rows = read_rows(tables, INSPECTIONS, None, filters, columns=sorted(set(columns) | {"catalog", "task_id"}))
    return [r for r in rows if r.get("catalog") == INSPECTION_CATALOG and r.get("task_id") in wanted]


def resolve_dates(
    tables: Tables, versions: dict[str, int], profile_as_of: dt.date | None, score_date: dt.date | None
) -> tuple[dt.date, dt.date]:
    if PROFILE not in versions:
        raise RegulakeError(f"{PROFILE} does not exist; run 'regulake run gold' first")
    if SCORES not in versions:
        raise RegulakeError(f"{SCORES} does not exist; run 'regulake run train' and 'regulake run score' first")
    as_of = profile_as_of or _latest_partition(tables, PROFILE, "as_of", versions[PROFILE])
    sd = score_date or _latest_partition(tables, SCORES, "score_date", versions[SCORES])
    return as_of, sd


def build_entity_register(tables: Tables, versions: dict[str, int], as_of: dt.date, score_date: dt.date) -> pd.DataFrame:
    """The entity register at the recorded versions (columns draw.REGISTER_COLUMNS), sorted by uscc."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from lakehouse.gold.plans import signals
    from lakehouse.gold.plans.draw import OPTIONAL_REGISTER_COLUMNS, REGISTER_COLUMNS, normalise_register

    prof = tables.read(PROFILE, version=versions[PROFILE], filters=[("as_of", "=", as_of)])
    base = prof.select(
        "uscc",
        "entity_name",
        "enterprise_type",
        "registration_status",
        F.col("establishment_date").cast("date").alias("establishment_date"),
        "industry_code",
        "district_code",
        "town_code",
    )
    scores = tables.read(
        SCORES,
        version=versions[SCORES],
        columns=["uscc", "probability", "risk_class", "score_date"],
        filters=[("score_date", "=", score_date)],
    ).select("uscc", "probability", "risk_class")
    reg = base.join(scores, "uscc", "left")
    if INSPECTIONS in versions:
        # market-supervision inspections (SCJG-005, every mode): the profile's inspections_* indicators
        # count every department's inspection catalogs, which is not what "inspected recently" means here
        insp = tables.read(
            INSPECTIONS, version=versions[INSPECTIONS], columns=["uscc", "catalog", "inspection_date", "inspection_result", "update_time"]
        )
        insp = insp.where(
            (F.col("catalog") == INSPECTION_CATALOG) & F.col("uscc").isNotNull() & (F.col("inspection_date").cast("date") <= F.lit(as_of))
        )
        w = Window.partitionBy("uscc").orderBy(
            F.col("inspection_date").desc(), F.col("update_time").desc_nulls_last(), F.col("inspection_result").desc()
        )
        latest = (
            insp.withColumn("_r", F.row_number().over(w))
            .where("_r = 1")
            .select(
                "uscc",
                (F.col("inspection_result") == PENDING_RESULT).alias("under_investigation"),
                F.datediff(F.lit(as_of), F.col("inspection_date").cast("date")).cast("double").alias("days_since_inspection"),
            )
        )
        reg = reg.join(latest, "uscc", "left").fillna(False, subset=["under_investigation"])
    else:
        days = (
            F.col("inspections_days_since_last").cast("double")
            if "inspections_days_since_last" in prof.columns
            else F.lit(None).cast("double")
        )
        reg = reg.join(prof.select("uscc", days.alias("days_since_inspection")), "uscc", "left").withColumn(
            "under_investigation", F.lit(False)
        )
    pdf = reg.select(*[c for c in REGISTER_COLUMNS if c not in OPTIONAL_REGISTER_COLUMNS]).toPandas()
    if len(pdf) == 0:
        raise RegulakeError(f"{PROFILE} has no entities as of {as_of}")
    found, _ = signals.read_signals(tables, versions, as_of)
    return normalise_register(signals.with_signals(pdf, found))


# ---------------------------------------------------------------------------
# inspectors


def simulate_inspectors(
    register: pd.DataFrame, sim: InspectorSimulation, min_qualified: int = 2, need: dict[tuple[str, str], int] | None = None
) -> pd.DataFrame:
    """A simulated inspector register for the districts of ``register`` (pure; seeded by ``sim.seed``).

    Per district ``max(min_per_district, ceil(entities × per_1000 / 1000))`` inspectors; each is
    qualified for item i with ``qualification_rates[i]`` (and every district has at least
    ``min_qualified + 2`` inspectors qualified for every item, so recusals leave enough), lives in a town of the district
    (from the reference divisions, so not every town holds entities), and declares
    Poisson(``conflicts_per_inspector``) conflicts with entities of the district.

    ``need`` (:func:`lakehouse.gold.plans.staffing.need`): inspectors needed per (district, item) and per
    (district, "*") to staff the configured plans; a district gets at least that many, and at least
    that many qualified for each item.
    """
    need = need or {}
    import hashlib

    from lakehouse.config.plans import ITEM_CODES

    reg = register.sort_values("uscc", kind="stable")
    try:
        from catalog.divisions import load_divisions

        ref_towns = load_divisions().towns_by_district()
    except Exception:  # pragma: no cover - reference data missing
        ref_towns = {}
    rows = []
    for district, g in reg.groupby("district_code", sort=True):
        seed = int.from_bytes(hashlib.sha256(f"inspectors|{sim.seed}|{district}".encode()).digest()[:8], "big")
        rng = np.random.Generator(np.random.PCG64(seed))
        item_need = {item: need.get((str(district), item), 0) for item in ITEM_CODES}
        n = max(
            sim.min_per_district,
            math.ceil(len(g) * sim.per_1000_entities / 1000),
            need.get((str(district), "*"), 0),
            *(v + min_qualified for v in item_need.values()),
        )
        quals = {item: rng.random(n) < sim.qualification_rates.get(item, 0.3) for item in ITEM_CODES}
        for item, q in quals.items():
            missing = min(n, max(min_qualified + 2, item_need[item] + min_qualified)) - int(q.sum())
            if missing > 0:
                q[rng.permutation(np.flatnonzero(~q))[:missing]] = True
        towns = sorted(set(ref_towns.get(str(district), [])) | set(t for t in g["town_code"].dropna().astype(str)))
        towns = towns or [f"{district}000"]
        uscc = g["uscc"].astype(str).to_numpy()
        dept = np.where(rng.random(n) < sim.other_department_share, rng.choice(OTHER_DEPARTMENTS, n), "SCJG")
        for i in range(n):
            k = min(int(rng.poisson(sim.conflicts_per_inspector)), len(uscc))
            conflicts = sorted(uscc[rng.choice(len(uscc), k, replace=False)].tolist()) if k else []
            rows.append(
                {
                    "inspector_id": f"ZF{district}{i + 1:04d}",
                    "district_code": str(district),
                    "department": str(dept[i]),
                    "qualifications": [item for item in ITEM_CODES if quals[item][i]],
                    "conflicts": conflicts,
                    "home_town_code": towns[int(rng.integers(len(towns)))],
                    "active": True,
                    "source": "simulated",
                }
            )
    return pd.DataFrame(
        rows, columns=["inspector_id", "district_code", "department", "qualifications", "conflicts", "home_town_code", "active", "source"]
    )


def write_inspectors(spark: SparkSession, tables: Tables, inspectors: pd.DataFrame) -> int | None:
    """Replace gold.inspectors (an audit table: every version stays readable for the audit horizon)."""
    df = (
        spark.createDataFrame(inspectors.to_dict("records"), INSPECTOR_SCHEMA)
        if len(inspectors)
        else spark.createDataFrame([], INSPECTOR_SCHEMA)
    )
    return tables.write(INSPECTORS, df, mode="overwrite", audit=True).version


def read_inspectors(tables: Tables, version: int) -> pd.DataFrame:
    from lakehouse.gold.plans.assign import INSPECTOR_COLUMNS, normalise_inspectors
    from lakehouse.gold.plans.audit import read_rows

    rows = read_rows(tables, INSPECTORS, version)
    return normalise_inspectors(pd.DataFrame(rows, columns=INSPECTOR_COLUMNS + ["source"]))


def ensure_inspectors(
    spark: SparkSession, tables: Tables, settings: PlansSettings, register: pd.DataFrame, k: int, plans: list | None = None
) -> int:
    """The version of gold.inspectors, simulating it first when it is missing and simulation is on
    (sized to staff ``plans``, resolved: see :mod:`lakehouse.gold.plans.staffing`)."""
    if tables.exists(INSPECTORS):
        return tables.version(INSPECTORS)
    if not settings.simulate_inspectors:
        raise RegulakeError(
            f"{INSPECTORS} does not exist; load the inspector register (执法检查人员名录库) into it, "
            "or set plans.simulate_inspectors: true for a demo"
        )
    from lakehouse.gold.plans import staffing

    need = staffing.need(register, plans) if plans else None
    version = write_inspectors(spark, tables, simulate_inspectors(register, settings.inspectors, k, need))
    return int(version)

"""Daily re-scoring of the entities a day's deliveries touched (the increment path).

A full scoring (``regulake run factors`` then ``regulake run score``) computes all ~1,300
candidate factors of every entity from all of silver. A day's deliveries touch a few percent
of the entities, and the champion uses a dozen factors, so ``regulake run rescore`` does this
instead for a score date D:

1. **base**: the newest ``gold.risk_scores`` partition before D. It must have been scored by
   the current champion, otherwise the run stops (one partition never mixes two models).
2. **affected**: every entity with a silver row delivered after the base date and up to D
   (``batch_date`` in (base, D], read through file statistics, so only the new and rewritten
   files are scanned). If the champion uses network factors (others at the same address, with
   the same legal representative or phone), the entities sharing those with an affected
   entity's register row are affected too.
3. **rescore**: the champion's factors only, as of D, for the affected entities only, read
   only from the tables those factors come from (:func:`ml.factors.build` with
   ``only`` and ``entities``); values equal a full build's.
4. **write**: partition ``score_date = D`` is replaced by the rescored rows plus every other
   row of the base, carried over unchanged with its ``factors_as_of`` (the date its factors are
   as of). A plan drawn on D sees every entity; an auditor sees which rows were recomputed.

Carried rows are not refreshed for the passing of time (a 365-day count whose oldest record
leaves the window) or for an address-mate that moved away; run the full scoring weekly, or
before drawing a plan, to recompute every entity. Re-running is safe: D is always rebuilt from
the same base, and a D that already holds a full scoring is left as it is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lakehouse.errors import RegulakeError
from ml import factors as factor_tables
from ml import scoring

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from catalog.catalogs import Registry
    from lakehouse.config import RiskConfig
    from lakehouse.tables import Tables
    from ml.tracking import Champion

NETWORK_KEYS = {
    "net_same_address": "address",
    "net_same_address_180d": "address",
    "net_same_legal_rep": "legal_rep_id_hash",
    "net_same_phone": "legal_rep_phone_hash",
}


@dataclass
class Rescored:
    score_date: dt.date
    base_date: dt.date | None
    affected: int
    rescored: int
    carried: int
    version: int | None

    @property
    def done(self) -> bool:
        return self.version is not None


def score_dates(tables: Tables) -> list[dt.date]:
    """The score dates gold.risk_scores holds (from the snapshot's file list, no scan)."""
    if not tables.exists(scoring.SCORES):
        return []
    return [dt.date.fromisoformat(v[:10]) for v in tables.snapshot(scoring.SCORES).partition_values("score_date")]


def _partition(tables: Tables, date: dt.date) -> DataFrame:
    return tables.read(scoring.SCORES, filters=[("score_date", "=", date)])


def _is_full(tables: Tables, date: dt.date) -> bool:
    from pyspark.sql import functions as F

    part = _partition(tables, date)
    if "factors_as_of" not in part.columns:
        return True  # written by a full scoring before re-scoring existed
    return part.where(F.col("factors_as_of").isNull() | (F.col("factors_as_of") != F.lit(date))).limit(1).count() == 0


def base_date(tables: Tables, score_date: dt.date) -> dt.date:
    older = [d for d in score_dates(tables) if d < score_date]
    if not older:
        raise RegulakeError(
            f"no scores before {score_date} to carry over: re-scoring needs a full scoring first "
            "('regulake run factors' then 'regulake run score')"
        )
    return max(older)


def check_model(tables: Tables, base: dt.date, champion: Champion) -> None:
    models = {
        (r["model_name"], r["model_version"]) for r in _partition(tables, base).select("model_name", "model_version").distinct().collect()
    }
    if models != {(champion.name, champion.version)}:
        found = ", ".join(f"{n} version {v}" for n, v in sorted(models))
        raise RegulakeError(
            f"the scores of {base} were made by {found}, the champion is {champion.name} version {champion.version}: "
            "a new champion rescores every entity; run 'regulake run factors' then 'regulake run score'"
        )


def delivered_entities(tables: Tables, registry: Registry, after: dt.date, through: dt.date) -> set[str] | None:
    """Distinct uscc of the silver rows delivered in (after, through], over every subject area.

    Read by the driver (pyarrow) from the files whose ``batch_date`` statistics overlap the
    range: a few new or rewritten files per table, no Spark job. None: no silver table yet.
    """
    from lakehouse.silver.standardise import area_plans

    out: set[str] | None = None
    for area in sorted(area_plans(registry)):
        if not tables.exists(name := f"silver.{area}"):
            continue
        rows = tables.read_arrow(name, columns=["uscc"], filters=[("batch_date", ">", after), ("batch_date", "<=", through)])
        out = (out or set()) | (set(rows.column("uscc").unique().to_pylist()) - {None})
    return out


def network_mates(tables: Tables, entities: DataFrame, keys: set[str], cutoff: dt.date) -> DataFrame:
    """Registered entities that share one of ``keys`` (address, legal representative, phone) with one of ``entities``."""
    from pyspark.sql import functions as F

    reg = factor_tables.registered(tables, cutoff).select("uscc", *sorted(keys))
    mine = reg.join(F.broadcast(entities), "uscc", "left_semi")
    out = entities
    for key in sorted(keys):
        shared = mine.select(key).where(F.col(key).isNotNull()).distinct()
        out = out.unionByName(reg.join(F.broadcast(shared), key, "left_semi").select("uscc"))
    return out.distinct()


def rescore(
    spark: SparkSession, tables: Tables, registry: Registry, champion: Champion, risk: RiskConfig, score_date: dt.date, progress=None
) -> Rescored:
    import pyarrow as pa
    from pyspark.sql import functions as F

    say = progress or (lambda message: None)
    if score_date in score_dates(tables) and _is_full(tables, score_date):
        say(f"scores as of {score_date} are a full scoring already: nothing to re-score")
        return Rescored(score_date, None, 0, 0, 0, None)
    base = base_date(tables, score_date)
    check_model(tables, base, champion)

    delivered = delivered_entities(tables, registry, base, score_date)
    if delivered is None:
        raise RegulakeError("no silver tables: run 'regulake run bronze' and 'regulake run silver' first")
    affected = spark.createDataFrame(pa.table({"uscc": pa.array(sorted(delivered), pa.string())}))
    keys = {NETWORK_KEYS[f] for f in champion.factors if f in NETWORK_KEYS}
    if keys:
        affected = network_mates(tables, affected, keys, score_date)
    affected = affected.localCheckpoint()
    n_affected = affected.count()
    say(f"re-scoring {n_affected:,} entities with deliveries after {base} as of {score_date}; the others carried over from {base}")

    fs = factor_tables.build(spark, tables, registry, score_date, only=list(champion.factors), entities=affected)
    fresh = scoring.score_frame(spark, tables, champion, risk, score_date, factors=fs.frame.drop("as_of"))
    old = _partition(tables, base)
    as_of = F.coalesce(F.col("factors_as_of"), F.lit(base)) if "factors_as_of" in old.columns else F.lit(base)
    carried = (
        old.join(F.broadcast(affected), "uscc", "left_anti")
        .withColumn("factors_as_of", as_of.cast("date"))
        .withColumn("score_date", F.lit(score_date).cast("date"))
    )
    out = fresh.unionByName(carried.select(*fresh.columns))
    res = tables.write(
        scoring.SCORES,
        out,
        mode="overwrite",
        partition_by=["score_date"],
        replace_where={"score_date": score_date},
        schema_mode="add_columns",
        audit=True,
    )
    counts = {
        r["fresh"]: r["n"]
        for r in _partition(tables, score_date)
        .groupBy((F.col("factors_as_of") == F.lit(score_date)).alias("fresh"))
        .agg(F.count(F.lit(1)).alias("n"))
        .collect()
    }
    return Rescored(score_date, base, n_affected, counts.get(True, 0), counts.get(False, 0), res.version)

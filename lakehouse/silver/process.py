"""Silver: standardise each completed bronze batch into one table per subject area.

Per (bronze batch, subject area), all with the Delta app transaction
``(silver.<area>, batch)`` so a re-run after a failure at any step converges:

1. standardise and check the area's records (one pass, see ``standardise``);
2. keep the latest record per declared key (``record_key``) — earlier ones in the same batch
   are rejected as superseded, exact repeats as duplicates — and merge the winners into
   ``silver.<area>`` (late corrections in later batches replace earlier values);
3. append the failures to ``silver.rejects`` (one row per failed rule, personal data masked);
4. append the batch's quality figures to ``silver.quality`` — written last, it marks the
   area's batch done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from lakehouse.bronze.ingest import BATCHES as BRONZE_BATCHES
from lakehouse.bronze.ingest import RECORDS as BRONZE_RECORDS
from lakehouse.silver.contract import (  # noqa: F401  (re-exported: the names silver's callers use)
    KEYS,
    LATEST_FIRST,
    QUALITY,
    QUALITY_SCHEMA,
    REJECT_COLUMNS,
    REJECTS,
    REJECTS_SCHEMA,
    SUPERSEDED,
    AreaResult,
    DataDocs,
    app_id,
    ge_quality_rows,
    quality_rows,
)
from lakehouse.silver.standardise import ERRORS, LINEAGE, UNMAPPED, AreaPlan, area_plans, standardise, unmapped_columns

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from catalog.catalogs import Registry
    from lakehouse.silver.local import BronzeBatch
    from lakehouse.tables import Tables

log = logging.getLogger(__name__)

BROADCAST_KEYS = 500_000  # repeated keys up to this many are broadcast to the dedup joins
ONE_TASK_ROWS = 200_000  # an area's batch up to this many rows is merged by one task (few, larger files)


def completed_bronze_batches(tables: Tables) -> list[int]:
    if not tables.exists(BRONZE_BATCHES):
        return []
    return sorted(tables.read_arrow(BRONZE_BATCHES, columns=["ingest_batch"]).column("ingest_batch").to_pylist())


def done_versions(tables: Tables, areas: list[str]) -> dict[str, int]:
    """The last batch each area completed (its quality rows are written last), from one load of the log."""
    found = tables.transaction_versions(QUALITY, [app_id(a) for a in areas])
    return {a: int(found[app_id(a)] or 0) for a in areas}


def _latest_per_key(good: DataFrame) -> tuple[DataFrame, DataFrame, dict[str, int]]:
    """(winners, losers, superseded per catalog): the latest record per (catalog, record_key) wins.

    Almost every key comes once: the keys that repeat are found on the two key columns alone, and
    only their rows are ranked, so the wide rows are never shuffled. A key that comes n times
    supersedes n - 1 records, so the losers are counted from the repeated keys alone.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    keys = KEYS
    repeated = good.groupBy(*keys).count().where(F.col("count") > 1).localCheckpoint(eager=True)
    per_catalog = repeated.groupBy("catalog").agg(F.count(F.lit(1)).alias("keys"), F.sum(F.col("count") - 1).alias("superseded")).collect()
    superseded = {r["catalog"]: int(r["superseded"]) for r in per_catalog}
    # a few hundred thousand keys broadcast; a full redelivery falls back to a shuffled join
    repeated = repeated.select(*keys)
    repeated = F.broadcast(repeated) if sum(r["keys"] for r in per_catalog) <= BROADCAST_KEYS else repeated
    order = Window.partitionBy(*keys).orderBy(*(F.col(c).desc() for c, _ in LATEST_FIRST))
    ranked = (
        good.join(repeated, keys, "left_semi")
        .withColumn("_rank", F.row_number().over(order))
        .withColumn(
            "_winner",
            F.first(F.struct("source_file", "source_line")).over(order.rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)),
        )
    )
    winners = good.join(repeated, keys, "left_anti").unionByName(ranked.where("_rank = 1").drop("_rank", "_winner"))
    losers = ranked.where("_rank > 1")
    return winners, losers, superseded


def _tallies(checked: DataFrame) -> tuple[dict[tuple[str, bool], int], list, list]:
    """(rows per (catalog, failed a rule), [(catalog, rule, count)], [(catalog, unmapped column, count)]) in one job."""
    from pyspark.sql import functions as F

    rows = (
        checked.groupBy("catalog", F.when(F.size(ERRORS) > 0, "bad").otherwise("good").alias("key"))
        .count()
        .withColumn("kind", F.lit("rows"))
    )
    rules = (
        checked.where(F.size(ERRORS) > 0)
        .select("catalog", F.explode(ERRORS).alias("e"))
        .groupBy("catalog", F.col("e.standard").alias("key"))
        .count()
        .withColumn("kind", F.lit("rule"))
    )
    unmapped = unmapped_columns(checked).withColumnRenamed("column", "key").withColumn("kind", F.lit("unmapped"))
    out = rows.unionByName(rules).unionByName(unmapped).collect()
    counts = {(r["catalog"], r["key"] == "bad"): r["count"] for r in out if r["kind"] == "rows"}
    rule_counts = [(r["catalog"], r["key"], r["count"]) for r in out if r["kind"] == "rule"]
    unmapped_counts = [(r["catalog"], r["key"], r["count"]) for r in out if r["kind"] == "unmapped"]
    return counts, rule_counts, unmapped_counts


def process_area(
    spark: SparkSession, tables: Tables, plan: AreaPlan, batch: int, hmac_key: bytes, data_docs: DataDocs | None = None
) -> AreaResult:
    from pyspark.sql import functions as F

    result = AreaResult(plan.area, batch)
    records = tables.read(BRONZE_RECORDS, filters=[("ingest_batch", "=", batch), ("catalog", "in", list(plan.catalogs))])
    # checkpointed: later jobs plan from the stored rows, not from the large standardising plan
    checked = standardise(records, plan, hmac_key).localCheckpoint(eager=True)
    try:
        counts, rule_counts, unmapped = _tallies(checked)
        result.rows_in = sum(counts.values())
        if result.rows_in == 0:
            result.skipped = True
        if result.rows_in <= ONE_TASK_ROWS:
            # a daily batch: one task per step instead of one per input split (task overhead dominated)
            checked = checked.coalesce(1)
        good = checked.where(F.size(ERRORS) == 0).drop(ERRORS, UNMAPPED)
        winners, losers, superseded = _latest_per_key(good)
        result.superseded = sum(superseded.values())
        result.rejected = sum(v for (c, bad), v in counts.items() if bad)
        result.rows_out = result.rows_in - result.rejected - result.superseded

        if result.rows_in:
            merged = winners.select(*plan.columns())
            if result.rows_out <= ONE_TASK_ROWS:
                merged = merged.coalesce(1)  # a daily batch: one new file per catalog, not one per task and catalog
            res = tables.merge(
                plan.table,
                merged,
                keys=["catalog", "record_key"],
                partition_by=["catalog"],
                app_id=app_id(plan.area),
                app_version=batch,
                unique_keys=True,
            )
            result.versions[plan.table] = res.version

        failed = (
            checked.where(F.size(ERRORS) > 0)
            .select(*LINEAGE, F.explode(ERRORS).alias("e"))
            .select(
                *REJECT_COLUMNS,
                "e.field",
                "e.standard",
                "e.reason",
                "e.raw_value",
            )
        )
        dupes = losers.select(
            *REJECT_COLUMNS,
            F.lit(None).cast("string").alias("field"),
            F.lit(None).cast("string").alias("standard"),
            F.concat(
                F.lit(SUPERSEDED),
                F.col("_winner.source_file"),
                F.lit(" line "),
                F.col("_winner.source_line").cast("string"),
                F.lit(")"),
            ).alias("reason"),
            F.lit(None).cast("string").alias("raw_value"),
        )
        rejects = failed.unionByName(dupes)
        res = tables.write(REJECTS, rejects, app_id=app_id(plan.area), app_version=batch)
        result.versions[REJECTS] = res.version

        ge_rows = []
        if data_docs:
            from lakehouse.silver.expectations import validate_with_data_docs

            for code in sorted(set(data_docs.catalogs) & {c for c, _ in counts}):
                summary = validate_with_data_docs(
                    checked.where(F.col("catalog") == code).drop(ERRORS, UNMAPPED),
                    plan.catalogs[code],
                    data_docs.standards,
                    batch,
                    data_docs.root,
                )
                ge_rows += ge_quality_rows(batch, plan.area, code, summary)
    finally:
        del checked  # its checkpointed blocks go with the last reference (Spark's context cleaner)

    rows = quality_rows(batch, plan.area, counts, superseded, rule_counts, unmapped) + ge_rows
    quality = spark.createDataFrame(rows, QUALITY_SCHEMA)
    result.versions[QUALITY] = tables.write(QUALITY, quality, app_id=app_id(plan.area), app_version=batch).version
    return result


def process(
    spark: SparkSession,
    tables: Tables,
    registry: Registry,
    hmac_key: bytes,
    progress: Callable[[str], None] | None = None,
    data_docs: DataDocs | None = None,
    parallel: int = 1,
    driver_max_rows: int = 0,
    driver_part_rows: int | None = None,
) -> list[AreaResult]:
    """Standardise every completed bronze batch not yet in silver, batch by batch.

    Within a batch the areas are independent (their own table, their own app transaction in the
    shared rejects and quality tables), so up to ``parallel`` of them run at once, largest first.
    If one fails, the areas not yet started are not started, the running ones finish, and the
    error is raised; a re-run does only the areas not done.

    An area's batch of up to ``driver_max_rows`` bronze rows is processed in the driver with
    pyarrow (``local.process_area_local``: the same outputs, no Spark job), in parts of whole
    catalogs of up to ``driver_part_rows`` rows (default: ``driver_max_rows``, one part), a
    larger catalog in slices; larger batches on Spark.
    """
    from lakehouse.silver.local import BronzeBatch
    from lakehouse.tables.arrow_files import rows_table

    plans = area_plans(registry)
    done = done_versions(tables, sorted(plans))
    results = []
    for batch in completed_bronze_batches(tables):
        pending = [a for a in sorted(plans) if done[a] < batch]
        if not pending:
            continue
        delivered = _bytes_per_catalog(tables, batch)
        todo = []
        for area in pending:
            plan = plans[area]
            if not set(delivered) & set(plan.catalogs):
                # nothing of this area in the batch: record that it is done, cheaply
                tables.write(QUALITY, rows_table([], QUALITY_SCHEMA), app_id=app_id(area), app_version=batch)
                continue
            todo.append(plan)
        todo.sort(key=lambda p: -sum(delivered.get(c, 0) for c in p.catalogs))
        bronze = BronzeBatch.load(tables, batch) if driver_max_rows > 0 else None
        rows = bronze.rows() if bronze else {}
        part_rows = driver_part_rows or driver_max_rows
        local = {
            p.area: len(bronze.parts(p, part_rows)) for p in todo if bronze and sum(rows.get(c, 0) for c in p.catalogs) <= driver_max_rows
        }
        results += _run_areas(spark, tables, todo, batch, hmac_key, data_docs, progress, parallel, local, bronze, part_rows)
    return results


def _run_areas(
    spark,
    tables,
    todo: list[AreaPlan],
    batch: int,
    hmac_key: bytes,
    data_docs,
    progress,
    parallel: int,
    local: dict[str, int],
    bronze: BronzeBatch | None,
    part_rows: int,
) -> list[AreaResult]:
    from lakehouse.silver.local import process_area_local

    def one(plan: AreaPlan) -> AreaResult:
        if progress:
            parts = local.get(plan.area)
            progress(
                f"silver batch {batch}: {plan.area}" + ("" if parts is None else " (driver)" if parts <= 1 else f" (driver, {parts} parts)")
            )
        if plan.area in local:
            return process_area_local(tables, plan, bronze, hmac_key, data_docs, part_rows)
        return process_area(spark, tables, plan, batch, hmac_key, data_docs)

    if parallel <= 1 or len(todo) <= 1:
        return [one(p) for p in todo]
    from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

    pool = ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="silver")
    futures = [pool.submit(one, p) for p in todo]
    try:
        wait(futures, return_when=FIRST_EXCEPTION)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # after a failure: let the running areas finish, start no more
    failed = [f for f in futures if not f.cancelled() and f.exception() is not None]
    if failed:
        raise failed[0].exception()
    return [f.result() for f in futures]


def _bytes_per_catalog(tables: Tables, batch: int) -> dict[str, int]:
    """Bytes delivered per catalog in the batch (files taken in, not duplicates or rejected files)."""
    from lakehouse.bronze.ingest import FILES

    rows = tables.read_arrow(FILES, columns=["catalog", "status", "size"], filters=[("ingest_batch", "=", batch)]).to_pylist()
    out: dict[str, int] = {}
    for r in rows:
        if r["status"] == "ingest":
            out[r["catalog"]] = out.get(r["catalog"], 0) + int(r["size"] or 0)
    return out

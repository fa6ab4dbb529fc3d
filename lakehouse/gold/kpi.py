"""Gold KPIs per cutoff: the register, the credit picture and the pipeline's own quality."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakehouse.tables import Tables

KPI = "gold.kpi"
SCHEMA = "as_of date, metric string, dimension string, value double"


def build(spark: SparkSession, tables: Tables, cutoff: dt.date) -> DataFrame:
    from pyspark.sql import functions as F

    from lakehouse.gold.entity_profile import PROFILE

    profile = tables.read(PROFILE, filters=[("as_of", "=", cutoff)])
    rows = [(cutoff, "entities", None, float(profile.count()))]
    rows += [
        (cutoff, "entities_by_district", r["district_code"], float(r["count"])) for r in profile.groupBy("district_code").count().collect()
    ]
    areas = [a for a in ("penalties", "abnormal_operations", "complaints", "inspections") if f"{a}_count_365d" in profile.columns]
    if areas:
        counts = profile.agg(*[F.count(F.when(F.col(f"{a}_count_365d") > 0, 1)).alias(a) for a in areas]).first()
        rows += [(cutoff, f"entities_with_{a}_365d", None, float(counts[a])) for a in areas]
    if tables.exists("bronze.records"):
        rows.append((cutoff, "bronze_records", None, float(sum(f.num_records or 0 for f in tables.snapshot("bronze.records").files))))
    if tables.exists("bronze.rejects"):
        rows.append((cutoff, "bronze_rejects", None, float(sum(f.num_records or 0 for f in tables.snapshot("bronze.rejects").files))))
    if tables.exists("silver.quality"):
        q = {
            r["metric"]: r["sum(count)"]
            for r in tables.read("silver.quality").where("rule is null").groupBy("metric").sum("count").collect()
        }
        for metric in ("rows_in", "rows_out", "rows_rejected", "rows_superseded"):
            rows.append((cutoff, f"silver_{metric}", None, float(q.get(metric, 0))))
        if q.get("rows_in"):
            rows.append((cutoff, "silver_pass_rate", None, q.get("rows_out", 0) / q["rows_in"]))
    return spark.createDataFrame(rows, SCHEMA)


def write(spark: SparkSession, tables: Tables, cutoff: dt.date) -> int | None:
    return tables.write(
        KPI, build(spark, tables, cutoff), mode="overwrite", partition_by=["as_of"], replace_where={"as_of": cutoff}
    ).version

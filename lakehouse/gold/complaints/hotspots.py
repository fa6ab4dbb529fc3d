"""Complaint hotspots: district x industry pairs whose complaint rate is well above baseline.

For every period, district and industry section:

* ``complaints``  complaints received in the period about the pair,
* ``entities``    entities of the pair registered by the end of the period,
* ``rate``        complaints per 100 entities,
* ``baseline``    the same industry's rate in the rest of the city (other districts), so a
                  district is compared with its own industry elsewhere, not with restaurants
                  compared with factories,
* ``expected``    entities x baseline; ``ratio`` = complaints / expected;
  ``z`` = (complaints - expected) / sqrt(expected).

A pair is a hotspot when ``ratio >= hotspot_ratio``, ``complaints >= hotspot_min_complaints``
and ``z >= hotspot_min_z``. Its entities with complaints in the period are the risk signal
the inspection plan takes (``gold.hotspot_entities``: uscc and a reason).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from lakehouse.gold.complaints.source import district_names, period_bounds, section_names

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from lakehouse.config.complaints import ComplaintsSettings


def _names(spark):
    from pyspark.sql import functions as F

    d = spark.createDataFrame(sorted(district_names().items()), "district_code string, district_name string")
    s = spark.createDataFrame(sorted(section_names().items()), "industry_section string, industry_name string")
    return F.broadcast(d), F.broadcast(s)


def entity_counts(registered: DataFrame, periods: list[str], grain: str) -> DataFrame:
    """period, district_code, industry_section, entities (registered by the period's end)."""
    from pyspark.sql import functions as F

    spark = registered.sparkSession
    ends = spark.createDataFrame([(p, period_bounds(p, grain)[1]) for p in periods], "period string, period_end date")
    by_day = (
        registered.where(F.col("industry_section").isNotNull() & F.col("district_code").isNotNull())
        .groupBy("district_code", "industry_section", "establishment_date")
        .agg(F.count(F.lit(1)).alias("n"))
    )
    joined = by_day.join(F.broadcast(ends), by_day["establishment_date"] <= ends["period_end"])
    return joined.groupBy("period", "district_code", "industry_section").agg(F.sum("n").alias("entities"))


def rates(
    complaints: DataFrame, registered: DataFrame, periods: list[str], settings: ComplaintsSettings, keywords: DataFrame | None = None
) -> DataFrame:
    """One row per period x district x industry with its rate, baseline, ratio, z and hotspot flag."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    spark = complaints.sparkSession
    c = (
        complaints.where(F.col("industry_section").isNotNull() & F.col("district_code").isNotNull() & F.col("period").isin(periods))
        .groupBy("period", "district_code", "industry_section")
        .agg(F.count(F.lit(1)).alias("complaints"))
    )
    e = entity_counts(registered, periods, settings.period)
    df = e.join(c, ["period", "district_code", "industry_section"], "left").fillna(0, subset=["complaints"])
    section = Window.partitionBy("period", "industry_section")
    df = (
        df.withColumn("rest_complaints", F.sum("complaints").over(section) - F.col("complaints"))
        .withColumn("rest_entities", F.sum("entities").over(section) - F.col("entities"))
        .withColumn("rate", F.col("complaints") * 100.0 / F.col("entities"))
        .withColumn("baseline", F.when(F.col("rest_entities") > 0, F.col("rest_complaints") * 100.0 / F.col("rest_entities")))
        .withColumn("expected", F.col("entities") * F.col("baseline") / 100.0)
        # an industry no other district complains about: half a complaint stands in for the unseen baseline
        .withColumn(
            "expected", F.greatest(F.col("expected"), F.lit(0.5) * F.col("entities") / F.greatest(F.col("rest_entities"), F.lit(1)))
        )
        .withColumn("ratio", F.col("complaints") / F.col("expected"))
        .withColumn("z", (F.col("complaints") - F.col("expected")) / F.sqrt(F.col("expected")))
    )
    df = df.withColumn(
        "hotspot",
        (F.col("ratio") >= settings.hotspot_ratio)
        & (F.col("complaints") >= settings.hotspot_min_complaints)
        & (F.col("z") >= settings.hotspot_min_z),
    )
    if keywords is not None:
        top = (
            keywords.where(F.col("rank") <= 5)
            .groupBy("period", "district_code", "industry_section")
            .agg(F.transform(F.array_sort(F.collect_list(F.struct("rank", "word"))), lambda s: s["word"]).alias("top_words"))
        )
        df = df.join(top, ["period", "district_code", "industry_section"], "left")
    else:
        df = df.withColumn("top_words", F.array().cast("array<string>"))
    dn, sn = _names(spark)
    df = df.join(dn, "district_code", "left").join(sn, "industry_section", "left")
    w = Window.partitionBy("period").orderBy(F.desc("hotspot"), F.desc("ratio"))
    return df.withColumn("rank", F.row_number().over(w)).select(
        "period",
        "district_code",
        "district_name",
        "industry_section",
        "industry_name",
        "complaints",
        "entities",
        "rate",
        "baseline",
        "expected",
        "ratio",
        "z",
        "hotspot",
        "rank",
        "top_words",
    )


def hotspot_entities(tokens: DataFrame, hot: DataFrame, settings: ComplaintsSettings) -> DataFrame:
    """Entities of hotspot pairs with complaints in the period: the plan's risk signal, with a reason."""
    from pyspark.sql import functions as F

    h = hot.where("hotspot").select("period", "district_code", "industry_section", "district_name", "industry_name", "ratio", "top_words")
    c = tokens.where(F.col("uscc").isNotNull()).join(h, ["period", "district_code", "industry_section"])
    g = c.groupBy("period", "uscc", "district_code", "industry_section", "district_name", "industry_name", "ratio", "top_words").agg(
        F.first("entity_name", ignorenulls=True).alias("entity_name"),
        F.count(F.lit(1)).alias("complaints"),
        F.array_distinct(F.flatten(F.collect_list("words"))).alias("_words"),
    )
    g = g.where(F.col("complaints") >= settings.hotspot_entity_min_complaints)
    g = g.withColumn("hot_words", F.array_intersect("top_words", "_words"))
    reason = F.format_string(
        "complaint hotspot %s x %s (%s): %d complaint(s) in %s; the pair's complaint rate is %.1fx its industry elsewhere%s",
        F.coalesce("district_name", "district_code"),
        F.col("industry_section"),
        F.coalesce("industry_name", F.lit("?")),
        F.col("complaints"),
        F.col("period"),
        F.col("ratio"),
        F.when(F.size("hot_words") > 0, F.concat(F.lit("; hot words: "), F.array_join("hot_words", "、"))).otherwise(F.lit("")),
    )
    return g.select(
        "period",
        "uscc",
        "entity_name",
        "district_code",
        "industry_section",
        "complaints",
        "hot_words",
        F.col("ratio").alias("hotspot_ratio"),
        F.lit("complaint_hotspot").alias("signal"),
        reason.alias("reason"),
    )


def periods_between(first: dt.date, last: dt.date, grain: str) -> list[str]:
    """Every period label from ``first`` to ``last`` (calendar order)."""
    from lakehouse.gold.complaints.source import period_label

    out = []
    day = first
    while day <= last:
        label = period_label(day, grain)
        out.append(label)
        day = period_bounds(label, grain)[1] + dt.timedelta(days=1)
    return out

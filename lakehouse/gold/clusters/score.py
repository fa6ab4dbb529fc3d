"""Cluster scores and reasons.

Each component is in [0, 1]; the score is their weighted mean (weights in
``clusters.weights``; ``shared_agent`` only counts when the register has agent columns):

* size        (members - 1) / (size_saturation - 1), capped at 1
* tightness   1 - (last - first registration date) / window_days
* shared_*    (largest group of members sharing one value - 1) / (members - 1), for the legal
              representative's hashed ID, the hashed phone and the filing-agent columns
* trading     share of members in trading / business-services divisions
* capital     the larger of: members with identical registered capital, (largest group - 1) /
              (members - 1); and the mean unpaid share of subscribed capital (SCJG-002)

Only hashes of personal data are read; the outputs carry counts and USCCs, never the values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

    from lakehouse.config.clusters import ClustersSettings
    from lakehouse.tables import Tables

COMPONENTS = ["size", "tightness", "shared_legal_rep", "shared_phone", "shared_agent", "trading", "capital"]


def unpaid_shares(tables: Tables) -> DataFrame | None:
    """uscc, unpaid_share (1 - paid / subscribed over the entity's shareholders), or None without the table."""
    from pyspark.sql import functions as F

    name = "silver.shareholders_contributions"
    if not tables.exists(name):
        return None
    sh = tables.read(name, filters=[("catalog", "=", "SCJG-002")])
    if not {"uscc", "subscribed_amount", "paid_amount"} <= set(sh.columns):
        return None
    g = sh.groupBy("uscc").agg(F.sum("subscribed_amount").alias("sub"), F.sum("paid_amount").alias("paid"))
    share = F.when(F.col("sub") > 0, F.least(F.lit(1.0), F.greatest(F.lit(0.0), 1 - F.col("paid") / F.col("sub"))))
    return g.select("uscc", share.alias("unpaid_share"))


def _largest_group(members: DataFrame, col: Column | str, name: str) -> DataFrame:
    from pyspark.sql import functions as F

    c = F.col(col) if isinstance(col, str) else col
    g = members.where(c.isNotNull()).groupBy("cluster_id", c.alias("_v")).agg(F.count(F.lit(1)).alias("_n"))
    return g.groupBy("cluster_id").agg(F.max("_n").alias(name))


def score(members: DataFrame, settings: ClustersSettings, unpaid: DataFrame | None = None) -> DataFrame:
    """One row per cluster: size, dates, components, score, reasons, members (USCCs)."""
    from pyspark.sql import functions as F

    m = members.withColumn("_trading", F.substring("industry_code", 1, 2).isin(settings.trading_divisions).cast("double"))
    if unpaid is not None:
        m = m.join(unpaid, "uscc", "left")
    else:
        m = m.withColumn("unpaid_share", F.lit(None).cast("double"))
    base = m.groupBy("cluster_id").agg(
        F.first("address_key").alias("address_key"),
        F.mode("address_normalised").alias("address_normalised"),
        F.mode("district_code").alias("district_code"),
        F.mode("town_code").alias("town_code"),
        F.count(F.lit(1)).alias("size"),
        F.min("first_date").alias("first_date"),
        F.max("last_date").alias("last_date"),
        F.avg("_trading").alias("trading_share"),
        F.avg("unpaid_share").alias("unpaid_share"),
        F.array_sort(F.collect_list("uscc")).alias("members"),
        F.array_sort(F.collect_set("industry_code")).alias("industry_codes"),
    )
    agent_cols = [c for c in settings.agent_columns if c in members.columns]
    agent = F.coalesce(*[F.col(c) for c in agent_cols]) if agent_cols else None
    parts = [
        _largest_group(m, "legal_rep_id_hash", "same_legal_rep"),
        _largest_group(m, "legal_rep_phone_hash", "same_phone"),
        _largest_group(m, F.round("registered_capital", 2), "same_capital"),
    ]
    if agent is not None:
        parts.append(_largest_group(m, agent, "same_agent"))
    df = base
    for p in parts:
        df = df.join(p, "cluster_id", "left")
    if agent is None:
        df = df.withColumn("same_agent", F.lit(None).cast("long"))
    for c in ("same_legal_rep", "same_phone", "same_capital", "same_agent"):
        df = df.withColumn(c, F.coalesce(F.col(c), F.lit(0 if c != "same_agent" or agent is not None else None)).cast("long"))

    size = F.col("size")
    share = lambda c: F.when(size > 1, F.greatest(F.lit(0.0), (F.coalesce(F.col(c), F.lit(1)) - 1) / (size - 1))).otherwise(F.lit(0.0))  # noqa: E731
    w = settings.weights
    span = F.datediff("last_date", "first_date")
    comps = {
        "size": F.least(F.lit(1.0), (size - 1) / F.lit(float(settings.size_saturation - 1))),
        "tightness": (1 - span / F.lit(float(max(settings.window_days, 1)))) if settings.window_days else F.lit(1.0),
        "shared_legal_rep": share("same_legal_rep"),
        "shared_phone": share("same_phone"),
        "shared_agent": share("same_agent"),
        "trading": F.coalesce(F.col("trading_share"), F.lit(0.0)),
        "capital": F.greatest(share("same_capital"), F.coalesce(F.col("unpaid_share"), F.lit(0.0))),
    }
    used = [c for c in COMPONENTS if c != "shared_agent" or agent is not None]
    total = sum(getattr(w, c) for c in used) or 1.0
    df = df.withColumn("span_days", span)
    for c, expr in comps.items():
        df = df.withColumn(f"c_{c}", F.greatest(F.lit(0.0), F.least(F.lit(1.0), expr.cast("double"))))
    df = df.withColumn("score", sum(F.col(f"c_{c}") * getattr(w, c) for c in used) / F.lit(total))
    df = df.withColumn("alert", F.col("score") >= settings.alert_threshold)

    reasons = [
        (
            "size",
            F.lit(True),
            F.format_string(
                "%d entities registered at one address (%s) within %d day(s): %s .. %s",
                size,
                F.coalesce("address_normalised", F.lit("?")),
                F.col("span_days"),
                F.date_format("first_date", "yyyy-MM-dd"),
                F.date_format("last_date", "yyyy-MM-dd"),
            ),
        ),
        ("shared_legal_rep", F.col("same_legal_rep") >= 2, F.format_string("%d share one legal representative", F.col("same_legal_rep"))),
        ("shared_phone", F.col("same_phone") >= 2, F.format_string("%d share one legal representative's phone", F.col("same_phone"))),
        (
            "shared_agent",
            F.coalesce(F.col("same_agent"), F.lit(0)) >= 2,
            F.format_string("%d were filed by one agent", F.col("same_agent")),
        ),
        ("trading", F.col("trading_share") >= 0.5, F.format_string("%.0f%% in trading or business services", F.col("trading_share") * 100)),
        ("identical_capital", F.col("same_capital") >= 2, F.format_string("%d have identical registered capital", F.col("same_capital"))),
        (
            "unpaid_capital",
            F.coalesce(F.col("unpaid_share"), F.lit(0.0)) >= 0.5,
            F.format_string("on average %.0f%% of subscribed capital unpaid", F.col("unpaid_share") * 100),
        ),
    ]
    df = df.withColumn(
        "reason_codes", F.filter(F.array(*[F.when(cond, F.lit(code)) for code, cond, _ in reasons]), lambda x: x.isNotNull())
    )
    df = df.withColumn("reasons", F.filter(F.array(*[F.when(cond, text) for _, cond, text in reasons]), lambda x: x.isNotNull()))
    return df.select(
        "cluster_id",
        "address_key",
        "address_normalised",
        "district_code",
        "town_code",
        "size",
        "first_date",
        "last_date",
        "span_days",
        "score",
        "alert",
        *[f"c_{c}" for c in COMPONENTS],
        "same_legal_rep",
        "same_phone",
        "same_agent",
        "same_capital",
        "trading_share",
        "unpaid_share",
        "industry_codes",
        "reason_codes",
        "reasons",
        "members",
    )

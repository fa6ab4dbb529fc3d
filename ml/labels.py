"""Training labels: what inspections found in the window after a cutoff.

An entity is labelled for cutoff ``c`` when an inspection of it (``SCJG-005``) is dated in
``(c, c + window]``; the label is 1 when any such inspection found a problem (result other
than ``1`` 未发现问题). Penalties decided in the window are kept beside it (``penalised``).

Only **double-random** inspections (``inspection_mode = 1``) make unbiased labels: they are
drawn uniformly from the population, so their hit rate estimates the violation rate of every
entity alike. Targeted and complaint-driven checks go where suspicion already is; training on
them teaches the model the inspectors' old selection rule and inflates every metric
(their hit rate is several times the random one). ``label_source = all`` exists for
comparison only.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from lakehouse.tables import Tables

INSPECTIONS = ("inspections", "SCJG-005")
PENALTIES = ("penalties", "SCJG-006")


def build(tables: Tables, cutoff: dt.date, window_days: int, source: Literal["random", "all"] = "random") -> DataFrame:
    """(uscc, as_of, label, inspections, penalised) of entities inspected in the window after ``cutoff``."""
    from pyspark.sql import functions as F

    area, cat = INSPECTIONS
    insp = tables.read(f"silver.{area}", filters=[("catalog", "=", cat)])
    end = cutoff + dt.timedelta(days=window_days)
    win = insp.where(
        F.col("uscc").isNotNull()
        & F.col("inspection_result").isNotNull()
        & (F.col("inspection_date") > F.lit(cutoff))
        & (F.col("inspection_date") <= F.lit(end))
    )
    if source == "random":
        win = win.where(F.col("inspection_mode") == "1")
    labels = win.groupBy("uscc").agg(
        F.max((F.col("inspection_result") != "1").cast("int")).alias("label"),
        F.count(F.lit(1)).alias("inspections"),
    )
    parea, pcat = PENALTIES
    if tables.exists(f"silver.{parea}"):
        pen = tables.read(f"silver.{parea}", filters=[("catalog", "=", pcat)])
        pen = pen.where((F.col("decision_date") > F.lit(cutoff)) & (F.col("decision_date") <= F.lit(end))).select("uscc").distinct()
        labels = labels.join(pen.withColumn("penalised", F.lit(1)), "uscc", "left").fillna(0, subset=["penalised"])
    else:
        labels = labels.withColumn("penalised", F.lit(0))
    return labels.withColumn("as_of", F.lit(cutoff))


def newest_inspection(tables: Tables, source: Literal["random", "all"] = "random") -> dt.date | None:
    """Date of the newest inspection (double-random only with ``source='random'``) in silver."""
    from pyspark.sql import functions as F

    area, cat = INSPECTIONS
    if not tables.exists(f"silver.{area}"):
        return None
    insp = tables.read(f"silver.{area}", filters=[("catalog", "=", cat)])
    if source == "random":
        insp = insp.where(F.col("inspection_mode") == "1")
    value = insp.agg(F.max(F.col("inspection_date").cast("date"))).first()[0]
    return value

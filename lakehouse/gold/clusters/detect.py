"""Registration clusters: entities registered at the same normalised address within a window.

Addresses are normalised in the executors (``mapInArrow``, :mod:`lakehouse.gold.clusters.address`);
addresses holding at least ``min_size`` registrations go to :func:`windows`, which takes
the densest window of ``window_days`` first, makes it a cluster when it holds ``min_size``
entities or more, and repeats on what is left.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from lakehouse.errors import RegulakeError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from lakehouse.config.clusters import ClustersSettings
    from lakehouse.tables import Tables

REGISTER_COLUMNS = [
    "uscc",
    "entity_name",
    "enterprise_type",
    "establishment_date",
    "industry_code",
    "registered_capital",
    "district_code",
    "town_code",
    "address",
    "legal_rep_id_hash",
    "legal_rep_phone_hash",
]


def windows(dates: Sequence[dt.date], window_days: int, min_size: int) -> list[list[int]]:
    """Groups of indexes (into ``dates``) registered within ``window_days`` of the group's first.

    Densest window first (ties: the tighter, then the earlier), then again on the rest; groups
    smaller than ``min_size`` are not clusters.
    """
    order = sorted(range(len(dates)), key=lambda i: (dates[i], i))
    left = list(order)
    out: list[list[int]] = []
    while len(left) >= min_size:
        best, best_span, best_lo, best_hi = 0, 0, 0, 0
        hi = 0
        for lo in range(len(left)):
            hi = max(hi, lo)
            while hi + 1 < len(left) and (dates[left[hi + 1]] - dates[left[lo]]).days <= window_days:
                hi += 1
            span = (dates[left[hi]] - dates[left[lo]]).days
            if hi - lo + 1 > best or (hi - lo + 1 == best and span < best_span):
                best, best_span, best_lo, best_hi = hi - lo + 1, span, lo, hi
        if best < min_size:
            break
        out.append(left[best_lo : best_hi + 1])
        left = left[:best_lo] + left[best_hi + 1 :]
    return sorted(out, key=lambda g: dates[g[0]])


def cluster_id(address_key: str, first_date: dt.date) -> str:
    """Stable id: the same address and first registration give the same id in every run."""
    return hashlib.sha1(f"{address_key}|{first_date.isoformat()}".encode()).hexdigest()[:16]


def register(tables: Tables, settings: ClustersSettings, as_of: dt.date) -> DataFrame:
    """The register's entities established by ``as_of`` (one row per USCC), minus excluded types."""
    from pyspark.sql import functions as F

    if not tables.exists("silver.registration"):
        raise RegulakeError("registration clusters need silver.registration; run 'regulake run bronze' and 'regulake run silver' first")
    reg = tables.read("silver.registration", filters=[("catalog", "=", settings.catalog)])
    cols = REGISTER_COLUMNS + [c for c in settings.agent_columns if c in reg.columns]
    missing = [c for c in REGISTER_COLUMNS if c not in reg.columns]
    if missing:
        raise RegulakeError(f"silver.registration lacks {missing}; is catalog {settings.catalog} the entity register?")
    reg = reg.where(F.col("uscc").isNotNull() & F.col("address").isNotNull() & (F.col("establishment_date") <= F.lit(as_of)))
    if settings.exclude_enterprise_types:
        reg = reg.where(~F.coalesce(F.col("enterprise_type"), F.lit("")).isin(settings.exclude_enterprise_types))
    return reg.select(*cols).dropDuplicates(["uscc"])


def with_address_keys(df: DataFrame) -> DataFrame:
    """``df`` plus ``address_key`` and ``address_normalised``, computed in the executors."""
    from pyspark.sql.types import StringType, StructField, StructType

    schema = StructType(
        list(df.schema.fields) + [StructField("address_key", StringType()), StructField("address_normalised", StringType())]
    )

    def run(batches):
        import pyarrow as pa

        from lakehouse.gold.clusters.address import parse

        for b in batches:
            addr, dist, town = (b.column(c).to_pylist() for c in ("address", "district_code", "town_code"))
            keys, shown = [], []
            for a, d, t in zip(addr, dist, town):
                if not a or not a.strip():
                    keys.append(None)
                    shown.append(None)
                    continue
                p = parse(a, d, t)
                keys.append(p.key)
                shown.append(p.display)
            yield b.append_column("address_key", pa.array(keys, pa.string())).append_column(
                "address_normalised", pa.array(shown, pa.string())
            )

    return df.mapInArrow(run, schema)


def detect(entities: DataFrame, settings: ClustersSettings, as_of: dt.date) -> DataFrame:
    """One row per cluster member: cluster_id, address_key, member columns, first/last date of its cluster."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F
    from pyspark.sql.types import DateType, StringType, StructField, StructType

    keyed = with_address_keys(entities).where(F.col("address_key").isNotNull())
    # only addresses with enough registrations can hold a cluster: cheap pre-filter before Python
    crowded = (
        keyed.withColumn("_n", F.count(F.lit(1)).over(Window.partitionBy("address_key"))).where(F.col("_n") >= settings.min_size).drop("_n")
    )
    if settings.lookback_days:
        since = as_of - dt.timedelta(days=settings.lookback_days + settings.window_days)
        crowded = crowded.where(F.col("establishment_date") >= F.lit(since))
    window_days, min_size = settings.window_days, settings.min_size
    out_schema = StructType(
        [
            StructField("cluster_id", StringType()),
            StructField("address_key", StringType()),
            StructField("uscc", StringType()),
            StructField("first_date", DateType()),
            StructField("last_date", DateType()),
        ]
    )

    def group(pdf):
        import pandas as pd

        pdf = pdf.reset_index(drop=True)
        dates = list(pd.to_datetime(pdf["establishment_date"]).dt.date)
        rows = []
        for g in windows(dates, window_days, min_size):
            first, last = min(dates[i] for i in g), max(dates[i] for i in g)
            cid = cluster_id(pdf["address_key"].iloc[0], first)
            rows += [(cid, pdf["address_key"].iloc[0], pdf["uscc"].iloc[i], first, last) for i in g]
        return pd.DataFrame(rows, columns=["cluster_id", "address_key", "uscc", "first_date", "last_date"])

    members = crowded.select("address_key", "uscc", "establishment_date").groupBy("address_key").applyInPandas(group, out_schema)
    if settings.lookback_days:
        members = members.where(F.col("last_date") >= F.lit(as_of - dt.timedelta(days=settings.lookback_days)))
    return members.join(keyed.drop("address_key"), "uscc")

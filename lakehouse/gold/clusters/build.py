"""Registration clusters end to end: register → address keys → windows → scores → gold.

``gold.registration_clusters``  one row per member of every detected cluster (with its cluster's
                                score and alert flag), partitioned by ``as_of``;
``gold.registration_alerts``    one row per cluster scoring at least ``alert_threshold``, with
                                components, reasons and the members' USCCs, partitioned by ``as_of``.

Each run replaces its ``as_of`` partition, so re-running for the same date changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakehouse.config.clusters import ClustersSettings
    from lakehouse.tables import Tables

CLUSTERS_TABLE = "gold.registration_clusters"
ALERTS_TABLE = "gold.registration_alerts"
MEMBER_COLUMNS = [
    "uscc",
    "entity_name",
    "enterprise_type",
    "establishment_date",
    "industry_code",
    "registered_capital",
    "district_code",
    "town_code",
    "address_normalised",
]


@dataclass
class ClusterResult:
    as_of: dt.date
    entities: int = 0
    clusters: int = 0
    alerts: int = 0
    alerted_entities: int = 0
    written: dict[str, tuple[int | None, int]] = field(default_factory=dict)


def run_clusters(
    spark: SparkSession, tables: Tables, settings: ClustersSettings, as_of: dt.date, progress: Callable[[str], None] | None = None
) -> ClusterResult:
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    from lakehouse.gold.clusters import detect, score

    say = progress or (lambda m: None)
    result = ClusterResult(as_of)
    say(f"clusters: normalising addresses of the register as of {as_of}")
    register = detect.register(tables, settings, as_of).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        result.entities = register.count()
        members = detect.detect(register, settings, as_of).persist(StorageLevel.MEMORY_AND_DISK)
        unpaid = score.unpaid_shares(tables) if settings.use_shareholders else None
        say("clusters: scoring")
        scored = score.score(members, settings, unpaid).withColumn("as_of", F.lit(as_of)).persist(StorageLevel.MEMORY_AND_DISK)
        member_rows = members.select("cluster_id", *MEMBER_COLUMNS).join(
            scored.select("cluster_id", "score", "alert", "as_of"), "cluster_id"
        )
        alerts = scored.where("alert").drop("alert")
        summary = scored.select("size", "alert").collect()
        result.clusters = len(summary)
        result.alerts = sum(1 for r in summary if r["alert"])
        result.alerted_entities = sum(r["size"] for r in summary if r["alert"])
        for name, df, rows in ((CLUSTERS_TABLE, member_rows, sum(r["size"] for r in summary)), (ALERTS_TABLE, alerts, result.alerts)):
            say(f"clusters: writing {name}")
            r = tables.write(name, df, mode="overwrite", partition_by=["as_of"], replace_where={"as_of": as_of}, schema_mode="add_columns")
            result.written[name] = (r.version, rows)
        for df in (scored, members):
            df.unpersist()
    finally:
        register.unpersist()
    return result

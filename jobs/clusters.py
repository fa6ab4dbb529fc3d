"""Job: registration-cluster alerts (many companies registered at one address within days)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakehouse.config import RegulakeConfig


def run(config: RegulakeConfig, spark: SparkSession, progress=None) -> list:
    from jobs.gold import latest_batch_date
    from lakehouse.config.clusters import settings_of
    from lakehouse.errors import RegulakeError
    from lakehouse.gold.clusters import build
    from lakehouse.runs import record_run
    from lakehouse.tables import Tables

    settings = settings_of(config)
    tables = Tables.from_config(config, spark)
    if not tables.exists("silver.registration"):
        raise RegulakeError("registration clusters need silver.registration; run 'regulake run bronze' and 'regulake run silver' first")
    as_of = settings.as_of or getattr(getattr(config, "gold", None), "cutoff_date", None) or latest_batch_date(tables)
    with record_run(config, "clusters") as run_record:
        run_record.read("silver.registration", tables.version("silver.registration"))
        result = build.run_clusters(spark, tables, settings, as_of, progress=progress)
        run_record.rows_in += result.entities
        for name, (version, rows) in result.written.items():
            run_record.wrote(name, version, rows=rows)
        run_record.details.update(
            as_of=as_of.isoformat(),
            entities=result.entities,
            clusters=result.clusters,
            alerts=result.alerts,
            alerted_entities=result.alerted_entities,
            window_days=settings.window_days,
            min_size=settings.min_size,
            alert_threshold=settings.alert_threshold,
        )
    return [as_of]

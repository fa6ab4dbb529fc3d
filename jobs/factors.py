"""Job: candidate risk factors as of every training cutoff and the score date (gold.factors)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakehouse.config import RegulakeConfig


def run(config: RegulakeConfig, spark: SparkSession, progress=None) -> list:
    from catalog import load_catalog
    from lakehouse.errors import RegulakeError
    from lakehouse.risk import factors
    from lakehouse.runs import record_run
    from lakehouse.tables import Tables

    tables = Tables.from_config(config, spark)
    if not tables.exists("silver.registration"):
        raise RegulakeError("factors need silver.registration; run 'regulake run bronze' and 'regulake run silver' first")
    dates = sorted(set(config.risk.train_cutoffs) | {score_date(config, tables)})
    registry = load_catalog()
    with record_run(config, "factors") as run_record:
        if progress:
            progress(f"factors as of {', '.join(map(str, dates))}")
        for cutoff, version, entities, n in factors.write(spark, tables, registry, dates):
            run_record.wrote(factors.FACTORS, version, rows=entities)
            run_record.details.setdefault("cutoffs", {})[cutoff.isoformat()] = {"entities": entities, "factors": n}
    return dates


def score_date(config: RegulakeConfig, tables):
    """risk.score_cutoff, else gold.cutoff_date, else the newest delivery date."""
    from jobs.gold import latest_batch_date

    return config.risk.score_cutoff or config.gold.cutoff_date or latest_batch_date(tables)

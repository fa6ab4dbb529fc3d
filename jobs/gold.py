"""Job: the entity profile (one file per entity) and KPIs as of the cutoff date."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakehouse.config import RegulakeConfig


def run(config: RegulakeConfig, spark: SparkSession, progress=None) -> list:
    from catalog import load_catalog
    from lakehouse.errors import RegulakeError
    from lakehouse.gold import entity_profile, kpi
    from lakehouse.runs import record_run
    from lakehouse.tables import Tables

    tables = Tables.from_config(config, spark)
    if not tables.exists("silver.registration"):
        raise RegulakeError("gold needs silver.registration; run 'regulake run bronze' and 'regulake run silver' first")
    cutoff = config.gold.cutoff_date or latest_batch_date(tables)
    with record_run(config, "gold") as run_record:
        if progress:
            progress(f"gold: entity profile as of {cutoff}")
        version, entities = entity_profile.write(spark, tables, load_catalog(), cutoff)
        run_record.wrote(entity_profile.PROFILE, version, rows=entities)
        run_record.wrote(kpi.KPI, kpi.write(spark, tables, cutoff))
        run_record.details["cutoff"] = cutoff.isoformat()
    return [cutoff]


def latest_batch_date(tables):
    """The newest delivery date ingested: the profile is as of what the city has delivered."""
    from pyspark.sql import functions as F

    files = tables.read("bronze.landing_files", columns=["batch_date", "status"]).where("status = 'ingest'")
    return files.agg(F.max("batch_date")).first()[0]

"""Job: ingest every new landing file into bronze (exactly once per file)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakehouse.config import RegulakeConfig


def run(config: RegulakeConfig, spark: SparkSession, progress=None) -> list:
    from catalog import load_catalog
    from lakehouse.bronze.ingest import ingest_all
    from lakehouse.runs import record_run
    from lakehouse.tables import Tables

    tables = Tables.from_config(config, spark)
    with record_run(config, "bronze") as run_record:
        if progress:
            progress("bronze: discovering and ingesting new landing files")
        results = ingest_all(
            spark, tables, config.landing.root, load_catalog().catalogs, driver_write_max_bytes=config.bronze.driver_write_max_mb * 2**20
        )
        for res in results:
            run_record.rows_in += res.records + res.rejected_lines
            for table, version in res.versions.items():
                rows = res.records if table == "bronze.records" else res.rejected_lines if table == "bronze.rejects" else 0
                (run_record.rejected if table == "bronze.rejects" else run_record.wrote)(table, version, rows=rows)
        run_record.details["batches"] = [r.__dict__ for r in results]
    return results

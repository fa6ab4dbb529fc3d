"""Job: standardise and validate every new bronze batch into silver."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakehouse.config import RegulakeConfig


def run(config: RegulakeConfig, spark: SparkSession, progress=None) -> list:
    from catalog import load_catalog
    from lakehouse.privacy import hmac_key
    from lakehouse.runs import record_run
    from lakehouse.silver.process import DataDocs, process
    from lakehouse.tables import Tables

    tables = Tables.from_config(config, spark)
    with record_run(config, "silver") as run_record:
        registry = load_catalog()
        docs = (
            DataDocs(config.silver.data_docs_root, config.silver.data_docs_catalogs, registry.standards)
            if config.silver.data_docs_catalogs
            else None
        )
        results = process(
            spark,
            tables,
            registry,
            hmac_key(config),
            progress,
            docs,
            config.silver.parallel_areas,
            config.silver.driver_max_rows,
            config.silver.driver_part_rows,
        )
        for r in results:
            run_record.rows_in += r.rows_in
            run_record.rows_out += r.rows_out
            run_record.rows_rejected += r.rejected + r.superseded
            for table, version in r.versions.items():
                run_record.tables_written[table] = version
        run_record.details["areas"] = [r.__dict__ for r in results]
        if docs:
            run_record.details["data_docs"] = f"{docs.root}/gx/uncommitted/data_docs/local_site/index.html"
    return results

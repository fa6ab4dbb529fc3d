"""Job: candidate risk factors as of every training cutoff and the score date (gold.factors).

The score date's factors are always (re)computed; a training cutoff already in gold.factors is
kept as it is (a daily run stays cheap) unless ``risk.refresh_train_factors`` is on — after
late corrections to records before the cutoff, or a release with a new factor set."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakehouse.config import RegulakeConfig


def run(config: RegulakeConfig, spark: SparkSession, progress=None) -> list:
    from catalog import load_catalog
    from lakehouse.errors import RegulakeError
    from lakehouse.runs import record_run
    from lakehouse.tables import Tables
    from ml import factors

    tables = Tables.from_config(config, spark)
    if not tables.exists("silver.registration"):
        raise RegulakeError("factors need silver.registration; run 'regulake run bronze' and 'regulake run silver' first")
    scored = score_date(config, tables)
    dates = sorted(set(config.risk.train_cutoffs) | {scored})
    kept = [] if config.risk.refresh_train_factors else [d for d in dates if d != scored and d in factors.dates(tables)]
    todo = [d for d in dates if d not in kept]
    registry = load_catalog()
    with record_run(config, "factors") as run_record:
        run_record.details["kept"] = [d.isoformat() for d in kept]
        if progress:
            progress(
                f"factors as of {', '.join(map(str, todo))}"
                + (f" (kept: {', '.join(map(str, kept))}; risk.refresh_train_factors recomputes them)" if kept else "")
            )
        written = factors.write(spark, tables, registry, todo)
        run_record.wrote(factors.FACTORS, written.version, rows=sum(written.entities.values()))
        run_record.details["cutoffs"] = {c.isoformat(): {"entities": n, "factors": written.factors} for c, n in written.entities.items()}
    return dates


def score_date(config: RegulakeConfig, tables):
    """risk.score_cutoff, else gold.cutoff_date, else the newest delivery date."""
    from jobs.gold import latest_batch_date

    return config.risk.score_cutoff or config.gold.cutoff_date or latest_batch_date(tables)

"""Job: score every entity with the champion model (gold.risk_scores, one partition per score date)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakehouse.config import RegulakeConfig


def run(config: RegulakeConfig, spark: SparkSession, progress=None) -> list:
    from jobs.factors import score_date
    from lakehouse.runs import record_run
    from lakehouse.tables import Tables
    from ml import scoring
    from ml.tracking import Tracker

    tables = Tables.from_config(config, spark)
    date = score_date(config, tables)
    champion = Tracker(config.risk.mlflow).require_champion()
    with record_run(config, "score") as run_record:
        if progress:
            progress(f"scoring as of {date} with {champion.name} version {champion.version}")
        version, classes = scoring.write(spark, tables, champion, config.risk, date)
        run_record.wrote(scoring.SCORES, version, rows=sum(classes.values()))
        run_record.details.update({"score_date": date.isoformat(), "model_version": champion.version, "classes": classes})
    return [date]

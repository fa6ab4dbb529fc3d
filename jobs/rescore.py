"""Job: re-score the entities the deliveries since the last scores touched (the daily increment).

See :mod:`ml.rescoring`: the champion's factors only, for the affected entities only;
every other entity is carried over from the previous score date with the date of its factors."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakehouse.config import RegulakeConfig


def run(config: RegulakeConfig, spark: SparkSession, progress=None) -> list:
    from catalog import load_catalog
    from jobs.factors import score_date
    from lakehouse.errors import RegulakeError
    from lakehouse.runs import record_run
    from lakehouse.tables import Tables
    from ml import rescoring
    from ml.tracking import Tracker

    tables = Tables.from_config(config, spark)
    if not tables.exists(rescoring.scoring.SCORES):
        raise RegulakeError(
            f"{rescoring.scoring.SCORES} does not exist: re-scoring carries a full scoring over, so run "
            "'regulake run factors', 'regulake run train' and 'regulake run score' first"
        )
    date = score_date(config, tables)
    champion = Tracker(config.risk.mlflow).require_champion()
    with record_run(config, "rescore") as run_record:
        res = rescoring.rescore(spark, tables, load_catalog(), champion, config.risk, date, progress=progress)
        if res.done:
            run_record.wrote(rescoring.scoring.SCORES, res.version, rows=res.rescored + res.carried)
        run_record.details.update(
            {
                "score_date": date.isoformat(),
                "base_date": res.base_date and res.base_date.isoformat(),
                "model_version": champion.version,
                "affected": res.affected,
                "rescored": res.rescored,
                "carried": res.carried,
            }
        )
    return [date] if res.done else []

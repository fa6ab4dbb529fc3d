"""Job: select factors, tune and train the risk model, evaluate it, register it in MLflow."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakehouse.config import RegulakeConfig


def run(config: RegulakeConfig, spark: SparkSession, progress=None) -> list:
    from pathlib import Path

    from catalog import load_catalog
    from lakehouse.runs import record_run
    from lakehouse.tables import Tables
    from ml import training

    tables = Tables.from_config(config, spark)
    key = Path(config.landing.answer_key_root)
    with record_run(config, "train") as run_record:
        res = training.train(
            spark,
            tables,
            config,
            load_catalog(),
            answer_key=key if (key / "entities.parquet").exists() else None,
            progress=progress or (lambda m: None),
        )
        run_record.details.update(
            {
                "mlflow_run_id": res.run_id,
                "model_version": res.version,
                "promoted": res.promoted,
                "factors": res.selected,
                "metrics": res.metrics,
                "champion_auc": res.champion_auc,
                "reports": str(res.report_dir),
                "training": res.training_info,
            }
        )
    return [res]

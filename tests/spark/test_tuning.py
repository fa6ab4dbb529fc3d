"""hyperopt SparkTrials: parallel single-node trials in Spark tasks, each a nested MLflow run."""

import numpy as np


def test_spark_trials_run_in_spark_and_log_nested_runs(spark, tmp_path, test_config):
    import mlflow
    from sklearn.datasets import make_classification

    from ml import tuning

    X, y = make_classification(n_samples=600, n_features=6, random_state=2)
    cfg = test_config.risk.tuning.model_copy(update={"mode": "spark_trials", "max_evals": 3, "parallelism": 2})
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    exp = mlflow.create_experiment("tuning", artifact_location=(tmp_path / "artifacts").as_uri())
    with mlflow.start_run(experiment_id=exp) as parent:
        best, history = tuning.tune_spark_trials(
            X[:400], y[:400].astype(float), X[400:], y[400:].astype(float), {"numIterations": 30}, cfg, seed=1
        )
    assert len(history) == 3 and all(0.5 < h["validation_auc"] <= 1 for h in history)
    assert set(best) == set(cfg.search_space) and isinstance(best["numLeaves"], int)
    kids = mlflow.search_runs([exp], filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    assert len(kids) == 3
    assert np.isclose(sorted(kids["metrics.validation_auc"])[-1], max(h["validation_auc"] for h in history))

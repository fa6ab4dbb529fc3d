"""LightGBMClassifier: barrier training on local[2] against single-process training, and failure modes."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from ml.estimator.barrier import TrainingError
from ml.estimator.classifier import LightGBMClassifier


@pytest.fixture(scope="module")
def data(spark):
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=6000, n_features=12, n_informative=6, flip_y=0.15, random_state=7)
    pdf = pd.DataFrame({"features": list(X), "label": y.astype(float), "row": np.arange(len(y))})
    df = spark.createDataFrame(pdf).cache()
    train, test = df.where("row % 5 != 0"), df.where("row % 5 = 0")
    return train.cache(), test.cache()


def _auc(model, test) -> float:
    from sklearn.metrics import roc_auc_score

    out = model.transform(test).select("label", "probability").toPandas()
    return roc_auc_score(out["label"], out["probability"].map(lambda v: v[1]))


def test_two_barrier_tasks_match_single_process_auc(data):
    train, test = data
    params = dict(numIterations=60, learningRate=0.1, numLeaves=15, seed=3)
    local = LightGBMClassifier(engine="local", numThreads=2, **params).fit(train)
    dist = LightGBMClassifier(engine="spark", numTasks=2, numThreads=1, **params).fit(train)
    assert dist.training_info["engine"] == "spark" and dist.training_info["tasks"] == 2
    assert sum(dist.training_info["rows_per_task"]) == train.count()
    a_local, a_dist = _auc(local, test), _auc(dist, test)
    assert a_local > 0.8
    assert abs(a_local - a_dist) < 0.005, (a_local, a_dist)
    assert dist.booster.num_trees() == 60


def test_shap_contributions_plus_base_value_equal_the_raw_score(data):
    train, test = data
    model = LightGBMClassifier(engine="local", numIterations=20, featuresShapCol="shap").fit(train)
    rows = model.transform(test.limit(50)).select("shap", "rawPrediction", "probability").collect()
    for r in rows:
        assert len(r.shap) == 13  # 12 features + the base value
        assert sum(r.shap) == pytest.approx(r.rawPrediction[1], abs=1e-9)
        assert 1 / (1 + np.exp(-sum(r.shap))) == pytest.approx(r.probability[1], abs=1e-12)


def _listening_ports() -> set[int]:
    import os

    import psutil

    me = psutil.Process(os.getpid())
    pids = {p.pid for p in me.children(recursive=True)}
    return {c.laddr.port for c in psutil.net_connections("tcp") if c.status == psutil.CONN_LISTEN and c.pid in pids}


def test_a_task_that_dies_fails_the_job_fast_and_leaves_no_stuck_worker(spark, data):
    train, _ = data
    before = _listening_ports()
    clf = LightGBMClassifier(engine="spark", numTasks=2, numIterations=50, startupTimeout=15)
    prepared, _ = clf._validated(train)
    started = time.monotonic()
    with pytest.raises(TrainingError, match="worker process died|failed"):
        clf._fit_spark(prepared, fault="exit:1")
    assert time.monotonic() - started < 60
    # the surviving rank's worker gives up within its start-up timeout and its LightGBM port closes
    deadline = time.monotonic() + 45
    while _listening_ports() - before and time.monotonic() < deadline:
        time.sleep(1)
    assert not (_listening_ports() - before), "a training worker is still listening"
    assert spark.range(100).count() == 100
    # and the next training works
    assert LightGBMClassifier(engine="spark", numTasks=2, numIterations=5).fit(train).booster.num_trees() == 5


def test_driver_timeout_cancels_the_job(spark, data):
    train, _ = data
    started = time.monotonic()
    with pytest.raises(TrainingError, match="did not finish within 2 s"):
        LightGBMClassifier(engine="spark", numTasks=2, numIterations=20000, numLeaves=63, timeout=2).fit(train)
    assert time.monotonic() - started < 60
    assert spark.range(10).count() == 10


def test_more_tasks_than_slots_is_refused_before_starting(data):
    train, _ = data
    with pytest.raises(TrainingError, match="needs 3 task slots at once but the cluster offers 2"):
        LightGBMClassifier(engine="spark", numTasks=3).fit(train)


@pytest.mark.parametrize(
    "case, message",
    [
        ("single_class", "single class"),
        ("null_labels", "is null in 2 of"),
        ("missing_column", "lacks column"),
        ("bad_labels", "must be 0 or 1"),
    ],
)
def test_bad_training_data_fails_with_a_message_naming_the_problem(spark, case, message):
    rows = [([float(i), float(i % 3)], float(i % 2)) for i in range(20)]
    if case == "single_class":
        rows = [(f, 1.0) for f, _ in rows]
    elif case == "null_labels":
        rows = rows[:-2] + [(f, None) for f, _ in rows[-2:]]
    elif case == "bad_labels":
        rows[0] = (rows[0][0], 2.0)
    df = spark.createDataFrame(rows, "features array<double>, label double")
    if case == "missing_column":
        df = df.withColumnRenamed("label", "violation")
    with pytest.raises(TrainingError, match=message):
        LightGBMClassifier(engine="local").fit(df)


def test_synapseml_engine_needs_its_jar(data):
    train, _ = data
    with pytest.raises(
        TrainingError, match=r"SynapseML's JVM classes.*Maven Central serves no SynapseML build for Spark 4.*use engine 'spark'"
    ):
        LightGBMClassifier(engine="synapseml").fit(train)


def test_config_parameter_list_matches_the_estimator():
    from lakehouse.config.lightgbm import MODEL_PARAMS

    names = {p.name for p in LightGBMClassifier().params}
    assert set(MODEL_PARAMS) <= names

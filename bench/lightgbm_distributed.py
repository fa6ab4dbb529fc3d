"""Distributed LightGBM (2 barrier tasks x 1 thread) vs one process (2 threads), and scoring throughput.

    .venv/bin/python bench/lightgbm_distributed.py --rows 1000000 --features 30

Both trainings run in this process on the same data, alternated, best of ``--repeat``; the
figure is the time ratio distributed / single (goal <= 1.2) and the AUC difference on a held-out
fifth. Scoring: rows/s per core of ``LightGBMClassificationModel.transform`` over the test rows.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _result import emit  # noqa: E402  (bench/ is on sys.path when a benchmark runs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--features", type=int, default=30)
    ap.add_argument("--iterations", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()

    import pyarrow as pa
    from sklearn.datasets import make_classification
    from sklearn.metrics import roc_auc_score

    from lakehouse.config import load_config
    from lakehouse.spark import get_spark
    from ml.estimator.barrier import list_array
    from ml.estimator.classifier import LightGBMClassifier

    spark = get_spark(
        load_config("local", overrides={"spark.conf": {"spark.driver.maxResultSize": "4g"}, "spark.ui_enabled": False}, environ={})
    )
    X, y = make_classification(n_samples=args.rows, n_features=args.features, n_informative=args.features // 2, flip_y=0.1, random_state=1)
    table = pa.table({"features": list_array(X), "label": y.astype(float), "test": np.arange(len(y)) % 5 == 0})
    df = spark.createDataFrame(table).repartition(2).cache()
    train, test = df.where("not test").cache(), df.where("test").cache()
    n_train = train.count()
    test.count()
    y_test = test.select("label").toPandas()["label"].to_numpy()

    common = dict(numIterations=args.iterations, learningRate=0.1, numLeaves=31, seed=1)
    times = {"single": [], "distributed": []}
    models = {}
    for _ in range(args.repeat):
        for name, kw in (("single", dict(engine="local", numThreads=2)), ("distributed", dict(engine="spark", numTasks=2, numThreads=1))):
            t = time.perf_counter()
            models[name] = LightGBMClassifier(**common, **kw).fit(train)
            times[name].append(time.perf_counter() - t)
    auc = {}
    for name, m in models.items():
        p = m.booster.predict(np.vstack(test.select("features").toPandas()["features"].to_numpy()))
        auc[name] = roc_auc_score(y_test, p)
    t = time.perf_counter()
    scored = models["distributed"].transform(test).select("probability").write.format("noop").mode("overwrite").save()
    score_s = time.perf_counter() - t
    cores = int(spark.sparkContext.defaultParallelism)
    best = {k: min(v) for k, v in times.items()}
    print(f"rows {n_train:,} x {args.features} features, {args.iterations} rounds")
    print(f"single process (2 threads): {best['single']:.1f} s   distributed (2 tasks x 1 thread): {best['distributed']:.1f} s")
    print(f"time ratio distributed/single: {best['distributed'] / best['single']:.2f} (goal <= 1.2)")
    print(f"AUC single {auc['single']:.4f}  distributed {auc['distributed']:.4f}  difference {abs(auc['single'] - auc['distributed']):.4f}")
    print(f"scoring: {len(y_test) / score_s / cores:,.0f} rows/s per core ({len(y_test):,} rows on {cores} cores in {score_s:.1f} s)")
    ratio = best["distributed"] / best["single"]
    emit(
        "lightgbm_distributed",
        f"{n_train:,} × {args.features}: 2 barrier tasks {best['distributed']:.1f} s vs local {best['single']:.1f} s; "
        f"AUC difference {abs(auc['single'] - auc['distributed']):.4f}; scoring {len(y_test) / score_s / cores:,.0f} rows/s/core",
        ratio,
        "≤ 1.2× the time",
        ratio <= 1.2,
    )
    del scored


if __name__ == "__main__":
    main()

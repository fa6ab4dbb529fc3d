"""Driver of the cluster test's LightGBM run: barrier training and scoring on the configured master.

Run as ``python tests/cluster/lightgbm_driver.py OUT.json`` with ``REGULAKE__SPARK__MASTER``
pointing at the cluster. Writes the model, its training info, the executors the application
had, and the test rows' probabilities as scored on the cluster.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd

PARAMS = dict(numIterations=60, learningRate=0.1, numLeaves=15, seed=3)


def data(spark):
    """The same synthetic rows as tests/spark/test_lightgbm.py; row % 5 == 0 is the test set."""
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=6000, n_features=12, n_informative=6, flip_y=0.15, random_state=7)
    pdf = pd.DataFrame({"features": list(X), "label": y.astype(float), "row": np.arange(len(y))})
    df = spark.createDataFrame(pdf)
    return df.where("row % 5 != 0").cache(), df.where("row % 5 = 0").cache()


def main(out_path: str) -> None:
    from lakehouse.config import load_config
    from lakehouse.spark import get_spark
    from ml.estimator.classifier import LightGBMClassifier

    cfg = load_config()
    spark = get_spark(cfg)
    train, test = data(spark)
    model = LightGBMClassifier(engine="spark", numTasks=2, numThreads=1, **PARAMS).fit(train)
    scored = model.transform(test).select("row", "probability").collect()
    sc = spark.sparkContext
    executors = _executors(sc)
    pythons = sc.parallelize(range(2), 2).map(lambda _: __import__("sys").executable).collect()
    result = {
        "master": sc.master,
        "app_id": sc.applicationId,
        "executors": executors,
        "python": pythons,
        "training_info": model.training_info,
        "model": model.model_string,
        "probability": {int(r["row"]): float(r["probability"][1]) for r in scored},
    }
    with open(out_path, "w") as fh:
        json.dump(result, fh)
    spark.stop()


def _executors(sc) -> list[str]:
    """host:port of the application's executors (the status tracker lists the driver's block manager too)."""
    jsc = sc._jsc.sc()
    driver = jsc.env().blockManager().blockManagerId()
    return [
        f"{i.host()}:{i.port()}" for i in jsc.statusTracker().getExecutorInfos() if (i.host(), i.port()) != (driver.host(), driver.port())
    ]


if __name__ == "__main__":
    main(sys.argv[1])

"""Names of LightGBMClassifier's tunable parameters, checked when configuration loads.

Kept free of pyspark imports so that ``lakehouse.config`` stays light; a test checks that this
list matches :class:`ml.estimator.classifier.LightGBMClassifier`.
"""

from __future__ import annotations

from typing import Any

MODEL_PARAMS = (
    "numIterations",
    "learningRate",
    "numLeaves",
    "maxDepth",
    "minDataInLeaf",
    "minSumHessianInLeaf",
    "featureFraction",
    "baggingFraction",
    "baggingFreq",
    "lambdaL1",
    "lambdaL2",
    "maxBin",
    "isUnbalance",
    "earlyStoppingRound",
    "metric",
    "numThreads",
    "verbosity",
    "seed",
    "startupTimeout",
    "bindRetries",
)


def check_params(params: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(params) - set(MODEL_PARAMS))
    if unknown:
        raise ValueError(f"unknown LightGBMClassifier parameter(s) {unknown}; known: {', '.join(MODEL_PARAMS)}")
    return params

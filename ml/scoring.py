"""Batch scoring: ``gold.risk_scores`` for one score date, with reasons.

For every entity in ``gold.factors`` as of the score date, the champion model gives the
probability of a violation, a risk class (A lowest … D highest, by ``risk.class_thresholds``)
and its reasons: the factors with the largest positive SHAP contributions (LightGBM's
``pred_contrib``), each with its Chinese description and the entity's value. The raw score,
the base value and the contributions sum exactly (``raw_score = base_value + Σ contributions``).

The partition ``score_date = D`` is replaced as a whole, so re-scoring a date is idempotent.
``factors_as_of`` is the date the row's factors are as of: the score date here; an older date
for rows a daily re-scoring (:mod:`ml.rescoring`) carried over unchanged.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np

from lakehouse.errors import RegulakeError
from ml import factors as factor_tables

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakehouse.config import RiskConfig
    from lakehouse.tables import Tables
    from ml.tracking import Champion

SCORES = "gold.risk_scores"
CLASSES = ("A", "B", "C", "D")
REASON_TYPE = "array<struct<factor:string,description_zh:string,value:double,contribution:double>>"


def risk_class(p: np.ndarray, thresholds: list[float]) -> np.ndarray:
    return np.array(CLASSES)[np.searchsorted(np.asarray(thresholds), p, side="right")]


def score_frame(
    spark: SparkSession,
    tables: Tables,
    champion: Champion,
    risk: RiskConfig,
    score_date: dt.date,
    uscc: list[str] | None = None,
    factors: DataFrame | None = None,
) -> DataFrame:
    """Scores as of ``score_date`` from gold.factors, or from ``factors`` (uscc + the champion's factors as of that date)."""
    from pyspark.sql import functions as F

    if factors is not None:
        fac = factors
    elif not tables.exists(factor_tables.FACTORS):
        raise RegulakeError("gold.factors does not exist; run 'regulake run factors' first")
    else:
        fac = tables.read(factor_tables.FACTORS, filters=[("as_of", "=", score_date)])
    missing = [f for f in champion.factors if f not in fac.columns]
    if missing:
        raise RegulakeError(
            f"the champion (version {champion.version}) needs factor(s) {missing} that gold.factors lacks; "
            "re-run 'regulake run factors' with the current code"
        )
    if uscc is not None:
        fac = fac.where(F.col("uscc").isin(uscc))
    catalog = {r["factor"]: r["description_zh"] for r in tables.read(factor_tables.FACTOR_CATALOG).collect()}
    names = list(champion.factors)
    descriptions = [catalog.get(f, f) for f in names]
    model_str = champion.booster.model_to_string()
    thresholds, k = list(risk.class_thresholds), risk.reasons
    version = champion.version
    model_name = champion.name
    inp = fac.select("uscc", *[F.col(f).cast("double").alias(f) for f in names])
    schema = (
        f"score_date date, uscc string, probability double, risk_class string, raw_score double, base_value double, "
        f"reasons {REASON_TYPE}, model_name string, model_version string, factors_as_of date"
    )

    def score(batches):
        import pyarrow as pa

        from ml.estimator.classifier import cached_booster

        booster = cached_booster(model_str)
        for b in batches:
            if b.num_rows == 0:
                continue
            X = np.column_stack([b.column(f).to_numpy(zero_copy_only=False).astype(float) for f in names])
            contrib = booster.predict(X, pred_contrib=True, num_threads=1)
            raw = contrib.sum(axis=1)
            p = 1.0 / (1.0 + np.exp(-raw))
            shap = contrib[:, :-1]
            order = np.argsort(-shap, axis=1, kind="stable")[:, :k]
            reasons = []
            for i in range(len(X)):
                reasons.append(
                    [
                        {
                            "factor": names[j],
                            "description_zh": descriptions[j],
                            "value": None if np.isnan(X[i, j]) else float(X[i, j]),
                            "contribution": float(shap[i, j]),
                        }
                        for j in order[i]
                        if shap[i, j] > 0
                    ]
                )
            n = b.num_rows
            yield pa.RecordBatch.from_pydict(
                {
                    "score_date": pa.array([score_date] * n, pa.date32()),
                    "uscc": b.column("uscc"),
                    "probability": pa.array(p),
                    "risk_class": pa.array(risk_class(p, thresholds)),
                    "raw_score": pa.array(raw),
                    "base_value": pa.array(contrib[:, -1]),
                    "reasons": pa.array(
                        reasons,
                        pa.list_(
                            pa.struct(
                                [
                                    ("factor", pa.string()),
                                    ("description_zh", pa.string()),
                                    ("value", pa.float64()),
                                    ("contribution", pa.float64()),
                                ]
                            )
                        ),
                    ),
                    "model_name": pa.array([model_name] * n),
                    "model_version": pa.array([version] * n),
                    "factors_as_of": pa.array([score_date] * n, pa.date32()),
                }
            )

    return inp.mapInArrow(score, schema)


def write(spark: SparkSession, tables: Tables, champion: Champion, risk: RiskConfig, score_date: dt.date) -> tuple[int | None, dict]:
    """Replace the ``score_date`` partition of gold.risk_scores; (version, rows per class)."""
    from pyspark.sql import functions as F

    scores = score_frame(spark, tables, champion, risk, score_date)
    res = tables.write(
        SCORES,
        scores,
        mode="overwrite",
        partition_by=["score_date"],
        replace_where={"score_date": score_date},
        schema_mode="add_columns",
        audit=True,
    )  # feeds inspection draws: kept for the audit horizon
    counts = {
        r["risk_class"]: r["n"]
        for r in tables.read(SCORES, filters=[("score_date", "=", score_date)])
        .groupBy("risk_class")
        .agg(F.count(F.lit(1)).alias("n"))
        .collect()
    }
    return res.version, counts

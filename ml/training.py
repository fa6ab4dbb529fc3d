"""Train the risk model: labelled rows → selection → tuning → fit → evaluation → MLflow.

1. **Rows**: for every training cutoff, the candidate factors as of the cutoff
   (``gold.factors``) joined to the labels from the window after it (:mod:`.labels`). The
   cutoffs are ``risk.train_cutoffs`` plus, in the closed loop, the score dates plans were
   drawn from (:func:`training_cutoffs`).
2. **Split**: 90/10, stratified by label and seeded (``risk.test_share``, ``risk.seed``);
   the held-out 10% is a double-random stream no step below looks at before evaluation.
3. **Selection** on the training part only (:mod:`.selection`).
4. **Tuning**: hyperopt TPE (:mod:`.tuning`), early stopping on a validation slice of the
   training part.
5. **Fit** of :class:`~ml.estimator.classifier.LightGBMClassifier` with the best parameters,
   on the engine from ``risk.engine``.
6. **Evaluation** on the held-out rows; plots and reports; model logged, registered and
   promoted to ``champion`` only when it beats the current champion on these rows.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lakehouse.errors import RegulakeError
from ml import evaluation, factors, labels, planted, selection
from ml import metrics as honest
from ml.tracking import Tracker

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakehouse.config import RegulakeConfig
    from lakehouse.tables import Tables

log = logging.getLogger(__name__)
LABEL = "label"
KEYS = ["uscc", "as_of"]


@dataclass
class TrainResult:
    run_id: str
    version: str
    promoted: bool
    selected: list[str]
    metrics: dict[str, float]
    champion_auc: float | None
    best_params: dict[str, Any]
    report_dir: Path
    training_info: dict[str, Any]


def training_cutoffs(tables: Tables, cfg: RegulakeConfig) -> list[dt.date]:
    """``risk.train_cutoffs`` and, with ``risk.closed_loop``, the score date of every drawn plan
    (``audit.plan_draws``, seed revealed) that is later than them, has factors in gold.factors and
    precedes the newest double-random inspection in silver: the plan's random share, delivered
    back through bronze and silver, labels the entities as they were scored for the draw."""
    from lakehouse.gold.plans import audit

    r = cfg.risk
    cutoffs = sorted(set(r.train_cutoffs))
    if not r.closed_loop or not tables.exists(audit.DRAWS) or not tables.exists(factors.FACTORS):
        return cutoffs
    drawn = {
        e["score_date"]
        for e in audit.read_rows(tables, audit.DRAWS, columns=["event", "score_date"])
        if e["event"] == "revealed" and e["score_date"] is not None
    }
    have = factors.dates(tables)
    later = sorted(d for d in drawn if d in have and (not cutoffs or d > cutoffs[-1]))
    newest = labels.newest_inspection(tables, r.label_source) if later else None
    return cutoffs + [d for d in later if newest is not None and d < newest]


def labelled_rows(tables: Tables, cfg: RegulakeConfig, cutoffs: list[dt.date] | None = None) -> DataFrame:
    """Factors as of each training cutoff joined to the labels of the window after it."""
    from pyspark.sql import functions as F

    r = cfg.risk
    if not tables.exists(factors.FACTORS):
        raise RegulakeError("gold.factors does not exist; run 'regulake run factors' first")
    frames = []
    for cutoff in cutoffs or training_cutoffs(tables, cfg):
        fac = tables.read(factors.FACTORS, filters=[("as_of", "=", cutoff)])
        lab = labels.build(tables, cutoff, r.label_window_days, r.label_source).drop("as_of")
        frames.append(fac.join(lab, "uscc", "inner"))
    out = frames[0]
    for f in frames[1:]:
        out = out.unionByName(f, allowMissingColumns=True)
    return out.withColumn("as_of", F.col("as_of").cast("date"))


def split(frame: pd.DataFrame, test_share: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    from sklearn.model_selection import train_test_split

    counts = frame[LABEL].value_counts()
    if len(counts) < 2 or counts.min() < 2:
        raise RegulakeError(
            f"too few labelled rows to split: {counts.to_dict()} (label → rows); simulate a larger city or more inspection years"
        )
    return train_test_split(frame, test_size=test_share, stratify=frame[LABEL], random_state=seed)


def _spark_frame(spark: SparkSession, pdf: pd.DataFrame, cols: list[str], valid: np.ndarray | None = None) -> DataFrame:
    """A Spark DataFrame with ``features`` (array<double>), ``label`` and optionally ``is_valid``."""
    import pyarrow as pa

    from ml.estimator.barrier import list_array

    data = {"features": list_array(pdf[cols].to_numpy(dtype=float)), "label": pa.array(pdf[LABEL].to_numpy(dtype=float))}
    if valid is not None:
        data["is_valid"] = pa.array(valid)
    return spark.createDataFrame(pa.table(data))


def _classifier(cfg: RegulakeConfig, params: dict[str, Any], names: list[str] | None = None, **extra):
    from ml.estimator.classifier import LightGBMClassifier

    r = cfg.risk
    return LightGBMClassifier(
        featuresCol="features",
        labelCol=LABEL,
        engine=r.engine,
        numTasks=r.num_tasks,
        localMaxRows=r.local_max_rows,
        timeout=r.timeout_seconds,
        seed=r.seed,
        categoricalSlotIndexes=factors.categorical_slots(names or []),
        **{**r.params, **params},
        **extra,
    )


def _auc(booster, X: np.ndarray, y: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, booster.predict(X)))


def train(
    spark: SparkSession,
    tables: Tables,
    cfg: RegulakeConfig,
    registry,
    answer_key: Path | None = None,
    progress: Callable[[str], None] = lambda m: None,
) -> TrainResult:
    """Train the risk model: label the factors at each cutoff, select factors, tune and fit LightGBM,
    log the run to MLflow with honest metrics, register the version and promote it when it beats
    the champion.

    Args:
        spark: the session (``lakehouse.spark.get_spark``).
        tables: the warehouse (``gold.factors``, ``gold.factor_catalog``, ``silver.inspections`` are read).
        cfg: the configuration; ``risk`` holds cutoffs, label source, selection, tuning and MLflow.
        registry: the data catalogs (``catalog.load_catalog()``), for the factors' descriptions.
        answer_key: the simulator's answer key, to add the oracle ratios to the metrics (optional).
        progress: called with a line per step.

    Returns:
        A ``TrainResult``: MLflow run id, registered version, whether it was promoted, the selected
        factors, the held-out metrics, the best parameters and the report folder.

    Example::

        res = train(spark, Tables.from_config(cfg, spark), cfg, load_catalog())
        print(res.version, res.metrics["auc"], res.promoted)     # what ``regulake run train`` prints
    """
    import mlflow

    r = cfg.risk
    cutoffs = training_cutoffs(tables, cfg)
    rows = labelled_rows(tables, cfg, cutoffs)
    frame = rows.toPandas()
    if frame.empty:
        raise RegulakeError(
            f"no labelled rows: no {'double-random ' if r.label_source == 'random' else ''}inspection of a registered entity "
            f"is dated within {r.label_window_days} days after the cutoffs {[str(c) for c in cutoffs]}"
        )
    catalog = tables.read(factors.FACTOR_CATALOG).toPandas()
    candidates = [f for f in catalog["factor"] if f in frame.columns]
    descriptions = dict(zip(catalog["factor"], catalog["description_zh"]))
    train_df, test_df = split(frame, r.test_share, r.seed)
    per_cutoff = {str(k): int(v) for k, v in frame.groupby(frame["as_of"].astype(str)).size().items()}
    progress(
        f"{len(frame):,} labelled rows ({int(frame[LABEL].sum()):,} violations) from cutoffs "
        f"{', '.join(f'{c} ({per_cutoff.get(str(c), 0):,})' for c in cutoffs)}; "
        f"{len(test_df):,} held out"
    )

    report = selection.select(
        train_df,
        candidates,
        LABEL,
        r.selected_factors,
        threshold=r.correlation_threshold,
        folds=r.stability_folds,
        seed=r.seed,
        sample_rows=r.selection_sample_rows,
    )
    if answer_key is not None:
        report.planted = planted.recovery(report.selected)
    chosen = report.selected
    progress(f"selected {len(chosen)} of {len(candidates)} factors: {', '.join(chosen)}")

    tracker = Tracker(r.mlflow)
    # validation slice of the training part, for early stopping and tuning
    fit_part, val_part = split(train_df, 0.15, r.seed + 1)
    valid_mask = np.r_[np.zeros(len(fit_part), bool), np.ones(len(val_part), bool)]
    fit_val = pd.concat([fit_part, val_part])
    sdf = _spark_frame(spark, fit_val, chosen, valid_mask).cache()
    Xv, yv = val_part[chosen].to_numpy(float), val_part[LABEL].to_numpy(float)

    report_dir = Path(r.reports_root).resolve() / "risk" / dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
    report_dir.mkdir(parents=True, exist_ok=True)
    with mlflow.start_run(experiment_id=tracker.experiment_id, run_name="train") as run:
        mlflow.log_params(
            {
                "cutoffs": ",".join(map(str, cutoffs)),
                "label_source": r.label_source,
                "label_window_days": r.label_window_days,
                "engine": r.engine,
                "candidates": len(candidates),
                "factors": ",".join(chosen),
                "rows": len(frame),
                "test_rows": len(test_df),
            }
        )
        best: dict[str, Any] = {}
        if r.tuning.max_evals:
            from ml import tuning

            def fit_and_score(params):
                m = _classifier(
                    cfg, params, chosen, validationIndicatorCol="is_valid", earlyStoppingRound=r.tuning.early_stopping_rounds
                ).fit(sdf)
                return _auc(m.booster, Xv, yv), m.training_info.get("best_iteration")

            if r.tuning.mode == "spark_trials":
                sample = fit_part.sample(n=min(len(fit_part), r.tuning.sample_rows), random_state=r.seed)
                best, history = tuning.tune_spark_trials(
                    sample[chosen].to_numpy(float), sample[LABEL].to_numpy(float), Xv, yv, {**r.params}, r.tuning, r.seed
                )
            else:
                best, history = tuning.tune_driver(fit_and_score, r.tuning, r.seed)
            progress(f"tuning: {len(history)} trials, best validation AUC {max(h['validation_auc'] for h in history):.3f}")
            mlflow.log_dict(history, "tuning/trials.json")
        params = {**r.params, **best}
        mlflow.log_params({f"lgbm_{k}": v for k, v in params.items()})
        model = _classifier(cfg, best, chosen, validationIndicatorCol="is_valid", earlyStoppingRound=r.tuning.early_stopping_rounds).fit(
            sdf
        )
        sdf.unpersist()
        booster = _named_booster(model.model_string, chosen)
        X_test, y_test = test_df[chosen].to_numpy(float), test_df[LABEL].to_numpy(float)
        p_test = booster.predict(X_test)
        truth, observable = honest.answer_key_truth(answer_key, test_df) if answer_key is not None else (None, None)
        full = honest.evaluate(y_test, p_test, r.top_share, threshold=float(train_df[LABEL].mean()), truth=truth, observable=observable)
        m = evaluation.metrics(y_test, p_test, r.top_share, threshold=float(train_df[LABEL].mean()), truth=truth, observable=observable)
        mlflow.log_metrics({k: v for k, v in m.items() if np.isfinite(v)})
        importance = dict(zip(chosen, map(float, booster.feature_importance("gain"))))
        for path in evaluation.plots(y_test, p_test, importance, report_dir):
            mlflow.log_artifact(str(path), "plots")
        (report_dir / "selection.md").write_text(report.markdown(descriptions), encoding="utf-8")
        (report_dir / "selection.json").write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
        (report_dir / "evaluation.json").write_text(
            json.dumps({"metrics": m, "honest": honest.public(full), "params": params, "training": model.training_info}, indent=1)
        )
        (report_dir / "model_card.md").write_text(model_card(chosen, descriptions, params, cutoffs, len(frame), full), encoding="utf-8")
        mlflow.log_artifact(str(report_dir / "model_card.md"))
        mlflow.log_artifact(str(report_dir / "selection.md"), "selection")
        mlflow.log_artifact(str(report_dir / "selection.json"), "selection")
        mlflow.log_dict(model.training_info, "training_info.json")
        if report.planted:
            mlflow.log_metric("planted_recovered", report.planted["recovered"])

        version = tracker.log_model(booster, chosen, test_df[chosen].astype(float), m, honest.public(full))
        champ = tracker.champion()
        champ_auc = None
        if champ is not None:
            if all(f in test_df.columns for f in champ.factors):
                champ_auc = _auc(champ.booster, test_df[champ.factors].to_numpy(float), y_test)
            else:
                mv = tracker.client.get_model_version(r.mlflow.model_name, champ.version)
                champ_auc = float(mv.tags.get("validation_auc", "nan"))
        promoted = tracker.promote_if_better(version, m["auc"], champ_auc)
        mlflow.set_tags({"model_version": version, "promoted": str(promoted)})
        progress(
            f"model version {version}: {honest.summary_line(full)}; "
            + ("promoted to champion" if promoted else f"champion kept (AUC {champ_auc:.3f})")
        )
    return TrainResult(run.info.run_id, version, promoted, chosen, m, champ_auc, params, report_dir, model.training_info)


def model_card(
    factors_: list[str], descriptions: dict[str, str], params: dict[str, Any], cutoffs: list[dt.date], rows: int, full: dict[str, Any]
) -> str:
    """The model card (Markdown): data, factors, parameters and the honest held-out metrics."""
    lines = [
        "# Risk model card",
        "",
        f"Labelled rows: {rows:,} from cutoffs {', '.join(map(str, cutoffs))}; "
        f"held-out rows are a double-random stream untouched before evaluation.",
        "",
        "## Factors",
        "",
    ]
    lines += [f"- `{f}` {descriptions.get(f) or ''}".rstrip() for f in factors_]
    lines += ["", "## Parameters", "", "```", json.dumps(params, sort_keys=True, default=str, indent=1), "```", ""]
    return "\n".join(lines) + honest.markdown(full)


def _named_booster(model_str: str, names: list[str]):
    """The booster with the factor names written into the model (so MLflow and SHAP show them)."""
    import lightgbm as lgb

    lines = model_str.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("feature_names="):
            lines[i] = "feature_names=" + " ".join(names)
            break
    return lgb.Booster(model_str="\n".join(lines))

"""Hyper-parameter search with hyperopt's TPE over the search space in ``risk.tuning``.

* ``driver`` mode: hyperopt's ``Trials`` on the driver; every trial is one ``fit`` of
  :class:`~ml.estimator.classifier.LightGBMClassifier`, so with ``engine: spark`` each trial
  is one barrier job and trials run one after another.
* ``spark_trials`` mode: hyperopt's ``SparkTrials`` runs ``parallelism`` single-node trials at
  once in Spark tasks, on a sample of the training rows shipped with the objective.

Each trial trains with early stopping on the validation rows and is recorded as a nested
MLflow run of the training run (parameters, validation AUC, rounds used).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from lakehouse.config import SearchDimension, TuningConfig

log = logging.getLogger(__name__)
INT_PARAMS = {"numLeaves", "minDataInLeaf", "maxDepth", "baggingFreq", "maxBin", "numIterations"}


def search_space(dims: dict[str, SearchDimension]) -> dict[str, Any]:
    from hyperopt import hp

    out = {}
    for name, d in dims.items():
        if d.kind == "uniform":
            out[name] = hp.uniform(name, d.low, d.high)
        elif d.kind == "loguniform":
            out[name] = hp.loguniform(name, np.log(d.low), np.log(d.high))
        elif d.kind == "quniform":
            out[name] = hp.quniform(name, d.low, d.high, d.q)
        else:
            out[name] = hp.choice(name, d.options)
    return out


def clean(params: dict[str, Any]) -> dict[str, Any]:
    return {k: (int(round(v)) if k in INT_PARAMS else (float(v) if isinstance(v, (float, np.floating)) else v)) for k, v in params.items()}


def _log_trial(params: dict, auc: float, rounds: int | None) -> None:
    import mlflow

    parent = mlflow.active_run()
    with mlflow.start_run(nested=True, run_name="trial", experiment_id=parent.info.experiment_id if parent else None):
        mlflow.log_params(params)
        mlflow.log_metric("validation_auc", auc)
        if rounds:
            mlflow.log_metric("rounds", rounds)


def tune_driver(fit_and_score: Callable[[dict], tuple[float, int | None]], cfg: TuningConfig, seed: int) -> tuple[dict, list[dict]]:
    """``fit_and_score(params) -> (validation AUC, rounds)``; returns (best params, trial log)."""
    from hyperopt import STATUS_OK, Trials, fmin, space_eval, tpe

    space = search_space(cfg.search_space)
    history: list[dict] = []

    def objective(raw):
        params = clean(raw)
        auc, rounds = fit_and_score(params)
        _log_trial(params, auc, rounds)
        history.append({**params, "validation_auc": auc, "rounds": rounds})
        return {"loss": -auc, "status": STATUS_OK}

    trials = Trials()
    best = fmin(
        objective,
        space,
        algo=tpe.suggest,
        max_evals=cfg.max_evals,
        trials=trials,
        rstate=np.random.default_rng(seed),
        show_progressbar=False,
    )
    return clean(space_eval(space, best)), history


def tune_spark_trials(
    X: np.ndarray, y: np.ndarray, Xv: np.ndarray, yv: np.ndarray, base: dict, cfg: TuningConfig, seed: int
) -> tuple[dict, list[dict]]:
    """Parallel single-node trials in Spark tasks (hyperopt's SparkTrials) on the given sample."""
    from hyperopt import STATUS_OK, fmin, space_eval, tpe
    from hyperopt.spark import SparkTrials

    from ml.estimator.classifier import LightGBMClassifier

    space = search_space(cfg.search_space)
    rounds_max = int(base.get("numIterations", 300))
    stop = cfg.early_stopping_rounds

    def objective(raw):
        import lightgbm as lgb
        from sklearn.metrics import roc_auc_score

        params = clean(raw)
        lgb_params = LightGBMClassifier(**{**base, **params}).lightgbm_params()
        lgb_params["num_threads"] = 1
        ds = lgb.Dataset(X, y)
        dv = lgb.Dataset(Xv, yv, reference=ds)
        b = lgb.train(
            lgb_params, ds, num_boost_round=rounds_max, valid_sets=[dv], callbacks=[lgb.early_stopping(stop, verbose=False)] if stop else []
        )
        auc = float(roc_auc_score(yv, b.predict(Xv, num_iteration=b.best_iteration or None)))
        return {"loss": -auc, "status": STATUS_OK, "rounds": int(b.best_iteration or rounds_max)}

    trials = SparkTrials(parallelism=cfg.parallelism)
    best = fmin(
        objective,
        space,
        algo=tpe.suggest,
        max_evals=cfg.max_evals,
        trials=trials,
        rstate=np.random.default_rng(seed),
        show_progressbar=False,
    )
    history = []
    for t in trials.trials:
        if t["result"].get("status") != STATUS_OK:
            continue
        params = clean(space_eval(space, {k: v[0] for k, v in t["misc"]["vals"].items() if v}))
        auc = -t["result"]["loss"]
        _log_trial(params, auc, t["result"].get("rounds"))
        history.append({**params, "validation_auc": auc, "rounds": t["result"].get("rounds")})
    return clean(space_eval(space, best)), history

"""Model candidates on one kept city (issue 25, part 3): each candidate trained on the same labelled
rows and scored on the same score date, judged by what the case judges — the expected hit rate of
the top 3.2% of active entities against the oracle's (``effectiveness.case_figures``).

    python bench/effectiveness.py --scale 0.02 --seeds 1 --out /tmp/eff      # a city, kept
    python bench/model_candidates.py --city /tmp/eff/seed-1                   # the candidates on it

Candidates (LightGBM through its Python package with the project's parameters, in one process):

* ``selected``      the pipeline's rule: 12 factors by cross-validated importance, boosting rounds
                    by 5-fold CV on all labelled rows (no hold-out), refit on all rows;
* ``monotone``      the same with monotone constraints (+1 / −1 by the sign of each factor's
                    Spearman correlation with the label when it is clearly non-zero);
* ``shadow``        selection against shadow (permuted) copies: a factor stays when its mean gain
                    over 5 folds beats the best shadow's; then as ``selected``;
* ``logistic``      an L2 logistic regression on the selected factors (log1p of non-negative
                    counts and amounts, median imputation, standardised; C by 5-fold CV);
* ``all_labels``    the targeted and complaint-driven inspections labelled too, with the mode as a
                    feature (1 = double-random) set to 1 when scoring: selection on X leaves P(y | X)
                    unbiased, the mode absorbs the inspectors' selection;
* ``tuned``         8 random LightGBM settings by 5-fold CV AUC on all rows, the best refit.

The answer key judges only; nothing is fitted to it. One city compares candidates; a winner is
confirmed on a second seed before it becomes the pipeline's rule.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

LABEL = "label"
LGBM = {  # conf/base.yaml's risk.params in LightGBM's own names
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.9,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "verbose": -1,
    "num_threads": 2,
    "seed": 42,
}


def load(city: Path, spark, cfg) -> dict:
    """Labelled rows (random and all modes), the score date's factors, the truth of active entities."""
    from lakehouse.tables import Tables
    from ml import labels
    from ml.factors import FACTOR_CATALOG, FACTORS, dates
    from ml.training import training_cutoffs

    tables = Tables.from_config(cfg, spark)
    cutoffs = training_cutoffs(tables, cfg)
    frames = []
    for c in cutoffs:
        fac = tables.read(FACTORS, filters=[("as_of", "=", c)]).toPandas()
        everyone = labels.build(tables, c, cfg.risk.label_window_days, "all").select("uscc", "label").toPandas()
        rl = labels.build(tables, c, cfg.risk.label_window_days, "random").select("uscc", "label").toPandas()
        lab = everyone.merge(rl.rename(columns={"label": "label_random"}), on="uscc", how="left")
        lab["is_random"] = lab["label_random"].notna().astype(float)
        # a random row's label is the random inspections' own (a later targeted check must not relabel it)
        lab.loc[lab["is_random"] == 1, "label"] = lab["label_random"]
        frames.append(fac.merge(lab.drop(columns="label_random"), on="uscc"))
    rows = pd.concat(frames, ignore_index=True)
    score_date = max(dates(tables))
    score = tables.read(FACTORS, filters=[("as_of", "=", score_date)]).toPandas()
    candidates = [f for f in tables.read(FACTOR_CATALOG).toPandas()["factor"] if f in rows.columns]
    reg = tables.read("silver.registration", filters=[("catalog", "=", "SCJG-001")]).select("uscc", "registration_status").toPandas()
    truth = pd.read_parquet(city / "answer_key" / "entities.parquet", columns=["uscc", "propensity", "observable_logit", "registered_day"])
    truth = truth[truth["registered_day"] == 0].merge(reg, on="uscc")
    n_register = len(truth)
    truth = truth[truth["registration_status"] == "1"]
    score = score.merge(truth[["uscc", "propensity", "observable_logit"]], on="uscc")
    return {
        "rows": rows,
        "score": score,
        "candidates": candidates,
        "n_register": n_register,
        "cutoffs": [str(c) for c in cutoffs],
        "score_date": str(score_date),
    }


def cv_rounds(X, y, params, categorical, folds=5, seed=42) -> tuple[int, float]:
    import lightgbm as lgb

    ds = lgb.Dataset(X, y, categorical_feature=categorical or "auto", free_raw_data=False)
    r = lgb.cv(
        {**params, "metric": "auc"},
        ds,
        num_boost_round=600,
        nfold=folds,
        stratified=True,
        seed=seed,
        callbacks=[lgb.early_stopping(30, verbose=False)],
    )
    auc = r["valid auc-mean"]
    return len(auc), float(auc[-1])


def fit_lgbm(rows, names, params, categorical_names=(), extra=None) -> tuple[object, dict]:
    import lightgbm as lgb

    X, y = rows[names].to_numpy(float), rows[LABEL].to_numpy(float)
    cat = [i for i, n in enumerate(names) if n in categorical_names]
    p = {**params, **(extra or {})}
    rounds, auc = cv_rounds(X, y, p, cat)
    booster = lgb.train(p, lgb.Dataset(X, y, categorical_feature=cat or "auto"), num_boost_round=rounds)
    return booster, {"cv_auc": auc, "rounds": rounds}


def select(rows, candidates, r, k=12):
    from ml import selection

    return selection.select(
        rows,
        candidates,
        LABEL,
        k,
        threshold=r.correlation_threshold,
        folds=r.stability_folds,
        seed=r.seed,
        sample_rows=r.selection_sample_rows,
    ).selected


def shadow_select(rows, candidates, categorical, folds=5, seed=42) -> list[str]:
    import lightgbm as lgb
    from sklearn.model_selection import StratifiedKFold

    rng = np.random.default_rng(seed)
    X = rows[candidates].to_numpy(float)
    y = rows[LABEL].to_numpy(float)
    keep = np.nanstd(X, axis=0) > 0
    X, names = X[:, keep], [c for c, k in zip(candidates, keep) if k]
    S = np.column_stack([rng.permutation(X[:, j]) for j in range(X.shape[1])])
    XX = np.hstack([X, S])
    cat = [i for i, n in enumerate(names) if n in categorical]
    cat += [i + len(names) for i in cat]
    gains = []
    for tr, _ in StratifiedKFold(folds, shuffle=True, random_state=seed).split(XX, y):
        b = lgb.train({**LGBM, "feature_fraction": 0.5}, lgb.Dataset(XX[tr], y[tr], categorical_feature=cat or "auto"), 150)
        gains.append(b.feature_importance("gain"))
    g = np.mean(gains, axis=0)
    real, shadow = g[: len(names)], g[len(names) :]
    bar = shadow.max()
    order = np.argsort(-real)
    return [names[i] for i in order if real[i] > bar]


def monotone_signs(rows, names, categorical) -> list[int]:
    from scipy.stats import spearmanr

    n = len(rows)
    out = []
    for f in names:
        if f in categorical:
            out.append(0)
            continue
        rho = spearmanr(rows[f].to_numpy(float), rows[LABEL].to_numpy(float), nan_policy="omit").statistic
        out.append(0 if not np.isfinite(rho) or abs(rho) < 3 / np.sqrt(n) else int(np.sign(rho)))
    return out


def logistic(rows, names, score) -> tuple[np.ndarray, dict]:
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import cross_val_score

    def design(df, ref):
        X = df[names].astype(float).copy()
        for c in names:
            col = ref[c].astype(float)
            if col.min() >= 0 and col.max() > 10:
                X[c] = np.log1p(X[c].clip(lower=0))
        return X

    Xr = design(rows, rows)
    med = Xr.median()
    Xr = Xr.fillna(med)
    mu, sd = Xr.mean(), Xr.std().replace(0, 1)
    Xr = (Xr - mu) / sd
    y = rows[LABEL].to_numpy(float)
    m = LogisticRegressionCV(Cs=10, cv=5, scoring="roc_auc", max_iter=2000).fit(Xr, y)
    auc = float(cross_val_score(LogisticRegressionCV(Cs=10, cv=5, scoring="roc_auc", max_iter=2000), Xr, y, cv=5, scoring="roc_auc").mean())
    Xs = ((design(score, rows).fillna(med)) - mu) / sd
    return m.predict_proba(Xs)[:, 1], {"cv_auc": auc, "C": float(m.C_[0])}


def judge(data, p) -> dict:
    from effectiveness import case_figures

    s = data["score"]
    return case_figures(
        s["uscc"].to_numpy(str),
        np.asarray(p, float),
        s["propensity"].to_numpy(float),
        s["observable_logit"].to_numpy(float),
        data["n_register"],
    )


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--city", type=Path, required=True, help="a city kept by bench/effectiveness.py --out (its seed-N folder)")
    ap.add_argument("--only", nargs="*", default=None)
    args = ap.parse_args(argv)
    from lakehouse.config import load_config
    from lakehouse.spark import get_spark
    from ml.factors import CATEGORICAL

    cfg = load_config("local", conf_dir=ROOT / "conf", environ={}, overrides={"warehouse.root": str(args.city / "warehouse")})
    spark = get_spark(cfg)
    t0 = time.perf_counter()
    data = load(args.city, spark, cfg)
    spark.stop()
    rows_all = data["rows"]
    rows = rows_all[rows_all["is_random"] == 1].reset_index(drop=True)
    cands = data["candidates"]
    print(
        f"{args.city}: {len(rows):,} random-labelled rows ({int(rows[LABEL].sum()):,} violations), {len(rows_all):,} with every mode; "
        f"cutoffs {data['cutoffs']}; score date {data['score_date']}, {len(data['score']):,} active entities; loaded in {time.perf_counter() - t0:.0f} s",
        flush=True,
    )
    score = data["score"]
    results = []

    def report(name, p, info, factors):
        r = {"candidate": name, **judge(data, p), **info, "factors": factors}
        results.append(r)
        print(
            f"  {name:12s} oracle ratio {r['oracle_ratio']:.3f}  targeted {r['targeted_hit_rate']:.1%} (oracle {r['oracle_hit_rate']:.1%})  "
            f"cv AUC {info.get('cv_auc', float('nan')):.3f}  {len(factors)} factors  [{time.perf_counter() - t0:.0f} s]",
            flush=True,
        )

    want = lambda n: args.only is None or n in args.only  # noqa: E731
    chosen = select(rows, cands, cfg.risk)
    if want("selected"):
        b, info = fit_lgbm(rows, chosen, LGBM, CATEGORICAL)
        report("selected", b.predict(score[chosen].to_numpy(float)), info, chosen)
    if want("monotone"):
        signs = monotone_signs(rows, chosen, CATEGORICAL)
        b, info = fit_lgbm(rows, chosen, LGBM, CATEGORICAL, {"monotone_constraints": signs, "monotone_constraints_method": "advanced"})
        report("monotone", b.predict(score[chosen].to_numpy(float)), {**info, "signs": signs}, chosen)
    if want("shadow"):
        sh = shadow_select(rows, cands, CATEGORICAL)
        b, info = fit_lgbm(rows, sh, LGBM, CATEGORICAL)
        report("shadow", b.predict(score[sh].to_numpy(float)), info, sh)
    if want("logistic"):
        num = [f for f in chosen if f not in CATEGORICAL]
        p, info = logistic(rows, num, score)
        report("logistic", p, info, num)
    if want("all_labels"):
        names = chosen + ["is_random"]
        b, info = fit_lgbm(rows_all, names, LGBM, CATEGORICAL)
        report("all_labels", b.predict(score[chosen].assign(is_random=1.0)[names].to_numpy(float)), info, names)
    if want("tuned"):
        rng = np.random.default_rng(7)
        best = None
        for _ in range(8):
            p = {
                **LGBM,
                "learning_rate": float(np.exp(rng.uniform(np.log(0.01), np.log(0.1)))),
                "num_leaves": int(rng.integers(3, 32)),
                "min_data_in_leaf": int(rng.choice([10, 20, 40, 80])),
                "feature_fraction": float(rng.uniform(0.5, 1.0)),
                "lambda_l2": float(np.exp(rng.uniform(np.log(0.01), np.log(30)))),
            }
            X, y = rows[chosen].to_numpy(float), rows[LABEL].to_numpy(float)
            cat = [i for i, n in enumerate(chosen) if n in CATEGORICAL]
            rounds, auc = cv_rounds(X, y, p, cat)
            if best is None or auc > best[0]:
                best = (auc, p)
        b, info = fit_lgbm(rows, chosen, best[1], CATEGORICAL)
        report(
            "tuned",
            b.predict(score[chosen].to_numpy(float)),
            {
                **info,
                "params": {k: best[1][k] for k in ("learning_rate", "num_leaves", "min_data_in_leaf", "feature_fraction", "lambda_l2")},
            },
            chosen,
        )
    obs = judge(data, score["observable_logit"].to_numpy(float))
    print(f"  ceiling: observable oracle {obs['observable_oracle_hit_rate']:.1%} = {obs['observable_ceiling']:.3f} of the oracle")
    (args.city / "candidates.json").write_text(json.dumps(results, indent=1, default=str))
    return results


if __name__ == "__main__":
    main()

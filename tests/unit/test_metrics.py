"""The honest metrics module: intervals that cover, baselines beside every figure, oracle ratios."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml import metrics


def test_wilson_matches_the_textbook_values():
    lo, hi = metrics.wilson(5, 10)
    assert (round(lo, 4), round(hi, 4)) == (0.2366, 0.7634)
    lo, hi = metrics.wilson(0, 20)
    assert lo == 0.0 and hi == pytest.approx(0.1611, abs=1e-4)
    assert np.isnan(metrics.wilson(0, 0)[0])


def test_auc_is_sklearns_and_its_interval_covers_the_true_auc():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(3)
    # scores with ties, to exercise the midranks
    y = rng.random(300) < 0.2
    p = np.round(rng.random(300) + 0.4 * y, 1)
    auc, lo, hi = metrics.auc_interval(y, p)
    assert auc == pytest.approx(roc_auc_score(y, p)) and lo < auc < hi
    # coverage: binormal scores with a known AUC = Phi(d / sqrt 2)
    from scipy.stats import norm

    d = 1.0
    true_auc = norm.cdf(d / np.sqrt(2))
    covered = 0
    for _ in range(300):
        y = rng.random(200) < 0.176
        s = rng.standard_normal(200) + d * y
        _, lo, hi = metrics.auc_interval(y, s)
        covered += lo <= true_auc <= hi
    assert 0.91 <= covered / 300 <= 0.99


def test_every_figure_stands_beside_its_baseline():
    rng = np.random.default_rng(7)
    truth = 1 / (1 + np.exp(-(rng.standard_normal(2000) * 1.5 - 2)))
    y = (rng.random(2000) < truth).astype(int)
    m = metrics.evaluate(y, truth, 0.05, truth=truth, observable=np.log(truth / (1 - truth)))
    assert m["always_0_accuracy"] == pytest.approx(1 - y.mean())
    # a constant 0 forecaster has accuracy = always-0, balanced accuracy = chance
    m0 = metrics.evaluate(y, np.zeros(2000) + 0.01, 0.05, threshold=0.5)
    assert m0["accuracy"] == pytest.approx(m0["always_0_accuracy"]) and m0["balanced_accuracy"] == pytest.approx(0.5)
    # the true propensity is calibrated (Brier below the base-rate forecast), ranks perfectly (oracle ratio 1)
    assert m["brier"] < m["brier_base_rate"] and m["balanced_accuracy"] > 0.6
    ak = m["answer_key"]
    assert ak["oracle_ratio"] == pytest.approx(1.0) and ak["observable_oracle_ratio"] == pytest.approx(1.0)
    a = m["at_k"]
    assert a["k"] == 100 and a["hits"] == int(y[np.argsort(-truth, kind="stable")[:100]].sum())
    assert a["recall"] == pytest.approx(a["hits"] / y.sum()) and a["lift"] == pytest.approx(a["hit_rate"] / y.mean())
    assert a["hit_rate_low"] < a["hit_rate"] < a["hit_rate_high"]
    # reliability: calibrated bins sit near the diagonal
    rel = m["reliability"]
    assert len(rel) == 10 and sum(r["rows"] for r in rel) == 2000
    assert sum(r["observed_low"] <= r["predicted"] <= r["observed_high"] for r in rel) >= 8
    # a random ranking: oracle ratio well below 1, average precision near the base rate
    noise = rng.random(2000)
    mr = metrics.evaluate(y, noise, 0.05, truth=truth)
    assert mr["answer_key"]["oracle_ratio"] < 0.6 and abs(mr["average_precision"] - y.mean()) < 0.05
    # the displays carry every figure and serialise
    text = metrics.markdown(m)
    for word in (
        "AUC",
        "average precision",
        "balanced accuracy",
        "always 'no violation'",
        "Wilson",
        "Brier",
        "oracle ratio",
        "Reliability",
    ):
        assert word in text
    assert "oracle ratio 1.000" in metrics.summary_line(m)
    import json

    pub = json.loads(json.dumps(metrics.public(m)))
    assert pub["at_k"]["k"] == 100 and pub["answer_key"]["oracle_ratio"] == pytest.approx(1.0)
    assert all(isinstance(v, float) for k, v in metrics.flat(m).items())


def test_answer_key_truth_prefers_the_propensity_of_the_inspection_year(tmp_path):
    pd.DataFrame({"uscc": ["A", "B"], "propensity": [0.1, 0.9], "observable_logit": [-2.0, 2.0]}).to_parquet(tmp_path / "entities.parquet")
    rows = pd.DataFrame({"uscc": ["B", "A"], "as_of": pd.to_datetime(["2024-12-31", "2024-12-31"])})
    truth, obs = metrics.answer_key_truth(tmp_path, rows)
    assert list(truth) == [0.9, 0.1] and list(obs) == [2.0, -2.0]
    pd.DataFrame(
        {
            "uscc": ["A", "A", "B", "B"],
            "year": [2024, 2025, 2024, 2025],
            "propensity": [0.5, 0.2, 0.6, 0.7],
            "observable_logit": [0.0, -1.0, 0.5, 1.0],
        }
    ).to_parquet(tmp_path / "propensity_by_year.parquet")
    truth, obs = metrics.answer_key_truth(tmp_path, rows)
    assert list(truth) == [0.7, 0.2] and list(obs) == [1.0, -1.0]  # the label window after 2024-12-31 is 2025
    assert metrics.answer_key_truth(tmp_path, rows.assign(uscc=["B", "Z"])) == (None, None)  # a row the key lacks

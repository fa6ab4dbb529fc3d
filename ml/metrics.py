"""Honest metrics of a risk model: every figure beside the baseline it must beat, with its interval.

One module used wherever a model's quality is shown: the training log, MLflow, the model card,
the effectiveness report and the API's ``GET /v1/model``.

* **AUC** with a 95% interval (DeLong's variance of the Mann-Whitney statistic).
* **Average precision** beside the **base rate** (what a random ranking scores).
* **Balanced accuracy at the base-rate threshold** (flag an entity when its probability is at
  least the base rate) beside the case's 77.6%: the case's figure is below its own always-0
  baseline (1 − 17.6% = 82.4%), so it cannot be plain accuracy on a natural hold-out; balanced
  accuracy at a threshold near the base rate is the reading that fits.
* **Accuracy at 0.5 only next to always-0** (predicting "no violation" for everyone).
* **Hit rate, lift and recall at the plan's k** (the top ``k_share`` of the rows) with Wilson
  intervals: what a risk-targeted draw of that share finds.
* **Brier score** beside the base-rate forecaster's, and **reliability** bins (mean predicted vs
  observed with Wilson intervals): the A–D class thresholds assume calibrated probabilities.
* With the simulator's answer key: the **expected hit rate** at k (mean true propensity of the
  model's top k, no sampling noise), the **oracle** (top k by true propensity), the
  **observable oracle** (top k by the answer key's observable logit: the planted signal without
  the noise term, the best any model of the observable data can do), and the two ratios.

Pure numpy (plus scipy's normal quantile); no Spark.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lakehouse.intervals import Z95, wilson  # noqa: F401  (part of this module's API)

CASE_ACCURACY = 0.776
CASE_RANDOM_HIT_RATE = 0.176


def _midranks(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    n = len(x)
    ranks = np.empty(n)
    i = 0
    while i < n:
        j = i
        while j < n and xs[j] == xs[i]:
            j += 1
        ranks[i:j] = 0.5 * (i + j - 1) + 1
        i = j
    out = np.empty(n)
    out[order] = ranks
    return out


def auc_interval(y: np.ndarray, p: np.ndarray, z: float = Z95) -> tuple[float, float, float]:
    """(AUC, low, high): DeLong et al. (1988) variance, the fast midrank form of Sun & Xu (2014)."""
    y = np.asarray(y).astype(bool)
    p = np.asarray(p, dtype=float)
    pos, neg = p[y], p[~y]
    m, n = len(pos), len(neg)
    if m == 0 or n == 0:
        return float("nan"), float("nan"), float("nan")
    tx, ty, tz = _midranks(pos), _midranks(neg), _midranks(np.r_[pos, neg])
    auc = float((tz[:m].sum() - m * (m + 1) / 2) / (m * n))
    v01 = (tz[:m] - tx) / n
    v10 = 1.0 - (tz[m:] - ty) / m
    var = (np.var(v01, ddof=1) if m > 1 else 0.0) / m + (np.var(v10, ddof=1) if n > 1 else 0.0) / n
    se = math.sqrt(max(var, 0.0))
    return auc, max(0.0, auc - z * se), min(1.0, auc + z * se)


def _top(score: np.ndarray, k: int) -> np.ndarray:
    return np.argsort(-np.asarray(score, dtype=float), kind="stable")[:k]


def k_for(n: int, share: float) -> int:
    return max(1, int(round(share * n))) if n else 0


def at_k(y: np.ndarray, p: np.ndarray, k: int) -> dict[str, Any]:
    """Hit rate, lift and recall of the top k by ``p``, with Wilson intervals."""
    y = np.asarray(y, dtype=float)
    k = min(k, len(y))
    top = _top(p, k)
    hits = float(y[top].sum())
    pos = float(y.sum())
    base = float(y.mean()) if len(y) else float("nan")
    lo, hi = wilson(hits, k)
    rlo, rhi = wilson(hits, int(pos)) if pos else (float("nan"), float("nan"))
    return {
        "k": int(k),
        "hits": int(hits),
        "hit_rate": hits / k if k else float("nan"),
        "hit_rate_low": lo,
        "hit_rate_high": hi,
        "lift": (hits / k) / base if k and base > 0 else float("nan"),
        "lift_low": lo / base if base > 0 else float("nan"),
        "lift_high": hi / base if base > 0 else float("nan"),
        "recall": hits / pos if pos else float("nan"),
        "recall_low": rlo,
        "recall_high": rhi,
    }


def reliability(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """Quantile bins of ``p``: rows, mean predicted, observed rate and its Wilson interval."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    if not len(y):
        return []
    order = np.argsort(p, kind="stable")
    out = []
    for idx in np.array_split(order, min(bins, len(y))):
        if not len(idx):
            continue
        h = float(y[idx].sum())
        lo, hi = wilson(h, len(idx))
        out.append(
            {"rows": int(len(idx)), "predicted": float(p[idx].mean()), "observed": h / len(idx), "observed_low": lo, "observed_high": hi}
        )
    return out


def expected_at_k(truth: np.ndarray, score: np.ndarray, k: int) -> float:
    """Mean true propensity of the top k by ``score``: the expected hit rate, no sampling noise."""
    return float(np.asarray(truth, dtype=float)[_top(score, k)].mean()) if k else float("nan")


def oracle(truth: np.ndarray, p: np.ndarray, k: int, observable: np.ndarray | None = None) -> dict[str, float]:
    """The model's expected hit rate at k beside the oracle's (and the observable oracle's)."""
    truth = np.asarray(truth, dtype=float)
    model = expected_at_k(truth, p, k)
    best = float(np.sort(truth)[::-1][:k].mean()) if k else float("nan")
    out = {
        "expected_hit_rate": model,
        "oracle_hit_rate": best,
        "oracle_ratio": model / best if best else float("nan"),
        "expected_base_rate": float(truth.mean()),
    }
    if observable is not None:
        obs = expected_at_k(truth, observable, k)
        out.update(observable_oracle_hit_rate=obs, observable_oracle_ratio=model / obs if obs else float("nan"))
    return out


def evaluate(
    y: np.ndarray,
    p: np.ndarray,
    k_share: float,
    threshold: float | None = None,
    truth: np.ndarray | None = None,
    observable: np.ndarray | None = None,
    bins: int = 10,
) -> dict[str, Any]:
    """Every honest figure of held-out rows ``y`` (0/1) scored ``p``.

    ``threshold``: the base-rate threshold for balanced accuracy (default: the rows' own base
    rate; pass the training rows' rate to keep the held-out rows unseen). ``truth`` and
    ``observable``: the answer key's true propensity and observable logit of each row.
    """
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    n = len(y)
    base = float(y.mean()) if n else float("nan")
    thr = base if threshold is None else float(threshold)
    auc, auc_lo, auc_hi = auc_interval(y, p)
    both = len(np.unique(y)) > 1
    if both:
        from sklearn.metrics import average_precision_score

        ap = float(average_precision_score(y, p))
    else:
        ap = float("nan")
    flag = p >= thr
    tpr = float((flag & (y == 1)).sum() / max(1, (y == 1).sum()))
    tnr = float((~flag & (y == 0)).sum() / max(1, (y == 0).sum()))
    acc = float(((p >= 0.5) == (y == 1)).mean()) if n else float("nan")
    k = k_for(n, k_share)
    out: dict[str, Any] = {
        "rows": n,
        "positives": int(y.sum()),
        "base_rate": base,
        "base_rate_low": wilson(y.sum(), n)[0],
        "base_rate_high": wilson(y.sum(), n)[1],
        "auc": auc,
        "auc_low": auc_lo,
        "auc_high": auc_hi,
        "average_precision": ap,
        "balanced_accuracy": 0.5 * (tpr + tnr),
        "balanced_accuracy_threshold": thr,
        "case_accuracy": CASE_ACCURACY,
        "sensitivity": tpr,
        "specificity": tnr,
        "accuracy": acc,
        "always_0_accuracy": 1.0 - base if n else float("nan"),
        "brier": float(np.mean((p - y) ** 2)) if n else float("nan"),
        "brier_base_rate": float(np.mean((base - y) ** 2)) if n else float("nan"),
        "mean_predicted": float(p.mean()) if n else float("nan"),
        "k_share": float(k_share),
        "at_k": at_k(y, p, k),
        "reliability": reliability(y, p, bins),
    }
    if truth is not None:
        out["answer_key"] = oracle(np.asarray(truth, dtype=float), p, k, observable)
    return out


def flat(m: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """Finite scalar figures for MLflow and registry tags (``at_k.hit_rate``, ``answer_key.oracle_ratio``...)."""
    out: dict[str, float] = {}
    for key, v in m.items():
        if isinstance(v, dict):
            out.update(flat(v, f"{prefix}{key}."))
        elif isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) and np.isfinite(v):
            out[f"{prefix}{key}"] = float(v)
    return out


def _pct(x: float | None) -> str:
    return "–" if x is None or not np.isfinite(x) else f"{100 * x:.1f}%"


def rows(m: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(figure, value with interval, what to compare it with): the one wording of every display."""
    a = m["at_k"]
    out = [
        (
            "held-out rows (violations)",
            f"{m['rows']:,} ({m['positives']:,})",
            f"base rate {_pct(m['base_rate'])} [{_pct(m['base_rate_low'])}, {_pct(m['base_rate_high'])}]",
        ),
        ("AUC [95% CI]", f"{m['auc']:.3f} [{m['auc_low']:.3f}, {m['auc_high']:.3f}]", "random ranking 0.500"),
        ("average precision", f"{m['average_precision']:.3f}", f"random ranking = base rate {m['base_rate']:.3f}"),
        (
            f"balanced accuracy (flag p ≥ {m['balanced_accuracy_threshold']:.3f}, the base rate)",
            _pct(m["balanced_accuracy"]),
            f"case's reported 77.6%; chance 50.0% (sensitivity {_pct(m['sensitivity'])}, specificity {_pct(m['specificity'])})",
        ),
        ("accuracy at 0.5", _pct(m["accuracy"]), f"always 'no violation' scores {_pct(m['always_0_accuracy'])}"),
        (
            f"hit rate in the top {_pct(m['k_share'])} (k = {a['k']:,}) [Wilson 95%]",
            f"{_pct(a['hit_rate'])} [{_pct(a['hit_rate_low'])}, {_pct(a['hit_rate_high'])}]",
            f"random draw {_pct(m['base_rate'])}",
        ),
        ("lift at k", f"{a['lift']:.2f} [{a['lift_low']:.2f}, {a['lift_high']:.2f}]", "random draw 1.00"),
        ("recall at k", f"{_pct(a['recall'])} [{_pct(a['recall_low'])}, {_pct(a['recall_high'])}]", f"random draw {_pct(m['k_share'])}"),
        ("Brier score", f"{m['brier']:.4f}", f"base-rate forecast {m['brier_base_rate']:.4f}; mean predicted {_pct(m['mean_predicted'])}"),
    ]
    ak = m.get("answer_key")
    if ak:
        out.append(
            (
                "expected hit rate at k (answer key)",
                _pct(ak["expected_hit_rate"]),
                f"oracle (true propensity) {_pct(ak['oracle_hit_rate'])}",
            )
        )
        out.append(("oracle ratio", f"{ak['oracle_ratio']:.3f}", "1.000 = perfect ranking"))
        if "observable_oracle_ratio" in ak:
            out.append(
                (
                    "observable-oracle ratio",
                    f"{ak['observable_oracle_ratio']:.3f}",
                    f"observable oracle (planted signal without noise) {_pct(ak['observable_oracle_hit_rate'])}",
                )
            )
    return out


def summary_line(m: dict[str, Any]) -> str:
    """One line for logs and progress messages."""
    a = m["at_k"]
    s = (
        f"AUC {m['auc']:.3f} [{m['auc_low']:.3f}, {m['auc_high']:.3f}], AP {m['average_precision']:.3f} (base rate {m['base_rate']:.3f}), "
        f"balanced accuracy {_pct(m['balanced_accuracy'])} at p ≥ {m['balanced_accuracy_threshold']:.3f} (case 77.6%), "
        f"accuracy {_pct(m['accuracy'])} (always-0 {_pct(m['always_0_accuracy'])}), "
        f"hit rate top {_pct(m['k_share'])} {_pct(a['hit_rate'])} [{_pct(a['hit_rate_low'])}, {_pct(a['hit_rate_high'])}] "
        f"(lift {a['lift']:.2f}, recall {_pct(a['recall'])}), Brier {m['brier']:.4f} (base {m['brier_base_rate']:.4f})"
    )
    ak = m.get("answer_key")
    if ak:
        s += f", oracle ratio {ak['oracle_ratio']:.3f}"
        if "observable_oracle_ratio" in ak:
            s += f", observable-oracle ratio {ak['observable_oracle_ratio']:.3f}"
    return s


def markdown(m: dict[str, Any], title: str = "Held-out metrics") -> str:
    lines = [f"## {title}", "", "| figure | value | compare with |", "|---|---:|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows(m)]
    rel = m.get("reliability") or []
    if rel:
        lines += ["", "### Reliability (quantile bins)", "", "| rows | mean predicted | observed [Wilson 95%] |", "|---:|---:|---|"]
        lines += [
            f"| {r['rows']:,} | {_pct(r['predicted'])} | {_pct(r['observed'])} [{_pct(r['observed_low'])}, {_pct(r['observed_high'])}] |"
            for r in rel
        ]
    return "\n".join(lines) + "\n"


def public(m: dict[str, Any]) -> dict[str, Any]:
    """The figures ``GET /v1/model`` serves (no per-row data)."""
    keys = [
        "rows",
        "positives",
        "base_rate",
        "auc",
        "auc_low",
        "auc_high",
        "average_precision",
        "balanced_accuracy",
        "balanced_accuracy_threshold",
        "case_accuracy",
        "accuracy",
        "always_0_accuracy",
        "brier",
        "brier_base_rate",
        "k_share",
    ]
    out = {k: _finite(m.get(k)) for k in keys}
    out["at_k"] = {k: _finite(v) for k, v in m["at_k"].items()}
    if m.get("answer_key"):
        out["answer_key"] = {k: _finite(v) for k, v in m["answer_key"].items()}
    out["reliability"] = [{k: _finite(v) for k, v in r.items()} for r in m.get("reliability") or []]
    return out


def _finite(v):
    if isinstance(v, (float, np.floating)):
        return float(v) if np.isfinite(v) else None
    if isinstance(v, np.integer):
        return int(v)
    return v


def answer_key_truth(answer_key, rows) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(true propensity, observable logit) of labelled rows (``uscc``, ``as_of``) from an answer key
    folder (evaluation only). With ``propensity_by_year.parquet`` (the propensity an inspection of
    each year met): the year the row's label window mostly covers (``as_of`` + 182 days); else the
    entity's propensity in ``entities.parquet``. ``None`` where the key lacks a column or a row."""
    from pathlib import Path

    import pandas as pd

    root = Path(answer_key)
    by_year = root / "propensity_by_year.parquet"
    if by_year.exists() and "as_of" in rows:
        k = pd.read_parquet(by_year)
        r = rows[["uscc"]].assign(year=(pd.to_datetime(rows["as_of"]) + pd.Timedelta(days=182)).dt.year.to_numpy())
        g = r.merge(k, on=["uscc", "year"], how="left")
    else:
        ent = pd.read_parquet(root / "entities.parquet")
        cols = [c for c in ("propensity", "observable_logit") if c in ent]
        g = rows[["uscc"]].merge(ent[["uscc", *cols]], on="uscc", how="left")
    truth = g["propensity"].to_numpy(float) if "propensity" in g else None
    obs = g["observable_logit"].to_numpy(float) if "observable_logit" in g else None
    if truth is None or np.isnan(truth).any():
        return None, None
    return truth, obs

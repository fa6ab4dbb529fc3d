"""Evaluation of a risk model on held-out labelled rows, and its plots.

Metrics: accuracy (beside the case's 77.6%), AUC, precision and recall at 0.5, the base hit
rate of the held-out double-random stream (what an unguided random draw finds), and the hit
rate among the ``top_share`` highest scores (what a risk-targeted draw of that share finds).
Plots (PNG): ROC, precision-recall, calibration, hit rate by share inspected, importance.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

CASE_ACCURACY = 0.776


def hit_rate_at(y: np.ndarray, p: np.ndarray, share: float) -> float:
    n = max(1, int(round(share * len(y))))
    top = np.argsort(-p, kind="stable")[:n]
    return float(y[top].mean())


def metrics(y: np.ndarray, p: np.ndarray, top_share: float) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, average_precision_score, precision_score, recall_score, roc_auc_score

    pred = (p >= 0.5).astype(int)
    return {
        "rows": float(len(y)),
        "accuracy": float(accuracy_score(y, pred)),
        "case_accuracy": CASE_ACCURACY,
        "auc": float(roc_auc_score(y, p)) if len(np.unique(y)) > 1 else float("nan"),
        "average_precision": float(average_precision_score(y, p)) if len(np.unique(y)) > 1 else float("nan"),
        "precision": float(precision_score(y, pred, zero_division=0)),
        "recall": float(recall_score(y, pred, zero_division=0)),
        "random_hit_rate": float(y.mean()),
        "top_share": top_share,
        "top_hit_rate": hit_rate_at(y, p, top_share),
        "top35_hit_rate": hit_rate_at(y, p, 0.35),
        "lift_at_top": hit_rate_at(y, p, top_share) / float(y.mean()) if y.mean() > 0 else float("nan"),
    }


def plots(y: np.ndarray, p: np.ndarray, importance: dict[str, float], out_dir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import precision_recall_curve, roc_curve

    out_dir.mkdir(parents=True, exist_ok=True)
    files = []

    def save(fig, name):
        path = out_dir / name
        fig.tight_layout()
        fig.savefig(path, dpi=90)
        plt.close(fig)
        files.append(path)

    fpr, tpr, _ = roc_curve(y, p)
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.plot(fpr, tpr)
    ax.plot([0, 1], [0, 1], "--", color="grey")
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC")
    save(fig, "roc.png")

    prec, rec, _ = precision_recall_curve(y, p)
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.plot(rec, prec)
    ax.axhline(y.mean(), ls="--", color="grey")
    ax.set(xlabel="recall", ylabel="precision", title="precision-recall")
    save(fig, "pr.png")

    frac, mean_p = calibration_curve(y, p, n_bins=10, strategy="quantile")
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.plot(mean_p, frac, "o-")
    ax.plot([0, 1], [0, 1], "--", color="grey")
    ax.set(xlabel="predicted probability", ylabel="observed violation rate", title="calibration")
    save(fig, "calibration.png")

    shares = np.linspace(0.01, 1.0, 100)
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.plot(shares, [hit_rate_at(y, p, s) for s in shares], label="ranked by risk")
    ax.axhline(y.mean(), ls="--", color="grey", label="random draw")
    ax.set(xlabel="share inspected", ylabel="hit rate", title="hit rate by share inspected")
    ax.legend()
    save(fig, "hit_rate_by_share.png")

    items = sorted(importance.items(), key=lambda kv: kv[1])
    fig, ax = plt.subplots(figsize=(6, 0.3 * len(items) + 1))
    ax.barh([k for k, _ in items], [v for _, v in items])
    ax.set(xlabel="gain", title="factor importance")
    save(fig, "importance.png")
    return files

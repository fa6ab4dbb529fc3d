"""Evaluation of a risk model on held-out labelled rows, and its plots.

Metrics: those of :mod:`ml.metrics` (each beside its baseline, with intervals).
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


def metrics(
    y: np.ndarray,
    p: np.ndarray,
    top_share: float,
    threshold: float | None = None,
    truth: np.ndarray | None = None,
    observable: np.ndarray | None = None,
) -> dict[str, float]:
    """The honest figures of :mod:`ml.metrics`, flattened for MLflow (``at_k.hit_rate``...),
    plus the short names older callers read (``top_hit_rate``, ``random_hit_rate``, ``lift_at_top``)."""
    from ml import metrics as honest

    full = honest.evaluate(y, p, top_share, threshold=threshold, truth=truth, observable=observable)
    out = honest.flat(full)
    out.update(
        top_share=float(top_share),
        top_hit_rate=full["at_k"]["hit_rate"],
        random_hit_rate=full["base_rate"],
        lift_at_top=full["at_k"]["lift"],
    )
    return out


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

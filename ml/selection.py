"""Factor selection: ~1,300 candidates → about 12 (``risk.selected_factors``).

Three filters, in this order, each leaving its reason in the report:

1. **importance**: LightGBM gain importance, averaged over stratified folds of a sample of
   the labelled rows; factors that are constant or never used are dropped;
2. **stability**: a factor must rank among the top ``3 × k`` in at least 60% of the folds
   (importance that appears in one fold only is noise);
3. **correlation**: walking down the importance ranking, a factor correlated above
   ``correlation_threshold`` (|Spearman ρ|) with one already kept is dropped in its favour.

The first ``k`` survivors are kept.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from lakehouse.errors import RegulakeError

STABLE_SHARE = 0.6
CANDIDATES = 120  # only the most important candidates go through the correlation walk


@dataclass
class FactorVerdict:
    factor: str
    importance: float
    rank: int
    stability: float  # share of folds with the factor in the top 3k
    kept: bool
    reason: str


@dataclass
class SelectionReport:
    selected: list[str]
    verdicts: list[FactorVerdict]
    candidates: int
    rows: int
    positives: int
    folds: int
    threshold: float
    planted: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["verdicts"] = [asdict(v) for v in self.verdicts]
        return d

    def markdown(self, descriptions: dict[str, str] | None = None) -> str:
        descriptions = descriptions or {}
        lines = [
            f"# Factor selection: {len(self.selected)} of {self.candidates} candidates",
            "",
            f"{self.rows:,} labelled rows ({self.positives:,} positive), {self.folds} stratified folds, "
            f"correlation threshold |ρ| > {self.threshold}.",
            "",
            "| rank | factor | description | mean gain | stability | verdict |",
            "|---:|---|---|---:|---:|---|",
        ]
        for v in self.verdicts:
            lines.append(
                f"| {v.rank} | `{v.factor}` | {descriptions.get(v.factor, '')} | {v.importance:.1f} | "
                f"{v.stability:.0%} | {'**kept**' if v.kept else v.reason} |"
            )
        if self.planted:
            p = self.planted
            lines += [
                "",
                f"Planted drivers recovered: {p['recovered']} of {p['planted']} "
                f"({', '.join(p['recovered_names']) or 'none'}); missed: {', '.join(p['missed']) or 'none'}.",
            ]
        return "\n".join(lines) + "\n"


def _fold_importance(X: np.ndarray, y: np.ndarray, folds: int, seed: int, categorical: list[int] | None = None) -> np.ndarray:
    import lightgbm as lgb
    from sklearn.model_selection import StratifiedKFold

    params = {
        "objective": "binary",
        "learning_rate": 0.05,
        "num_leaves": 15,
        "min_data_in_leaf": 20,
        "feature_fraction": 0.8,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "seed": seed,
        "deterministic": True,
        "verbosity": -1,
        "num_threads": 2,
    }
    out = []
    for i, (idx, _) in enumerate(StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y)):
        ds = lgb.Dataset(X[idx], y[idx], free_raw_data=True, categorical_feature=categorical or "auto")
        b = lgb.train({**params, "seed": seed + i}, ds, num_boost_round=150)
        out.append(b.feature_importance("gain"))
    return np.vstack(out)


def select(
    frame: pd.DataFrame, factors: list[str], label: str, k: int, *, threshold: float, folds: int, seed: int, sample_rows: int
) -> SelectionReport:
    """Choose ``k`` factors of ``frame`` (one row per labelled entity and cutoff)."""
    missing = [f for f in factors if f not in frame.columns]
    if missing:
        raise RegulakeError(f"selection: {len(missing)} factor column(s) missing from the training data, e.g. {missing[:5]}")
    if frame[label].isna().any():
        raise RegulakeError(f"selection: label '{label}' is null in {int(frame[label].isna().sum())} rows")
    y_all = frame[label].to_numpy(dtype=float)
    if len(np.unique(y_all)) < 2:
        raise RegulakeError(f"selection: label '{label}' has a single class in {len(y_all)} rows; need violations and clean results")
    if len(frame) > sample_rows:
        from sklearn.model_selection import train_test_split

        frame, _ = train_test_split(frame, train_size=sample_rows, stratify=frame[label], random_state=seed)
    y = frame[label].to_numpy(dtype=float)
    X = frame[factors].to_numpy(dtype=float)
    folds = max(2, min(folds, int(min(y.sum(), len(y) - y.sum()))))
    from ml.factors import categorical_slots

    imp = _fold_importance(X, y, folds, seed, categorical_slots(factors))
    mean = imp.mean(axis=0)
    top = 3 * k
    ranks = (-imp).argsort(axis=1).argsort(axis=1)  # 0 = most important, per fold
    stability = ((ranks < top) & (imp > 0)).mean(axis=0)
    order = np.argsort(-mean, kind="stable")

    const = np.nanstd(X, axis=0) == 0
    verdicts: list[FactorVerdict] = []
    kept: list[int] = []
    cand = [i for i in order[:CANDIDATES]]
    ranked = pd.DataFrame(X[:, cand]).rank().to_numpy()
    col_of = {c: j for j, c in enumerate(cand)}
    for r, i in enumerate(order, start=1):
        f = factors[i]
        reason = ""
        if const[i] or np.all(np.isnan(X[:, i])):
            reason = "constant or always missing"
        elif mean[i] <= 0:
            reason = "never used by the model"
        elif len(kept) >= k:
            reason = f"beyond the {k} kept"
        elif stability[i] < STABLE_SHARE:
            reason = f"unstable: in the top {top} in {stability[i]:.0%} of folds"
        elif i in col_of:
            a = ranked[:, col_of[i]]
            for j in kept:
                b = ranked[:, col_of[j]]
                ok = ~(np.isnan(a) | np.isnan(b))
                if ok.sum() > 10 and np.std(a[ok]) > 0 and np.std(b[ok]) > 0:
                    rho = float(np.corrcoef(a[ok], b[ok])[0, 1])
                    if abs(rho) > threshold:
                        reason = f"correlated with {factors[j]} (ρ = {rho:.2f})"
                        break
        else:
            reason = "outside the top candidates"
        if not reason:
            kept.append(i)
        if r <= max(CANDIDATES, 2 * top) or not reason:
            verdicts.append(FactorVerdict(f, float(mean[i]), r, float(stability[i]), not reason, reason or "kept"))
    if not kept:
        raise RegulakeError("selection kept no factor: no candidate carries signal on the labelled rows")
    return SelectionReport(
        selected=[factors[i] for i in kept],
        verdicts=verdicts,
        candidates=len(factors),
        rows=int(len(y)),
        positives=int(y.sum()),
        folds=folds,
        threshold=threshold,
    )

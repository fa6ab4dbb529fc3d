"""MLflow: the tracking store, model registry and the ``champion`` alias.

The tracking URI and the artifact location always come from configuration and are set
explicitly (the embedded default is a SQLite file and a local folder), so nothing lands in an
``./mlruns`` folder by accident. Registered versions carry the factor list as a tag; the alias
``champion`` moves only when a candidate beats the current champion on the candidate's own
validation rows (the champion is re-scored on them, so both are judged on the same data).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakehouse.errors import RegulakeError

if TYPE_CHECKING:
    import lightgbm as lgb
    import pandas as pd

    from lakehouse.config import MlflowConfig

CHAMPION = "champion"


def _absolute_sqlite(uri: str) -> str:
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
        path = Path(uri[len("sqlite:///") :]).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    return uri


def _artifact_uri(location: str) -> str:
    if "://" in location:
        return location
    path = Path(location).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path.as_uri()


def _compact(summary: dict[str, Any], limit: int = 5000) -> str:
    """JSON within the registry's tag limit: the reliability bins go first if it is too long."""
    text = json.dumps(summary, separators=(",", ":"))
    if len(text) > limit:
        text = json.dumps({k: v for k, v in summary.items() if k != "reliability"}, separators=(",", ":"))
    return text


@dataclass
class Champion:
    booster: Any
    version: str
    factors: list[str]
    name: str
    metrics: dict[str, Any] | None = None


class Tracker:
    def __init__(self, cfg: MlflowConfig):
        import mlflow

        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        self.cfg = cfg
        self.tracking_uri = _absolute_sqlite(cfg.tracking_uri)
        mlflow.set_tracking_uri(self.tracking_uri)
        mlflow.set_registry_uri(self.tracking_uri)
        from mlflow import MlflowClient

        self.client = MlflowClient(self.tracking_uri, self.tracking_uri)
        exp = self.client.get_experiment_by_name(cfg.experiment)
        self.experiment_id = (
            exp.experiment_id
            if exp
            else self.client.create_experiment(cfg.experiment, artifact_location=_artifact_uri(cfg.artifact_location))
        )

    def log_model(
        self,
        booster: lgb.Booster,
        factors: list[str],
        example: pd.DataFrame,
        metrics: dict[str, float],
        summary: dict[str, Any] | None = None,
    ) -> str:
        """Log and register the booster; returns the new version number."""
        import lightgbm
        import mlflow
        import numpy as np
        import pandas
        from mlflow.models import infer_signature

        signature = infer_signature(example[factors], booster.predict(example[factors].to_numpy(dtype=float)))
        info = mlflow.lightgbm.log_model(
            booster,
            name="model",
            signature=signature,
            input_example=example[factors].head(3),
            pip_requirements=[f"lightgbm=={lightgbm.__version__}", f"numpy=={np.__version__}", f"pandas=={pandas.__version__}"],
            registered_model_name=self.cfg.model_name,
        )
        version = str(info.registered_model_version)
        self.client.set_model_version_tag(self.cfg.model_name, version, "factors", json.dumps(factors))
        for k, v in metrics.items():
            self.client.set_model_version_tag(self.cfg.model_name, version, f"validation_{k}", f"{v:.6f}")
        if summary is not None:  # the honest held-out figures GET /v1/model serves (ml.metrics.public)
            self.client.set_model_version_tag(self.cfg.model_name, version, "metrics", _compact(summary))
        return version

    def champion(self) -> Champion | None:
        import mlflow

        try:
            mv = self.client.get_model_version_by_alias(self.cfg.model_name, CHAMPION)
        except Exception:  # noqa: BLE001 - MlflowException when model or alias is absent
            return None
        booster = mlflow.lightgbm.load_model(f"models:/{self.cfg.model_name}@{CHAMPION}")
        factors = json.loads(mv.tags.get("factors", "[]"))
        return Champion(
            booster, str(mv.version), factors, self.cfg.model_name, json.loads(mv.tags["metrics"]) if "metrics" in mv.tags else None
        )

    def require_champion(self) -> Champion:
        c = self.champion()
        if c is None:
            raise RegulakeError(
                f"no '{CHAMPION}' version of model '{self.cfg.model_name}' in {self.tracking_uri}; run 'regulake run train' first"
            )
        return c

    def promote_if_better(self, version: str, candidate_auc: float, champion_auc: float | None) -> bool:
        """Point ``champion`` at ``version`` when there is none or the candidate's AUC is higher."""
        better = champion_auc is None or candidate_auc > champion_auc
        self.client.set_model_version_tag(
            self.cfg.model_name,
            version,
            "champion_decision",
            f"candidate auc {candidate_auc:.4f} vs champion {champion_auc if champion_auc is None else round(champion_auc, 4)}: "
            + ("promoted" if better else "kept the champion"),
        )
        if better:
            self.client.set_registered_model_alias(self.cfg.model_name, CHAMPION, version)
        return better

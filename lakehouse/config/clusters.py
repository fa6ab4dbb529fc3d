"""Settings of the registration-cluster alerts (``clusters:`` in conf/*.yaml)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, model_validator

from lakehouse.config.base import Section


class ScoreWeights(Section):
    """Weights of the score's components (each in [0, 1]); the score is their weighted mean over the
    components the data allows (shared_agent counts only when agent_columns exist in the register)."""

    size: float = Field(0.25, ge=0, description="Members: (size - 1) / (size_saturation - 1), capped at 1.")
    tightness: float = Field(0.15, ge=0, description="1 - span of registration dates / window_days.")
    shared_legal_rep: float = Field(
        0.1, ge=0, description="Members sharing one legal representative (hashed ID): (largest group - 1) / (size - 1)."
    )
    shared_phone: float = Field(0.05, ge=0, description="The same for the legal representatives' phones (hashed).")
    shared_agent: float = Field(
        0.05, ge=0, description="The same for the filing agent columns (agent_columns), when the register has them."
    )
    trading: float = Field(0.25, ge=0, description="Share of members in trading or business-services industries (trading_divisions).")
    capital: float = Field(
        0.15,
        ge=0,
        description="Capital pattern: the larger of the share with identical registered capital and the mean unpaid share of subscribed capital.",
    )

    @model_validator(mode="after")
    def _some_weight(self) -> ScoreWeights:
        if sum(self.model_dump().values()) <= 0:
            raise ValueError("at least one score weight must be positive")
        return self


class ClustersSettings(Section):
    catalog: str = Field("SCJG-001", description="Catalog of the entity register in silver.registration.")
    as_of: dt.date | None = Field(
        None, description="Registrations established on or before this date; default: gold.cutoff_date, else the latest batch date."
    )
    window_days: int = Field(7, ge=0, description="Members of a cluster registered within this many days of the first.")
    min_size: int = Field(5, ge=2, description="Fewest entities at one address within the window that make a cluster.")
    lookback_days: int | None = Field(
        None, ge=1, description="Only clusters whose last registration is within this many days of as_of; default: all history."
    )
    exclude_enterprise_types: list[str] = Field(
        default_factory=lambda: ["9100"],
        description="Enterprise types left out (9100: individual businesses, which share market stalls legitimately).",
    )
    trading_divisions: list[str] = Field(
        default_factory=lambda: ["51", "52", "72"],
        description="GB/T 4754 divisions counted as trading / business services (wholesale, retail, business services).",
    )
    agent_columns: list[str] = Field(
        default_factory=list,
        description="Hashed columns of silver.registration naming the filing agent (e.g. agent_id_hash); absent columns are skipped.",
    )
    use_shareholders: bool = Field(
        True, description="Read silver.shareholders_contributions (SCJG-002) for the unpaid share of subscribed capital."
    )
    size_saturation: int = Field(10, ge=2, description="Size at which the size component reaches 1.")
    weights: ScoreWeights = Field(default_factory=ScoreWeights)
    alert_threshold: float = Field(0.35, ge=0, le=1, description="Clusters scoring at least this become alerts (gold.registration_alerts).")


def settings_of(config) -> ClustersSettings:
    """The ``clusters`` section of a RegulakeConfig."""
    return config.clusters

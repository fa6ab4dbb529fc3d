"""Typed configuration loaded from ``conf/base.yaml`` + ``conf/<env>.yaml`` + environment.

Every section is a pydantic model that forbids unknown keys, so a typo fails at load
time with the file, the key and the keys that are allowed.

Layering (later wins):

1. ``conf/base.yaml``
2. ``conf/<env>.yaml`` (``env`` from the caller, ``REGULAKE_ENV`` or ``local``)
3. environment variables ``REGULAKE__<SECTION>__<KEY>=value`` (values parsed as YAML),
   e.g. ``REGULAKE__SPARK__MASTER=spark://host:7077``.

Example::

    >>> from lakehouse.config import load_config
    >>> cfg = load_config("local")            # doctest: +SKIP
    >>> cfg.spark.master                      # doctest: +SKIP
    'local[*]'
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from lakehouse.config.base import Section, default_conf_dir
from lakehouse.config.clusters import ClustersSettings
from lakehouse.config.complaints import ComplaintsSettings
from lakehouse.config.plans import PlansSettings
from lakehouse.config.serving import ServingSettings
from lakehouse.errors import ConfigError

ENV_PREFIX = "REGULAKE__"


class WarehouseConfig(Section):
    root: str = Field("./warehouse", description="Warehouse root: a local path or an object-store URI (s3://, gs://, abfss://, hdfs://).")
    storage_options: dict[str, str] = Field(
        default_factory=dict, description="Passed to delta-rs for object stores (credentials, endpoint, locking)."
    )
    audit_retention_days: int = Field(
        365, ge=1, description="Log and file retention of tables that feed inspection draws (the audit horizon)."
    )


class SparkConfig(Section):
    master: str = Field("local[*]", description="Spark master URL: local[*], spark://host:7077, yarn, k8s://...")
    app_name: str = Field("regulake", description="Spark application name.")
    driver_memory: str = Field("4g", description="spark.driver.memory (only effective before the JVM starts).")
    executor_memory: str | None = Field(None, description="spark.executor.memory for clusters.")
    shuffle_partitions: int = Field(8, ge=1, description="spark.sql.shuffle.partitions; small on one machine.")
    bind_loopback: bool = Field(True, description="Bind the driver to 127.0.0.1 (one machine). Set false on a cluster.")
    ui_enabled: bool = Field(True, description="Spark web UI.")
    log_level: Literal["ALL", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF"] = "WARN"
    show_progress: bool = Field(False, description="Spark's console progress bars (regulake prints its own progress).")
    local_dir: str | None = Field(None, description="spark.local.dir for shuffle spill.")
    conf: dict[str, str] = Field(default_factory=dict, description="Any further Spark settings, passed as they are.")
    jars_dir: str | None = Field(
        None, description="Folder of the JVM jars put on spark.jars (default .jvm/spark-jars, filled by make install)."
    )

    @field_validator("master")
    @classmethod
    def _master_url(cls, v: str) -> str:
        if not re.match(r"^(local(\[(\*|\d+)(,\d+)?\])?|local-cluster\[.+\]|spark://.+|yarn|k8s://.+|mesos://.+)$", v):
            raise ValueError("must be local, local[N], local[*], spark://HOST:PORT, yarn or k8s://URL")
        return v

    @field_validator("driver_memory", "executor_memory")
    @classmethod
    def _memory(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"\d+[kmgtKMGT]?", v):
            raise ValueError("must be a JVM memory size such as 512m or 4g")
        return v


class TablesConfig(Section):
    commit_retries: int = Field(10, ge=0, description="Retries of a blind append that lost a commit race.")
    target_file_mb: int = Field(128, ge=1, description="Target file size for optimize (compaction).")
    checkpoint_interval: int = Field(10, ge=1, description="delta.checkpointInterval for new tables.")
    log_retention_days: int = Field(30, ge=1, description="delta.logRetentionDuration for ordinary tables.")
    deleted_file_retention_days: int = Field(7, ge=0, description="delta.deletedFileRetentionDuration for ordinary tables.")


class LandingConfig(Section):
    root: str = Field("./landing", description="Landing zone: department exports arrive here.")
    answer_key_root: str = Field("./answer_key", description="The simulator's answer key; only evaluation code reads it.")


class BronzeConfig(Section):
    driver_write_max_mb: int = Field(
        256,
        ge=0,
        description="A batch of up to this many MB of landing files is parsed by Spark and its records written by the driver with pyarrow (a daily delivery: one file per catalog); larger batches are written by the parse tasks themselves with pyarrow (a file per catalog per task). 0: always the tasks.",
    )


class SimulatorConfig(Section):
    """The city simulator (``regulake simulate``): scale anchors, planted rates, dirty-data rates."""

    start_date: str = Field("2026-01-01", description="Date of the history batch (YYYY-MM-DD); daily increments follow it.")
    entities_sf1: int = Field(900_000, ge=1, description="Market entities at scale factor 1.")
    daily_records_sf1: int = Field(
        180_000, ge=0, description="Records of one daily increment at scale factor 1, over the catalogs delivering that day."
    )
    base_hit_rate: float = Field(
        0.176, gt=0, lt=1, description="Share of randomly inspected entities found in violation (the mean planted propensity)."
    )
    cluster_entities_sf1: int = Field(
        300, ge=0, description="Entities in registration clusters (5-20 at one address within days) at scale factor 1."
    )
    chunk_rows: int = Field(200_000, ge=1000, description="Records per generated chunk and landing file; bounds memory.")
    missing_rate: float = Field(0.002, ge=0, le=0.2, description="Share of records with one required value left empty.")
    bad_check_digit_rate: float = Field(
        0.001, ge=0, le=0.2, description="Share of records with a USCC or ID number whose check digit is wrong."
    )
    date_format_rate: float = Field(
        0.002,
        ge=0,
        le=0.2,
        description="Share of records with a date in another spelling (2024/05/01, 20240501, 2024年5月1日, 2024.05.01).",
    )
    full_width_rate: float = Field(0.001, ge=0, le=0.2, description="Share of records with full-width digits in one value.")
    whitespace_rate: float = Field(
        0.002, ge=0, le=0.2, description="Share of records with stray spaces, tabs or ideographic spaces around one value."
    )
    duplicate_rate: float = Field(0.001, ge=0, le=0.2, description="Share of records delivered twice in the same file.")
    late_correction_rate: float = Field(
        0.05, ge=0, le=1, description="Chance that a catalog's daily increment re-sends earlier records with a corrected value."
    )
    file_faults: bool = Field(
        True, description="Plant the file-level faults: a column added in a later batch, a GBK file with an invalid byte, a truncated file."
    )


class SilverConfig(Section):
    data_docs_catalogs: list[str] = Field(
        default_factory=lambda: ["SCJG-001"],
        description="Catalogs whose batches are also validated by Great Expectations suites generated from the standards, with Data Docs HTML (empty: none).",
    )
    data_docs_root: str = Field(
        "./quality", description="Great Expectations project folder; Data Docs under gx/uncommitted/data_docs/local_site/."
    )
    driver_max_rows: int = Field(
        100_000_000,
        ge=0,
        description="An area's batch of up to this many bronze rows is standardised and merged by the driver with pyarrow (no Spark jobs, the same outputs; on one machine faster than Spark at every size measured), in parts of up to driver_part_rows; larger batches run on Spark. On a cluster use ~100k, so history batches use the executors. 0: always Spark.",
    )
    driver_part_rows: int = Field(
        1_000_000,
        ge=1,
        description="The driver takes an area's batch in parts of whole catalogs of up to this many bronze rows, one at a time (~2 KB of driver memory per row per area thread); a catalog of more rows is read in slices of this size, each standardised and spilled to an Arrow file in the temporary folder (TMPDIR), and deduplicated over the key columns of all slices.",
    )
    parallel_areas: int = Field(
        4,
        ge=1,
        le=64,
        description="Subject areas of a batch standardised at once (Spark jobs from as many driver threads): a daily batch is many small jobs whose latency overlaps; 1 runs them one after another.",
    )


class GoldConfig(Section):
    cutoff_date: dt.date | None = Field(
        None, description="Date the entity profile is computed as of; default: the latest batch date in bronze."
    )


class SearchDimension(Section):
    kind: Literal["uniform", "loguniform", "quniform", "choice"] = Field(..., description="hyperopt distribution.")
    low: float | None = None
    high: float | None = None
    q: float | None = Field(None, description="Step of quniform.")
    options: list[Any] | None = Field(None, description="Values of choice.")

    @model_validator(mode="after")
    def _bounds(self):
        if self.kind == "choice":
            if not self.options:
                raise ValueError("a 'choice' dimension needs a non-empty 'options' list")
        elif self.low is None or self.high is None or self.low >= self.high:
            raise ValueError(f"a '{self.kind}' dimension needs low < high")
        elif self.kind == "loguniform" and self.low <= 0:
            raise ValueError("a 'loguniform' dimension needs low > 0 (the bounds are values, not logs)")
        elif self.kind == "quniform" and not self.q:
            raise ValueError("a 'quniform' dimension needs a step 'q'")
        return self


class TuningConfig(Section):
    max_evals: int = Field(12, ge=0, description="hyperopt TPE trials (0: no tuning, use risk.params).")
    mode: Literal["driver", "spark_trials"] = Field(
        "driver",
        description="driver: Trials on the driver, one (barrier) training per trial; spark_trials: SparkTrials, parallel single-node trials on a sample.",
    )
    parallelism: int = Field(2, ge=1, description="Concurrent trials with spark_trials.")
    sample_rows: int = Field(200_000, ge=1000, description="Rows sampled for spark_trials.")
    early_stopping_rounds: int = Field(20, ge=0, description="Boosting rounds without validation improvement before a trial stops.")
    search_space: dict[str, SearchDimension] = Field(default_factory=dict, description="LightGBMClassifier parameter → distribution.")


class MlflowConfig(Section):
    tracking_uri: str = Field("sqlite:///./mlruns/mlflow.db", description="MLflow tracking store (embedded default: a SQLite file).")
    artifact_location: str = Field("./mlruns/artifacts", description="Where the experiment's artifacts go (a folder or object-store URI).")
    experiment: str = Field("regulake-risk", description="Experiment name.")
    model_name: str = Field("regulake-risk", description="Registered model name; the alias 'champion' marks the serving version.")


class RiskConfig(Section):
    train_cutoffs: list[dt.date] = Field(
        default_factory=lambda: [dt.date(2023, 1, 1), dt.date(2024, 1, 1), dt.date(2025, 1, 1)],
        description="Cutoffs whose factors and following-window labels make the training set.",
    )
    label_window_days: int = Field(365, ge=1, description="Labels: inspections dated in (cutoff, cutoff + window].")
    refresh_train_factors: bool = Field(
        False,
        description="Recompute the factors of training cutoffs already in gold.factors (after late corrections to old records or a new factor set); the score date's factors are always recomputed.",
    )
    closed_loop: bool = Field(
        True,
        description="Also train with a cutoff at the score date of every drawn plan (audit.plan_draws): the plan's random share, delivered back through bronze and silver, labels the entities as they were scored.",
    )
    label_source: Literal["random", "all"] = Field(
        "random", description="random: double-random inspections only (unbiased); all: every inspection (biased, for comparison)."
    )
    score_cutoff: dt.date | None = Field(
        None, description="Date scores are computed as of; default gold.cutoff_date, else the latest batch date."
    )
    selected_factors: int = Field(12, ge=1, description="Factors kept by selection.")
    selection_sample_rows: int = Field(200_000, ge=100, description="Rows sampled for selection.")
    correlation_threshold: float = Field(
        0.85, gt=0, le=1, description="Of two factors correlated above this (|Spearman|), the less important is dropped."
    )
    stability_folds: int = Field(5, ge=2, description="Folds over which a factor's importance rank must be stable.")
    test_share: float = Field(0.1, gt=0, lt=0.5, description="Held-out share of the stratified seeded split (the case: 90/10).")
    seed: int = 42
    engine: Literal["auto", "local", "spark", "synapseml"] = Field("auto", description="LightGBM engine (see ml.estimator.classifier).")
    num_tasks: int = Field(0, ge=0, description="Barrier tasks for engine spark (0: every slot).")
    local_max_rows: int = Field(500_000, ge=1, description="engine auto trains in the driver up to this many rows.")
    timeout_seconds: float = Field(1800, gt=0, description="Driver-side limit of one distributed training.")
    params: dict[str, Any] = Field(
        default_factory=dict, description="LightGBMClassifier parameters (numIterations, learningRate, numLeaves, ...)."
    )
    tuning: TuningConfig = Field(default_factory=TuningConfig)
    mlflow: MlflowConfig = Field(default_factory=MlflowConfig)
    class_thresholds: list[float] = Field(
        default_factory=lambda: [0.1, 0.2, 0.4], description="Probability bounds of risk classes A|B|C|D (A lowest)."
    )
    reasons: int = Field(3, ge=1, le=10, description="Reason codes per score (largest SHAP contributions).")
    top_share: float = Field(
        0.032, gt=0, lt=1, description="Share ranked highest for the top-k hit rate (the case: ≈29k targeted of ≈900k entities)."
    )
    reports_root: str = Field("./reports", description="Where selection and evaluation reports (HTML, PNG, JSON) go.")

    @field_validator("class_thresholds")
    @classmethod
    def _increasing(cls, v: list[float]) -> list[float]:
        if len(v) != 3 or not all(0 < a < b < 1 for a, b in zip(v, v[1:])) or not 0 < v[0]:
            raise ValueError("class_thresholds needs three increasing probabilities between 0 and 1, e.g. [0.1, 0.2, 0.4]")
        return v

    @field_validator("params")
    @classmethod
    def _known_params(cls, v: dict[str, Any]) -> dict[str, Any]:
        from lakehouse.config.lightgbm import check_params

        return check_params(v)


class PrivacyConfig(Section):
    hmac_key: str | None = Field(None, description="Key of the HMAC that hashes personal data; prefer hmac_key_env outside a laptop.")
    hmac_key_env: str = Field("REGULAKE_HMAC_KEY", description="Environment variable holding the HMAC key when hmac_key is not set.")


class RunsConfig(Section):
    root: str = Field("./runs", description="Where job run records (JSON) are written.")


class RegulakeConfig(Section):
    env: str = "local"
    warehouse: WarehouseConfig = Field(default_factory=WarehouseConfig)
    spark: SparkConfig = Field(default_factory=SparkConfig)
    tables: TablesConfig = Field(default_factory=TablesConfig)
    landing: LandingConfig = Field(default_factory=LandingConfig)
    runs: RunsConfig = Field(default_factory=RunsConfig)
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig)
    bronze: BronzeConfig = Field(default_factory=BronzeConfig)
    silver: SilverConfig = Field(default_factory=SilverConfig)
    gold: GoldConfig = Field(default_factory=GoldConfig)
    simulator: SimulatorConfig = Field(default_factory=SimulatorConfig)
    risk: RiskConfig = Field(default_factory=RiskConfig)
    serving: ServingSettings = Field(default_factory=ServingSettings)
    complaints: ComplaintsSettings = Field(default_factory=ComplaintsSettings)
    clusters: ClustersSettings = Field(default_factory=ClustersSettings)
    plans: PlansSettings = Field(default_factory=PlansSettings)


# ---------------------------------------------------------------------------
# loading


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections, got {type(data).__name__}")
    return data


def _merge(dst: dict, src: dict, source: str, origins: dict[str, str], prefix: str = "") -> None:
    for key, value in src.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and isinstance(dst.get(key), dict):
            _merge(dst[key], value, source, origins, dotted + ".")
        else:
            dst[key] = value
        origins[dotted] = source


def _env_overrides(environ: dict[str, str]) -> list[tuple[str, str, Any]]:
    out = []
    for name, raw in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX):
            continue
        parts = [p.lower() for p in name[len(ENV_PREFIX) :].split("__") if p]
        if not parts:
            continue
        try:
            value = yaml.safe_load(raw) if raw != "" else ""
        except yaml.YAMLError:
            value = raw
        out.append((name, ".".join(parts), value))
    return out


def _describe_error(err: dict, origins: dict[str, str], model: type[BaseModel]) -> str:
    loc = [str(p) for p in err["loc"]]
    dotted = ".".join(loc)
    source = None
    for i in range(len(loc), 0, -1):
        source = origins.get(".".join(loc[:i]))
        if source:
            break
    where = f"{source}: " if source else ""
    if err["type"] == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1])
        return f"{where}unknown key '{dotted}'; allowed keys here: {', '.join(allowed)}"
    value = err.get("input")
    return f"{where}'{dotted}' = {value!r}: {err['msg']}"


def _allowed_keys(model: type[BaseModel], path: list[str]) -> list[str]:
    current: Any = model
    for part in path:
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        current = field.annotation
    return sorted(getattr(current, "model_fields", {}).keys())


def load_config(
    env: str | None = None,
    conf_dir: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
) -> RegulakeConfig:
    """Load and validate the configuration of one environment.

    ``overrides`` maps dotted keys to values (``{"spark.master": "local[2]"}``) and wins
    over everything else; tests use it.
    """
    environ = dict(os.environ if environ is None else environ)
    env = env or environ.get("REGULAKE_ENV") or "local"
    conf_dir = Path(conf_dir) if conf_dir else default_conf_dir()
    base = conf_dir / "base.yaml"
    if not base.exists():
        raise ConfigError(f"{base} not found; run from the project folder or set REGULAKE_CONF_DIR to the folder holding base.yaml")
    env_file = conf_dir / f"{env}.yaml"
    if not env_file.exists():
        choices = sorted(p.stem for p in conf_dir.glob("*.yaml") if p.stem != "base")
        raise ConfigError(f"no configuration for environment '{env}': {env_file} not found; choose one of: {', '.join(choices)}")

    data: dict[str, Any] = {}
    origins: dict[str, str] = {}
    _merge(data, _read_yaml(base), str(base), origins)
    _merge(data, _read_yaml(env_file), str(env_file), origins)
    for name, dotted, value in _env_overrides(environ):
        _merge(data, _nest(dotted, value), f"environment variable {name}", origins)
    for dotted, value in (overrides or {}).items():
        _merge(data, _nest(dotted, value), f"override {dotted}", origins)
    data["env"] = env

    try:
        cfg = RegulakeConfig.model_validate(data)
    except ValidationError as exc:
        lines = [_describe_error(e, origins, RegulakeConfig) for e in exc.errors()]
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines)) from None
    _refuse_demo_key(cfg, conf_dir, environ)
    return _resolve_paths(cfg)


DEMO_ENVS = ("local", "test")


def _refuse_demo_key(cfg: RegulakeConfig, conf_dir: Path, environ: dict[str, str]) -> None:
    """Outside the laptop environments, the HMAC key of personal data must not be one of the keys
    committed in conf/local.yaml or conf/test.yaml: everyone holding the repository knows those."""
    if cfg.env in DEMO_ENVS:
        return
    demo = {}
    for env in DEMO_ENVS:
        path = conf_dir / f"{env}.yaml"
        key = ((_read_yaml(path).get("privacy") or {}).get("hmac_key")) if path.exists() else None
        if key:
            demo[str(key)] = path.name
    key = cfg.privacy.hmac_key or environ.get(cfg.privacy.hmac_key_env)
    if key in demo:
        raise ConfigError(
            f"environment '{cfg.env}' uses the demo HMAC key of conf/{demo[key]}, which is public; "
            f"set a secret of its own in the environment variable {cfg.privacy.hmac_key_env} "
            f"(e.g. export {cfg.privacy.hmac_key_env}=$(python -c 'import secrets; print(secrets.token_urlsafe(32))')) "
            f"and leave privacy.hmac_key out of conf/{cfg.env}.yaml"
        )


def _nest(dotted: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    cur = out
    parts = dotted.split(".")
    for p in parts[:-1]:
        cur = cur.setdefault(p, {})
    cur[parts[-1]] = value
    return out


def is_local_uri(uri: str) -> bool:
    return "://" not in uri or uri.startswith("file://")


def _abs(path: str) -> str:
    if not is_local_uri(path):
        return path
    if path.startswith("file://"):
        path = path[len("file://") :]
    return str(Path(path).expanduser().resolve())


def _abs_sqlite(uri: str) -> str:
    """``sqlite:///relative/file.db`` with its file made absolute (``sqlite:////abs/file.db``); other URIs as given."""
    prefix = "sqlite:///"
    if not uri.startswith(prefix) or uri.startswith(prefix + "/"):
        return uri
    return prefix + _abs(uri[len(prefix) :])


def _resolve_paths(cfg: RegulakeConfig) -> RegulakeConfig:
    """Relative local paths are taken from the current directory, made absolute once."""
    cfg.warehouse.root = _abs(cfg.warehouse.root)
    cfg.landing.root = _abs(cfg.landing.root)
    cfg.landing.answer_key_root = _abs(cfg.landing.answer_key_root)
    cfg.runs.root = _abs(cfg.runs.root)
    cfg.silver.data_docs_root = _abs(cfg.silver.data_docs_root)
    if cfg.spark.local_dir:
        cfg.spark.local_dir = _abs(cfg.spark.local_dir)
    cfg.risk.reports_root = _abs(cfg.risk.reports_root)
    cfg.risk.mlflow.artifact_location = _abs(cfg.risk.mlflow.artifact_location)
    cfg.risk.mlflow.tracking_uri = _abs_sqlite(cfg.risk.mlflow.tracking_uri)
    cfg.complaints.jieba_cache_dir = _abs(cfg.complaints.jieba_cache_dir)
    cfg.complaints.wordcloud.root = _abs(cfg.complaints.wordcloud.root)
    cfg.complaints.userdict_paths = [_abs(p) for p in cfg.complaints.userdict_paths]
    cfg.complaints.stopword_paths = [_abs(p) for p in cfg.complaints.stopword_paths]
    cfg.plans.reports_root = _abs(cfg.plans.reports_root)
    cfg.plans.randomness.secrets_dir = _abs(cfg.plans.randomness.secrets_dir)
    if cfg.plans.randomness.published_file:
        cfg.plans.randomness.published_file = _abs(cfg.plans.randomness.published_file)
    if cfg.plans.plans_dir:
        cfg.plans.plans_dir = _abs(cfg.plans.plans_dir)
    return cfg

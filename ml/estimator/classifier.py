"""A pyspark.ml Estimator/Model pair for LightGBM binary classification.

Parameter names follow SynapseML's ``LightGBMClassifier`` so code moves between the two::

    >>> clf = LightGBMClassifier(featuresCol="features", labelCol="label", numIterations=200,
    ...                          learningRate=0.05, numLeaves=31, engine="spark", numTasks=2)  # doctest: +SKIP
    >>> model = clf.fit(train)                         # doctest: +SKIP
    >>> model.transform(test).select("probability")    # doctest: +SKIP
    >>> model.booster                                  # the lightgbm.Booster

Engines:

* ``local``: collect the rows to the driver and train in one process (tests, small data);
* ``spark``: LightGBM's data-parallel learner in one Spark barrier stage (:mod:`ml.estimator.barrier`);
* ``synapseml``: SynapseML's trainer, only when its JVM classes are on the classpath;
* ``auto`` (default): ``local`` up to ``localMaxRows`` rows, else ``spark``.

``featuresCol`` may be a Spark ML vector or an array of doubles; missing values are NaN.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import TYPE_CHECKING, Any

import numpy as np
from pyspark import keyword_only
from pyspark.ml import Estimator, Model
from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.ml.param.shared import (
    HasFeaturesCol,
    HasLabelCol,
    HasPredictionCol,
    HasProbabilityCol,
    HasRawPredictionCol,
    HasSeed,
    HasValidationIndicatorCol,
    HasWeightCol,
)

from ml.estimator import barrier
from ml.estimator.barrier import TrainingError

if TYPE_CHECKING:
    import lightgbm as lgb
    from pyspark.sql import DataFrame

log = logging.getLogger(__name__)
ENGINES = ("auto", "local", "spark", "synapseml")
SYNAPSEML_CLASS = "com.microsoft.azure.synapse.ml.lightgbm.LightGBMClassifier"
SYNAPSEML_COORDINATES = "com.microsoft.azure:synapseml_2.13:1.1.3-spark4.1"
_FEATURES = "__lgbm_features"


class _LightGBMParams(
    HasFeaturesCol,
    HasLabelCol,
    HasWeightCol,
    HasValidationIndicatorCol,
    HasPredictionCol,
    HasProbabilityCol,
    HasRawPredictionCol,
    HasSeed,
):
    numIterations = Param(Params._dummy(), "numIterations", "number of boosting rounds", TypeConverters.toInt)
    learningRate = Param(Params._dummy(), "learningRate", "shrinkage rate", TypeConverters.toFloat)
    numLeaves = Param(Params._dummy(), "numLeaves", "maximum leaves per tree", TypeConverters.toInt)
    maxDepth = Param(Params._dummy(), "maxDepth", "maximum tree depth (-1: none)", TypeConverters.toInt)
    minDataInLeaf = Param(Params._dummy(), "minDataInLeaf", "minimum rows in a leaf", TypeConverters.toInt)
    minSumHessianInLeaf = Param(Params._dummy(), "minSumHessianInLeaf", "minimum hessian sum in a leaf", TypeConverters.toFloat)
    featureFraction = Param(Params._dummy(), "featureFraction", "share of features per tree", TypeConverters.toFloat)
    baggingFraction = Param(Params._dummy(), "baggingFraction", "share of rows per bagging round", TypeConverters.toFloat)
    baggingFreq = Param(Params._dummy(), "baggingFreq", "bagging every k rounds (0: off)", TypeConverters.toInt)
    lambdaL1 = Param(Params._dummy(), "lambdaL1", "L1 regularisation", TypeConverters.toFloat)
    lambdaL2 = Param(Params._dummy(), "lambdaL2", "L2 regularisation", TypeConverters.toFloat)
    maxBin = Param(Params._dummy(), "maxBin", "maximum histogram bins per feature", TypeConverters.toInt)
    isUnbalance = Param(Params._dummy(), "isUnbalance", "reweight the classes", TypeConverters.toBoolean)
    earlyStoppingRound = Param(
        Params._dummy(),
        "earlyStoppingRound",
        "stop after k rounds without improvement on the validation rows (0: off)",
        TypeConverters.toInt,
    )
    metric = Param(Params._dummy(), "metric", "validation metric for early stopping", TypeConverters.toString)
    numTasks = Param(Params._dummy(), "numTasks", "barrier tasks (0: all slots)", TypeConverters.toInt)
    numThreads = Param(Params._dummy(), "numThreads", "LightGBM threads per task", TypeConverters.toInt)
    engine = Param(Params._dummy(), "engine", f"one of {ENGINES}", TypeConverters.toString)
    localMaxRows = Param(Params._dummy(), "localMaxRows", "engine=auto trains locally up to this many rows", TypeConverters.toInt)
    timeout = Param(Params._dummy(), "timeout", "seconds before the driver cancels distributed training", TypeConverters.toFloat)
    startupTimeout = Param(
        Params._dummy(), "startupTimeout", "seconds a task may take to join the network and finish round 1", TypeConverters.toFloat
    )
    bindRetries = Param(Params._dummy(), "bindRetries", "retries of the barrier stage after a port bind failure", TypeConverters.toInt)
    verbosity = Param(Params._dummy(), "verbosity", "LightGBM verbosity", TypeConverters.toInt)
    featuresShapCol = Param(
        Params._dummy(), "featuresShapCol", "output column of SHAP contributions (last element: base value)", TypeConverters.toString
    )
    featureNames = Param(Params._dummy(), "featureNames", "names of the vector's elements", TypeConverters.toListString)
    categoricalSlotIndexes = Param(
        Params._dummy(), "categoricalSlotIndexes", "positions of categorical features in the vector", TypeConverters.toListInt
    )

    def __init__(self, *args):
        super().__init__(*args)
        self._setDefault(
            numIterations=100,
            learningRate=0.1,
            numLeaves=31,
            maxDepth=-1,
            minDataInLeaf=20,
            minSumHessianInLeaf=1e-3,
            featureFraction=1.0,
            baggingFraction=1.0,
            baggingFreq=0,
            lambdaL1=0.0,
            lambdaL2=0.0,
            maxBin=255,
            isUnbalance=False,
            earlyStoppingRound=0,
            metric="auc",
            numTasks=0,
            numThreads=1,
            engine="auto",
            localMaxRows=500_000,
            timeout=1800.0,
            startupTimeout=120.0,
            bindRetries=2,
            verbosity=-1,
            seed=42,
            featuresShapCol="",
            featureNames=[],
            categoricalSlotIndexes=[],
        )

    def lightgbm_params(self) -> dict[str, Any]:
        """The LightGBM parameter dict these Spark params stand for."""
        g = self.getOrDefault
        return {
            "objective": "binary",
            "learning_rate": g(self.learningRate),
            "num_leaves": g(self.numLeaves),
            "max_depth": g(self.maxDepth),
            "min_data_in_leaf": g(self.minDataInLeaf),
            "min_sum_hessian_in_leaf": g(self.minSumHessianInLeaf),
            "feature_fraction": g(self.featureFraction),
            "bagging_fraction": g(self.baggingFraction),
            "bagging_freq": g(self.baggingFreq),
            "lambda_l1": g(self.lambdaL1),
            "lambda_l2": g(self.lambdaL2),
            "max_bin": g(self.maxBin),
            "is_unbalance": g(self.isUnbalance),
            "metric": g(self.metric),
            "num_threads": g(self.numThreads),
            "seed": g(self.seed),
            "deterministic": True,
            "verbosity": g(self.verbosity),
            **({"categorical_feature": ",".join(map(str, g(self.categoricalSlotIndexes)))} if g(self.categoricalSlotIndexes) else {}),
        }


class LightGBMClassifier(Estimator, _LightGBMParams):
    """Binary LightGBM on Spark; see the module docstring."""

    @keyword_only
    def __init__(self, **kwargs):
        super().__init__()
        self._set(**self._input_kwargs)

    @keyword_only
    def setParams(self, **kwargs):
        return self._set(**self._input_kwargs)

    # -- checks -------------------------------------------------------------------------------
    def _validated(self, df: DataFrame) -> tuple[DataFrame, int]:
        """The training columns (features as array<double>), after checking the input."""
        from pyspark.ml.functions import vector_to_array
        from pyspark.ml.linalg import VectorUDT
        from pyspark.sql import functions as F
        from pyspark.sql.types import ArrayType

        feat, label = self.getFeaturesCol(), self.getLabelCol()
        weight = self.getOrDefault(self.weightCol) if self.isDefined(self.weightCol) and self.getOrDefault(self.weightCol) else None
        valid = self._valid_col()
        need = [c for c in (feat, label, weight, valid) if c]
        missing = [c for c in need if c not in df.columns]
        if missing:
            raise TrainingError(f"training data lacks column(s) {missing}; it has {df.columns}")
        ftype = df.schema[feat].dataType
        if isinstance(ftype, VectorUDT):
            fcol = vector_to_array(F.col(feat), "float64")
        elif isinstance(ftype, ArrayType):
            fcol = F.col(feat).cast("array<double>")
        else:
            raise TrainingError(f"featuresCol '{feat}' must be a vector or an array of numbers, not {ftype.simpleString()}")
        cols = [fcol.alias(_FEATURES), F.col(label).cast("double").alias(label)]
        if weight:
            cols.append(F.col(weight).cast("double").alias(weight))
        if valid:
            cols.append(F.col(valid).cast("boolean").alias(valid))
        out = df.select(*cols)
        train = out.where(~F.col(valid)) if valid else out
        stats = train.agg(
            F.count(F.lit(1)).alias("n"),
            F.count(F.when(F.col(label).isNull(), 1)).alias("null_labels"),
            F.count(F.when(F.col(label).isNotNull() & ~F.col(label).isin(0.0, 1.0), 1)).alias("bad_labels"),
            F.sum(F.when(F.col(label) == 1.0, 1).otherwise(0)).alias("pos"),
        ).first()
        if stats["n"] == 0:
            raise TrainingError("the training data has no rows")
        if stats["null_labels"]:
            raise TrainingError(
                f"labelCol '{label}' is null in {stats['null_labels']} of {stats['n']} rows; drop or fill them before training"
            )
        if stats["bad_labels"]:
            raise TrainingError(f"labelCol '{label}' must be 0 or 1; {stats['bad_labels']} rows hold other values")
        if stats["pos"] in (0, stats["n"]):
            only = 1 if stats["pos"] else 0
            raise TrainingError(f"labelCol '{label}' has a single class ({only} in all {stats['n']} rows); a classifier needs both 0 and 1")
        return out, int(stats["n"])

    def _valid_col(self) -> str | None:
        if self.isDefined(self.validationIndicatorCol) and self.getOrDefault(self.validationIndicatorCol):
            return self.getOrDefault(self.validationIndicatorCol)
        return None

    def _engine(self, spark, rows: int) -> str:
        engine = self.getOrDefault(self.engine)
        if engine not in ENGINES:
            raise TrainingError(f"engine '{engine}' is unknown; use one of {ENGINES}")
        if engine == "synapseml" and not synapseml_available(spark):
            raise TrainingError(
                f"engine 'synapseml' needs SynapseML's JVM classes ({SYNAPSEML_CLASS}) on the Spark classpath, and Maven "
                f"Central serves no SynapseML build for Spark 4 / Scala 2.13 (asked 2026-12-03: {SYNAPSEML_COORDINATES} "
                "'Could not find artifact ... in central'; see docs/risk.md); use engine 'spark' (LightGBM in a barrier stage)"
            )
        if engine == "auto":
            return "local" if rows <= self.getOrDefault(self.localMaxRows) else "spark"
        return engine

    # -- fit ----------------------------------------------------------------------------------
    def _fit(self, df: DataFrame) -> LightGBMClassificationModel:
        data, rows = self._validated(df)
        engine = self._engine(df.sparkSession, rows)
        started = time.monotonic()
        if engine == "local":
            model_str, best, info = self._fit_local(data)
        elif engine == "spark":
            model_str, best, info = self._fit_spark(data)
        else:
            model_str, best, info = self._fit_synapseml(df)
        model = LightGBMClassificationModel.from_string(model_str)
        self._copyValues(model)
        model.training_info = {"engine": engine, "rows": rows, "seconds": time.monotonic() - started, "best_iteration": best, **info}
        return model

    def _split(self, data: DataFrame):
        valid = self._valid_col()
        if not valid:
            return data, None
        from pyspark.sql import functions as F

        return data.where(~F.col(valid)), data.where(F.col(valid))

    def _arrays(self, table) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        weight = self.getOrDefault(self.weightCol) if self.isDefined(self.weightCol) and self.getOrDefault(self.weightCol) else None
        return barrier.matrix(table, _FEATURES), barrier.column(table, self.getLabelCol()), barrier.column(table, weight)

    def _fit_local(self, data: DataFrame) -> tuple[str, int, dict]:
        import lightgbm as lgb

        train, valid = self._split(data)
        X, y, w = self._arrays(train.toArrow())
        ds = lgb.Dataset(X, y, weight=w, free_raw_data=True)
        valid_sets, callbacks = [], []
        if valid is not None:
            Xv, yv, wv = self._arrays(valid.toArrow())
            if len(yv):
                valid_sets = [lgb.Dataset(Xv, yv, weight=wv, reference=ds)]
                if self.getOrDefault(self.earlyStoppingRound):
                    callbacks.append(lgb.early_stopping(self.getOrDefault(self.earlyStoppingRound), verbose=False))
        booster = lgb.train(
            self.lightgbm_params(), ds, num_boost_round=self.getOrDefault(self.numIterations), valid_sets=valid_sets, callbacks=callbacks
        )
        return booster.model_to_string(), int(booster.best_iteration or 0), {"tasks": 1}

    def _fit_spark(self, data: DataFrame, fault: str | None = None) -> tuple[str, int, dict]:
        spark = data.sparkSession
        train, valid = self._split(data)
        bc = None
        if valid is not None:
            arrays = self._arrays(valid.toArrow())
            bc = spark.sparkContext.broadcast(arrays) if len(arrays[1]) else None
        tasks = self.getOrDefault(self.numTasks) or barrier.available_slots(spark)
        weight = self.getOrDefault(self.weightCol) if self.isDefined(self.weightCol) and self.getOrDefault(self.weightCol) else None
        spec = barrier.BarrierSpec(
            features=_FEATURES,
            label=self.getLabelCol(),
            weight=weight,
            params=self.lightgbm_params(),
            num_rounds=self.getOrDefault(self.numIterations),
            startup_timeout=self.getOrDefault(self.startupTimeout),
            valid=bc,
            early_stopping=self.getOrDefault(self.earlyStoppingRound) if bc is not None else 0,
            fault=fault,
        )
        try:
            res = barrier.run(train, spec, tasks, timeout=self.getOrDefault(self.timeout), retries=self.getOrDefault(self.bindRetries))
        finally:
            if bc is not None:
                bc.unpersist()
        return res.model, res.best_iteration, {"tasks": tasks, "rows_per_task": res.rows_per_rank, "attempts": res.attempts}

    def _fit_synapseml(self, df: DataFrame) -> tuple[str, int, dict]:  # pragma: no cover - needs SynapseML's jar
        from synapse.ml.lightgbm import LightGBMClassifier as SynapseClassifier  # type: ignore[import-not-found]

        names = [
            "featuresCol",
            "labelCol",
            "numIterations",
            "learningRate",
            "numLeaves",
            "maxDepth",
            "minDataInLeaf",
            "featureFraction",
            "baggingFraction",
            "baggingFreq",
            "lambdaL1",
            "lambdaL2",
            "maxBin",
            "isUnbalance",
            "earlyStoppingRound",
            "metric",
            "numThreads",
            "seed",
            "categoricalSlotIndexes",
        ]
        kwargs = {n: self.getOrDefault(getattr(self, n)) for n in names}
        m = SynapseClassifier(**kwargs).fit(df)
        return m.getNativeModel(), 0, {"tasks": None}


class LightGBMClassificationModel(Model, _LightGBMParams):
    """Scores DataFrames in Arrow batches; ``booster`` is the lightgbm.Booster."""

    def __init__(self, model_str: str | None = None):
        super().__init__()
        self._model_str = model_str
        self._booster = None
        self.training_info: dict[str, Any] = {}

    @classmethod
    def from_string(cls, model_str: str) -> LightGBMClassificationModel:
        return cls(model_str)

    @classmethod
    def from_booster(cls, booster: lgb.Booster) -> LightGBMClassificationModel:
        return cls(booster.model_to_string())

    @property
    def model_string(self) -> str:
        return self._model_str

    @property
    def booster(self) -> lgb.Booster:
        if self._booster is None:
            import lightgbm as lgb

            self._booster = lgb.Booster(model_str=self._model_str)
        return self._booster

    def getNativeModel(self) -> str:  # SynapseML's name
        return self._model_str

    def getFeatureImportances(self, importance_type: str = "split") -> list[float]:
        return [float(v) for v in self.booster.feature_importance(importance_type=importance_type)]

    def _transform(self, df: DataFrame) -> DataFrame:
        from pyspark.ml.functions import array_to_vector, vector_to_array
        from pyspark.ml.linalg import VectorUDT
        from pyspark.sql import functions as F

        feat = self.getFeaturesCol()
        if feat not in df.columns:
            raise TrainingError(f"cannot score: column '{feat}' is missing; the model needs {self.booster.num_feature()} features in it")
        fcol = (
            vector_to_array(F.col(feat), "float64")
            if isinstance(df.schema[feat].dataType, VectorUDT)
            else F.col(feat).cast("array<double>")
        )
        shap = self.getOrDefault(self.featuresShapCol)
        inp = df.withColumn(_FEATURES, fcol)
        from pyspark.sql.types import ArrayType, DoubleType, StructType

        schema = StructType(list(inp.schema.fields)).add("__lgbm_raw", DoubleType()).add("__lgbm_prob", DoubleType())
        if shap:
            schema = schema.add(shap, ArrayType(DoubleType()))
        scorer = _scorer(self._model_str, _FEATURES, shap or None)
        out = inp.mapInArrow(scorer, schema).drop(_FEATURES)
        raw, prob = F.col("__lgbm_raw"), F.col("__lgbm_prob")
        out = out.withColumn(self.getRawPredictionCol(), array_to_vector(F.array(-raw, raw)))
        out = out.withColumn(self.getProbabilityCol(), array_to_vector(F.array(1 - prob, prob)))
        out = out.withColumn(self.getPredictionCol(), F.when(prob > 0.5, 1.0).otherwise(0.0))
        return out.drop("__lgbm_raw", "__lgbm_prob")

    def predict_arrow(self, table) -> tuple[np.ndarray, np.ndarray]:
        """(raw margin, probability) for an Arrow table/batch with the features column."""
        X = barrier.matrix(table, self.getFeaturesCol())
        raw = self.booster.predict(X, raw_score=True)
        return raw, 1.0 / (1.0 + np.exp(-raw))


_BOOSTERS: dict[str, Any] = {}


def cached_booster(model_str: str, digest: str | None = None):
    """One Booster per model and Python worker (workers are reused across tasks)."""
    import lightgbm as lgb

    key = digest or hashlib.sha256(model_str.encode()).hexdigest()
    b = _BOOSTERS.get(key)
    if b is None:
        _BOOSTERS.clear()
        b = _BOOSTERS[key] = lgb.Booster(model_str=model_str)
    return b


def _scorer(model_str: str, features: str, shap: str | None):
    digest = hashlib.sha256(model_str.encode()).hexdigest()

    def score(batches):
        import pyarrow as pa

        booster = cached_booster(model_str, digest)
        for b in batches:
            if b.num_rows == 0:
                continue
            X = barrier.matrix(b, features)
            raw = booster.predict(X, raw_score=True, num_threads=1)
            cols = {name: b.column(i) for i, name in enumerate(b.schema.names)}
            cols["__lgbm_raw"] = pa.array(raw, pa.float64())
            cols["__lgbm_prob"] = pa.array(1.0 / (1.0 + np.exp(-raw)), pa.float64())
            if shap:
                contrib = booster.predict(X, pred_contrib=True, num_threads=1)
                cols[shap] = barrier.list_array(contrib)
            yield pa.RecordBatch.from_pydict(cols)

    return score


def synapseml_available(spark) -> bool:
    try:
        spark.sparkContext._jvm.java.lang.Class.forName(SYNAPSEML_CLASS)
        return True
    except Exception:  # noqa: BLE001 - py4j wraps ClassNotFoundException
        return False

"""The risk model end to end on a tiny simulated city: factors → labels → selection → training → MLflow → scores."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from simulator.simulate import Settings, simulate

CODES = ["SCJG-001", "SCJG-002", "SCJG-003", "SCJG-004", "SCJG-005", "SCJG-006", "SCJG-007", "SCJG-008", "SCJG-009", "SWJ-001", "SBJ-001"]


@pytest.fixture(scope="module")
def risk_city(spark, tmp_path_factory, test_config):
    """A city of ~1,800 entities through bronze and silver; a warehouse and MLflow store of its own."""
    from catalog import load_catalog
    from lakehouse.bronze.ingest import ingest_all
    from lakehouse.privacy import hmac_key
    from lakehouse.silver.process import process
    from lakehouse.tables import Tables

    root = tmp_path_factory.mktemp("risk")
    landing, key = root / "landing", root / "answer_key"
    settings = Settings.from_config(test_config.simulator, 0.002, 1, 5, landing, key)
    settings.file_faults = False
    simulate(0.002, 1, 5, landing, key, settings=settings, catalogs=CODES)
    cfg = test_config.model_copy(deep=True)
    cfg.warehouse.root = str(root / "warehouse")
    cfg.landing.root, cfg.landing.answer_key_root = str(landing), str(key)
    cfg.runs.root = str(root / "runs")
    cfg.risk.mlflow.tracking_uri = f"sqlite:///{root / 'mlflow.db'}"
    cfg.risk.mlflow.artifact_location = str(root / "artifacts")
    cfg.risk.reports_root = str(root / "reports")
    tables = Tables.from_config(cfg, spark)
    registry = load_catalog()
    ingest_all(spark, tables, str(landing), registry.catalogs)
    process(spark, tables, registry, hmac_key(cfg))
    return cfg, tables, key


@pytest.mark.slow
def test_factors_labels_training_registry_and_scores(spark, risk_city):
    import mlflow
    import pandas as pd
    from pyspark.sql import functions as F

    from jobs import factors as factors_job
    from jobs import score as score_job
    from jobs import train as train_job
    from ml import labels
    from ml.factors import FACTOR_CATALOG, FACTORS
    from ml.scoring import SCORES
    from ml.tracking import Tracker

    cfg, tables, key = risk_city
    dates = factors_job.run(cfg, spark)
    score_date = dates[-1]
    assert set(cfg.risk.train_cutoffs) <= set(dates)

    # ~1,000+ candidate factors, each described in Chinese
    fac = tables.read(FACTORS, filters=[("as_of", "=", dt.date(2025, 1, 1))])
    catalog = tables.read(FACTOR_CATALOG).toPandas()
    assert len(catalog) >= 1000 and catalog["description_zh"].str.len().min() > 0
    assert set(catalog["factor"]) <= set(fac.columns)

    # point in time: nobody established after the cutoff, nothing dated after it counted
    entities = pd.read_parquet(key / "entities.parquet")
    born = set(entities.loc[pd.to_datetime(entities["establishment_date"]) <= pd.Timestamp("2025-01-01"), "uscc"])
    fac_uscc = {r.uscc for r in fac.select("uscc").collect()}
    assert fac_uscc and fac_uscc <= born
    insp = tables.read("silver.inspections", filters=[("catalog", "=", "SCJG-005")])
    before = insp.where(F.col("inspection_date") <= F.lit(dt.date(2025, 1, 1))).groupBy("uscc").count()
    merged = fac.select("uscc", "hist_inspections").join(before, "uscc", "left").fillna(0, subset=["count"])
    assert merged.where(F.col("hist_inspections") != F.col("count")).count() == 0

    # labels: double-random inspections in the year after the cutoff only
    lab = labels.build(tables, dt.date(2025, 1, 1), 365, "random").toPandas()
    window = insp.where(
        (F.col("inspection_mode") == "1")
        & (F.col("inspection_date") > F.lit(dt.date(2025, 1, 1)))
        & (F.col("inspection_date") <= F.lit(dt.date(2026, 1, 1)))
    ).toPandas()
    assert set(lab["uscc"]) == set(window["uscc"])
    hits = window.groupby("uscc")["inspection_result"].apply(lambda s: int((s != "1").any()))
    assert (lab.set_index("uscc")["label"].sort_index() == hits.sort_index()).all()

    # training: selection, tuning, MLflow run, registered version, champion alias
    res = train_job.run(cfg, spark)[0]
    assert len(res.selected) == cfg.risk.selected_factors
    assert res.promoted and res.version == "1"
    assert res.metrics["rows"] > 0
    assert res.metrics["auc"] > 0.55, f"the model ranks the planted drivers no better than chance: {res.metrics}"
    assert (res.report_dir / "selection.md").exists() and (res.report_dir / "hit_rate_by_share.png").exists()
    tracker = Tracker(cfg.risk.mlflow)
    run = mlflow.get_run(res.run_id)
    assert run.data.metrics["auc"] == pytest.approx(res.metrics["auc"]) and run.data.params["label_source"] == "random"
    # honest metrics: each beside its baseline, in MLflow, the model card and the registered version
    for k in ("auc_low", "balanced_accuracy", "always_0_accuracy", "at_k.hit_rate_low", "brier_base_rate", "answer_key.oracle_ratio"):
        assert k in run.data.metrics, k
    assert run.data.metrics["always_0_accuracy"] == pytest.approx(1 - run.data.metrics["base_rate"])
    card = (res.report_dir / "model_card.md").read_text(encoding="utf-8")
    assert "balanced accuracy" in card and "always 'no violation'" in card and "oracle ratio" in card
    assert tracker.champion().metrics["auc"] == pytest.approx(res.metrics["auc"])
    trials = mlflow.search_runs([tracker.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{res.run_id}'")
    assert len(trials) == cfg.risk.tuning.max_evals
    arts = {a.path for a in tracker.client.list_artifacts(res.run_id, "plots")}
    assert {"plots/roc.png", "plots/pr.png", "plots/calibration.png", "plots/importance.png"} <= arts

    # round trip through the registry: models:/<name>@champion scores like the trained booster
    champion = tracker.require_champion()
    assert champion.factors == res.selected
    pyfunc = mlflow.pyfunc.load_model(f"models:/{cfg.risk.mlflow.model_name}@champion")
    sample = fac.select(*res.selected).limit(20).toPandas().astype(float)
    np.testing.assert_allclose(np.asarray(pyfunc.predict(sample)).ravel(), champion.booster.predict(sample.to_numpy()), rtol=1e-9)

    # scores: one row per entity, classes by threshold, reasons summing to the raw score
    score_job.run(cfg, spark)
    scores = tables.read(SCORES, filters=[("score_date", "=", score_date)]).toPandas()
    n_entities = tables.read(FACTORS, filters=[("as_of", "=", score_date)]).count()
    assert len(scores) == n_entities == scores["uscc"].nunique()
    t = cfg.risk.class_thresholds
    expected = np.select([scores.probability < t[0], scores.probability < t[1], scores.probability < t[2]], ["A", "B", "C"], "D")
    assert (scores.risk_class == expected).all()
    assert (scores["model_version"] == "1").all()
    assert scores["probability"].nunique() > 1, "the model scores every entity alike"
    top = scores.sort_values("probability").iloc[-1]
    assert 1 <= len(top.reasons) <= cfg.risk.reasons
    assert all(r["contribution"] > 0 and r["description_zh"] for r in top.reasons)
    contrib = champion.booster.predict(
        tables.read(FACTORS, filters=[("as_of", "=", score_date)])
        .where(F.col("uscc") == top.uscc)
        .select(*res.selected)
        .toPandas()
        .to_numpy(float),
        pred_contrib=True,
    )[0]
    assert contrib[:-1].sum() + contrib[-1] == pytest.approx(top.raw_score, abs=1e-9)
    assert contrib[-1] == pytest.approx(top.base_value, abs=1e-12)

    # a daily re-run recomputes the score date only; training cutoffs stay as they are unless refreshed
    before = {f.path for f in tables.snapshot(FACTORS).files if f.partition_values.get("as_of", "").startswith("2025-01-01")}
    assert factors_job.run(cfg, spark) == dates
    after = tables.snapshot(FACTORS)
    assert {f.path for f in after.files if f.partition_values.get("as_of", "").startswith("2025-01-01")} == before
    assert tables.read(FACTORS, filters=[("as_of", "=", score_date)]).count() == n_entities

    # re-scoring the date replaces the partition: same rows, no duplicates
    v = tables.version(SCORES)
    score_job.run(cfg, spark)
    again = tables.read(SCORES, filters=[("score_date", "=", score_date)]).toPandas()
    assert tables.version(SCORES) == v + 1 and len(again) == len(scores)

    # a worse candidate does not take the champion alias
    worse = cfg.model_copy(deep=True)
    worse.risk.tuning.max_evals = 0
    worse.risk.params = {"numIterations": 1, "numLeaves": 2, "learningRate": 0.001}
    res2 = train_job.run(worse, spark)[0]
    assert res2.version == "2"
    assert res2.promoted == (res2.metrics["auc"] > res2.champion_auc)
    assert tracker.require_champion().version == ("2" if res2.promoted else "1")


def test_training_refuses_rows_without_labels(spark, tables, test_config):
    from lakehouse.errors import RegulakeError
    from ml import training

    with pytest.raises(RegulakeError, match="gold.factors does not exist"):
        training.labelled_rows(tables, test_config)


@pytest.mark.slow
def test_daily_rescore_of_the_affected_entities(spark, risk_city, tmp_path):
    """The next day: only the entities with new deliveries are re-scored, to the values a full scoring gives."""
    import dataclasses

    from catalog import load_catalog
    from jobs import factors as factors_job
    from jobs import rescore as rescore_job
    from jobs import score as score_job
    from jobs import train as train_job
    from lakehouse.bronze.ingest import ingest_all
    from lakehouse.errors import RegulakeError
    from lakehouse.privacy import hmac_key
    from lakehouse.silver.process import process
    from ml import rescoring
    from ml.scoring import SCORES
    from ml.tracking import Tracker
    from simulator.increment import deliver_new_days

    cfg, tables, key = risk_city
    tracker = Tracker(cfg.risk.mlflow)
    if tracker.champion() is None:  # this test alone
        factors_job.run(cfg, spark)
        train_job.run(cfg, spark)
    champion = tracker.require_champion()
    day1 = factors_job.run(cfg, spark)[-1]
    score_job.run(cfg, spark)
    with pytest.raises(RegulakeError, match="no scores before"):
        rescoring.base_date(tables, day1)

    # the next day's deliveries through bronze and silver
    landing = cfg.landing.root
    settings = Settings.from_config(cfg.simulator, 0.002, 2, 5, tmp_path / "landing", tmp_path / "key")
    settings.file_faults = False
    simulate(0.002, 2, 5, tmp_path / "landing", tmp_path / "key", settings=settings, catalogs=CODES)
    assert deliver_new_days(tmp_path / "landing", Path(landing))
    registry = load_catalog()
    ingest_all(spark, tables, landing, registry.catalogs)
    process(spark, tables, registry, hmac_key(cfg))

    # a new champion cannot carry the old one's scores over
    with pytest.raises(RegulakeError, match="the champion is"):
        rescoring.check_model(tables, day1, dataclasses.replace(champion, version="99"))

    assert rescore_job.run(cfg, spark)
    day2 = rescoring.score_dates(tables)[-1]
    assert day2 > day1
    v = tables.version(SCORES)
    base = tables.read(SCORES, filters=[("score_date", "=", day1)]).toPandas().set_index("uscc")
    inc = tables.read(SCORES, filters=[("score_date", "=", day2)]).toPandas().set_index("uscc")
    assert inc.index.is_unique
    fresh, carried = inc[inc.factors_as_of == day2], inc[inc.factors_as_of == day1]
    assert len(fresh) + len(carried) == len(inc) and len(fresh) and len(carried)
    # the affected: every entity with a silver row delivered after day 1 (and its address / phone mates)
    delivered = rescoring.delivered_entities(tables, registry, day1, day2)
    assert delivered and delivered & set(inc.index) <= set(fresh.index)
    if not set(champion.factors) & set(rescoring.NETWORK_KEYS):
        assert set(fresh.index) <= delivered
    # carried rows are the base's rows unchanged
    pd_cols = ["probability", "risk_class", "raw_score", "model_version"]
    assert (carried[pd_cols] == base.loc[carried.index, pd_cols]).all().all()

    # re-running rebuilds the same partition from the same base
    assert rescore_job.run(cfg, spark)
    again = tables.read(SCORES, filters=[("score_date", "=", day2)]).toPandas().set_index("uscc")
    assert tables.version(SCORES) == v + 1
    assert (again.sort_index()[pd_cols + ["factors_as_of"]] == inc.sort_index()[pd_cols + ["factors_as_of"]]).all().all()

    # a full scoring of day 2 gives the rescored entities exactly the same scores and reasons
    assert factors_job.run(cfg, spark)[-1] == day2
    score_job.run(cfg, spark)
    full = tables.read(SCORES, filters=[("score_date", "=", day2)]).toPandas().set_index("uscc")
    assert (full.factors_as_of == day2).all() and set(fresh.index) <= set(full.index)
    np.testing.assert_allclose(fresh.probability, full.loc[fresh.index, "probability"], rtol=0, atol=1e-12)
    assert [[r["factor"] for r in x] for x in fresh.reasons] == [[r["factor"] for r in x] for x in full.loc[fresh.index, "reasons"]]
    moved = (full.loc[carried.index, "probability"] - carried.probability).abs()
    assert set(full.index) == set(inc.index)  # the same entities either way
    # a full scoring is never replaced by a re-scoring
    v = tables.version(SCORES)
    assert rescore_job.run(cfg, spark) == [] and tables.version(SCORES) == v
    print(f"rescored {len(fresh)}, carried {len(carried)}; carried rows off by up to {moved.max():.3g} in probability")

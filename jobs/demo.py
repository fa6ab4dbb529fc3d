"""Job: the demo — simulate a small city, run every job on it (pipeline, complaints, clusters,
risk model, scores, an inspection plan with its report), say where the results are."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakehouse.config import RegulakeConfig

DEMO_SCALE = 0.002  # ~1,800 entities: a minute on a laptop
DEMO_DAYS = 2
DEMO_SEED = 20240101
DEMO_PLAN = "demo-2026q1"


def run(config: RegulakeConfig, spark: SparkSession, say=print) -> dict:
    from pathlib import Path

    from jobs import bronze, clusters, complaints, factors, gold, plan, score, silver, train
    from lakehouse.tables import Tables
    from simulator.simulate import Settings, simulate

    landing, key = Path(config.landing.root), Path(config.landing.answer_key_root)
    settings = Settings.from_config(config.simulator, DEMO_SCALE, DEMO_DAYS, DEMO_SEED, landing, key)
    sim = simulate(DEMO_SCALE, DEMO_DAYS, DEMO_SEED, landing, key, settings=settings, overwrite=True)
    say(f"simulated {sim['entities']:,} entities and {sim['records']:,} records in {sim['files']:,} files under {landing}")
    results = bronze.run(config, spark)
    say(f"bronze: {len(results)} batch(es) ingested")
    areas = silver.run(config, spark, progress=lambda m: say(f"  {m}"))
    say(f"silver: {len(areas)} subject area batch(es) standardised")
    cutoffs = gold.run(config, spark)
    say(f"gold: entity profile and KPIs as of {cutoffs[0]}")
    step = lambda m: say(f"  {m}")  # noqa: E731
    periods = complaints.run(config, spark, progress=step)
    if periods:
        say(
            f"complaints: hot words, keywords, rising words, co-occurrence, hotspots for {periods[0]} .. {periods[-1]}; "
            f"word clouds under {config.complaints.wordcloud.root}/{periods[-1]}/"
        )
    as_of = clusters.run(config, spark, progress=step)[0]
    say(f"clusters: registration-cluster alerts as of {as_of} in gold.registration_alerts")
    dates = factors.run(config, spark, progress=step)
    say(f"factors: candidate risk factors as of {', '.join(map(str, dates))} in gold.factors")
    trained = train.run(config, spark, progress=step)[0]
    say(
        f"risk model: version {trained.version} registered in {config.risk.mlflow.tracking_uri} "
        f"({'champion' if trained.promoted else 'not promoted'}); reports in {trained.report_dir}"
    )
    score.run(config, spark, progress=step)
    say("scores: gold.risk_scores with risk classes and reasons")
    from lakehouse.config.plans import get_plan

    rs = get_plan(config.plans, DEMO_PLAN).randomness_settings(config.plans)
    if rs.source == "local" and rs.delay_seconds == 0:
        say(
            f"plan {DEMO_PLAN}: randomness in LOCAL mode with a delay of 0 s (conf/plans/{DEMO_PLAN}.yaml) — committed and drawn "
            "at once from the operator's share alone, so the operator could know this draw in advance: a demo of the two phases "
            "only; a real plan uses a drand beacon or published values after a delay of at least a day (docs/plans.md)"
        )
    for result in plan.run(config, spark, progress=step, plan_ids=[DEMO_PLAN]):
        say(
            f"plan {result}: committed, drawn and published; check it with 'regulake plan verify {result}' "
            f"or 'python -m lakehouse.gold.plans.verifier {result} --tables {config.warehouse.root}'"
        )
    say(f"effectiveness report: {config.plans.reports_root}/{DEMO_PLAN}/effectiveness.html")
    tables = Tables.from_config(config, spark)
    summary = {name: tables.describe(name) for name in tables.list()}
    for name, info in summary.items():
        say(f"  {name:28s} version {info['version']:>3}  {info['num_records']:>10,} rows  {info['uri']}")
    say(
        f"run records in {config.runs.root}; quality per batch in silver.quality, rejects with reasons in bronze.rejects and silver.rejects"
    )
    if config.silver.data_docs_catalogs:
        say(f"Great Expectations Data Docs: {config.silver.data_docs_root}/gx/uncommitted/data_docs/local_site/index.html")
    api = config.serving.api
    say(f"dashboard: regulake serve dashboard --session-key  then open http://{api.host}:{api.port}/dashboard (English: ?lang=en)")
    return {"simulation": sim, "tables": summary}

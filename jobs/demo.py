"""Job: the demo — simulate a small city, run the pipeline on it, say where the results are."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakehouse.config import RegulakeConfig

DEMO_SCALE = 0.002   # ~1,800 entities: a minute on a laptop
DEMO_DAYS = 2
DEMO_SEED = 20240101


def run(config: RegulakeConfig, spark: SparkSession, say=print) -> dict:
    from pathlib import Path

    from jobs import bronze, gold, silver
    from lakehouse.landing.simulate import Settings, simulate
    from lakehouse.tables import Tables

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
    tables = Tables.from_config(config, spark)
    summary = {name: tables.describe(name) for name in tables.list()}
    for name, info in summary.items():
        say(f"  {name:28s} version {info['version']:>3}  {info['num_records']:>10,} rows  {info['uri']}")
    say(f"run records in {config.runs.root}; quality per batch in silver.quality, rejects with reasons in bronze.rejects and silver.rejects")
    if config.silver.data_docs_catalogs:
        say(f"Great Expectations Data Docs: {config.silver.data_docs_root}/gx/uncommitted/data_docs/local_site/index.html")
    return {"simulation": sim, "tables": summary}

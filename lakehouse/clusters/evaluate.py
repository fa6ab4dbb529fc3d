"""Recall and precision of the cluster alerts against the simulator's planted clusters.

Evaluation only: it reads the answer key (``clusters.csv``), which the pipeline never does.

* entity level — precision: alerted entities that belong to a planted cluster / alerted
  entities; recall: planted cluster members that were alerted / planted cluster members.
* cluster level — a planted cluster is found when one alert holds at least half of it; an
  alert is right when at least half of its members come from one planted cluster.

Command line (prints JSON)::

    python -m lakehouse.clusters.evaluate --env local                 # gold.registration_alerts vs answer key
    python -m lakehouse.clusters.evaluate --simulate 0.02 --cluster-entities-sf1 3000 --workdir /tmp/clusters-eval
        # simulate only the register (SCJG-001/-002), run bronze, silver and the clusters job, evaluate
"""
from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Iterable


def planted(answer_key_root: str | Path) -> dict[str, int]:
    """uscc → planted cluster id."""
    path = Path(answer_key_root) / "clusters.csv"
    with path.open(encoding="utf-8") as fh:
        return {r["uscc"]: int(r["cluster_id"]) for r in csv.DictReader(fh)}


def evaluate(alerts: Iterable[Iterable[str]], truth: dict[str, int]) -> dict:
    """``alerts``: the member USCCs of each alert; ``truth``: uscc → planted cluster."""
    alerts = [list(a) for a in alerts]
    alerted = {u for a in alerts for u in a}
    hits = alerted & set(truth)
    sizes = Counter(truth.values())
    found = set()
    right = 0
    for a in alerts:
        c = Counter(truth[u] for u in a if u in truth)
        if c:
            cid, n = c.most_common(1)[0]
            if n * 2 >= sizes[cid]:
                found.add(cid)
            if n * 2 >= len(a):
                right += 1
    return {
        "planted_clusters": len(sizes),
        "planted_entities": len(truth),
        "alerts": len(alerts),
        "alerted_entities": len(alerted),
        "entity_precision": round(len(hits) / len(alerted), 4) if alerted else None,
        "entity_recall": round(len(hits) / len(truth), 4) if truth else None,
        "cluster_precision": round(right / len(alerts), 4) if alerts else None,
        "cluster_recall": round(len(found) / len(sizes), 4) if sizes else None,
    }


def read_alerts(warehouse_root: str, as_of=None, storage_options: dict | None = None) -> list[list[str]]:
    """Member lists of the alerts of ``as_of`` (default: the newest) — read with delta-rs, no Spark."""
    import polars as pl
    from deltalake import DeltaTable

    df = pl.from_arrow(DeltaTable(f"{warehouse_root.rstrip('/')}/gold/registration_alerts", storage_options=storage_options or None).to_pyarrow_table(columns=["as_of", "members"]))
    if df.is_empty():
        return []
    day = as_of or df["as_of"].max()
    return [list(m) for m in df.filter(pl.col("as_of") == day)["members"].to_list()]


def simulate_and_run(scale: float, seed: int, cluster_entities_sf1: int, workdir: str, env: str = "local") -> dict:
    """A register-only city (SCJG-001, SCJG-002), through bronze and silver, then the clusters job."""
    from catalog import load_catalog
    from jobs import clusters as clusters_job
    from lakehouse.bronze.ingest import ingest_all
    from lakehouse.config import load_config
    from lakehouse.landing.simulate import Settings, simulate
    from lakehouse.privacy import hmac_key
    from lakehouse.silver.process import process
    from lakehouse.spark import get_spark
    from lakehouse.tables import Tables

    root = Path(workdir).resolve()
    cfg = load_config(env, overrides={
        "warehouse.root": str(root / "warehouse"), "landing.root": str(root / "landing"),
        "landing.answer_key_root": str(root / "answer_key"), "runs.root": str(root / "runs"),
        "simulator.cluster_entities_sf1": cluster_entities_sf1,
        **({} if _has_key(env) else {"privacy.hmac_key": "evaluation-only-key-not-a-secret"}),
    })
    landing, key = Path(cfg.landing.root), Path(cfg.landing.answer_key_root)
    settings = Settings.from_config(cfg.simulator, scale, 1, seed, landing, key)
    sim = simulate(scale, 1, seed, landing, key, settings=settings, catalogs=["SCJG-001", "SCJG-002"], overwrite=True)
    spark = get_spark(cfg)
    tables = Tables.from_config(cfg, spark)
    registry = load_catalog()
    ingest_all(spark, tables, str(landing), registry.catalogs)
    process(spark, tables, registry, hmac_key(cfg))
    clusters_job.run(cfg, spark)
    out = evaluate(read_alerts(cfg.warehouse.root), planted(key))
    out.update(scale=scale, seed=seed, cluster_entities_sf1=cluster_entities_sf1, entities=sim["entities"])
    return out


def _has_key(env: str) -> bool:
    import os

    from lakehouse.config import load_config

    cfg = load_config(env)
    return bool(cfg.privacy.hmac_key or os.environ.get(cfg.privacy.hmac_key_env))


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m lakehouse.clusters.evaluate", description=__doc__.split("\n\n")[0])
    p.add_argument("--env", default=None)
    p.add_argument("--simulate", type=float, default=None, metavar="SCALE", help="simulate a register-only city at this scale first")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--cluster-entities-sf1", type=int, default=3000, help="planted cluster entities at SF 1 (the default config has 300)")
    p.add_argument("--workdir", default="./.cache/clusters-eval")
    a = p.parse_args(argv)
    if a.simulate:
        out = simulate_and_run(a.simulate, a.seed, a.cluster_entities_sf1, a.workdir, a.env or "local")
    else:
        from lakehouse.config import load_config

        cfg = load_config(a.env)
        out = evaluate(read_alerts(cfg.warehouse.root, storage_options=cfg.warehouse.storage_options), planted(cfg.landing.answer_key_root))
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

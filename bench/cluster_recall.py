"""Registration clusters against the planted ones, end to end: a register-only city (SCJG-001,
SCJG-002) simulated, through bronze and silver, then the clusters job, scored by
``simulator.cluster_recall`` (prints JSON).

    python bench/cluster_recall.py --simulate 0.05 --seed 42 --cluster-entities-sf1 3000
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator.cluster_recall import evaluate, planted, read_alerts  # noqa: E402


def simulate_and_run(scale: float, seed: int, cluster_entities_sf1: int, workdir: str, env: str = "local") -> dict:
    """A register-only city (SCJG-001, SCJG-002), through bronze and silver, then the clusters job."""
    from catalog import load_catalog
    from jobs import clusters as clusters_job
    from lakehouse.bronze.ingest import ingest_all
    from lakehouse.config import load_config
    from lakehouse.privacy import hmac_key
    from lakehouse.silver.process import process
    from lakehouse.spark import get_spark
    from lakehouse.tables import Tables
    from simulator.simulate import Settings, simulate

    root = Path(workdir).resolve()
    cfg = load_config(
        env,
        overrides={
            "warehouse.root": str(root / "warehouse"),
            "landing.root": str(root / "landing"),
            "landing.answer_key_root": str(root / "answer_key"),
            "runs.root": str(root / "runs"),
            "simulator.cluster_entities_sf1": cluster_entities_sf1,
            **({} if _has_key(env) else {"privacy.hmac_key": "evaluation-only-key-not-a-secret"}),
        },
    )
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
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--env", default="local")
    p.add_argument("--simulate", type=float, default=0.05, metavar="SCALE", help="simulate a register-only city at this scale")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--cluster-entities-sf1", type=int, default=3000, help="planted cluster entities at SF 1 (the default config has 300)")
    p.add_argument("--workdir", default="./.cache/clusters-eval")
    a = p.parse_args(argv)
    out = simulate_and_run(a.simulate, a.seed, a.cluster_entities_sf1, a.workdir, a.env)
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

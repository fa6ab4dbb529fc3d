"""Recall and precision of the cluster alerts against the simulator's planted clusters.

Evaluation only: it reads the answer key (``clusters.csv``), which the pipeline never does.

* entity level — precision: alerted entities that belong to a planted cluster / alerted
  entities; recall: planted cluster members that were alerted / planted cluster members.
* cluster level — a planted cluster is found when one alert holds at least half of it; an
  alert is right when at least half of its members come from one planted cluster.

Command line (prints JSON)::

    python -m simulator.cluster_recall --env local                 # gold.registration_alerts vs answer key
    python bench/cluster_recall.py --simulate 0.02 --cluster-entities-sf1 3000 --workdir /tmp/clusters-eval
        # simulate only the register (SCJG-001/-002), run bronze, silver and the clusters job, evaluate
"""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path


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

    df = pl.from_arrow(
        DeltaTable(f"{warehouse_root.rstrip('/')}/gold/registration_alerts", storage_options=storage_options or None).to_pyarrow_table(
            columns=["as_of", "members"]
        )
    )
    if df.is_empty():
        return []
    day = as_of or df["as_of"].max()
    return [list(m) for m in df.filter(pl.col("as_of") == day)["members"].to_list()]


def main(argv: list[str] | None = None) -> int:
    import argparse

    from lakehouse.config import load_config

    p = argparse.ArgumentParser(prog="python -m simulator.cluster_recall", description=__doc__.split("\n\n")[0])
    p.add_argument("--env", default=None)
    a = p.parse_args(argv)
    cfg = load_config(a.env)
    out = evaluate(read_alerts(cfg.warehouse.root, storage_options=cfg.warehouse.storage_options), planted(cfg.landing.answer_key_root))
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A day's delivery into bronze and silver: written by the driver (pyarrow) against Spark.

    .venv/bin/python bench/silver_daily.py [--scale 0.01] [--repeats 3]

Simulates a city with its history and one day (the setup: bronze for both, silver for the
history), then simulates the next day and copies its deliveries into the landing zone. Each
run starts from a copy of that warehouse and times, in one Spark session, alternating:

(a) the driver paths: ``ingest`` with ``driver_write_max_bytes`` (Spark parses, pyarrow
    writes a file per catalog) and ``process`` with ``driver_max_rows`` (each subject area's
    batch standardised, deduplicated and merged with pyarrow, no Spark job);
(b) the same two calls with both paths off: Spark's partitioned write and the Spark jobs of
    ``process_area``.

Both must leave the same row count in every silver table (from the file statistics).
Prints medians and the ratio driver ÷ Spark of bronze + silver (goal ≤ 0.5: the driver paths
exist because a daily batch is many small Spark jobs, so they must at least halve it).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _result import emit  # noqa: E402  (bench/ is on sys.path when a benchmark runs)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GOAL = 0.5
SEED = 7


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=0.01)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2, help="Simulator processes.")
    args = ap.parse_args()

    from catalog import load_catalog
    from lakehouse.bronze.ingest import ingest, ingest_all
    from lakehouse.config import load_config
    from lakehouse.privacy import hmac_key
    from lakehouse.silver.process import process
    from lakehouse.spark import get_spark
    from lakehouse.tables import Tables
    from simulator.increment import deliver_new_days
    from simulator.simulate import simulate

    work = Path(tempfile.mkdtemp(prefix="regulake-bench-daily-"))
    base = work / "base"
    cfg = load_config("local", overrides={"warehouse.root": str(base), "spark.ui_enabled": False}, environ={})
    registry, key = load_catalog(), hmac_key(cfg)
    landing = work / "landing"
    t0 = time.perf_counter()
    simulate(args.scale, 1, SEED, landing, work / "key", workers=args.workers)
    spark = get_spark(cfg)
    tables = Tables.from_config(cfg, spark)
    ingest_all(spark, tables, str(landing), registry.catalogs, driver_write_max_bytes=1 << 40)
    process(spark, tables, registry, key, parallel=cfg.silver.parallel_areas, driver_max_rows=10**8)
    simulate(args.scale, 2, SEED, work / "next", work / "next-key", workers=args.workers)
    folders = deliver_new_days(work / "next", landing)
    day_bytes = sum(f.stat().st_size for d in folders for f in d.rglob("*") if f.is_file())
    print(
        f"setup (simulate, history into bronze and silver, the next day delivered) {time.perf_counter() - t0:.0f} s; "
        f"the day: {len(folders)} delivery folders, {day_bytes / 2**20:.1f} MB"
    )

    def run(label: str, driver: bool) -> tuple[float, float, dict[str, int]]:
        root = work / label
        shutil.rmtree(root, ignore_errors=True)
        shutil.copytree(base, root)
        t = Tables(str(root), spark, cfg.tables)
        start = time.perf_counter()
        res = ingest(spark, t, str(landing), registry.catalogs, driver_write_max_bytes=(1 << 30) if driver else 0)
        mid = time.perf_counter()
        areas = process(spark, t, registry, key, parallel=cfg.silver.parallel_areas, driver_max_rows=10**6 if driver else 0)
        end = time.perf_counter()
        if res.batch is None or not areas:
            raise SystemExit(f"{label}: the day was not ingested ({res}) or no area processed")
        counts = {n: sum(f.num_records or 0 for f in t.snapshot(n).files) for n in t.list() if n.startswith("silver.")}
        return mid - start, end - mid, counts

    run("warm-up-driver", True)  # Python workers, code generation, imports
    run("warm-up-spark", False)
    times: dict[str, list[tuple[float, float]]] = {"driver": [], "spark": []}
    counts: dict[str, dict[str, int]] = {}
    for i in range(args.repeats):
        order = (("driver", True), ("spark", False)) if i % 2 == 0 else (("spark", False), ("driver", True))
        for label, driver in order:
            bronze, silver, counts[label] = run(label, driver)
            times[label].append((bronze, silver))
            print(f"  run {i} {label:6s} bronze {bronze:6.2f} s  silver {silver:6.2f} s  total {bronze + silver:6.2f} s")
    if counts["driver"] != counts["spark"]:
        raise SystemExit(f"the two paths wrote different silver row counts: {counts}")
    med = {
        label: (statistics.median(b for b, _ in ts), statistics.median(s for _, s in ts), statistics.median(b + s for b, s in ts))
        for label, ts in times.items()
    }
    (db, ds, dt_), (sb, ss, st) = med["driver"], med["spark"]
    ratio = dt_ / st
    print(
        f"day: {day_bytes / 2**20:.1f} MB in {len(folders)} folders; silver tables {len(counts['driver'])}, "
        f"{sum(counts['driver'].values()):,} rows after the day"
    )
    print(
        f"driver paths: bronze {db:.1f} s + silver {ds:.1f} s = {dt_:.1f} s   Spark: bronze {sb:.1f} s + silver {ss:.1f} s = {st:.1f} s   "
        f"ratio {ratio:.2f} (bronze {db / sb:.2f}, silver {ds / ss:.2f})   goal <= {GOAL}"
    )
    emit(
        "silver_daily",
        f"a day at SF {args.scale:g} ({len(folders)} delivery folders): bronze + silver in the driver "
        f"{dt_:.1f} s vs on Spark {st:.1f} s (bronze {db:.1f} vs {sb:.1f} s, silver {ds:.1f} vs {ss:.1f} s)",
        ratio,
        f"≤ {GOAL}× the time",
        ratio <= GOAL,
    )
    spark.stop()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

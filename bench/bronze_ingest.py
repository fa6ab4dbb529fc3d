"""Bronze ingest throughput against plain ``spark.read.csv → write.parquet`` on the same files.

    .venv/bin/python bench/bronze_ingest.py [--scale 0.01]

Simulates a city (UTF-8 CSV catalogs only, so the baseline can read every file), then in
one Spark session times (a) the plain baseline over all files and (b) regulake's bronze
ingest of the same files (checksums, per-line parsing with rejects, lineage, Delta commit).
Prints records/s of both and the ratio (goal ≥ 0.7).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _result import emit  # noqa: E402  (bench/ is on sys.path when a benchmark runs)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=0.01)
    args = ap.parse_args()

    from catalog import load_catalog
    from lakehouse.bronze.ingest import ingest
    from lakehouse.config import load_config
    from lakehouse.spark import get_spark
    from lakehouse.tables import Tables
    from simulator.simulate import Settings, simulate

    work = Path(tempfile.mkdtemp(prefix="regulake-bench-bronze-"))
    cfg = load_config("local", overrides={"warehouse.root": str(work / "warehouse"), "spark.ui_enabled": False}, environ={})
    registry = load_catalog()
    codes = [c.code for c in registry.catalogs.values() if c.format == "csv_utf8"]
    settings = Settings.from_config(cfg.simulator, args.scale, 0, 1, work / "landing", work / "key")
    settings.file_faults = False
    sim = simulate(args.scale, 0, 1, work / "landing", work / "key", settings=settings, catalogs=codes, workers=2)
    files = sorted(str(p) for p in (work / "landing").rglob("*.csv"))
    print(f"scale={args.scale} catalogs={len(codes)} files={len(files)} records={sim['records']:,}")

    spark = get_spark(cfg)
    spark.sparkContext.setLogLevel("ERROR")  # the baseline warns once per file whose header differs
    spark.range(1).count()  # JVM warm-up outside the timings
    t0 = time.perf_counter()
    spark.read.option("header", True).csv(files).write.parquet(str(work / "plain"))
    plain = time.perf_counter() - t0
    n_plain = spark.read.parquet(str(work / "plain")).count()

    tables = Tables.from_config(cfg, spark)
    t0 = time.perf_counter()
    res = ingest(spark, tables, str(work / "landing"), registry.catalogs)
    ours = time.perf_counter() - t0
    print(f"plain spark.read.csv -> write.parquet: {plain:8.1f} s  {n_plain / plain:12,.0f} records/s")
    print(f"regulake bronze ingest:                {ours:8.1f} s  {res.records / ours:12,.0f} records/s")
    print(f"throughput ratio (ours / plain): {(res.records / ours) / (n_plain / plain):.2f}   goal >= 0.70")
    ratio = (res.records / ours) / (n_plain / plain)
    emit(
        "bronze_ingest",
        f"{res.records:,} records: {ours:.1f} s ({res.records / ours:,.0f}/s) vs plain spark.read.csv → parquet "
        f"{plain:.1f} s ({n_plain / plain:,.0f}/s)",
        ratio,
        "≥ 0.7 of plain throughput",
        ratio >= 0.7,
    )
    spark.stop()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

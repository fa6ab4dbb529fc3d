"""Delta write and read cost against plain Parquet, in the same Spark session.

    .venv/bin/python bench/delta_write.py [--rows 5000000] [--repeats 3]

Writes N rows x 10 mixed columns (unpartitioned, and partitioned by district) once as
plain ``df.write.parquet`` and once through ``Tables.write`` (delta-spark's writer and
commit), alternating, and prints median times and their ratio (goal ≤ 1.1).
Then a filtered read (one partition + a range on a stats column) through the table
layer against the same filter over the plain Parquet folder.
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


def build(spark, rows: int):
    from pyspark.sql import functions as F

    districts = F.array(*[F.lit(d) for d in ["440604", "440605", "440606", "440607", "440608"]])
    df = spark.range(rows).select(
        F.col("id"),
        F.concat(F.lit("91440600"), F.lpad(F.col("id").cast("string"), 10, "0")).alias("uscc"),
        F.element_at(districts, (F.col("id") % 5 + 1).cast("int")).alias("district"),
        (F.col("id") % 1381).cast("int").alias("industry"),
        (F.rand(7) * 1e7).alias("capital"),
        (F.col("id") % 100000 / 100).cast("decimal(12,2)").alias("paid_in"),
        F.date_add(F.lit("2000-01-01").cast("date"), (F.col("id") % 9000).cast("int")).alias("registered_on"),
        F.timestamp_seconds(F.lit(1_600_000_000) + F.col("id")).alias("updated_at"),
        (F.col("id") % 7 == 0).alias("abnormal"),
        F.concat(F.lit("佛山市企业"), F.col("id").cast("string")).alias("name"),
    )
    return df.persist()


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    from lakehouse.config import load_config
    from lakehouse.spark import get_spark
    from lakehouse.tables import Tables

    work = Path(tempfile.mkdtemp(prefix="regulake-bench-"))
    cfg = load_config("local", overrides={"warehouse.root": str(work / "warehouse"), "spark.ui_enabled": False}, environ={})
    spark = get_spark(cfg)
    tables = Tables.from_config(cfg, spark)
    df = build(spark, args.rows)
    df.count()
    print(f"rows={args.rows:,} columns={len(df.columns)} spark={spark.version} master={cfg.spark.master} repeats={args.repeats}")

    results = []
    for label, parts in (("unpartitioned", []), ("partitioned by district", ["district"])):
        plain_times, delta_times = [], []
        for i in range(args.repeats):
            plain_dir = work / f"plain-{i}"
            name = f"gold.t_{'p' if parts else 'u'}_{i}"

            def plain():
                w = df.write.mode("overwrite")
                (w.partitionBy(*parts) if parts else w).parquet(str(plain_dir))

            def delta():
                tables.write(name, df, partition_by=parts)

            # alternate the order so neither side always runs on a warmer JVM
            if i % 2 == 0:
                plain_times.append(timed(plain))
                delta_times.append(timed(delta))
            else:
                delta_times.append(timed(delta))
                plain_times.append(timed(plain))
        p, d = statistics.median(plain_times), statistics.median(delta_times)
        results.append((f"write, {label}", p, d))

    # filtered read: one partition and a range on a column with min/max stats
    name = "gold.t_p_0"
    lo, hi = args.rows // 2, args.rows // 2 + args.rows // 50
    plain_dir = str(work / "plain-0")
    from pyspark.sql import functions as F

    def read_delta():
        tables.read(name, filters=[("district", "=", "440605"), ("id", ">=", lo), ("id", "<", hi)]).agg(F.sum("capital")).collect()

    def read_plain():
        spark.read.parquet(plain_dir).where((F.col("district") == "440605") & (F.col("id") >= lo) & (F.col("id") < hi)).agg(
            F.sum("capital")
        ).collect()

    rt_plain, rt_delta = [], []
    for _ in range(args.repeats * 2):
        rt_plain.append(timed(read_plain))
        rt_delta.append(timed(read_delta))
    results.append(("filtered read (1 partition, 2% id range)", statistics.median(rt_plain), statistics.median(rt_delta)))

    print(f"{'operation':45s} {'parquet s':>10s} {'delta s':>10s} {'ratio':>7s}")
    for label, p, d in results:
        print(f"{label:45s} {p:10.2f} {d:10.2f} {d / p:7.2f}")
    print("goal: write ratio <= 1.10")
    writes = [d / p for label, p, d in results if label.startswith("write")]
    emit(
        "delta_write",
        "; ".join(f"{label} {d:.1f} s vs parquet {p:.1f} s" for label, p, d in results),
        max(writes),
        "write ≤ 1.1× plain parquet (worst case shown)",
        max(writes) <= 1.1,
    )
    spark.stop()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

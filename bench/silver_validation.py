"""Standard validation: regulake's one-pass check against hand-written PySpark checks.

    .venv/bin/python bench/silver_validation.py [--scale 0.2] [--repeats 3]

Simulates the entity register (SCJG-001, 18 fields: USCC with check digit, ID number,
phone, code tables, dates, amounts, lengths), ingests it into bronze, then times in one
Spark session, alternating:

(a) ``lakehouse.silver.standardise`` — every field normalised, typed and checked by its
    standard (vectorised Arrow checks; the reference validator for the rest);
(b) the same rules written by hand as Spark SQL column expressions in one select
    (trim/full-width, regex, value sets, try_cast/try_to_date, ranges, the USCC check
    digit with ``aggregate``) — what a data engineer would write without regulake; it
    does not check ID numbers' region codes nor give reasons.

Both end in a count of rows with at least one failure. Prints medians and the ratio
(goal ≤ 1.5).
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

FULL = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000"
HALF = "".join(chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)) + " "


def hand_written(records, catalog, standards):
    """One select of Spark SQL expressions: True where a row breaks any rule."""
    from pyspark.sql import functions as F

    from lakehouse.silver.rules import PHONE, USCC_ALPHABET, USCC_WEIGHTS

    bad = []
    for f in catalog.fields:
        std = standards[f.standard]
        raw = F.col("record").getItem(f.source_name)
        text = F.regexp_replace(F.translate(raw, FULL, HALF), r"(?U)^\s+|\s+$", "")
        missing = text.isNull() | (text == "")
        v = std.validator
        if v == "uscc":
            u = F.regexp_replace(F.upper(text), "[ -]", "")
            weights = F.array(*[F.lit(int(w)) for w in USCC_WEIGHTS])
            total = F.aggregate(
                F.sequence(F.lit(1), F.lit(17)),
                F.lit(0),
                lambda acc, i: acc + (F.instr(F.lit(USCC_ALPHABET), F.substring(u, i, 1)) - 1) * F.element_at(weights, i),
            )
            check = F.element_at(F.split(F.lit(USCC_ALPHABET), ""), (F.pmod(31 - F.pmod(total, F.lit(31)), F.lit(31)) + 1).cast("int"))
            rule = ~u.rlike(f"^[0-9]{{8}}[{USCC_ALPHABET}]{{10}}$") | (F.substring(u, 18, 1) != check)
        elif v == "resident_id":
            rule = ~F.upper(text).rlike(r"^[0-9]{17}[0-9X]$")
        elif v == "phone":
            rule = ~text.rlike(PHONE)
        elif v == "code_table":
            rule = ~text.isin(sorted(std.codes))
        elif v in ("pattern", "text"):
            rule = F.lit(False)
            if std.length:
                rule = rule | (F.length(text) > std.length)
            if std.pattern:
                rule = rule | ~text.rlike(f"^(?:{std.pattern})$")
        elif v in ("integer", "decimal"):
            num = F.regexp_replace(text, ",", "").try_cast("double")
            rule = num.isNull()
            if std.min_value is not None:
                rule = rule | (num < std.min_value)
            if std.max_value is not None:
                rule = rule | (num > std.max_value)
        elif v == "date":
            rule = F.coalesce(*[F.try_to_date(text, fmt) for fmt in ("y-M-d", "y/M/d", "yyyyMMdd", "y.M.d", "y年M月d日")]).isNull()
        else:
            rule = F.coalesce(*[F.try_to_timestamp(text, F.lit(fmt)) for fmt in ("y-M-d H:m:s", "y/M/d H:m:s", "yyyyMMddHHmmss")]).isNull()
        bad.append(F.when(missing, F.lit(f.required)).otherwise(rule))
    any_bad = bad[0]
    for b in bad[1:]:
        any_bad = any_bad | b
    return records.select(any_bad.alias("bad")).where("bad")


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=0.2)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    from catalog import load_catalog
    from lakehouse.bronze.ingest import ingest
    from lakehouse.config import load_config
    from lakehouse.privacy import hmac_key
    from lakehouse.silver.standardise import ERRORS, area_plans, standardise
    from lakehouse.spark import get_spark
    from lakehouse.tables import Tables
    from simulator.simulate import Settings, simulate

    work = Path(tempfile.mkdtemp(prefix="regulake-bench-silver-"))
    cfg = load_config("local", overrides={"warehouse.root": str(work / "warehouse"), "spark.ui_enabled": False}, environ={})
    registry = load_catalog()
    code = "SCJG-001"
    settings = Settings.from_config(cfg.simulator, args.scale, 0, 3, work / "landing", work / "key")
    settings.file_faults = False
    simulate(args.scale, 0, 3, work / "landing", work / "key", settings=settings, catalogs=[code])
    spark = get_spark(cfg)
    tables = Tables.from_config(cfg, spark)
    ingest(spark, tables, str(work / "landing"), registry.catalogs)
    records = tables.read("bronze.records", filters=[("catalog", "=", code)]).cache()
    n = records.count()
    plan = area_plans(registry)["registration"]
    plan.catalogs = {code: registry.catalogs[code]}
    key = hmac_key(cfg)
    from pyspark.sql import functions as F

    def ours():
        return standardise(records, plan, key).where(F.size(ERRORS) > 0).count()

    def theirs():
        return hand_written(records, registry.catalogs[code], registry.standards).count()

    ours(), theirs()  # warm-up: Python workers, code generation
    t_ours, t_theirs = [], []
    for i in range(args.repeats):
        for label, fn, bucket in (
            (("ours", ours, t_ours), ("theirs", theirs, t_theirs)) if i % 2 == 0 else (("theirs", theirs, t_theirs), ("ours", ours, t_ours))
        ):
            seconds, bad = timed(fn)
            bucket.append(seconds)
            print(f"  run {i} {label:6s} {seconds:6.2f} s  rows with a failure: {bad}")
    a, b = statistics.median(t_ours), statistics.median(t_theirs)
    print(f"records={n:,} fields={len(registry.catalogs[code].fields)}")
    print(f"regulake one-pass standards check: {a:6.2f} s   hand-written PySpark checks: {b:6.2f} s   ratio {a / b:.2f}   goal <= 1.5")
    emit(
        "silver_validation",
        f"{n:,} records × {len(registry.catalogs[code].fields)} fields: standards check {a:.1f} s vs hand-written PySpark {b:.1f} s",
        a / b,
        "≤ 1.5× the time",
        a / b <= 1.5,
    )
    spark.stop()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

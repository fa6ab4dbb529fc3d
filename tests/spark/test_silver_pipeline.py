"""Silver on a tiny simulated city: every bronze row accounted for, dirty cases end where they should."""

import csv
from collections import Counter, defaultdict

import pytest

from simulator.simulate import Settings, simulate

CODES = ["SCJG-001", "SCJG-003", "SCJG-004", "SCJG-006", "SBJ-001"]


@pytest.fixture(scope="module")
def city(tmp_path_factory, test_config):
    root = tmp_path_factory.mktemp("city")
    landing, key = root / "landing", root / "answer_key"
    settings = Settings.from_config(test_config.simulator, 0.001, 2, 11, landing, key)
    # more dirt than usual so every kind shows up in a tiny city
    settings.rates = {k: 0.01 for k in settings.rates}
    settings.late_correction_rate = 1.0
    simulate(0.001, 2, 11, landing, key, settings=settings, catalogs=CODES)
    return landing, key


def run_pipeline(spark, tables, landing, test_config, docs_root=None):
    from catalog import load_catalog
    from lakehouse.bronze.ingest import ingest_all
    from lakehouse.privacy import hmac_key
    from lakehouse.silver.process import DataDocs, process

    registry = load_catalog()
    ingest_all(spark, tables, str(landing), registry.catalogs)
    docs = DataDocs(str(docs_root), ["SCJG-001"], registry.standards) if docs_root else None
    # areas in parallel driver threads, as the job runs them (silver.parallel_areas)
    return process(spark, tables, registry, hmac_key(test_config), data_docs=docs, parallel=3)


def dirty_cases(key):
    for path in (key / "dirty").rglob("*.csv"):
        with open(path, encoding="utf-8") as fh:
            yield from csv.DictReader(fh)


def line_of(tables):
    """(file, 0-based data row) → physical line, from every record and rejected line in bronze."""
    lines = defaultdict(set)
    for r in tables.read("bronze.records", columns=["file", "line"]).collect():
        lines[r["file"]].add(r["line"])
    for r in tables.read("bronze.rejects", columns=["file", "line"]).where("line is not null").collect():
        lines[r["file"]].add(r["line"])
    return {(f, i): line for f, ls in lines.items() for i, line in enumerate(sorted(ls))}


@pytest.mark.slow
def test_silver_accounts_for_every_row_and_routes_dirty_cases(spark, tables, city, test_config, tmp_path):
    from pyspark.sql import functions as F

    landing, key = city
    results = run_pipeline(spark, tables, landing, test_config, docs_root=tmp_path / "quality")
    assert results
    # a small batch is merged by one task: at most one new file per catalog and batch
    batches = len({r.batch for r in results})
    for area in {r.area for r in results}:
        per_catalog = Counter(f.partition_values["catalog"] for f in tables.snapshot(f"silver.{area}").files)
        assert max(per_catalog.values()) <= batches, (area, per_catalog)
    # Great Expectations suite generated from the standards, validated, rendered as Data Docs
    index = tmp_path / "quality" / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    assert index.exists() and "SCJG-001" in index.read_text(encoding="utf-8")
    ge = {r["metric"]: r["count"] for r in tables.read("silver.quality").where("catalog = 'SCJG-001' and metric like 'ge_%'").collect()}
    assert ge["ge_expectations"] > 10
    # the planted missing values / bad check digits in the register show as failed expectations
    failed = tables.read("silver.quality").where("catalog = 'SCJG-001' and metric = 'ge_expectation_failed'").collect()
    assert any("expect_column_values_to_not_be_null(uscc)" == r["rule"] for r in failed)
    # every bronze record of each catalog is in or out: rows_out + rejected + superseded = rows_in = bronze
    bronze = {r["catalog"]: r["count"] for r in tables.read("bronze.records").groupBy("catalog").count().collect()}
    q = defaultdict(int)
    for r in tables.read("silver.quality").where("rule is null").collect():
        q[(r["catalog"], r["metric"])] += r["count"]
    for code, n in bronze.items():
        assert q[(code, "rows_in")] == n
        assert q[(code, "rows_out")] + q[(code, "rows_rejected")] + q[(code, "rows_superseded")] == n
    # the added column is reported, not silently dropped
    unmapped = tables.read("silver.quality").where("metric = 'unmapped_column'").collect()
    assert {(r["catalog"], r["rule"]) for r in unmapped} >= {("SCJG-004", "变更原因")}

    lines = line_of(tables)
    rejects = defaultdict(list)
    for r in tables.read("silver.rejects").collect():
        rejects[(r["source_file"], r["source_line"])].append(r)
    incomplete = {r["file"] for r in tables.read("bronze.rejects").where("line is null and reason like '%incomplete%'").collect()}
    kinds = defaultdict(int)
    for case in dirty_cases(key):
        if (case["file"], int(case["row"])) not in lines:
            assert case["file"] in incomplete, case  # cut off by the truncated delivery, reported in bronze
            continue
        where = (case["file"], lines[(case["file"], int(case["row"]))])
        got = rejects.get(where, [])
        kind = case["kind"]
        kinds[kind] += 1
        if kind == "missing":
            assert any(r["field"] == case["field"] and "value is missing" in r["reason"] for r in got), case
        elif kind == "bad_check_digit":
            assert any(r["field"] == case["field"] and "wrong check digit" in r["reason"] for r in got), case
        elif kind in ("date_format", "full_width", "whitespace"):
            assert not any(r["field"] == case["field"] for r in got), (case, got)  # normalised, not rejected
        elif kind == "duplicate":
            twin = (case["original_file"], lines.get((case["original_file"], int(case["original_row"]))))
            flagged = [r for r in rejects.get(where, []) + rejects.get(twin, []) if "superseded" in r["reason"]]
            assert len(flagged) >= 1, case
    assert kinds["missing"] and kinds["bad_check_digit"] and kinds["date_format"] and kinds["duplicate"]

    # normalised values land typed in silver: one date-format case, looked up by its record
    reg = tables.read("silver.registration")
    assert reg.where(F.col("uscc").isNull()).count() == 0
    assert reg.groupBy("catalog", "record_key").count().where("count > 1").count() == 0
    # personal data: masked and hashed beside the restricted column
    row = reg.where("legal_rep_id is not null").first()
    if row is not None:
        assert "*" in row["legal_rep_id_masked"] and len(row["legal_rep_id_hash"]) == 64

    check_gold(spark, tables)

    # a re-run changes nothing
    before = {n: tables.version(n) for n in tables.list()}
    assert run_pipeline(spark, tables, landing, test_config) == []
    assert {n: tables.version(n) for n in tables.list()} == before


def check_gold(spark, tables):
    """Entity profile: one row per entity, nothing after the cutoff, no raw personal data."""
    import datetime as dt

    from pyspark.sql import functions as F

    from catalog import load_catalog
    from lakehouse.gold import entity_profile, kpi

    registry = load_catalog()
    late, early = dt.date(2026, 1, 2), dt.date(2025, 6, 30)
    for cutoff in (late, early):
        entity_profile.write(spark, tables, registry, cutoff)
        kpi.write(spark, tables, cutoff)
    profile = tables.read("gold.entity_profile")
    assert profile.groupBy("as_of", "uscc").count().where("count > 1").count() == 0
    assert not {"legal_rep_id", "legal_rep_phone", "legal_rep_name"} & set(profile.columns)
    at_early = profile.where(F.col("as_of") == early)
    assert at_early.where(F.col("establishment_date") > early).count() == 0
    # annual reports counted at the early cutoff: exactly those dated on or before it
    events = entity_profile.area_events(tables, registry, "annual_reports", {c: registry.catalogs[c] for c in ["SCJG-003"]})
    expected = {r["uscc"]: r["count"] for r in events.where(F.col("event_date") <= early).groupBy("uscc").count().collect()}
    got = {r["uscc"]: r["annual_reports_count_all"] for r in at_early.collect()}
    assert got and all(got[u] == expected.get(u, 0) for u in got)
    window = events.where((F.col("event_date") <= early) & (F.col("event_date") > early - dt.timedelta(days=365)))
    recent = {r["uscc"]: r["count"] for r in window.groupBy("uscc").count().collect()}
    last = {
        r["uscc"]: (early - r["last"]).days
        for r in events.where(F.col("event_date") <= early).groupBy("uscc").agg(F.max("event_date").alias("last")).collect()
    }
    rows = at_early.collect()
    assert recent and all(r["annual_reports_count_365d"] == recent.get(r["uscc"], 0) for r in rows)
    assert all(r["annual_reports_days_since_last"] == last.get(r["uscc"]) for r in rows)
    later = {r["uscc"]: r["annual_reports_count_all"] for r in profile.where(F.col("as_of") == late).collect()}
    assert all(later[u] >= n for u, n in got.items())
    kpis = {(r["as_of"], r["metric"]): r["value"] for r in tables.read("gold.kpi").where("dimension is null").collect()}
    assert kpis[(late, "entities")] == len(later) and kpis[(early, "entities")] == len(got)


@pytest.mark.slow
def test_silver_killed_half_way_converges_on_rerun(spark, tables, city, test_config, monkeypatch):
    from catalog import load_catalog
    from lakehouse.bronze.ingest import ingest_all
    from lakehouse.privacy import hmac_key
    from lakehouse.silver.process import process

    landing, _ = city
    registry = load_catalog()
    ingest_all(spark, tables, str(landing), registry.catalogs)
    original = tables.write
    seen = []

    def dies_on_second_area(name, *args, **kwargs):
        if name == "silver.rejects":
            seen.append(kwargs.get("app_id"))
            if len(seen) == 2:
                raise RuntimeError("killed during silver")
        return original(name, *args, **kwargs)

    monkeypatch.setattr(tables, "write", dies_on_second_area)
    with pytest.raises(RuntimeError, match="killed during silver"):
        process(spark, tables, registry, hmac_key(test_config), parallel=3)  # the error of one thread stops the job
    monkeypatch.setattr(tables, "write", original)
    process(spark, tables, registry, hmac_key(test_config))

    quality = tables.read("silver.quality").where("metric = 'rows_in'")
    assert quality.groupBy("ingest_batch", "catalog").count().where("count > 1").count() == 0
    bronze = {r["catalog"]: r["count"] for r in tables.read("bronze.records").groupBy("catalog").count().collect()}
    assert {r["catalog"]: r["sum(count)"] for r in quality.groupBy("catalog").sum("count").collect()} == bronze
    rejects = tables.read("silver.rejects")
    assert rejects.count() == rejects.dropDuplicates(["source_file", "source_line", "field", "reason"]).count()
    for name in tables.list():
        if name.startswith("silver.") and name not in ("silver.rejects", "silver.quality"):
            assert tables.read(name).groupBy("catalog", "record_key").count().where("count > 1").count() == 0


def _rows(tables, name):
    """Every row of a table as sorted tuples (the order of rows and files is not compared)."""
    df = tables.read(name)
    return df.schema, sorted((tuple(r) for r in df.collect()), key=repr)


@pytest.mark.slow
def test_driver_path_writes_what_spark_writes(spark, tables, city, test_config, tmp_path):
    """The same bronze batches through Spark and through the driver (pyarrow): equal tables, row for row."""
    import shutil

    from pyspark.sql import functions as F

    from catalog import load_catalog
    from lakehouse.bronze.ingest import ingest_all
    from lakehouse.privacy import hmac_key
    from lakehouse.silver.local import BronzeBatch
    from lakehouse.silver.process import DataDocs, process
    from lakehouse.silver.standardise import area_plans
    from lakehouse.tables import Tables

    landing, _ = city
    registry = load_catalog()
    ingest_all(spark, tables, str(landing), registry.catalogs)
    driver_tables = Tables(str(tmp_path / "driver"), spark, test_config.tables)
    shutil.copytree(tables.root, driver_tables.root)

    def docs(name):
        return DataDocs(str(tmp_path / name), ["SCJG-001"], registry.standards)

    parts_tables = Tables(str(tmp_path / "parts"), spark, test_config.tables)
    shutil.copytree(tables.root, parts_tables.root)
    per_catalog = tables.read("bronze.records").groupBy("ingest_batch", "catalog").count()
    largest = per_catalog.agg({"count": "max"}).first()[0]
    # a part size that splits areas and slices the larger catalogs, the register among them
    part_rows = per_catalog.where("catalog = 'SCJG-001'").first()["count"] // 2
    on_spark = process(spark, tables, registry, hmac_key(test_config), data_docs=docs("spark-docs"), parallel=2)
    progress = []
    in_driver = process(
        spark,
        driver_tables,
        registry,
        hmac_key(test_config),
        data_docs=docs("driver-docs"),
        parallel=2,
        driver_max_rows=10**6,
        progress=progress.append,
    )
    assert progress and all(p.endswith("(driver)") for p in progress)
    # the driver again, in parts of whole catalogs, the larger catalogs in slices
    progress = []
    in_parts = process(
        spark,
        parts_tables,
        registry,
        hmac_key(test_config),
        data_docs=docs("parts-docs"),
        parallel=2,
        driver_max_rows=10**6,
        driver_part_rows=part_rows,
        progress=progress.append,
    )
    assert any(p.endswith(" parts)") for p in progress) and all("(driver" in p for p in progress)
    sliced = {r["catalog"] for r in per_catalog.where(F.col("count") > part_rows).collect()}
    quality = parts_tables.read("silver.quality").where(F.col("catalog").isin(list(sliced)))
    assert "SCJG-001" in sliced  # validated by Great Expectations too
    assert quality.where("metric = 'rows_superseded' and count > 0").count() > 0  # keys repeated across slices, deduplicated
    want = sorted((r.area, r.batch, r.rows_in, r.rows_out, r.rejected, r.superseded) for r in on_spark)
    assert sorted((r.area, r.batch, r.rows_in, r.rows_out, r.rejected, r.superseded) for r in in_driver) == want
    assert sorted((r.area, r.batch, r.rows_in, r.rows_out, r.rejected, r.superseded) for r in in_parts) == want
    assert any(r.superseded for r in in_driver) and any(r.rejected for r in in_driver)
    names = [n for n in tables.list() if n.startswith("silver.")]
    assert driver_tables.list() == tables.list() == parts_tables.list() and "silver.registration" in names
    for name in names:
        want_schema, want_rows = _rows(tables, name)
        for t in (driver_tables, parts_tables):
            schema, rows = _rows(t, name)
            assert schema == want_schema, name
            assert rows == want_rows, name
    # one commit per area and batch in parts too
    for name in names:
        if name not in ("silver.rejects", "silver.quality"):
            assert parts_tables.version(name) == driver_tables.version(name), name
    # parts are whole catalogs, largest first; a catalog larger than a part is a part alone
    top = per_catalog.orderBy(F.desc("count")).first()
    bronze = BronzeBatch.load(parts_tables, top["ingest_batch"])
    plan = next(p for p in area_plans(registry).values() if top["catalog"] in p.catalogs)
    split = bronze.parts(plan, largest - 1)
    assert split[0] == [top["catalog"]]
    assert sorted(c for part in split for c in part) == sorted(c for c in plan.catalogs if c in bronze.rows())

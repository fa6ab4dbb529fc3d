"""End to end on a tiny simulated city: simulate → bronze; every delivered line accounted for."""

import json

import pytest

from simulator.simulate import Settings, simulate


@pytest.mark.slow
def test_simulated_city_through_bronze(spark, tables, tmp_path, test_config):
    from catalog import load_catalog
    from lakehouse.bronze.ingest import ingest_all

    landing, key = tmp_path / "landing", tmp_path / "answer_key"
    codes = ["SCJG-001", "SCJG-004", "SCJG-006", "SBJ-001", "SCJG-003"]
    settings = Settings.from_config(test_config.simulator, 0.0005, 1, 7, landing, key)
    sim = simulate(0.0005, 1, 7, landing, key, settings=settings, catalogs=codes)
    results = ingest_all(spark, tables, str(landing), load_catalog().catalogs)
    assert results and all(r.rejected_files == 0 for r in results)

    declared = 0
    for manifest in landing.rglob("_manifest.json"):
        declared += sum(f["rows"] for f in json.loads(manifest.read_text())["files"])
    records = tables.read("bronze.records").count()
    rejects = tables.read("bronze.rejects")
    line_rejects = rejects.where("line is not null").count()
    # every delivered line is a record or a rejected line; the truncated file is declared
    # longer than it is, and a file-level reject says by how much
    shortfall = sum(
        int(r["reason"].split("declares ")[1].split(" ")[0]) - int(r["reason"].split("holds ")[1].split(";")[0])
        for r in rejects.where("line is null").collect()
    )
    assert records + line_rejects + shortfall == declared
    assert records + line_rejects <= sim["records"]
    faults = {r["kind"] for r in __import__("csv").DictReader(open(key / "file_faults.csv", encoding="utf-8"))}
    reasons = " ".join(r["reason"] for r in rejects.collect())
    if "gbk_invalid_byte" in faults:
        assert "invalid GBK byte 0xFF" in reasons
    if "truncated_file" in faults:
        assert "truncated" in reasons or "incomplete" in reasons
    before = {n: tables.version(n) for n in tables.list()}
    assert ingest_all(spark, tables, str(landing), load_catalog().catalogs) == []
    assert {n: tables.version(n) for n in tables.list()} == before

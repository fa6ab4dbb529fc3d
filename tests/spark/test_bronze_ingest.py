"""Bronze ingest on crafted landing files: exactly once per file, nothing dropped, resumable."""

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from lakehouse.bronze import ingest as bronze

CATALOGS = {
    "SCJG-001": SimpleNamespace(department="SCJG", format="csv_utf8"),
    "SW-001": SimpleNamespace(department="SW", format="csv_gbk"),
    "SCJG-003": SimpleNamespace(department="SCJG", format="jsonl"),
}


def deliver(root: Path, rel: str, data: bytes, rows: int | None = None) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if rows is not None:
        manifest = path.parent / "_manifest.json"
        m = json.loads(manifest.read_text()) if manifest.exists() else {"files": []}
        m["files"].append({"name": path.name, "rows": rows})
        manifest.write_text(json.dumps(m))
    return path


@pytest.fixture
def landing(tmp_path):
    root = tmp_path / "landing"
    deliver(root, "SCJG/SCJG-001/2024-01-01/part-00000.csv", "代码,名称\n1,佛山\n2,南海\n3\n".encode(), rows=3)
    deliver(root, "SW/SW-001/2024-01-01/part-00000.csv", "代码,税额\n1,10\n".encode("gbk") + b"2,\xff\n" + "3,30\n".encode("gbk"), rows=3)
    deliver(root, "SCJG/SCJG-003/2024-01-01/part-00000.jsonl", b'{"uscc": "1", "year": 2023}\n{"uscc": "2", "ye\n', rows=2)
    deliver(root, "XX/XX-404/2024-01-01/part-00000.csv", b"a\n1\n")
    deliver(root, "SCJG/SCJG-001/notadate/part-00000.csv", b"a\n1\n")
    return root


def test_every_line_is_a_record_or_a_reject_and_reruns_add_nothing(spark, tables, landing):
    res = bronze.ingest(spark, tables, str(landing), CATALOGS)
    assert res.batch == 1 and res.files == 3 and res.rejected_files == 2
    assert res.records == 2 + 2 + 1
    records = tables.read("bronze.records")
    assert records.count() == 5
    row = records.where("catalog = 'SW-001' and line = 2").first()
    assert row["record"] == {"代码": "1", "税额": "10"} and row["department"] == "SW" and row["ingest_batch"] == 1
    assert row["file"] == "SW/SW-001/2024-01-01/part-00000.csv"
    rejects = {(r["file"], r["line"]): r["reason"] for r in tables.read("bronze.rejects").collect()}
    assert "expected 2 fields" in rejects[("SCJG/SCJG-001/2024-01-01/part-00000.csv", 4)]
    assert "invalid GBK byte" in rejects[("SW/SW-001/2024-01-01/part-00000.csv", 3)]
    assert "not valid JSON" in rejects[("SCJG/SCJG-003/2024-01-01/part-00000.jsonl", 2)]
    assert "unknown catalog 'XX-404'" in rejects[("XX/XX-404/2024-01-01/part-00000.csv", None)]
    assert "not a date" in rejects[("SCJG/SCJG-001/notadate/part-00000.csv", None)]
    # accounting: records + rejected lines = data lines delivered (manifests declare 3 + 3 + 2)
    line_rejects = sum(1 for (_, line) in rejects if line is not None)
    assert res.records + line_rejects == 3 + 3 + 2

    versions = {n: tables.version(n) for n in (bronze.RECORDS, bronze.REJECTS, bronze.FILES, bronze.BATCHES)}
    again = bronze.ingest(spark, tables, str(landing), CATALOGS)
    assert again.batch is None
    assert {n: tables.version(n) for n in versions} == versions


def test_redelivered_identical_file_is_a_duplicate_and_new_files_make_a_new_batch(spark, tables, landing):
    bronze.ingest(spark, tables, str(landing), CATALOGS)
    shutil.copy(landing / "SCJG/SCJG-001/2024-01-01/part-00000.csv", landing / "SCJG/SCJG-001/2024-01-01/part-00001.csv")
    deliver(landing, "SCJG/SCJG-001/2024-01-02/part-00000.csv", "代码,名称\n4,顺德\n".encode(), rows=1)
    res = bronze.ingest(spark, tables, str(landing), CATALOGS)
    assert (res.batch, res.files, res.duplicates, res.records) == (2, 1, 1, 1)
    files = {r["file"]: r for r in tables.read("bronze.landing_files").collect()}
    assert files["SCJG/SCJG-001/2024-01-01/part-00001.csv"]["duplicate_of"] == "SCJG/SCJG-001/2024-01-01/part-00000.csv"
    assert tables.read("bronze.records").count() == 6


def test_a_batch_that_died_after_planning_resumes_with_the_same_files(spark, tables, landing, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("killed while writing records")

    original = tables.write
    calls = []

    def failing_write(name, *a, **k):
        calls.append(name)
        if name == bronze.REJECTS:
            boom()
        return original(name, *a, **k)

    monkeypatch.setattr(tables, "write", failing_write)
    with pytest.raises(RuntimeError):
        bronze.ingest(spark, tables, str(landing), CATALOGS)
    monkeypatch.setattr(tables, "write", original)
    assert tables.read("bronze.records").count() == 5 and not tables.exists("bronze.ingest_batches")
    # a file arriving meanwhile waits for the next batch
    deliver(landing, "SCJG/SCJG-001/2024-01-02/part-00000.csv", "代码,名称\n4,顺德\n".encode(), rows=1)
    res = bronze.ingest(spark, tables, str(landing), CATALOGS)
    assert res.resumed and res.batch == 1 and res.records == 5
    assert tables.read("bronze.records").count() == 5  # the records commit was not repeated
    assert tables.read("bronze.rejects").count() == 5
    nxt = bronze.ingest(spark, tables, str(landing), CATALOGS)
    assert nxt.batch == 2 and nxt.records == 1
    assert tables.read("bronze.records").count() == 6


def test_a_small_batch_written_by_the_driver_equals_the_tasks_write(spark, tables, landing, tmp_path):
    from lakehouse.tables import Tables

    by_driver = Tables(str(tmp_path / "driver"), spark, tables.settings)
    on_spark = bronze.ingest(spark, tables, str(landing), CATALOGS)  # the parse tasks write the records
    in_driver = bronze.ingest(spark, by_driver, str(landing), CATALOGS, driver_write_max_bytes=2**20)
    assert (in_driver.records, in_driver.rejected_lines, in_driver.lines_by_catalog) == (
        on_spark.records,
        on_spark.rejected_lines,
        on_spark.lines_by_catalog,
    )
    # one file per catalog written by delta-rs (write_deltalake), in the partition folders Spark would use
    import pyarrow.parquet as pq

    files = by_driver.snapshot(bronze.RECORDS).files
    assert sorted(f.path.split("/")[0] for f in files) == ["catalog=SCJG-001", "catalog=SCJG-003", "catalog=SW-001"]
    storage = by_driver.storage(bronze.RECORDS)
    assert all("delta-rs" in pq.ParquetFile(storage.abs(f.path)).metadata.created_by for f in files)

    def rows(t, name):
        df = t.read(name).drop("ingested_at", "planned_at")
        out = [tuple(tuple(sorted(v.items())) if isinstance(v, dict) else v for v in r) for r in df.collect()]
        return df.schema, sorted(out, key=repr)

    for name in (bronze.RECORDS, bronze.REJECTS, bronze.FILES):
        assert rows(by_driver, name) == rows(tables, name), name
    # the larger path: the parse tasks wrote their records with pyarrow too, and the driver committed them
    task_files = tables.snapshot(bronze.RECORDS).files
    assert {f.path.split("/")[0] for f in task_files} == {f.path.split("/")[0] for f in files}
    assert all("parquet-cpp-arrow" in pq.ParquetFile(tables.storage(bronze.RECORDS).abs(f.path)).metadata.created_by for f in task_files)
    assert bronze.ingest(spark, by_driver, str(landing), CATALOGS, driver_write_max_bytes=2**20).batch is None

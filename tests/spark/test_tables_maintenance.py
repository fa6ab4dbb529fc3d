"""History, optimize, vacuum, checkpoints, properties and staging files."""
from pathlib import Path

import deltalake
import pytest

from lakehouse.tables.exceptions import TableError

from .helpers import data_files_on_disk, frame, sorted_rows


def test_history_lists_every_commit_with_operation(tables, spark):
    tables.write("silver.h", frame(spark, 3))
    tables.write("silver.h", frame(spark, 3, start=3))
    tables.merge("silver.h", frame(spark, 1, tag="v2"), keys=["id"])
    hist = tables.history("silver.h")
    assert [h["version"] for h in hist] == [2, 1, 0]
    assert hist[0]["regulake.operation"] == "MERGE" and hist[0]["readVersion"] == 1


def test_optimize_compacts_without_changing_data(tables, spark):
    for i in range(4):
        tables.write("silver.small", frame(spark, 5, start=i * 5).coalesce(1), partition_by=["district"])
    before = tables.read("silver.small").collect()
    n_before = len(tables.snapshot("silver.small").files)
    metrics = tables.optimize("silver.small")
    assert metrics["numFilesRemoved"] > metrics["numFilesAdded"]
    assert len(tables.snapshot("silver.small").files) < n_before
    assert sorted_rows(tables.read("silver.small").collect()) == sorted_rows(before)


def test_checkpoint_written_and_table_still_reads(tables, spark):
    tables.write("silver.cp", frame(spark, 3))
    tables.write("silver.cp", frame(spark, 3, start=3))
    tables.checkpoint("silver.cp")
    log = Path(tables.uri("silver.cp")) / "_delta_log"
    assert (log / "00000000000000000001.checkpoint.parquet").exists()
    assert tables.read("silver.cp").count() == 6


def test_audit_tables_keep_a_year_and_refuse_short_vacuum(tables, spark):
    tables.write("gold.plan_audit", frame(spark, 2), audit=True)
    props = tables.properties("gold.plan_audit")
    assert props["delta.logRetentionDuration"] == "interval 365 days"
    assert props["delta.deletedFileRetentionDuration"] == "interval 365 days"
    with pytest.raises(TableError, match="shorter than the table's deletedFileRetentionDuration"):
        tables.vacuum("gold.plan_audit", retention_hours=24)
    with pytest.raises(TableError, match="lift the table's protocol"):
        tables.set_properties("gold.plan_audit", {"delta.enableDeletionVectors": "true"})
    tables.set_properties("gold.plan_audit", {"regulake.owner": "market-supervision"})
    assert tables.properties("gold.plan_audit")["regulake.owner"] == "market-supervision"
    proto = deltalake.DeltaTable(tables.uri("gold.plan_audit")).protocol()
    assert (proto.min_reader_version, proto.min_writer_version) == (1, 2)


def test_vacuum_removes_unreferenced_and_abandoned_staging_files(tables, spark):
    tables.write("silver.vac", frame(spark, 6), partition_by=["district"])
    tables.write("silver.vac", frame(spark, 6, tag="v2"), mode="overwrite")
    root = Path(tables.uri("silver.vac"))
    stray = root / ".staging" / "deadbeef" / "district=440604"
    stray.mkdir(parents=True)
    (stray / "part-0.parquet").write_bytes(b"abandoned")
    live = {f.path for f in tables.snapshot("silver.vac").files}
    assert len(data_files_on_disk(str(root))) > len(live)
    assert tables.read("silver.vac").count() == 6  # staging and removed files are invisible
    dry = tables.vacuum("silver.vac", retention_hours=0, force=True, staging_retention_hours=0, dry_run=True)
    assert len(dry) > 0 and (stray / "part-0.parquet").exists()
    tables.vacuum("silver.vac", retention_hours=0, force=True, staging_retention_hours=0)
    assert data_files_on_disk(str(root)) == live
    assert not (root / ".staging" / "deadbeef").exists()
    assert tables.read("silver.vac").count() == 6

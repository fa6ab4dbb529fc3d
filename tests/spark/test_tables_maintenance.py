"""History, optimize and Z-order, vacuum, restore, checkpoints and properties, through delta-spark."""

from pathlib import Path

import deltalake
import pytest

from lakehouse.tables import Tables
from lakehouse.tables.exceptions import TableError

from .helpers import data_files_on_disk, frame, sorted_rows


def test_history_lists_every_commit_with_operation(tables, spark):
    tables.write("silver.h", frame(spark, 3))
    tables.write("silver.h", frame(spark, 3, start=3))
    tables.merge("silver.h", frame(spark, 1, tag="v2"), keys=["id"])
    hist = tables.history("silver.h")
    assert [h["version"] for h in hist] == [2, 1, 0]
    assert [h["operation"] for h in hist] == ["MERGE", "WRITE", "WRITE"] and hist[0]["readVersion"] == 1
    assert hist[0]["operationMetrics"]["numTargetRowsUpdated"] == "1"
    assert [h["version"] for h in Tables(tables.root).history("silver.h")] == [2, 1, 0]  # without Spark: delta-rs reads the log


def test_restore_makes_an_old_version_current_and_keeps_history(tables, spark):
    tables.write("silver.rs", frame(spark, 3))
    tables.write("silver.rs", frame(spark, 5, start=10, tag="v2"), mode="overwrite")
    assert tables.restore("silver.rs", version=0) == 2
    assert sorted_rows(tables.read("silver.rs").collect()) == sorted_rows(frame(spark, 3).collect())
    assert tables.history("silver.rs")[0]["operation"] == "RESTORE"
    assert tables.read("silver.rs", version=1).count() == 5


def test_zorder_clusters_files_and_keeps_rows(tables, spark):
    tables.write("silver.z", frame(spark, 40).repartition(4))
    before = sorted_rows(tables.read("silver.z").collect())
    metrics = tables.optimize("silver.z", zorder_by=["amount", "day"])
    assert metrics["numFilesRemoved"] == 4 and metrics["numFilesAdded"] >= 1
    assert tables.history("silver.z")[0]["operation"] == "OPTIMIZE"
    assert "amount" in tables.history("silver.z")[0]["operationParameters"]["zOrderBy"]
    assert sorted_rows(tables.read("silver.z").collect()) == before


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


def test_vacuum_removes_unreferenced_and_dead_writers_files(tables, spark):
    tables.write("silver.vac", frame(spark, 6), partition_by=["district"])
    tables.write("silver.vac", frame(spark, 6, tag="v2"), mode="overwrite")
    root = Path(tables.uri("silver.vac"))
    stray = root / "district=440604" / "part-99999-dead-writer.c000.snappy.parquet"  # a killed writer's file
    stray.write_bytes(b"abandoned")
    live = {f.path for f in tables.snapshot("silver.vac").files}
    assert len(data_files_on_disk(str(root))) > len(live) + 1
    assert tables.read("silver.vac").count() == 6  # removed and uncommitted files are invisible
    dry = tables.vacuum("silver.vac", retention_hours=0, force=True, dry_run=True)
    assert any(p.endswith("dead-writer.c000.snappy.parquet") for p in dry) and stray.exists()
    tables.vacuum("silver.vac", retention_hours=0, force=True)
    assert data_files_on_disk(str(root)) == live
    assert tables.read("silver.vac").count() == 6

"""Write and read Delta tables with real Spark (delta-spark) and real files; check the log each commit leaves."""

import datetime as dt

import deltalake
import polars as pl
import pytest

from lakehouse.tables.exceptions import (
    PartitionFilterViolationError,
    SchemaMismatchError,
    TableError,
    TableNotFoundError,
)

from .helpers import data_files_on_disk, frame, log_actions, sorted_rows


def test_append_creates_plain_table_with_stats_and_partition_values(tables, spark):
    res = tables.write("silver.firms", frame(spark, 30), partition_by=["district"])
    assert (res.version, res.skipped) == (0, False)
    uri = tables.uri("silver.firms")
    dt_ = deltalake.DeltaTable(uri)
    assert dt_.protocol().min_reader_version == 1 and dt_.protocol().min_writer_version == 2
    assert dt_.metadata().partition_columns == ["district"]
    adds = [a["add"] for a in log_actions(uri, 0) if "add" in a]
    assert adds and sum(__import__("json").loads(a["stats"])["numRecords"] for a in adds) == 30
    for a in adds:
        st = __import__("json").loads(a["stats"])
        assert set(st["minValues"]) >= {"id", "name", "ts", "day"}
        assert a["partitionValues"]["district"] in {"440604", "440605", "440606"}
        assert a["path"].startswith(f"district={a['partitionValues']['district']}/")
    got = tables.read("silver.firms")
    assert got.columns == ["id", "name", "district", "amount", "ts", "day"]
    assert sorted_rows(got.collect()) == sorted_rows(frame(spark, 30).collect())


def test_exactly_once_batches_commit_nothing_twice(tables, spark):
    first = tables.write("bronze.batches", frame(spark, 5), app_id="ingest", app_version=1)
    again = tables.write("bronze.batches", frame(spark, 5), app_id="ingest", app_version=1)
    assert first.version == 0 and again.skipped and again.version is None
    nxt = tables.write("bronze.batches", frame(spark, 5, start=5), app_id="ingest", app_version=2)
    assert nxt.version == 1
    assert tables.read("bronze.batches").count() == 10
    assert tables.transaction_version("bronze.batches", "ingest") == 2
    # the skipped batch left no files behind
    assert len(data_files_on_disk(tables.uri("bronze.batches"))) == len(tables.snapshot("bronze.batches").files)


def test_overwrite_all_and_replace_partitions(tables, spark):
    tables.write("silver.ow", frame(spark, 30), partition_by=["district"])
    before = {f.path for f in tables.snapshot("silver.ow").files if f.partition_values["district"] != "440604"}
    new = frame(spark, 30, start=100, tag="v2").where("district = '440604'")
    res = tables.write("silver.ow", new, mode="overwrite", replace_where={"district": "440604"})
    assert res.version == 1
    df = tables.read("silver.ow")
    counts = {r["district"]: r["count"] for r in df.groupBy("district").count().collect()}
    assert counts == {"440604": 10, "440605": 10, "440606": 10}
    assert df.where("district = '440604'").where("name like 'v1%'").count() == 0
    # other partitions' files are untouched
    assert before <= {f.path for f in tables.snapshot("silver.ow").files}
    tables.write("silver.ow", frame(spark, 3, tag="v3"), mode="overwrite")
    assert tables.read("silver.ow").count() == 3
    assert tables.read("silver.ow", version=1).count() == 30


def test_replace_where_refuses_rows_outside_and_leaves_table_unchanged(tables, spark):
    tables.write("silver.rw", frame(spark, 9), partition_by=["district"])
    files_before = data_files_on_disk(tables.uri("silver.rw"))
    with pytest.raises(PartitionFilterViolationError, match="outside replace_where"):
        tables.write("silver.rw", frame(spark, 9, tag="bad"), mode="overwrite", replace_where={"district": ["440604"]})
    with pytest.raises(PartitionFilterViolationError, match="not partition columns"):
        tables.write("silver.rw", frame(spark, 9), mode="overwrite", replace_where={"name": "x"})
    assert tables.version("silver.rw") == 0
    assert data_files_on_disk(tables.uri("silver.rw")) == files_before


def test_schema_evolution_is_opt_in_and_type_changes_refused(tables, spark):
    from pyspark.sql import functions as F

    tables.write("silver.evo", frame(spark, 4))
    wider = frame(spark, 2, start=10).withColumn("capital_method", F.lit("货币"))
    with pytest.raises(SchemaMismatchError, match="new columns.*capital_method"):
        tables.write("silver.evo", wider)
    tables.write("silver.evo", wider, schema_mode="add_columns")
    df = tables.read("silver.evo")
    assert df.columns[-1] == "capital_method"
    assert df.where("capital_method is null").count() == 4 and df.where("capital_method = '货币'").count() == 2
    # a missing column is fine: read back as NULL
    tables.write("silver.evo", frame(spark, 1, start=20).drop("name"))
    assert tables.read("silver.evo").where("id = 20").first()["name"] is None
    retyped = frame(spark, 1).withColumn("id", F.col("id").cast("string"))
    with pytest.raises(SchemaMismatchError, match="'id' is string but the table has bigint"):
        tables.write("silver.evo", retyped)
    with pytest.raises(SchemaMismatchError, match="TIMESTAMP_NTZ"):
        tables.write("silver.evo", frame(spark, 1).withColumn("ts", F.col("ts").cast("timestamp_ntz")))
    with pytest.raises(SchemaMismatchError, match="partitioned by nothing"):
        tables.write("silver.evo", frame(spark, 1), partition_by=["district"])
    # delta-rs and polars still read the evolved table
    assert deltalake.DeltaTable(tables.uri("silver.evo")).to_pyarrow_table().num_rows == 7
    assert pl.read_delta(tables.uri("silver.evo")).height == 7


def test_empty_dataframe_creates_table_with_schema(tables, spark):
    tables.write("gold.empty", frame(spark, 0), partition_by=["district"])
    df = tables.read("gold.empty")
    assert df.count() == 0 and df.columns == ["id", "name", "district", "amount", "ts", "day"]


def test_time_travel_by_version_and_timestamp(tables, spark):
    tables.write("silver.tt", frame(spark, 3))
    t_after_v0 = dt.datetime.now(dt.timezone.utc)
    import time

    time.sleep(1.1)
    tables.write("silver.tt", frame(spark, 4, start=3))
    assert tables.read("silver.tt").count() == 7
    assert tables.read("silver.tt", version=0).count() == 3
    assert tables.read("silver.tt", timestamp=t_after_v0).count() == 3
    with pytest.raises(TableNotFoundError, match="no version 9"):
        tables.read("silver.tt", version=9)


def test_filters_prune_files_by_partition_and_stats(tables, spark):
    tables.write("silver.prune", frame(spark, 30).repartition(3, "id"), partition_by=["district"])
    tables.write("silver.prune", frame(spark, 30, start=1000).coalesce(1), partition_by=["district"])
    snap = tables.snapshot("silver.prune")
    storage = tables.storage("silver.prune")
    by_partition = snap.prune([("district", "=", "440605")], storage)
    assert by_partition and all(f.partition_values["district"] == "440605" for f in by_partition)
    by_stats = snap.prune([("id", ">=", 1000)], storage)
    assert 0 < len(by_stats) < len(snap.files)
    got = tables.read("silver.prune", filters=[("id", ">=", 1000), ("district", "in", ["440604", "440606"])])
    assert sorted(r["id"] for r in got.collect()) == [i for i in range(1000, 1030) if i % 3 in (0, 2)]


def test_filters_prune_under_a_symlinked_root_and_encoded_partition_values(spark, tmp_path, test_config):
    """delta-rs resolves symlinks and percent-encodes partition directories; pruning must still
    find the files (it once matched nothing and a filtered read came back empty)."""
    from lakehouse.tables import Tables

    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    tables = Tables(str(tmp_path / "link" / "warehouse"), spark, test_config.tables)
    rows = [(i, "a b:c/d%e" if i % 2 else "x", i * 10) for i in range(20)]
    tables.write("silver.linked", spark.createDataFrame(rows, "id long, part string, v long"), partition_by=["part"])
    got = tables.read("silver.linked", filters=[("part", "=", "a b:c/d%e"), ("id", ">=", 10)])
    assert sorted(r["id"] for r in got.collect()) == [11, 13, 15, 17, 19]
    assert tables.read("silver.linked", filters=[("id", "=", 4)]).collect()[0]["v"] == 40


def test_views_make_tables_usable_from_spark_sql(tables, spark):
    tables.write("gold.entity_profile", frame(spark, 6), partition_by=["district"])
    tables.write("gold.kpi", frame(spark, 2))
    assert set(tables.register_views()) == {"gold_entity_profile", "gold_kpi"}
    row = spark.sql("select count(*) n, count(distinct district) d from gold_entity_profile").first()
    assert (row["n"], row["d"]) == (6, 3)


def test_cross_readers_see_what_spark_wrote(tables, spark):
    tables.write("gold.cross", frame(spark, 12), partition_by=["district"])
    tables.merge("gold.cross", frame(spark, 3, start=10, tag="v2"), keys=["id"])
    expected = sorted_rows(tables.read("gold.cross").collect())
    cols = ["id", "name", "district", "amount", "ts", "day"]
    arrow = deltalake.DeltaTable(tables.uri("gold.cross")).to_pyarrow_table().select(cols)
    assert sorted_rows(tuple(r.values()) for r in arrow.to_pylist()) == expected
    polars = pl.read_delta(tables.uri("gold.cross")).select(cols)
    assert sorted_rows(polars.iter_rows()) == expected
    assert len(expected) == 13


def test_missing_table_and_vacuumed_version_errors_are_clear(tables, spark):
    with pytest.raises(TableNotFoundError, match="silver.nothing does not exist"):
        tables.read("silver.nothing")
    tables.write("silver.gone", frame(spark, 3))
    tables.write("silver.gone", frame(spark, 3), mode="overwrite")
    tables.vacuum("silver.gone", retention_hours=0, force=True)
    with pytest.raises(TableError, match="vacuum"):
        tables.read("silver.gone", version=0).count()


def _doubled(batches):
    """A produce function for stage_in_tasks: each partition's rows with the amount doubled, as one table."""
    import pyarrow as pa
    import pyarrow.compute as pc

    parts = [b for b in batches if b.num_rows]
    if parts:
        t = pa.Table.from_batches(parts)
        yield t.set_column(t.schema.get_field_index("amount"), "amount", pc.multiply(t.column("amount"), 2))


def test_files_written_by_tasks_commit_like_spark_writes(tables, spark):
    """Spark tasks write Parquet with pyarrow (stage_in_tasks); the driver commits their add actions."""
    df = frame(spark, 30).repartition(3)
    staged = tables.stage_in_tasks("gold.staged", df, _doubled, df.schema, partition_by=["district"])
    assert staged.rows() == 30 and staged.rows({"district": "440604"}) == 10
    assert len(staged.adds) == 9  # three partitions of the data × three districts each
    assert not tables.exists("gold.staged")  # nothing committed yet
    res = tables.write("gold.staged", staged, partition_by=["district"], app_id="job", app_version=1)
    assert res.version == 0
    want = frame(spark, 30).selectExpr("id", "name", "district", "amount * 2 as amount", "ts", "day")
    got = tables.read("gold.staged")
    assert got.columns == want.columns
    assert sorted_rows(got.collect()) == sorted_rows(want.collect())
    adds = [a["add"] for a in log_actions(tables.uri("gold.staged"), 0) if "add" in a]
    assert all(set(__import__("json").loads(a["stats"])["minValues"]) >= {"id", "name", "day"} for a in adds)
    assert tables.read("gold.staged", filters=[("district", "=", "440605")]).count() == 10

    # the same batch again commits nothing and deletes the files its tasks wrote
    again = tables.stage_in_tasks("gold.staged", df, _doubled, df.schema, partition_by=["district"])
    assert tables.write("gold.staged", again, partition_by=["district"], app_id="job", app_version=1).skipped
    # files staged for the wrong partitioning are refused and deleted
    wrong = tables.stage_in_tasks("gold.staged", df, _doubled, df.schema)
    with pytest.raises(SchemaMismatchError, match="staged files are partitioned by nothing"):
        tables.write("gold.staged", wrong, mode="overwrite")
    assert data_files_on_disk(tables.uri("gold.staged")) == {f.path for f in tables.snapshot("gold.staged").files}
    assert tables.version("gold.staged") == 0

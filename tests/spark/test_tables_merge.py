"""Merge (upsert) and delete rewrite only the files they touch."""

import pytest

from lakehouse.tables.exceptions import DuplicateKeyError, SchemaMismatchError

from .helpers import frame


def files_by_partition(tables, name):
    out = {}
    for f in tables.snapshot(name).files:
        out.setdefault(f.partition_values.get("district"), set()).add(f.path)
    return out


def test_upsert_updates_inserts_and_rewrites_only_touched_files(tables, spark):
    tables.write("silver.reg", frame(spark, 30), partition_by=["district"])
    before = files_by_partition(tables, "silver.reg")
    # ids 0 and 3 live in district 440604; id 100 is new there too
    src = (
        frame(spark, 1, start=0, tag="v2").unionByName(frame(spark, 1, start=3, tag="v2")).unionByName(frame(spark, 1, start=99, tag="v2"))
    )
    res = tables.merge("silver.reg", src, keys=["id"])
    assert (res.rows_updated, res.rows_inserted) == (2, 1)
    df = tables.read("silver.reg")
    assert df.count() == 31
    got = {r["id"]: r["name"] for r in df.where("id in (0, 3, 6, 99)").collect()}
    assert got == {0: "v2-企业0", 3: "v2-企业3", 6: "v1-企业6", 99: "v2-企业99"}
    after = files_by_partition(tables, "silver.reg")
    assert after["440605"] == before["440605"] and after["440606"] == before["440606"]
    assert after["440604"] != before["440604"]


def test_merge_insert_only_ignores_matches(tables, spark):
    tables.write("silver.ins", frame(spark, 5))
    res = tables.merge("silver.ins", frame(spark, 4, start=3, tag="v2"), keys=["id"], when_matched="ignore")
    assert (res.rows_updated, res.rows_inserted, res.files_removed) == (0, 2, 0)
    names = {r["id"]: r["name"] for r in tables.read("silver.ins").collect()}
    assert names[3] == "v1-企业3" and names[6] == "v2-企业6" and len(names) == 7


def test_merge_creates_missing_table_and_refuses_duplicate_keys(tables, spark):
    res = tables.merge("silver.new", frame(spark, 4), keys=["id"])
    assert res.version == 0 and tables.read("silver.new").count() == 4
    dup = frame(spark, 2).unionByName(frame(spark, 1))
    with pytest.raises(DuplicateKeyError, match="several rows for keys"):
        tables.merge("silver.new", dup, keys=["id"])
    with pytest.raises(SchemaMismatchError, match="merge keys"):
        tables.merge("silver.new", frame(spark, 1), keys=["uscc"])
    assert tables.version("silver.new") == 0


def test_merge_is_exactly_once_with_app_transactions(tables, spark):
    tables.write("silver.once", frame(spark, 3))
    first = tables.merge("silver.once", frame(spark, 2, start=2, tag="v2"), keys=["id"], app_id="silver", app_version=7)
    second = tables.merge("silver.once", frame(spark, 2, start=2, tag="v3"), keys=["id"], app_id="silver", app_version=7)
    assert not first.skipped and second.skipped
    assert {r["name"] for r in tables.read("silver.once").where("id >= 2").collect()} == {"v2-企业2", "v2-企业3"}


def test_delete_by_predicate_keeps_null_rows_and_other_files(tables, spark):
    from pyspark.sql import functions as F

    df = frame(spark, 12).withColumn("name", F.when(F.col("id") == 5, None).otherwise(F.col("name")))
    tables.write("silver.del", df, partition_by=["district"])
    before = files_by_partition(tables, "silver.del")
    res = tables.delete("silver.del", "name like '%企业1%' and district = '440605'")
    # ids 1, 10 are in 440605 (id % 3 == 1) and match; id 5 has a NULL name and stays
    assert res.rows_deleted == 2
    remaining = sorted(r["id"] for r in tables.read("silver.del").collect())
    assert remaining == [0, 2, 3, 4, 5, 6, 7, 8, 9, 11]
    after = files_by_partition(tables, "silver.del")
    assert after["440604"] == before["440604"] and after["440606"] == before["440606"]
    nothing = tables.delete("silver.del", F.col("id") > 1000)
    assert nothing.rows_deleted == 0 and nothing.version == res.version


def test_merge_rewrites_only_files_holding_a_source_key(tables, spark):
    """Delta's MERGE: a daily batch of new record numbers rewrites no old file; an update rewrites just its file."""
    schema = "cat string, rk string, v long"

    def rows(cat, lo, hi, v=1, prefix=""):
        return spark.createDataFrame([(cat, f"{prefix}{cat}|{i:04d}", v) for i in range(lo, hi)], schema).coalesce(1)

    tables.write("silver.keyed", rows("A", 0, 10), partition_by=["cat"])
    tables.write("silver.keyed", rows("A", 10, 20).unionByName(rows("B", 0, 10)).coalesce(1), partition_by=["cat"])
    first = {f.path for f in tables.snapshot("silver.keyed", version=0).files}
    second = {f.path for f in tables.snapshot("silver.keyed").files if f.partition_values["cat"] == "A"} - first

    new = tables.merge("silver.keyed", rows("A", 20, 23, v=2), keys=["cat", "rk"])
    assert (new.rows_updated, new.rows_inserted, new.files_removed) == (0, 3, 0)
    res = tables.merge("silver.keyed", rows("A", 15, 16, v=2).unionByName(rows("A", 30, 31, v=2)), keys=["cat", "rk"])
    assert (res.rows_updated, res.rows_inserted, res.files_removed) == (1, 1, 1)
    kept = {f.path for f in tables.snapshot("silver.keyed").files}
    assert first <= kept and not (second & kept)  # the file holding A|0015 was the one rewritten
    got = {r["rk"]: r["v"] for r in tables.read("silver.keyed").collect()}
    assert len(got) == 34 and got["A|0015"] == 2 and got["A|0014"] == 1 and got["A|0022"] == 2 and got["B|0003"] == 1

    # keys of 32 characters or more (statistics truncated) still merge correctly
    long = "x" * 30
    tables.write("silver.longkeys", rows("A", 0, 10, prefix=long), partition_by=["cat"])
    res = tables.merge("silver.longkeys", rows("A", 5, 6, v=7, prefix=long), keys=["cat", "rk"])
    assert res.rows_updated == 1 and tables.read("silver.longkeys").where("v = 7").count() == 1


def _sorted_rows(tables, name):
    df = tables.read(name)
    return df.schema, sorted(tuple(r) for r in df.collect())


def test_arrow_sources_write_and_merge_as_dataframes_do(tables, spark):
    """The driver's path (pyarrow files, no Spark job) gives the tables the Spark path gives."""
    from lakehouse.tables.exceptions import TableError

    tables.write("silver.by_spark", frame(spark, 30), partition_by=["district"])
    tables.write("silver.by_arrow", frame(spark, 30).toArrow(), partition_by=["district"])
    assert _sorted_rows(tables, "silver.by_arrow") == _sorted_rows(tables, "silver.by_spark")
    arrow_files = tables.snapshot("silver.by_arrow").files
    assert sorted(f.partition_values["district"] for f in arrow_files) == ["440604", "440605", "440606"]
    assert all(f.path.startswith(f"district={f.partition_values['district']}/") and f.num_records == 10 for f in arrow_files)
    # the statistics prune files for readers as Spark's do
    assert len(tables.snapshot("silver.by_arrow").key_ranges("id")) == 3
    assert tables.read("silver.by_arrow", filters=[("id", ">=", 29)]).count() == 1
    # and the driver reads them back with no Spark job, filters as Spark applies them
    for filters in (
        [("district", "=", "440604"), ("id", "<", 9)],
        [("day", ">", "2024-01-02")],
        [("id", ">", 2), ("id", "<=", 7)],
        [("district", "in", ["440605"]), ("id", "!=", 1)],
    ):
        want = sorted(r["id"] for r in tables.read("silver.by_spark", filters=filters).collect())
        assert sorted(tables.read_arrow("silver.by_arrow", columns=["id"], filters=filters).column("id").to_pylist()) == want, filters
        assert tables.read_arrow("silver.by_spark", columns=["id", "name"], filters=filters).column_names == ["id", "name"]
    before = files_by_partition(tables, "silver.by_arrow")

    src = (
        frame(spark, 1, start=0, tag="v2").unionByName(frame(spark, 1, start=3, tag="v2")).unionByName(frame(spark, 1, start=99, tag="v2"))
    )
    by_spark = tables.merge("silver.by_spark", src, keys=["id"])
    by_arrow = tables.merge("silver.by_arrow", src.toArrow(), keys=["id"])
    assert by_arrow[2:5] == by_spark[2:5]  # updated, inserted, files removed
    assert _sorted_rows(tables, "silver.by_arrow") == _sorted_rows(tables, "silver.by_spark")
    after = files_by_partition(tables, "silver.by_arrow")
    assert after["440605"] == before["440605"] and after["440606"] == before["440606"]

    # new keys above every file's range read and rewrite no file
    fresh = tables.merge("silver.by_arrow", frame(spark, 2, start=200).toArrow(), keys=["id"])
    assert (fresh.rows_updated, fresh.rows_inserted, fresh.files_removed) == (0, 2, 0)
    # exactly once, duplicate keys, unknown keys and merges other than an upsert are refused
    first = tables.merge("silver.by_arrow", frame(spark, 1, start=5, tag="v3").toArrow(), keys=["id"], app_id="a", app_version=1)
    again = tables.merge("silver.by_arrow", frame(spark, 1, start=5, tag="v4").toArrow(), keys=["id"], app_id="a", app_version=1)
    assert not first.skipped and again.skipped
    assert tables.read("silver.by_arrow").where("id = 5").first()["name"] == "v3-企业5"
    version = tables.version("silver.by_arrow")
    with pytest.raises(DuplicateKeyError, match="several rows for keys"):
        tables.merge("silver.by_arrow", frame(spark, 2).unionByName(frame(spark, 1)).toArrow(), keys=["id"])
    with pytest.raises(SchemaMismatchError, match="merge keys"):
        tables.merge("silver.by_arrow", frame(spark, 1).toArrow(), keys=["uscc"])
    with pytest.raises(TableError, match="upsert only"):
        tables.merge("silver.by_arrow", frame(spark, 1).toArrow(), keys=["id"], when_matched="ignore")
    assert tables.version("silver.by_arrow") == version


def test_an_arrow_merge_in_parts_commits_once_what_one_merge_commits(tables, spark):
    """Parts are spilled one at a time and merged in one commit; a failed merge leaves nothing."""
    from pyspark.sql import functions as F

    from .helpers import data_files_on_disk

    keys = ["district", "id"]

    def parts(df):  # one part per district, and the 440606 rows split in two parts of the same partition
        return [
            df.where(F.col("district") == "440604").toArrow(),
            df.where("district = '440606' and id % 2 = 0").toArrow(),
            df.where("district = '440606' and id % 2 = 1").toArrow(),
        ]

    # a new table, created by the one commit
    m = tables.arrow_merge("silver.parts", keys, partition_by=["district"], app_id="silver-x", app_version=1)
    for p in parts(frame(spark, 30)):
        m.add(p)
    assert not tables.exists("silver.parts")  # spilled parts, no commit yet
    res = m.commit()
    assert res.version == 0 and (res.rows_updated, res.rows_inserted) == (0, 20)
    tables.write("silver.whole", frame(spark, 30).where("district != '440605'"), partition_by=["district"])
    assert _sorted_rows(tables, "silver.parts") == _sorted_rows(tables, "silver.whole")

    # an upsert touching two partitions: one commit, the same rows as one Spark merge
    src = frame(spark, 9, start=25, tag="v2").where("district != '440605'")
    m = tables.arrow_merge("silver.parts", keys, app_id="silver-x", app_version=2)
    *first, last = parts(src)
    for p in [*first, last]:
        m.add(p)
    res = m.commit()
    want = tables.merge("silver.whole", src, keys=keys)
    assert res.version == 1 and res[2:4] == want[2:4] == (3, 3)
    assert _sorted_rows(tables, "silver.parts") == _sorted_rows(tables, "silver.whole")
    assert [h["operation"] for h in tables.history("silver.parts")][:2] == ["MERGE", "WRITE"]

    # exactly once: the same app version again stages nothing and commits nothing
    again = tables.arrow_merge("silver.parts", keys, app_id="silver-x", app_version=2)
    assert again.done and again.commit().skipped and tables.version("silver.parts") == 1

    # a key in two parts is refused at the commit, and nothing is written
    on_disk = data_files_on_disk(tables.uri("silver.parts"))
    m = tables.arrow_merge("silver.parts", keys, app_id="silver-x", app_version=3)
    part = parts(frame(spark, 6, start=40, tag="v3"))[0]
    m.add(part)
    m.add(part)
    spill = m.spill
    with pytest.raises(DuplicateKeyError, match="several rows for keys"):
        m.commit()
    assert data_files_on_disk(tables.uri("silver.parts")) == on_disk and tables.version("silver.parts") == 1
    assert not __import__("os").path.exists(spill)  # the spilled parts are deleted

"""Write-serializable commits: conflicting writers fail clearly, blind appends always land."""
import pytest

from lakehouse.tables.exceptions import ConcurrentModificationError

from .helpers import data_files_on_disk, frame


def test_conflicting_overwrite_fails_and_leaves_the_winner(tables, spark):
    tables.write("silver.c1", frame(spark, 9), partition_by=["district"])
    winner = frame(spark, 9, start=100, tag="winner").where("district = '440604'")
    loser = frame(spark, 9, start=200, tag="loser").where("district = '440604'")

    def race():
        tables.write("silver.c1", winner, mode="overwrite", replace_where={"district": "440604"})

    with pytest.raises(ConcurrentModificationError, match="version 1 .* added data in partition"):
        tables.write("silver.c1", loser, mode="overwrite", replace_where={"district": "440604"}, before_commit=race)
    assert tables.version("silver.c1") == 1
    names = {r["name"].split("-")[0] for r in tables.read("silver.c1").where("district = '440604'").collect()}
    assert names == {"winner"}
    # the loser's files were deleted, not left behind
    assert data_files_on_disk(tables.uri("silver.c1")) >= {f.path for f in tables.snapshot("silver.c1").files}
    assert not any("loser" in r["name"] for r in tables.read("silver.c1").collect())


def test_overwrite_of_one_partition_does_not_conflict_with_appends_elsewhere(tables, spark):
    tables.write("silver.c2", frame(spark, 9), partition_by=["district"])

    def append_elsewhere():
        tables.write("silver.c2", frame(spark, 9, start=50, tag="other").where("district = '440606'"))

    new = frame(spark, 9, start=100, tag="new").where("district = '440604'")
    res = tables.write("silver.c2", new, mode="overwrite", replace_where={"district": "440604"}, before_commit=append_elsewhere)
    assert res.version == 2
    counts = {r["district"]: r["count"] for r in tables.read("silver.c2").groupBy("district").count().collect()}
    assert counts == {"440604": 3, "440605": 3, "440606": 6}


def test_blind_append_lands_after_a_concurrent_overwrite(tables, spark):
    tables.write("silver.c3", frame(spark, 3))

    def overwrite():
        tables.write("silver.c3", frame(spark, 2, start=10), mode="overwrite")

    tables.write("silver.c3", frame(spark, 4, start=20), before_commit=overwrite)
    assert sorted(r["id"] for r in tables.read("silver.c3").collect()) == [10, 11, 20, 21, 22, 23]


def test_merge_conflicts_with_concurrent_append_in_its_partitions(tables, spark):
    from lakehouse.tables import merge as merging

    tables.write("silver.c4", frame(spark, 6), partition_by=["district"])
    snap = tables.snapshot("silver.c4")
    tables.write("silver.c4", frame(spark, 3, start=0, tag="dup").where("district = '440604'"))
    with pytest.raises(ConcurrentModificationError):
        merging.merge(spark, frame(spark, 1, start=0, tag="v2"), tables.storage("silver.c4"), "silver.c4", snap, ["id"])
    assert tables.version("silver.c4") == 1

"""Concurrent writers, raced for real: a Delta write or merge is held in its tasks (between reading its
snapshot and committing) while another writer commits. Delta's own conflict detection decides; the
loser fails with the project's error and nothing of it is committed."""

import pytest

from lakehouse.tables.exceptions import ConcurrentModificationError

from .helpers import frame, gated, run_gated


def test_conflicting_overwrite_fails_and_leaves_the_winner(tables, spark, tmp_path):
    tables.write("silver.c1", frame(spark, 9), partition_by=["district"])
    winner = frame(spark, 9, start=100, tag="winner").where("district = '440604'")
    loser = gated(frame(spark, 9, start=200, tag="loser").where("district = '440604'").coalesce(1), str(tmp_path))

    def win():  # committed by delta-rs while delta-spark's overwrite waits in its tasks
        tables.write("silver.c1", winner.toArrow(), mode="overwrite", replace_where={"district": "440604"})

    with pytest.raises(ConcurrentModificationError, match="another writer committed.*nothing was committed"):
        run_gated(str(tmp_path), win, lambda: tables.write("silver.c1", loser, mode="overwrite", replace_where={"district": "440604"}))
    assert tables.version("silver.c1") == 1
    names = {r["name"].split("-")[0] for r in tables.read("silver.c1").where("district = '440604'").collect()}
    assert names == {"winner"}
    assert not any("loser" in r["name"] for r in tables.read("silver.c1").collect())


def test_overwrite_of_one_partition_does_not_conflict_with_appends_elsewhere(tables, spark, tmp_path):
    tables.write("silver.c2", frame(spark, 9), partition_by=["district"])
    other = frame(spark, 9, start=50, tag="other").where("district = '440606'")
    new = gated(frame(spark, 9, start=100, tag="new").where("district = '440604'").coalesce(1), str(tmp_path))
    res = run_gated(
        str(tmp_path),
        lambda: tables.write("silver.c2", other.toArrow()),
        lambda: tables.write("silver.c2", new, mode="overwrite", replace_where={"district": "440604"}),
    )
    assert res.version == 2
    counts = {r["district"]: r["count"] for r in tables.read("silver.c2").groupBy("district").count().collect()}
    assert counts == {"440604": 3, "440605": 3, "440606": 6}


def test_blind_append_lands_after_a_concurrent_overwrite(tables, spark, tmp_path):
    tables.write("silver.c3", frame(spark, 3))
    late = gated(frame(spark, 4, start=20).coalesce(1), str(tmp_path))
    res = run_gated(
        str(tmp_path),
        lambda: tables.write("silver.c3", frame(spark, 2, start=10).toArrow(), mode="overwrite"),
        lambda: tables.write("silver.c3", late),
    )
    assert res.version == 2
    assert sorted(r["id"] for r in tables.read("silver.c3").collect()) == [10, 11, 20, 21, 22, 23]


def test_merge_conflicts_with_concurrent_append_in_its_partitions(tables, spark, tmp_path):
    tables.write("silver.c4", frame(spark, 6), partition_by=["district"])
    source = gated(frame(spark, 1, start=0, tag="v2").coalesce(1), str(tmp_path))
    dup = frame(spark, 3, start=0, tag="dup").where("district = '440604'")
    with pytest.raises(ConcurrentModificationError):
        run_gated(
            str(tmp_path),
            lambda: tables.write("silver.c4", dup.toArrow()),
            lambda: tables.merge("silver.c4", source, keys=["id"], unique_keys=True),
        )
    assert tables.version("silver.c4") == 1
    assert not any(r["name"].startswith("v2") for r in tables.read("silver.c4").collect())

"""Real Delta tables written by Spark/Databricks and delta-rs, read by delta-spark version by version:
the rows delta-rs reads, and the right rows where delta-rs cannot read a feature."""

import datetime as dt
import shutil

import deltalake
import pytest

from lakehouse.tables import spark_delta
from lakehouse.tables.exceptions import UnsupportedTableFeatureError
from lakehouse.tables.snapshot import load_snapshot
from lakehouse.tables.storage import TableStorage

from ..conftest import SHARED_DATA
from .helpers import sorted_rows

TABLES = SHARED_DATA / "delta-tables"
PLAIN = [
    "delta-0.8.0",
    "delta-0.8.0-date",
    "delta-0.8.0-null-partition",
    "delta-0.8.0-numeric-partition",
    "delta-0.8.0-partitioned",
    "delta-0.8.0-special-partition",
    "delta-1.2.1-only-struct-stats",
    "delta-2.2.0-partitioned-types",
    "partition-type-primitives",
    "simple_table",
    "simple_table_with_checkpoint",
    "table-without-dv-small",
]


@pytest.fixture(autouse=True, scope="module")
def _shared_tables():
    if not TABLES.exists():  # a missing checkout of ../shared is an error, not a silent skip
        pytest.fail(f"shared reference tables not found at {TABLES}; set REGULAKE_SHARED_DATA to the shared/data folder")


def spark_read(spark, path, version=None):
    return spark_delta.read(spark, str(path), version)


@pytest.mark.parametrize("name", PLAIN)
def test_plain_tables_read_exactly_as_delta_rs_version_by_version(spark, name, tmp_path):
    path = tmp_path / name
    shutil.copytree(TABLES / name, path)  # the shared folder is read-only in CI
    latest = deltalake.DeltaTable(str(path)).version()
    for version in range(latest + 1):
        try:
            expected_table = deltalake.DeltaTable(str(path), version=version).to_pyarrow_table()
        except Exception:
            continue  # versions whose log was cleaned up are not readable by either
        df = spark_read(spark, path, version)
        expected = sorted_rows(tuple(r[c] for c in df.columns) for r in expected_table.to_pylist())
        assert sorted_rows(df.collect()) == expected, f"{name} v{version}"


def test_deletion_vector_table_read_by_delta_spark_as_delta_rs_reads_it(spark, tmp_path):
    """Delta's own reader applies deletion vectors; the driver's file-list reads refuse such tables."""
    name = "table-with-dv-small"
    path = tmp_path / name
    shutil.copytree(TABLES / name, path)
    latest = deltalake.DeltaTable(str(path)).version()
    for version in range(latest + 1):
        df = spark_read(spark, path, version)
        try:
            expected_table = deltalake.DeltaTable(str(path), version=version).to_pyarrow_table()
        except Exception:
            continue
        expected = sorted_rows(tuple(r[c] for c in df.columns) for r in expected_table.to_pylist())
        assert sorted_rows(df.collect()) == expected, f"{name} v{version}"
    with pytest.raises(UnsupportedTableFeatureError, match="deletion vectors|column mapping"):
        load_snapshot(TableStorage(str(path)), name)


def test_column_mapping_table_read_by_delta_spark(spark, tmp_path):
    """Column mapping: Parquet files hold physical names. delta-spark maps them; delta-rs (1.6) returns one
    column as all NULL here, so rows are compared by count and the columns checked complete."""
    name = "table_with_column_mapping"
    path = tmp_path / name
    shutil.copytree(TABLES / name, path)
    for version in range(deltalake.DeltaTable(str(path)).version() + 1):
        df = spark_read(spark, path, version)
        rows = df.collect()
        assert len(rows) == deltalake.DeltaTable(str(path), version=version).to_pyarrow_table().num_rows
        assert rows and all(any(r[c] is not None for r in rows) for c in df.columns), f"v{version}: a column read as all NULL"
    with pytest.raises(UnsupportedTableFeatureError, match="column mapping"):
        load_snapshot(TableStorage(str(path)), name)


def test_deletion_vectors_hide_deleted_rows(spark):
    rows = spark_read(spark, TABLES / "table-with-dv-small").collect()
    rows_v0 = spark_read(spark, TABLES / "table-with-dv-small", 0).collect()
    assert len(rows) < len(rows_v0)  # version 1 deleted rows through a deletion vector


def test_edge_timestamps_read_correctly(spark):
    # delta-rs cannot convert these (outside Arrow's nanosecond range); Spark reads them.
    got = sorted(
        (r["SOME_VALUE"], r["BIG_DATE"], r["NORMAL_DATE"]) for r in spark_read(spark, TABLES / "table_with_edge_timestamps").collect()
    )
    assert got == [
        (1, dt.datetime(9999, 12, 31), dt.datetime(2022, 1, 1)),
        (2, dt.datetime(9999, 12, 30), dt.datetime(2022, 2, 1)),
    ]

"""Real Delta tables written by Spark/Databricks and delta-rs: read exactly what delta-rs reads."""
import datetime as dt
import shutil

import deltalake
import pytest

from lakehouse.tables.exceptions import UnsupportedTableFeatureError
from lakehouse.tables.snapshot import load_snapshot
from lakehouse.tables.reader import read
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

pytestmark = pytest.mark.skipif(not TABLES.exists(), reason=f"shared reference tables not found at {TABLES}")


def spark_read(spark, path, version=None):
    storage = TableStorage(str(path))
    return read(spark, storage, load_snapshot(storage, path.name, version))


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


def test_deletion_vector_table_is_refused_not_read_with_deleted_rows(spark):
    with pytest.raises(UnsupportedTableFeatureError, match="deletion vectors"):
        spark_read(spark, TABLES / "table-with-dv-small")


def test_column_mapping_table_is_refused(spark):
    with pytest.raises(UnsupportedTableFeatureError, match="column mapping"):
        spark_read(spark, TABLES / "table_with_column_mapping")


def test_edge_timestamps_read_correctly(spark):
    # delta-rs cannot convert these (outside Arrow's nanosecond range); Spark reads them.
    got = sorted((r["SOME_VALUE"], r["BIG_DATE"], r["NORMAL_DATE"]) for r in spark_read(spark, TABLES / "table_with_edge_timestamps").collect())
    assert got == [
        (1, dt.datetime(9999, 12, 31), dt.datetime(2022, 1, 1)),
        (2, dt.datetime(9999, 12, 30), dt.datetime(2022, 2, 1)),
    ]

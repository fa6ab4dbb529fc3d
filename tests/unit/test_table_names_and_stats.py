"""Pure functions of the table layer: names, partition folders, statistics bounds."""

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lakehouse.tables.exceptions import InvalidTableNameError
from lakehouse.tables.names import TableName, table_uri
from lakehouse.tables.stats import file_stats, partition_values_from_path, unescape_path_name


def test_table_names_map_to_folders():
    assert table_uri("/wh", "silver.registration") == "/wh/silver/registration"
    assert table_uri("s3://b/wh/", "gold.entity_profile") == "s3://b/wh/gold/entity_profile"
    assert TableName.parse("gold.kpi").view_name == "gold_kpi"


@pytest.mark.parametrize("bad", ["registration", "platinum.x", "silver.X", "silver.a.b", "silver.1a"])
def test_bad_table_names_are_refused(bad):
    with pytest.raises(InvalidTableNameError):
        TableName.parse(bad)


def test_partition_values_are_unescaped_and_null_restored():
    assert unescape_path_name("a%3Ab%2Fc%25") == "a:b/c%"
    pv = partition_values_from_path("d=2024-01-01/k=x%3Ay%20z/part-0.parquet", ["d", "k"])
    assert pv == {"d": "2024-01-01", "k": "x:y z"}
    assert partition_values_from_path("k=__HIVE_DEFAULT_PARTITION__/f.parquet", ["k"]) == {"k": None}
    assert partition_values_from_path("k=佛山/f.parquet", ["k"]) == {"k": "佛山"}
    with pytest.raises(ValueError):
        partition_values_from_path("f.parquet", ["k"])


def test_file_stats_bounds_are_exact_or_outward(tmp_path):
    ts = [dt.datetime(2024, 1, 1, 0, 0, 0, 1500, tzinfo=dt.timezone.utc), dt.datetime(2024, 1, 2, 0, 0, 0, 999, tzinfo=dt.timezone.utc)]
    table = pa.table(
        {
            "i": pa.array([3, None, 1], pa.int64()),
            "s": pa.array(["b", "a" * 40, None]),
            "long_max": pa.array(["b", "z" * 40, "c"]),
            "t": pa.array([ts[0], ts[1], None], pa.timestamp("us", tz="UTC")),
            "d": pa.array([dt.date(2024, 5, 1), dt.date(2023, 1, 1), None]),
            "f": pa.array([1.0, float("nan"), 2.0]),
            "allnull": pa.array([None, None, None], pa.string()),
        }
    )
    path = tmp_path / "f.parquet"
    pq.write_table(table, path)
    st = file_stats(str(path), table.column_names)
    assert st["numRecords"] == 3
    assert st["minValues"]["i"] == 1 and st["maxValues"]["i"] == 3
    assert st["nullCount"] == {"i": 1, "s": 1, "long_max": 0, "t": 1, "d": 1, "f": 0, "allnull": 3}
    # a long minimum keeps a 32-character prefix (still a lower bound); a long maximum is left out
    assert st["minValues"]["s"] == "a" * 32 and st["maxValues"]["s"] == "b"
    assert st["minValues"]["long_max"] == "b" and "long_max" not in st["maxValues"]
    # timestamps rounded outwards to milliseconds
    assert st["minValues"]["t"] == "2024-01-01T00:00:00.001Z"
    assert st["maxValues"]["t"] == "2024-01-02T00:00:00.001Z"
    assert st["minValues"]["d"] == "2023-01-01" and st["maxValues"]["d"] == "2024-05-01"
    assert "f" not in st["minValues"] and "allnull" not in st["minValues"]

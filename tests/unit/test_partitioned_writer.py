"""arrow_files.PartitionedWriter: the streaming writer behind the driver's and the Spark tasks' pyarrow writes."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyspark.sql.types import LongType, StringType, StructField, StructType

from lakehouse.tables.arrow_files import PartitionedWriter
from lakehouse.tables.storage import TableStorage

SCHEMA = StructType([StructField("id", LongType()), StructField("name", StringType()), StructField("district", StringType())])


def chunk(ids, district) -> pa.Table:
    return pa.table(
        {"id": pa.array(ids, pa.int64()), "name": [f"n{i}" for i in ids], "district": pa.array([district] * len(ids), pa.string())}
    )


def files_on_disk(root) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*.parquet")}


def test_chunks_stream_into_one_file_per_partition_and_roll_over_at_max_rows(tmp_path):
    w = PartitionedWriter(TableStorage(str(tmp_path)), ["district"], SCHEMA, max_rows=5)
    w.write(chunk([1, 2, 3], "440604"))
    w.write(pa.concat_tables([chunk([4, 5, 6, 7], "440604"), chunk([8], "440605"), chunk([9], None)]))
    adds = w.close()

    by_folder: dict[str, list] = {}
    for a in adds:
        by_folder.setdefault(a.path.split("/")[0], []).append(a)
    # 7 rows of 440604 in files of at most 5; one file each for the other district and the null one
    assert sorted((k, sorted(json.loads(a.stats)["numRecords"] for a in v)) for k, v in by_folder.items()) == [
        ("district=440604", [2, 5]),
        ("district=440605", [1]),
        ("district=__HIVE_DEFAULT_PARTITION__", [1]),
    ]
    assert {a.partition_values["district"] for a in adds} == {"440604", "440605", None}
    assert files_on_disk(tmp_path) == {a.path for a in adds}
    rows = sorted(r for a in adds for r in pq.ParquetFile(tmp_path / a.path).read().column("id").to_pylist())
    assert rows == list(range(1, 10))
    assert "district" not in pq.read_schema(tmp_path / adds[0].path).names  # partition values live in the folder
    st = json.loads(next(a for a in adds if a.partition_values["district"] == "440605").stats)
    assert st["minValues"] == {"id": 8, "name": "n8"} and st["nullCount"] == {"id": 0, "name": 0}


def test_abort_deletes_every_file_written_so_far(tmp_path):
    w = PartitionedWriter(TableStorage(str(tmp_path)), ["district"], SCHEMA, max_rows=2)
    w.write(chunk([1, 2, 3], "440604"))  # one closed file, one still open
    assert len(files_on_disk(tmp_path)) == 2
    w.abort()
    assert files_on_disk(tmp_path) == set()


def test_a_chunk_that_does_not_fit_the_schema_is_refused(tmp_path):
    w = PartitionedWriter(TableStorage(str(tmp_path)), [], SCHEMA)
    with pytest.raises((pa.ArrowInvalid, pa.ArrowTypeError, KeyError)):
        w.write(pa.table({"id": ["not a number"], "name": ["x"], "district": ["440604"]}))

"""A committer process for the concurrency test: N blind appends of one small file each."""
import json
import sys
import time

import pyarrow as pa
import pyarrow.parquet as pq
from pyspark.sql.types import StructType

from lakehouse.tables.committer import Commit, FileAdd, commit
from lakehouse.tables.stats import file_stats, stats_json
from lakehouse.tables.storage import TableStorage

SCHEMA = StructType.fromJson({"type": "struct", "fields": [
    {"name": "worker", "type": "string", "nullable": True, "metadata": {}},
    {"name": "seq", "type": "long", "nullable": True, "metadata": {}},
]})


def main(root: str, worker: str, n: int) -> None:
    storage = TableStorage(root)
    versions = []
    for i in range(n):
        rel = f"part-{worker}-{i:04d}.parquet"
        pq.write_table(pa.table({"worker": [worker] * 3, "seq": [i * 10 + j for j in range(3)]}), f"{root}/{rel}")
        st = file_stats(f"{root}/{rel}", ["worker", "seq"])
        add = FileAdd(rel, storage.stat(rel).size, {}, int(time.time() * 1000), stats_json(st))
        result = commit(storage, Commit(table="bronze.race", operation="WRITE", schema=SCHEMA, partition_by=[], adds=[add]))
        versions.append(result.version)
    print(json.dumps(versions))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))

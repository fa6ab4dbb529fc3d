"""Parquet written with pyarrow by the Spark tasks that compute the data, committed by the driver.

A ``mapInArrow`` task that computes wide Arrow tables (the factor pivot's ~1,300 double columns)
could hand them back to Spark to be written, but then every value is converted to Spark's rows
and written by Spark's Parquet writer. At SF 1 (900k rows × 1,320 columns, 2 cores), Spark's
writer alone took 75 s against pyarrow's 13 s on one core, and the round trip through Arrow and
back to rows another ~70 s. So each task writes its own tables with pyarrow
(``arrow_files.PartitionedWriter``: the same files, folders and statistics as the driver's
Arrow writes) and hands back only their add actions, which ``Tables.write`` commits like any
other (and deletes when nothing commits them).

A task that raises deletes the files it wrote. A task killed outright, or an attempt whose
result Spark discards, leaves files no commit references; ``vacuum`` removes them, as it
removes a killed Spark writer's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lakehouse.tables.results import FileAdd

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame
    from pyspark.sql.types import StructType

    from lakehouse.tables.storage import TableStorage

ADDS_SCHEMA = "path string, size long, partition_values string, modification_time long, stats string"


@dataclass(frozen=True)
class StagedFiles:
    """Files already written into a table's folders, not yet committed: pass them to ``Tables.write``."""

    adds: list[FileAdd]
    schema: StructType  # Spark schema of the data, partition columns included
    partition_by: list[str]

    def discard(self, storage: TableStorage) -> None:
        """Delete the files (they were not committed)."""
        for a in self.adds:
            storage.delete_file(a.path)

    def outside(self, scope: list[dict[str, str | None]]) -> list[dict[str, str | None]]:
        """Partitions of the files that none of ``scope``'s partition dicts selects."""
        seen = {
            tuple(sorted(a.partition_values.items()))
            for a in self.adds
            if not any(all(a.partition_values.get(k) == v for k, v in part.items()) for part in scope)
        }
        return [dict(p) for p in sorted(seen)]

    def rows(self, partition: dict[str, str | None] | None = None) -> int:
        """Rows in the files (of one partition), from their statistics."""
        return sum(
            json.loads(a.stats)["numRecords"]
            for a in self.adds
            if partition is None or all(a.partition_values.get(k) == v for k, v in partition.items())
        )


def stage_in_tasks(
    df: DataFrame,
    produce: Callable[[Iterator[pa.RecordBatch]], Iterator[pa.Table]],
    schema: StructType,
    storage: TableStorage,
    partition_by: Sequence[str],
) -> StagedFiles:
    """Run ``produce`` on the Arrow batches of every partition of ``df`` and write the tables it yields.

    ``produce`` is called in the tasks, as a ``mapInArrow`` function is; the tables it yields have
    the columns of ``schema`` (partition columns included) and are written with pyarrow as they come
    (``arrow_files.stage_tables``: a file per partition per task, a new one every million rows),
    so a task holds one table at a time. Only the add actions come back to the driver.
    """
    root, options, parts = storage.root_uri, storage.storage_options, list(partition_by)

    def task(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa

        from lakehouse.tables.arrow_files import stage_tables
        from lakehouse.tables.storage import TableStorage

        adds = stage_tables(produce(batches), TableStorage(root, options), parts, schema)
        if adds:
            yield pa.RecordBatch.from_pylist(
                [
                    {
                        "path": a.path,
                        "size": a.size,
                        "partition_values": json.dumps(a.partition_values),
                        "modification_time": a.modification_time,
                        "stats": a.stats,
                    }
                    for a in adds
                ]
            )

    rows = df.mapInArrow(task, ADDS_SCHEMA).collect()
    adds = [FileAdd(r.path, r.size, json.loads(r.partition_values), r.modification_time, r.stats) for r in rows]
    return StagedFiles(adds, schema, parts)

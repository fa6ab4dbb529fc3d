"""Write Spark DataFrames into Delta tables: executors write Parquet, the driver commits.

A small Arrow table is written by the driver itself (``arrow_files``); the commit is the same.

Spark writes into ``<table>/.staging/<id>/`` (a hidden folder no reader lists), the
driver moves the files into the table's ``col=value/`` folders, reads their footers for
stats and commits one transaction. A writer killed before the commit leaves files no
snapshot references; ``vacuum`` removes them.
"""
from __future__ import annotations

import itertools
import logging
import uuid
from typing import TYPE_CHECKING, Any, Callable, Literal, Mapping, Sequence

from lakehouse.tables import schema as schemas
from lakehouse.tables.committer import Commit, CommitResult, FileAdd, FileRemove, commit
from lakehouse.tables.exceptions import PartitionFilterViolationError, SchemaMismatchError
from lakehouse.tables.snapshot import Snapshot, SnapshotFile
from lakehouse.tables.stats import collect_stats, partition_values_from_path, stats_json

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame
    from pyspark.sql.types import StructType

    from lakehouse.tables.storage import TableStorage

log = logging.getLogger(__name__)

WriteMode = Literal["append", "overwrite"]
SchemaMode = Literal["strict", "add_columns"]
# {partition column: value or list of values}: the partitions an overwrite replaces.
ReplaceWhere = Mapping[str, Any]

STAGING = ".staging"


def partition_string(value: Any) -> str | None:
    """A Python value as Delta writes a partition value."""
    import datetime as dt

    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        raise SchemaMismatchError("timestamps cannot be partition values here; partition by a date")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def normalise_replace_where(replace_where: ReplaceWhere, partition_by: Sequence[str], table: str) -> list[dict[str, str | None]]:
    """``{"d": ["2024-01-01", "2024-01-02"]}`` → one dict per replaced partition combination."""
    unknown = [c for c in replace_where if c not in partition_by]
    if unknown:
        raise PartitionFilterViolationError(
            f"{table}: replace_where names {unknown}, which are not partition columns ({list(partition_by) or 'none'}); "
            "only whole partitions can be replaced"
        )
    keys = list(replace_where)
    value_lists = []
    for k in keys:
        v = replace_where[k]
        values = list(v) if isinstance(v, (list, tuple, set, frozenset)) else [v]
        value_lists.append([partition_string(x) for x in values])
    return [dict(zip(keys, combo)) for combo in itertools.product(*value_lists)]


def _matches(values: Mapping[str, str | None], scope: list[dict[str, str | None]]) -> bool:
    return any(all(values.get(k) == v for k, v in part.items()) for part in scope)


def is_staged(data) -> bool:
    """True for files Spark tasks already wrote (``task_files.StagedFiles``)."""
    from lakehouse.tables.task_files import StagedFiles

    return isinstance(data, StagedFiles)


def is_arrow(data) -> bool:
    """True for a pyarrow Table (written by the driver), False for a Spark DataFrame."""
    import pyarrow as pa

    return isinstance(data, pa.Table)


def schema_of(data: DataFrame | pa.Table) -> StructType:
    """The Spark schema of a DataFrame, an Arrow table or staged files."""
    if is_staged(data):
        return data.schema
    if is_arrow(data):
        from lakehouse.tables.arrow_files import spark_schema

        return spark_schema(data.schema)
    return data.schema


def stage(data: DataFrame | pa.Table, storage: TableStorage, partition_by: Sequence[str], schema: StructType) -> list[FileAdd]:
    """New files holding ``data``: written by Spark's executors, or by the driver for an Arrow table
    (staged files are already written)."""
    if is_staged(data):
        if list(data.partition_by) != list(partition_by):
            raise SchemaMismatchError(f"the staged files are partitioned by {data.partition_by or 'nothing'}, "
                                      f"the table by {list(partition_by) or 'nothing'}")
        return list(data.adds)
    if is_arrow(data):
        from lakehouse.tables.arrow_files import stage_table

        return stage_table(data, storage, partition_by, schema)
    return stage_dataframe(data, storage, partition_by)


def stage_dataframe(df: DataFrame, storage: TableStorage, partition_by: Sequence[str]) -> list[FileAdd]:
    """Write ``df`` as Parquet, move the files into place and describe them as add actions."""
    staging = f"{STAGING}/{uuid.uuid4().hex}"
    writer = df.write.mode("errorifexists").option("compression", "snappy")
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    writer.parquet(storage.uri(staging))

    staged = storage.list_files(staging)
    moved = []
    for f in staged:
        rel = f.rel_path[len(staging) + 1:]
        storage.move(f.rel_path, rel)
        moved.append((rel, f))
    storage.delete_dir(staging)

    data_columns = [c for c in df.columns if c not in partition_by]
    stats = collect_stats(storage, [rel for rel, _ in moved], data_columns)
    adds = []
    for rel, f in moved:
        st = stats[rel]
        if st["numRecords"] == 0:
            storage.delete_file(rel)  # Spark writes an empty file for an empty DataFrame
            continue
        adds.append(FileAdd(rel, f.size, partition_values_from_path(rel, list(partition_by)), f.mtime_ms, stats_json(st)))
    return adds


def discard(storage: TableStorage, adds: Sequence[FileAdd]) -> None:
    for a in adds:
        storage.delete_file(a.path)


def removes_for(files: Sequence[SnapshotFile], data_change: bool = True) -> list[FileRemove]:
    return [FileRemove(f.path, f.size, dict(f.partition_values), data_change) for f in files]


def _or_discard(storage: TableStorage, adds: Sequence[FileAdd], run: Callable[[], CommitResult]) -> CommitResult:
    """``run()``; on any failure (unless the files may be referenced by then) or when it committed
    nothing, delete ``adds``."""
    try:
        result = run()
    except BaseException as exc:
        if not getattr(exc, "files_may_be_referenced", False):
            discard(storage, adds)
        raise
    if result.skipped:
        discard(storage, adds)
    return result


def commit_or_discard(storage: TableStorage, c: Commit, max_retries: int, before_commit: Callable[[], None] | None = None) -> CommitResult:
    """Commit; on any failure (or when the batch was already committed) delete the new files."""
    def run() -> CommitResult:
        if before_commit is not None:
            before_commit()
        return commit(storage, c, max_retries)

    return _or_discard(storage, c.adds, run)


def write(df, storage: TableStorage, table: str, snapshot: Snapshot | None, **kwargs) -> CommitResult:
    """Append to or overwrite (all of, or whole partitions of) a table, from a DataFrame, an Arrow
    table or files Spark tasks staged (``task_files``; deleted again when nothing commits them)."""
    if not is_staged(df):
        return _write(df, storage, table, snapshot, **kwargs)
    return _or_discard(storage, df.adds, lambda: _write(df, storage, table, snapshot, **kwargs))


def _write(
    df: DataFrame | pa.Table,
    storage: TableStorage,
    table: str,
    snapshot: Snapshot | None,
    mode: WriteMode = "append",
    partition_by: Sequence[str] | None = None,
    replace_where: ReplaceWhere | None = None,
    schema_mode: SchemaMode = "strict",
    app_txn: tuple[str, int] | None = None,
    configuration: dict[str, str] | None = None,
    max_retries: int = 10,
    before_commit: Callable[[], None] | None = None,
) -> CommitResult:
    if mode not in ("append", "overwrite"):
        raise ValueError(f"mode must be 'append' or 'overwrite', not {mode!r}")
    if replace_where and mode != "overwrite":
        raise PartitionFilterViolationError(f"{table}: replace_where only applies to mode='overwrite'")
    data_schema = schema_of(df)
    schemas.check_writable(data_schema, table)

    if snapshot is not None:
        if app_txn:
            done = snapshot.dt.transaction_version(app_txn[0])
            if done is not None and done >= app_txn[1]:
                log.info("%s: batch %s v%s already committed; nothing to do", table, *app_txn)
                return CommitResult(None, True)
        if partition_by is not None and list(partition_by) != snapshot.partition_by:
            raise SchemaMismatchError(
                f"{table}: the table is partitioned by {snapshot.partition_by or 'nothing'}, not {list(partition_by)}"
            )
        parts = snapshot.partition_by
        new_fields = schemas.evolve(snapshot.schema, data_schema, table, add_columns=schema_mode == "add_columns")
        target_schema = schemas.merged(snapshot.schema, new_fields)
    else:
        parts = list(partition_by or [])
        target_schema = data_schema
    schemas.check_partition_columns(data_schema, parts, table)

    scope = normalise_replace_where(replace_where, parts, table) if replace_where else None
    adds = stage(df, storage, parts, target_schema)

    removes: list[FileRemove] = []
    read_version = None
    if scope is not None:
        outside = sorted({tuple(sorted(a.partition_values.items())) for a in adds if not _matches(a.partition_values, scope)})
        if outside:
            discard(storage, adds)
            raise PartitionFilterViolationError(
                f"{table}: the data holds rows in partitions {[dict(o) for o in outside[:5]]} outside replace_where {dict(replace_where)}; "
                "filter the data to the partitions being replaced or widen replace_where"
            )
    if mode == "overwrite" and snapshot is not None:
        read_version = snapshot.version
        replaced = [f for f in snapshot.files if scope is None or _matches(f.partition_values, scope)]
        removes = removes_for(replaced)

    c = Commit(
        table=table,
        operation="OVERWRITE" if mode == "overwrite" else "WRITE",
        schema=target_schema,
        partition_by=parts,
        adds=adds,
        removes=removes,
        read_version=read_version,
        conflict_partitions=scope,
        app_txn=app_txn,
        configuration=configuration,
        parameters={"mode": mode.capitalize(), "partitionBy": list(parts), **({"predicate": dict(replace_where)} if replace_where else {})},
    )
    return commit_or_discard(storage, c, max_retries, before_commit)

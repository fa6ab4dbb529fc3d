"""Read a Delta snapshot into a Spark DataFrame with Spark's own Parquet reader.

delta-rs gives the snapshot's file list (pruned by partition values and per-file
min/max where a filter allows); Spark scans exactly those files. Partition columns are
restored from the folder names when the files sit in Hive-style ``col=value/`` folders
that agree with the log (a plain ``basePath`` read), otherwise per partition group.
"""
from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from lakehouse.tables.exceptions import TableError
from lakehouse.tables.snapshot import Snapshot, SnapshotFile
from lakehouse.tables.stats import partition_values_from_path

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

    from lakehouse.tables.storage import TableStorage

# (column, op, value) conjunctions, as deltalake takes them.
Filter = tuple[str, str, Any]
_OPS = {"=", "==", "!=", "<", "<=", ">", ">=", "in", "not in"}


def filter_column(filters: Sequence[Filter]) -> Column | None:
    """The Spark condition equal to a list of (column, op, value) filters."""
    from pyspark.sql import functions as F

    cond = None
    for col, op, value in filters:
        if op not in _OPS:
            raise TableError(f"filter ({col!r}, {op!r}, ...): unknown operator; use one of {sorted(_OPS)}")
        c = F.col(col)
        part = {
            "=": lambda: c == value,
            "==": lambda: c == value,
            "!=": lambda: c != value,
            "<": lambda: c < value,
            "<=": lambda: c <= value,
            ">": lambda: c > value,
            ">=": lambda: c >= value,
            "in": lambda: c.isin(list(value)),
            "not in": lambda: ~c.isin(list(value)),
        }[op]()
        cond = part if cond is None else cond & part
    return cond


def _pruning_filters(filters: Sequence[Filter]) -> list[tuple[str, str, Any]]:
    out = []
    for col, op, value in filters:
        op = "=" if op == "==" else op
        if op in ("in", "not in"):
            value = [_filter_value(v) for v in value]
        else:
            value = _filter_value(value)
        out.append((col, op, value))
    return out


def _filter_value(v: Any) -> Any:
    import datetime as dt

    if isinstance(v, dt.datetime):
        return v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v) if not isinstance(v, str) else v


def prune_files(snapshot: Snapshot, filters: Sequence[Filter] | None, storage: TableStorage) -> list[SnapshotFile]:
    """Files that may hold rows matching ``filters`` (partition values and min/max stats)."""
    from urllib.parse import unquote

    if not filters or not snapshot.files:
        return snapshot.files
    try:
        keep = snapshot.dt.file_uris(file_pruning_predicate=_pruning_filters(filters))
    except Exception:  # a predicate delta-rs cannot prune on: scan everything, Spark filters
        return snapshot.files
    # delta-rs names files under its canonical table URI (symlinks resolved), which may differ
    # from the configured root: strip whichever of the two prefixes a URI has
    bases = {storage.base.rstrip("/") + "/", snapshot.dt.table_uri.split("://", 1)[-1].rstrip("/") + "/"}
    paths = {unquote(f.path): f.path for f in snapshot.files}
    kept = set()
    for uri in keep:
        u = uri.split("://", 1)[-1]
        rel = unquote(next((u[len(b):] for b in bases if u.startswith(b)), u))
        if rel not in paths:
            raise RuntimeError(f"file pruning returned {uri!r}, which is not a file of the table at {storage.base}")
        kept.add(paths[rel])
    return [f for f in snapshot.files if f.path in kept]


def _hive_layout(files: Iterable[SnapshotFile], partition_by: list[str]) -> bool:
    for f in files:
        dirs = f.path.split("/")[:-1]
        if len(dirs) != len(partition_by):
            return False
        if [d.split("=", 1)[0] for d in dirs] != partition_by:
            return False
        try:
            if partition_values_from_path(f.path, partition_by) != f.partition_values:
                return False
        except ValueError:
            return False
    return True


FILE_COLUMN = "_file"


def file_relpath(storage: TableStorage, file_uri: str) -> str:
    """Spark's ``_metadata.file_path`` (an encoded URI) → the file's raw path in the table."""
    from urllib.parse import unquote, urlparse

    root = unquote(urlparse(storage.uri("")).path).rstrip("/")
    path = unquote(urlparse(file_uri).path)
    if not path.startswith(root + "/"):
        raise TableError(f"file {file_uri} lies outside the table root {root}")
    return path[len(root) + 1:]


def read_files(
    spark: SparkSession, storage: TableStorage, snapshot: Snapshot, files: list[SnapshotFile], with_file: bool = False
) -> DataFrame:
    """A DataFrame over exactly ``files`` of ``snapshot``, columns in the table's order.

    ``with_file`` adds a ``_file`` column with each row's file URI (see ``file_relpath``).
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    schema = snapshot.schema
    names = [f.name for f in schema.fields]
    cols = [F.col(n) for n in names] + ([F.col("_metadata.file_path").alias(FILE_COLUMN)] if with_file else [])
    if not files:
        empty = StructType(schema.fields + ([StructField(FILE_COLUMN, StringType())] if with_file else []))
        return spark.createDataFrame([], empty)
    parts = snapshot.partition_by
    if not parts:
        return _scan(spark, snapshot, schema, [storage.uri(f.path) for f in files]).select(*cols)
    if _hive_layout(files, parts):
        return _scan(spark, snapshot, schema, [storage.uri(f.path) for f in files], storage.uri("")).select(*cols)
    data_schema = StructType([f for f in schema.fields if f.name not in parts])
    types = {f.name: f.dataType for f in schema.fields}
    groups: dict[tuple, list[str]] = defaultdict(list)
    for f in files:
        groups[tuple(f.partition_values.get(c) for c in parts)].append(storage.uri(f.path))
    frames = []
    for values, uris in groups.items():
        df = _scan(spark, snapshot, data_schema, uris)
        if with_file:
            df = df.withColumn(FILE_COLUMN, F.col("_metadata.file_path"))
        df = df.withColumns({c: F.lit(v).cast(types[c]) for c, v in zip(parts, values)})
        frames.append(df.select(*names, *([FILE_COLUMN] if with_file else [])))
    out = frames[0]
    for df in frames[1:]:
        out = out.unionByName(df)
    return out


def _scan(spark: SparkSession, snapshot: Snapshot, schema, uris: list[str], base_path: str | None = None) -> DataFrame:
    from pyspark.errors import AnalysisException

    reader = spark.read.schema(schema)
    if base_path:
        reader = reader.option("basePath", base_path)
    try:
        return reader.parquet(*uris)
    except AnalysisException as exc:
        if "PATH_NOT_FOUND" not in str(exc):
            raise
        missing = str(exc).split("Path does not exist:", 1)[-1].split(". SQLSTATE")[0].strip()
        raise TableError(
            f"table {snapshot.table} version {snapshot.version} refers to a file that is gone ({missing}): "
            "vacuum removed it after the retention period, or the table folder was changed by hand. "
            f"Read a newer version (see 'regulake table history {snapshot.table}')."
        ) from None


def read(
    spark: SparkSession,
    storage: TableStorage,
    snapshot: Snapshot,
    columns: Sequence[str] | None = None,
    filters: Sequence[Filter] | None = None,
) -> DataFrame:
    files = prune_files(snapshot, filters, storage)
    df = read_files(spark, storage, snapshot, files)
    if filters:
        df = df.where(filter_column(filters))
    if columns:
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise TableError(f"table {snapshot.table} has no columns {missing}; it has {df.columns}")
        df = df.select(*columns)
    return df

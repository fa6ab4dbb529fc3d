"""A table snapshot as delta-rs loads it: version, schema, partitioning and the file list.

The driver reads metadata and small tables this way with no Spark job; ``check_readable``
refuses what delta-rs's file list alone would read wrongly (Spark reads every table through
delta-spark, which handles those features itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import unquote

from lakehouse.tables.exceptions import TableNotFoundError, UnsupportedTableFeatureError

if TYPE_CHECKING:
    from pyspark.sql.types import StructType

    from lakehouse.tables.storage import TableStorage

# Reader features whose tables Spark's Parquet reader returns correctly from the file list.
_HARMLESS_READER_FEATURES = {"timestampNtz", "v2Checkpoint", "vacuumProtocolCheck", "checkpointProtection"}


class SnapshotFile(NamedTuple):
    path: str  # raw relative path
    size: int
    partition_values: dict[str, str | None]
    num_records: int | None


@dataclass
class Snapshot:
    table: str
    dt: object  # deltalake.DeltaTable loaded at this version
    version: int
    schema: StructType
    partition_by: list[str]
    files: list[SnapshotFile]

    @property
    def data_columns(self) -> list[str]:
        return [f.name for f in self.schema.fields if f.name not in self.partition_by]

    def key_ranges(self, column: str) -> dict[str, tuple]:
        """File path → (min, max) of ``column`` from the file statistics (None where not recorded)."""
        import pyarrow as pa

        actions = pa.table(self.dt.get_add_actions(flatten=True))
        names = actions.column_names
        if f"min.{column}" not in names or f"max.{column}" not in names:
            return {}
        paths = [unquote(p) for p in actions.column("path").to_pylist()]
        return dict(zip(paths, zip(actions.column(f"min.{column}").to_pylist(), actions.column(f"max.{column}").to_pylist())))

    def prune(self, filters, storage: TableStorage) -> list[SnapshotFile]:
        """Files that may hold rows matching ``filters`` ((column, op, value) conjunctions), pruned by
        delta-rs from partition values and min/max statistics."""
        from lakehouse.tables.predicates import pruning_filters

        if not filters or not self.files:
            return self.files
        try:
            keep = self.dt.file_uris(file_pruning_predicate=pruning_filters(filters))
        except Exception:  # a predicate delta-rs cannot prune on: every file, the caller filters rows
            return self.files
        # delta-rs names files under its canonical table URI (symlinks resolved), which may differ
        # from the configured root: strip whichever of the two prefixes a URI has
        bases = {storage.base.rstrip("/") + "/", self.dt.table_uri.split("://", 1)[-1].rstrip("/") + "/"}
        paths = {unquote(f.path): f.path for f in self.files}
        kept = set()
        for uri in keep:
            u = uri.split("://", 1)[-1]
            rel = unquote(next((u[len(b) :] for b in bases if u.startswith(b)), u))
            if rel not in paths:
                raise RuntimeError(f"file pruning returned {uri!r}, which is not a file of the table at {storage.base}")
            kept.add(paths[rel])
        return [f for f in self.files if f.path in kept]

    def partition_values(self, column: str) -> list[str]:
        """Sorted distinct values of a partition column among the non-empty files (no scan)."""
        return sorted({f.partition_values.get(column) for f in self.files if f.num_records != 0} - {None, ""})


def load_delta_table(storage: TableStorage, table: str, version: int | None = None, timestamp: datetime | str | None = None):
    from deltalake import DeltaTable

    opts = storage.storage_options or None
    if not DeltaTable.is_deltatable(storage.root_uri, storage_options=opts):
        raise TableNotFoundError(f"table {table} does not exist (no Delta log at {storage.root_uri}); run the job that creates it first")
    try:
        dt = DeltaTable(storage.root_uri, version=version, storage_options=opts)
        if timestamp is not None:
            dt.load_as_version(timestamp)
    except Exception as exc:
        what = f"version {version}" if version is not None else f"timestamp {timestamp}"
        if version is None and timestamp is None:
            raise
        raise TableNotFoundError(
            f"table {table} has no {what} ({exc}); see 'regulake table history {table}' for the versions kept"
        ) from None
    return dt


def check_readable(dt, table: str) -> None:
    """Refuse tables whose rows Spark would read wrongly from the file list alone."""
    protocol = dt.protocol()
    configuration = dt.metadata().configuration
    mode = configuration.get("delta.columnMapping.mode", "none")
    if mode and mode != "none":
        raise UnsupportedTableFeatureError(
            f"table {table} uses column mapping (mode '{mode}'): its Parquet files hold physical column names, "
            "so reading them directly would return wrong columns. Rewrite it without column mapping "
            "(e.g. CREATE TABLE ... AS SELECT in Spark with delta-spark) to read it here."
        )
    features = set(protocol.reader_features or [])
    if "deletionVectors" in features:
        dvs = dt.deletion_vectors().read_all()
        if dvs.num_rows:
            raise UnsupportedTableFeatureError(
                f"table {table} has deletion vectors on {dvs.num_rows} file(s): reading its files would return deleted rows. "
                "Purge them first (REORG TABLE ... APPLY (PURGE) in Spark with delta-spark) or read it with delta-rs."
            )
    unknown = features - _HARMLESS_READER_FEATURES - {"deletionVectors", "columnMapping"}
    if unknown or protocol.min_reader_version > 3:
        raise UnsupportedTableFeatureError(
            f"table {table} needs reader features {sorted(unknown) or protocol.min_reader_version} that regulake does not support"
        )


def snapshot_files(dt) -> list[SnapshotFile]:
    import pyarrow as pa

    actions = pa.table(dt.get_add_actions(flatten=True))
    names = actions.column_names
    part_cols = [c for c in names if c.startswith("partition.")]
    paths = actions.column("path").to_pylist()
    sizes = actions.column("size_bytes").to_pylist()
    records = actions.column("num_records").to_pylist() if "num_records" in names else [None] * len(paths)
    parts = {c[len("partition.") :]: actions.column(c).to_pylist() for c in part_cols}
    out = []
    for i, path in enumerate(paths):
        pv = {k: _partition_string(v[i]) for k, v in parts.items()}
        out.append(SnapshotFile(unquote(path), sizes[i], pv, records[i]))
    return out


def _partition_string(value) -> str | None:
    """delta-rs hands typed partition values; Delta's log and our filters use strings."""
    import datetime as dt

    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def load_snapshot(storage: TableStorage, table: str, version: int | None = None, timestamp=None) -> Snapshot:
    from lakehouse.tables.schema import from_delta

    dt = load_delta_table(storage, table, version, timestamp)
    check_readable(dt, table)
    return Snapshot(
        table=table,
        dt=dt,
        version=dt.version(),
        schema=from_delta(dt.schema()),
        partition_by=list(dt.metadata().partition_columns),
        files=snapshot_files(dt),
    )

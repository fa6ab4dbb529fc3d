"""Named Delta tables: delta-spark for Spark DataFrames, delta-rs for Arrow data held by the driver.

``Tables`` maps ``layer.name`` to ``<warehouse>/<layer>/<name>`` and offers read, write (append,
overwrite, replace partitions), merge, delete, restore and maintenance. Spark DataFrames go
through Delta Lake's own Spark integration (``spark_delta``); pyarrow tables, and Parquet files
Spark tasks wrote themselves, through delta-rs's public API (``rs_delta``). Either way one call
is one Delta transaction, and the table's protocol stays reader 1 / writer 2 (no deletion
vectors, no column mapping) so Trino, delta-rs, polars and DuckDB read every table.

Example::

    >>> tables = Tables.from_config(cfg, spark)                       # doctest: +SKIP
    >>> tables.write("silver.registration", df, partition_by=["district"],
    ...              app_id="silver.registration", app_version=20240101)  # doctest: +SKIP
    >>> tables.read("silver.registration", filters=[("district", "=", "440604")]).count()  # doctest: +SKIP
    >>> tables.merge("silver.registration", corrections, keys=["uscc"])   # doctest: +SKIP
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from lakehouse.tables import schema as schemas
from lakehouse.tables.exceptions import LostCommitError, PartitionFilterViolationError, SchemaMismatchError, TableError, TableNotFoundError
from lakehouse.tables.names import LAYERS, TableName, table_uri
from lakehouse.tables.results import CommitResult, DeleteResult, MergeResult
from lakehouse.tables.storage import TableStorage

if TYPE_CHECKING:
    from datetime import datetime

    import pyarrow as pa
    from pyspark.sql import Column, DataFrame, SparkSession
    from pyspark.sql.types import StructType

    from lakehouse.config import RegulakeConfig, TablesConfig
    from lakehouse.tables.predicates import Filter
    from lakehouse.tables.rs_delta import ArrowMerge
    from lakehouse.tables.snapshot import Snapshot

__all__ = ["Tables", "TableName", "CommitResult", "MergeResult", "DeleteResult", "TableError", "TableNotFoundError"]

# Table properties that would lift the protocol beyond what Trino, polars and delta-rs share.
_PROTOCOL_PROPERTIES = (
    "delta.enableDeletionVectors",
    "delta.columnMapping.mode",
    "delta.enableTypeWidening",
    "delta.enableRowTracking",
    "delta.enableChangeDataFeed",
)


def is_arrow(data) -> bool:
    """True for a pyarrow Table or stream (written by the driver through delta-rs)."""
    import pyarrow as pa

    return isinstance(data, (pa.Table, pa.RecordBatchReader))


def is_staged(data) -> bool:
    """True for files Spark tasks already wrote (``task_files.StagedFiles``)."""
    from lakehouse.tables.task_files import StagedFiles

    return isinstance(data, StagedFiles)


def schema_of(data) -> StructType:
    """The Spark schema of a DataFrame, an Arrow table or stream, or staged files."""
    if is_staged(data):
        return data.schema
    if is_arrow(data):
        from lakehouse.tables.arrow_files import spark_schema

        return spark_schema(data.schema)
    return data.schema


class Tables:
    """The warehouse's tables by name (``layer.table``, e.g. ``silver.registration``): every read,
    write, merge, delete and maintenance step goes through here, on Delta Lake's own transactions —
    delta-spark for Spark DataFrames, delta-rs for Arrow data and reads without Spark.

    Args:
        warehouse_root: the warehouse folder or object-store URI (``s3://bucket/wh``).
        spark: a session from ``lakehouse.spark.get_spark`` (needed for DataFrame reads and writes).
        settings: ``tables`` of the configuration (retries, retention, file sizes).
        storage_options: object-store credentials and endpoint for delta-rs.
        audit_retention_days: how long ``audit.*`` tables keep their history (checked at vacuum).

    Example::

        tables = Tables.from_config(cfg, spark)
        commit = tables.write("gold.kpi", df, mode="overwrite")   # a CommitResult (.version)
        tables.merge("silver.registration", updates, keys=["uscc"])
        tables.read("gold.kpi", version=commit.version).show()
        tables.history("gold.kpi")                                 # Delta's DESCRIBE HISTORY
    """

    def __init__(
        self,
        warehouse_root: str,
        spark: SparkSession | None = None,
        settings: TablesConfig | None = None,
        storage_options: dict[str, str] | None = None,
        audit_retention_days: int = 365,
    ):
        from lakehouse.config import TablesConfig

        self.root = warehouse_root.rstrip("/")
        self._spark = spark
        self.settings = settings or TablesConfig()
        self.storage_options = dict(storage_options or {})
        self.audit_retention_days = audit_retention_days

    @classmethod
    def from_config(cls, cfg: RegulakeConfig, spark: SparkSession | None = None) -> Tables:
        """The tables of ``cfg``'s warehouse; ``spark`` is needed for reads and writes of DataFrames."""
        return cls(cfg.warehouse.root, spark, cfg.tables, cfg.warehouse.storage_options, cfg.warehouse.audit_retention_days)

    # -- names and snapshots -------------------------------------------------

    @property
    def spark(self) -> SparkSession:
        if self._spark is None:
            raise TableError("this operation needs a Spark session; build Tables with one (lakehouse.spark.get_spark)")
        return self._spark

    def uri(self, name: str) -> str:
        return table_uri(self.root, name)

    def storage(self, name: str) -> TableStorage:
        return TableStorage(self.uri(name), self.storage_options)

    def _opts(self) -> dict[str, str] | None:
        return self.storage_options or None

    def exists(self, name: str) -> bool:
        from deltalake import DeltaTable

        return DeltaTable.is_deltatable(self.uri(name), storage_options=self._opts())

    def snapshot(self, name: str, version: int | None = None, timestamp: datetime | str | None = None) -> Snapshot:
        """The table's metadata and file list at a version (delta-rs; no Spark job)."""
        from lakehouse.tables.snapshot import load_snapshot

        return load_snapshot(self.storage(name), str(TableName.parse(name)), version, timestamp)

    def _maybe_snapshot(self, name: str) -> Snapshot | None:
        return self.snapshot(name) if self.exists(name) else None

    def _delta_rs(self, name: str):
        from lakehouse.tables.snapshot import load_delta_table

        return load_delta_table(self.storage(name), name)

    def version(self, name: str) -> int:
        return self._delta_rs(name).version()

    def transaction_version(self, name: str, app_id: str) -> int | None:
        """The last committed batch version of ``app_id`` (None when never committed)."""
        return self.transaction_versions(name, [app_id])[app_id]

    def transaction_versions(self, name: str, app_ids: Sequence[str]) -> dict[str, int | None]:
        """``transaction_version`` of several app ids, from one load of the log."""
        if not self.exists(name):
            return {a: None for a in app_ids}
        dt = self._delta_rs(name)
        return {a: dt.transaction_version(a) for a in app_ids}

    def list(self) -> list[str]:
        out = []
        for layer in LAYERS:
            for rel, _ in TableStorage(f"{self.root}/{layer}", self.storage_options).list_dirs(""):
                name = f"{layer}.{rel.rsplit('/', 1)[-1]}"
                if self.exists(name):
                    out.append(name)
        return sorted(out)

    def describe(self, name: str) -> dict[str, Any]:
        snap = self.snapshot(name)
        return {
            "name": name,
            "uri": self.uri(name),
            "version": snap.version,
            "partition_by": snap.partition_by,
            "num_files": len(snap.files),
            "num_records": sum(f.num_records or 0 for f in snap.files),
            "schema": snap.schema.simpleString(),
        }

    # -- read -------------------------------------------------------------------

    def read(
        self,
        name: str,
        version: int | None = None,
        timestamp: datetime | str | None = None,
        columns: Sequence[str] | None = None,
        filters: Sequence[Filter] | None = None,
    ) -> DataFrame:
        """The table (current, at a version, or as of a timestamp) as a Spark DataFrame, read by delta-spark.

        The current version is pinned when the DataFrame is made, so every action on it sees the
        same snapshot. ``filters`` are (column, op, value) conjunctions; Delta skips files by
        partition values and min/max statistics.
        """
        from lakehouse.tables import spark_delta
        from lakehouse.tables.predicates import filter_column

        tn = str(TableName.parse(name))
        if not self.exists(name):
            raise TableNotFoundError(f"table {tn} does not exist (no Delta log at {self.uri(name)}); run the job that creates it first")
        if version is None and timestamp is None:
            version = self.version(name)
        else:
            self._check_files_kept(name, tn, version, timestamp)
        try:
            df = spark_delta.read(self.spark, self.uri(name), version, timestamp)
            _ = df.schema  # resolves the snapshot now, so a missing version fails here
        except Exception as exc:
            what = f"version {version}" if timestamp is None else f"a version as of {timestamp}"
            if any(
                s in str(exc)
                for s in (
                    "DELTA_VERSION_NOT_FOUND",
                    "VersionNotFoundException",
                    "DELTA_TIMESTAMP_",
                    "DELTA_CANNOT_TIME_TRAVEL",
                    "TimestampEarlierThanCommitRetention",
                )
            ):
                raise TableNotFoundError(
                    f"table {tn} has no {what} ({str(exc).splitlines()[0]}); see 'regulake table history {tn}' for the versions kept"
                ) from None
            raise spark_delta.error(exc, tn, "read") from exc
        if filters:
            df = df.where(filter_column(filters))
        if columns:
            missing = [c for c in columns if c not in df.columns]
            if missing:
                raise TableError(f"table {tn} has no columns {missing}; it has {df.columns}")
            df = df.select(*columns)
        return df

    def _check_files_kept(self, name: str, tn: str, version: int | None, timestamp) -> None:
        """An old version whose files vacuum removed: one clear error now, not a missing-file failure mid-job."""
        storage = self.storage(name)
        if not storage.is_local:
            return
        try:
            snap = self.snapshot(name, version, timestamp)
        except TableNotFoundError:
            raise
        except Exception:  # noqa: BLE001 - a feature delta-rs cannot read: Delta's reader decides
            return
        gone = next((f.path for f in snap.files if storage.stat(f.path) is None), None)
        if gone is not None:
            raise TableError(
                f"table {tn} version {snap.version} refers to a file that is gone ({gone}): vacuum removed it after the retention "
                f"period, or the table folder was changed by hand. Read a newer version (see 'regulake table history {tn}')."
            )

    def read_arrow(self, name: str, columns: Sequence[str] | None = None, filters: Sequence[Filter] | None = None) -> pa.Table:
        """The current table as a pyarrow Table, read by the driver with no Spark job (for small reads).

        ``filters`` as in ``read``: they prune files by partition values and min/max stats, then rows.
        """
        from lakehouse.tables import arrow_files

        snap = self.snapshot(name)
        storage = self.storage(name)
        wanted = list(columns) if columns is not None else None
        needed = None if wanted is None else list(dict.fromkeys(wanted + [c for c, _, _ in filters or []]))
        data = arrow_files.read_files(storage, snap, snap.prune(filters, storage), columns=needed)
        if filters:
            data = data.filter(arrow_files.filter_mask(data, filters))
        return data.select(wanted) if wanted is not None else data

    def register_views(self, names: Sequence[str] | None = None) -> list[str]:
        """Temporary views over the current snapshots: ``silver.x`` → ``silver_x`` in ``spark.sql``."""
        views = []
        for name in names or self.list():
            view = TableName.parse(name).view_name
            self.read(name).createOrReplaceTempView(view)
            views.append(view)
        return views

    def register_catalog(self, names: Sequence[str] | None = None) -> list[str]:
        """Name the tables in the Spark session's catalog under their layer's schema, so
        ``spark.sql("SELECT … FROM gold.risk_scores")`` and ``DESCRIBE HISTORY silver.registration`` work."""
        from lakehouse.tables import spark_delta

        return spark_delta.register(self.spark, {n: self.uri(n) for n in (names or self.list())})

    # -- write ------------------------------------------------------------------

    def table_properties(self, audit: bool = False, extra: dict[str, str] | None = None) -> dict[str, str]:
        """Properties of a new table; ``audit`` tables keep log and files for the audit horizon."""
        from lakehouse.tables.maintenance import retention_properties

        s = self.settings
        if audit:
            props = retention_properties(self.audit_retention_days, self.audit_retention_days, s.checkpoint_interval)
        else:
            props = retention_properties(s.log_retention_days, s.deleted_file_retention_days, s.checkpoint_interval)
        props.update(extra or {})
        _check_protocol_properties(props, "a new table")
        return props

    def write(
        self,
        name: str,
        df: DataFrame | pa.Table,
        mode: Literal["append", "overwrite"] = "append",
        partition_by: Sequence[str] | None = None,
        replace_where: dict[str, Any] | None = None,
        schema_mode: Literal["strict", "add_columns"] = "strict",
        app_id: str | None = None,
        app_version: int | None = None,
        audit: bool = False,
        properties: dict[str, str] | None = None,
    ) -> CommitResult:
        """Append, overwrite, or overwrite whole partitions (``replace_where``) in one commit.

        ``df`` is a Spark DataFrame (written by delta-spark), a pyarrow Table or stream (written by
        delta-rs), or files the tasks of a Spark job wrote (``stage_in_tasks``; committed by delta-rs,
        deleted again when nothing commits them).

        With ``app_id``/``app_version`` the write is exactly-once: a batch whose version the table
        already holds for that app id commits nothing (``CommitResult.skipped``). New columns need
        ``schema_mode="add_columns"``; a changed type is always refused. Returns the version written.
        """
        from lakehouse.tables.exceptions import ConcurrentModificationError

        staged = is_staged(df)
        try:
            for attempt in range(3):
                existed = self.exists(name)
                try:
                    result = self._write(
                        name, df, mode, partition_by, replace_where, schema_mode, _app_txn(app_id, app_version), audit, properties
                    )
                    break
                except ConcurrentModificationError:
                    # two writers creating one table (silver's area threads appending their first rejects): the
                    # loser writes again into the table the winner created; any other conflict is the caller's
                    if existed or attempt == 2 or not self.exists(name):
                        raise
        except BaseException:
            if staged:
                df.discard(self.storage(name))
            raise
        if staged and result.skipped:
            df.discard(self.storage(name))
        return result

    def _write(self, name, df, mode, partition_by, replace_where, schema_mode, app_txn, audit, properties) -> CommitResult:
        from lakehouse.tables import rs_delta, spark_delta
        from lakehouse.tables.predicates import replace_where_sql, replaced_partitions

        tn = str(TableName.parse(name))
        if mode not in ("append", "overwrite"):
            raise ValueError(f"mode must be 'append' or 'overwrite', not {mode!r}")
        if replace_where and mode != "overwrite":
            raise PartitionFilterViolationError(f"{tn}: replace_where only applies to mode='overwrite'")
        snap = self._maybe_snapshot(name)
        if snap is not None and app_txn and _done(snap, app_txn):
            return CommitResult(None, True)
        data_schema = schema_of(df)
        schemas.check_writable(data_schema, tn)
        if snap is not None:
            if partition_by is not None and list(partition_by) != snap.partition_by:
                raise SchemaMismatchError(
                    f"{tn}: the table is partitioned by {snap.partition_by or 'nothing'}, not {list(partition_by)}; "
                    "write with the table's partitioning or overwrite it into a new table"
                )
            parts = snap.partition_by
            new_fields = schemas.evolve(snap.schema, data_schema, tn, add_columns=schema_mode == "add_columns")
            target = schemas.merged(snap.schema, new_fields)
        else:
            parts = list(partition_by or [])
            new_fields, target = [], data_schema
        schemas.check_partition_columns(data_schema, parts, tn)
        predicate = replace_where_sql(replace_where, parts, tn) if replace_where else None
        config = self.table_properties(audit, properties) if snap is None else None
        before = snap.version if snap is not None else None
        commit_id = uuid.uuid4().hex
        if is_staged(df):
            if list(df.partition_by) != list(parts):
                raise SchemaMismatchError(
                    f"{tn}: the staged files are partitioned by {df.partition_by or 'nothing'}, the table by {list(parts) or 'nothing'}"
                )
            scope = replaced_partitions(replace_where, parts, tn) if replace_where else None
            if scope is not None:
                outside = df.outside(scope)
                if outside:
                    raise PartitionFilterViolationError(
                        f"{tn}: the data holds rows in partitions {outside[:5]} outside replace_where {dict(replace_where)}; "
                        "filter the data to the partitions being replaced or widen replace_where"
                    )
            rs_delta.commit_files(
                df.adds,
                self.uri(name),
                self._opts(),
                tn,
                snap is not None,
                mode,
                target,
                parts,
                scope,
                app_txn,
                config,
                commit_id,
                self.settings.commit_retries,
            )
        elif is_arrow(df):
            from lakehouse.tables import arrow_files

            data = arrow_files.conform_stream(df, target, fill_missing=False)
            rs_delta.write(
                data,
                self.uri(name),
                self._opts(),
                tn,
                mode,
                parts if snap is None else None,
                predicate,
                bool(new_fields),
                app_txn,
                config,
                commit_id,
                self.settings.commit_retries,
            )
        else:
            spark_delta.write(df, self.uri(name), tn, mode, parts, predicate, bool(new_fields), app_txn, config, commit_id)
        return self._committed(name, tn, commit_id, app_txn, before)

    def _committed(
        self, name: str, tn: str, commit_id: str, app_txn: tuple[str, int] | None, before: int | None = None, lookback: int = 50
    ) -> CommitResult:
        """The version holding commit ``commit_id`` (skipped: an app transaction another writer committed first).

        ``before``: the version the write read; when nobody committed since and the commit is not in the log, the
        write had nothing to change (an overwrite of an empty partition with no rows: Delta commits nothing).
        """
        dt = self._delta_rs(name)
        for entry in dt.history(lookback):
            if entry.get("userMetadata") == commit_id:
                return CommitResult(int(entry["version"]), False)
        if app_txn and _done_dt(dt, app_txn):
            return CommitResult(None, True)
        if before is not None and dt.version() == before:
            return CommitResult(before, False)
        raise LostCommitError(
            f"{tn}: the write reported success but none of the last {lookback} versions holds commit {commit_id}; "
            "the storage does not give atomic puts — configure a locking provider or conditional put in warehouse.storage_options"
        )

    def stage_in_tasks(self, name: str, df: DataFrame, produce: Callable, schema, partition_by: Sequence[str] | None = None):
        """Files of ``name`` written by the tasks of ``df`` (``task_files.stage_in_tasks``): ``produce`` turns a
        partition's Arrow batches into Arrow tables of ``schema`` (a Spark StructType), which the tasks write
        with pyarrow. Commit them with ``write(name, staged, ...)``."""
        from lakehouse.tables.task_files import stage_in_tasks

        return stage_in_tasks(df, produce, schema, self.storage(name), list(partition_by or []))

    def merge(
        self,
        name: str,
        source: DataFrame | pa.Table,
        keys: Sequence[str],
        when_matched: Literal["update", "ignore"] = "update",
        when_not_matched: Literal["insert", "ignore"] = "insert",
        schema_mode: Literal["strict", "add_columns"] = "strict",
        partition_by: Sequence[str] | None = None,
        app_id: str | None = None,
        app_version: int | None = None,
        audit: bool = False,
        unique_keys: bool = False,
    ) -> MergeResult:
        """Upsert by key (``MERGE INTO`` through delta-spark; a pyarrow source through delta-rs's merge).

        Creates the table from ``source`` when it does not exist yet. The source must hold one row
        per key; that is checked (a shuffle of the keys) unless the caller built it so and says
        ``unique_keys=True``. Returns the version and Delta's row and file counts.
        """
        from lakehouse.tables import spark_delta

        tn = str(TableName.parse(name))
        app_txn = _app_txn(app_id, app_version)
        arrow = is_arrow(source)
        if arrow and (when_matched, when_not_matched) != ("update", "insert"):
            raise TableError(
                f"{tn}: an Arrow source merges as an upsert only (when_matched='update', when_not_matched='insert'); "
                "pass a Spark DataFrame for other merges"
            )
        snap = self._maybe_snapshot(name)
        if snap is not None and app_txn and _done(snap, app_txn):
            return MergeResult(None, True, 0, 0, 0, 0)
        keys = list(keys)
        source_schema = schema_of(source)
        schemas.check_writable(source_schema, tn)
        _check_keys(keys, source_schema.names, "source", tn)
        if not unique_keys:
            (_check_unique_arrow if arrow else _check_unique)(source, keys, tn)
        if snap is None:
            res = self.write(name, source, partition_by=partition_by, app_id=app_id, app_version=app_version, audit=audit)
            if res.skipped:
                return MergeResult(None, True, 0, 0, 0, 0)
            files = self.snapshot(name, version=res.version).files
            return MergeResult(res.version, False, 0, sum(f.num_records or 0 for f in files), 0, len(files))
        if partition_by is not None and list(partition_by) != snap.partition_by:
            raise SchemaMismatchError(f"{tn}: the table is partitioned by {snap.partition_by or 'nothing'}, not {list(partition_by)}")
        _check_keys(keys, snap.schema.names, "table", tn)
        new_fields = schemas.evolve(snap.schema, source_schema, tn, add_columns=schema_mode == "add_columns")
        if arrow:
            from lakehouse.tables import arrow_files

            source = arrow_files.conform(source, schemas.merged(snap.schema, new_fields))
            return self._merge_arrow(name, source, keys, schema_mode, app_txn)
        commit_id = uuid.uuid4().hex
        spark_delta.merge(
            self.spark, source, self.uri(name), tn, keys, when_matched, when_not_matched, bool(new_fields), app_txn, commit_id
        )
        try:
            res = self._committed(name, tn, commit_id, app_txn)
        except LostCommitError:
            return MergeResult(snap.version, False, 0, 0, 0, 0)  # nothing matched and nothing to insert: Delta commits nothing
        if res.skipped:
            return MergeResult(None, True, 0, 0, 0, 0)
        m = self._metrics(name, res.version)
        return MergeResult(
            res.version,
            False,
            int(m.get("numTargetRowsUpdated", 0)),
            int(m.get("numTargetRowsInserted", 0)),
            int(m.get("numTargetFilesRemoved", 0)),
            int(m.get("numTargetFilesAdded", 0)),
        )

    def _merge_arrow(self, name: str, source, keys: Sequence[str], schema_mode: str, app_txn, streamed: bool = False) -> MergeResult:
        from lakehouse.tables import rs_delta

        tn = str(TableName.parse(name))
        commit_id = uuid.uuid4().hex
        before = self.version(name)
        metrics = rs_delta.merge(
            source,
            self.uri(name),
            self._opts(),
            tn,
            keys,
            schema_mode == "add_columns",
            app_txn,
            commit_id,
            self.settings.commit_retries,
            streamed=streamed,
        )
        if not metrics.get("num_target_files_added") and not metrics.get("num_target_files_removed") and self.version(name) == before:
            return MergeResult(before, False, 0, 0, 0, 0)
        res = self._committed(name, tn, commit_id, app_txn)
        return MergeResult(None, True, 0, 0, 0, 0) if res.skipped else rs_delta.merge_result(res.version, metrics)

    def _metrics(self, name: str, version: int) -> dict[str, Any]:
        for entry in self._delta_rs(name).history(20):
            if int(entry.get("version", -1)) == version:
                return entry.get("operationMetrics") or {}
        return {}

    def arrow_merge(
        self,
        name: str,
        keys: Sequence[str],
        partition_by: Sequence[str] | None = None,
        app_id: str | None = None,
        app_version: int | None = None,
        unique_keys: bool = False,
    ) -> ArrowMerge:
        """An upsert built in the driver from Arrow tables of different partitions, committed once
        (``rs_delta.ArrowMerge``: ``add`` each part, then ``commit``); creates the table if missing."""
        from lakehouse.tables.rs_delta import ArrowMerge

        return ArrowMerge(self, name, keys, partition_by=partition_by, app_txn=_app_txn(app_id, app_version), unique_keys=unique_keys)

    def delete(self, name: str, predicate: str | Column) -> DeleteResult:
        """Delete rows where ``predicate`` (Spark SQL or a Column) is true (``DELETE FROM`` through delta-spark)."""
        from lakehouse.tables import spark_delta

        tn = str(TableName.parse(name))
        before = self.version(name)
        commit_id = uuid.uuid4().hex
        spark_delta.delete(self.spark, self.uri(name), tn, predicate, commit_id)
        try:
            version = self._committed(name, tn, commit_id, None).version
        except LostCommitError:
            return DeleteResult(before, 0, 0, 0)  # no row matched: Delta commits nothing
        m = self._metrics(name, version)
        return DeleteResult(version, int(m.get("numDeletedRows", 0)), int(m.get("numRemovedFiles", 0)), int(m.get("numAddedFiles", 0)))

    def restore(self, name: str, version: int | None = None, timestamp: str | None = None) -> int:
        """``RESTORE`` the table to an earlier version or timestamp: a new version with its rows; history is kept."""
        from lakehouse.tables import spark_delta

        if (version is None) == (timestamp is None):
            raise TableError("restore needs exactly one of version or timestamp")
        spark_delta.restore(self.spark, self.uri(name), str(TableName.parse(name)), version, timestamp)
        return self.version(name)

    # -- maintenance ----------------------------------------------------------------

    def history(self, name: str, limit: int | None = None) -> list[dict[str, Any]]:
        """Commit history, newest first (``DESCRIBE HISTORY``; read by delta-rs when there is no Spark session)."""
        from lakehouse.tables import spark_delta

        if self._spark is None:
            return self._delta_rs(name).history(limit)
        if not self.exists(name):
            raise TableNotFoundError(f"table {name} does not exist (no Delta log at {self.uri(name)}); run the job that creates it first")
        return spark_delta.history(self.spark, self.uri(name), limit)

    def optimize(
        self, name: str, target_mb: int | None = None, zorder_by: Sequence[str] | None = None, where: str | None = None
    ) -> dict[str, Any]:
        """``OPTIMIZE`` (compaction, or ``ZORDER BY``) through delta-spark; no data change."""
        from lakehouse.tables import spark_delta

        self._delta_rs(name)  # a clear error when the table is missing
        return spark_delta.optimize(
            self.spark, self.uri(name), str(TableName.parse(name)), zorder_by, where, target_mb or self.settings.target_file_mb
        )

    def vacuum(self, name: str, retention_hours: float | None = None, dry_run: bool = False, force: bool = False) -> list[str]:
        """``VACUUM`` through delta-spark: delete files no version within the retention needs.

        A retention shorter than the table's ``delta.deletedFileRetentionDuration`` (the audit
        horizon for tables that feed draws) is refused unless ``force``.
        """
        from lakehouse.tables import maintenance, spark_delta

        tn = str(TableName.parse(name))
        configured = maintenance.interval_hours(self._delta_rs(name).metadata().configuration.get("delta.deletedFileRetentionDuration"))
        maintenance.check_retention(tn, retention_hours, configured, force)
        hours = configured if retention_hours is None else retention_hours
        return spark_delta.vacuum(self.spark, self.uri(name), tn, hours if hours is not None else 168.0, dry_run)

    def checkpoint(self, name: str) -> None:
        """Write a checkpoint of the current version (delta-rs)."""
        self._delta_rs(name).create_checkpoint()

    def properties(self, name: str) -> dict[str, str]:
        return dict(self._delta_rs(name).metadata().configuration)

    def set_properties(self, name: str, props: dict[str, str]) -> None:
        """``ALTER TABLE … SET TBLPROPERTIES`` through delta-spark (protocol-lifting properties refused)."""
        from lakehouse.tables import spark_delta

        tn = str(TableName.parse(name))
        _check_protocol_properties(props, tn)
        self._delta_rs(name)
        spark_delta.set_properties(self.spark, self.uri(name), tn, props)


def _check_protocol_properties(props: dict[str, str], what: str) -> None:
    for key in props:
        if key in _PROTOCOL_PROPERTIES and str(props[key]).lower() not in ("false", "none"):
            raise TableError(f"{what}: {key} would lift the table's protocol beyond what Trino, polars and delta-rs share; not allowed")


def _done(snapshot: Snapshot, app_txn: tuple[str, int]) -> bool:
    return _done_dt(snapshot.dt, app_txn)


def _done_dt(dt, app_txn: tuple[str, int]) -> bool:
    done = dt.transaction_version(app_txn[0])
    return done is not None and done >= app_txn[1]


def _check_keys(keys: Sequence[str], columns: Sequence[str], what: str, table: str) -> None:
    missing = [k for k in keys if k not in columns]
    if missing:
        raise SchemaMismatchError(f"{table}: merge keys {missing} are not columns of the {what} ({list(columns)})")


def _check_unique(source: DataFrame, keys: Sequence[str], table: str) -> None:
    from pyspark.sql import functions as F

    from lakehouse.tables.exceptions import DuplicateKeyError

    dupes = source.groupBy(*keys).count().where(F.col("count") > 1).limit(5).collect()
    if dupes:
        examples = [{k: r[k] for k in keys} for r in dupes]
        raise DuplicateKeyError(
            f"{table}: the merge source holds several rows for keys {examples}; keep one row per key "
            "(e.g. the latest by a window over the key) before merging"
        )


def _check_unique_arrow(source: pa.Table, keys: Sequence[str], table: str) -> None:
    from lakehouse.tables.arrow_files import key_strings
    from lakehouse.tables.rs_delta import check_unique_keys

    joined, valid = key_strings(source, keys)
    check_unique_keys(joined.filter(valid), keys, table)


def _app_txn(app_id: str | None, app_version: int | None) -> tuple[str, int] | None:
    if app_id is None and app_version is None:
        return None
    if app_id is None or app_version is None:
        raise TableError("exactly-once writes need both app_id and app_version")
    return (app_id, int(app_version))

"""Named Delta tables: Spark computes, delta-rs commits.

``Tables`` maps ``layer.name`` to ``<warehouse>/<layer>/<name>`` and offers read, write
(append, overwrite, replace partitions), merge, delete and maintenance; every operation
takes or returns Spark DataFrames and commits one Delta transaction.

Example::

    >>> tables = Tables.from_config(cfg, spark)                       # doctest: +SKIP
    >>> tables.write("silver.registration", df, partition_by=["district"],
    ...              app_id="silver.registration", app_version=20240101)  # doctest: +SKIP
    >>> tables.read("silver.registration", filters=[("district", "=", "440604")]).count()  # doctest: +SKIP
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Literal, Sequence

from lakehouse.tables.committer import CommitResult
from lakehouse.tables.exceptions import TableError, TableNotFoundError
from lakehouse.tables.names import TableName, table_uri
from lakehouse.tables.storage import TableStorage
from lakehouse.tables.writer import is_arrow

if TYPE_CHECKING:
    from datetime import datetime

    import pyarrow as pa

    from pyspark.sql import Column, DataFrame, SparkSession

    from lakehouse.config import RegulakeConfig, TablesConfig
    from lakehouse.tables.merge import ArrowMerge, DeleteResult, MergeResult
    from lakehouse.tables.reader import Filter
    from lakehouse.tables.snapshot import Snapshot

__all__ = ["Tables", "TableName", "CommitResult", "TableError", "TableNotFoundError"]


class Tables:
    """The warehouse's tables by name."""

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
    def from_config(cls, cfg: RegulakeConfig, spark: SparkSession | None = None) -> "Tables":
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

    def exists(self, name: str) -> bool:
        from deltalake import DeltaTable

        return DeltaTable.is_deltatable(self.uri(name), storage_options=self.storage_options or None)

    def snapshot(self, name: str, version: int | None = None, timestamp: datetime | str | None = None) -> Snapshot:
        from lakehouse.tables.snapshot import load_snapshot

        return load_snapshot(self.storage(name), str(TableName.parse(name)), version, timestamp)

    def version(self, name: str) -> int:
        from lakehouse.tables.snapshot import load_delta_table

        return load_delta_table(self.storage(name), name).version()

    def transaction_version(self, name: str, app_id: str) -> int | None:
        """The last committed batch version of ``app_id`` (None when never committed)."""
        if not self.exists(name):
            return None
        from lakehouse.tables.snapshot import load_delta_table

        return load_delta_table(self.storage(name), name).transaction_version(app_id)

    def transaction_versions(self, name: str, app_ids: Sequence[str]) -> dict[str, int | None]:
        """``transaction_version`` of several app ids, from one load of the log."""
        if not self.exists(name):
            return {a: None for a in app_ids}
        from lakehouse.tables.snapshot import load_delta_table

        dt = load_delta_table(self.storage(name), name)
        return {a: dt.transaction_version(a) for a in app_ids}

    def list(self) -> list[str]:
        from lakehouse.tables.names import LAYERS

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
        """The table (current, at a version, or as of a timestamp) as a Spark DataFrame.

        ``filters`` are (column, op, value) conjunctions: they prune files by partition
        values and min/max stats, and filter the rows.
        """
        from lakehouse.tables import reader

        snap = self.snapshot(name, version, timestamp)
        return reader.read(self.spark, self.storage(name), snap, columns, filters)

    def read_arrow(self, name: str, columns: Sequence[str] | None = None, filters: Sequence[Filter] | None = None) -> pa.Table:
        """The current table as a pyarrow Table, read by the driver with no Spark job (for small reads).

        ``filters`` as in ``read``: they prune files by partition values and min/max stats, then rows.
        """
        from lakehouse.tables import arrow_files
        from lakehouse.tables.reader import prune_files

        snap = self.snapshot(name)
        storage = self.storage(name)
        wanted = list(columns) if columns is not None else None
        needed = None if wanted is None else list(dict.fromkeys(wanted + [c for c, _, _ in filters or []]))
        data = arrow_files.read_files(storage, snap, prune_files(snap, filters, storage), columns=needed)
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
        return props

    def _maybe_snapshot(self, name: str) -> Snapshot | None:
        return self.snapshot(name) if self.exists(name) else None

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
        before_commit: Callable[[], None] | None = None,
    ) -> CommitResult:
        """Append, overwrite, or overwrite whole partitions (``replace_where``).

        ``df`` is a Spark DataFrame, a small pyarrow Table the driver writes itself, or files the
        tasks of a Spark job wrote (``stage_in_tasks``).

        With ``app_id``/``app_version`` the write is exactly-once: a batch whose version
        the table already holds for that app id commits nothing.
        """
        from lakehouse.tables import writer

        tn = str(TableName.parse(name))
        return writer.write(
            df,
            self.storage(name),
            tn,
            self._maybe_snapshot(name),
            mode=mode,
            partition_by=partition_by,
            replace_where=replace_where,
            schema_mode=schema_mode,
            app_txn=_app_txn(app_id, app_version),
            configuration=self.table_properties(audit, properties),
            max_retries=self.settings.commit_retries,
            before_commit=before_commit,
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
        """Upsert by key; creates the table from ``source`` when it does not exist yet.

        ``source`` may be a small pyarrow Table: then the driver reads, writes and commits with
        no Spark job (an upsert only).

        The source must hold one row per key; that is checked (a shuffle of the keys) unless the
        caller built it so and says ``unique_keys=True``.
        """
        from lakehouse.tables import merge as merging

        tn = str(TableName.parse(name))
        snap = self._maybe_snapshot(name)
        arrow = is_arrow(source)
        if arrow and (when_matched, when_not_matched) != ("update", "insert"):
            raise TableError(f"{tn}: an Arrow source merges as an upsert only (when_matched='update', when_not_matched='insert'); "
                             "pass a Spark DataFrame for other merges")
        if snap is None:
            from lakehouse.tables.merge import MergeResult, _check_unique, _check_unique_arrow

            if not unique_keys:
                (_check_unique_arrow if arrow else _check_unique)(source, list(keys), tn)
            res = self.write(name, source, partition_by=partition_by, app_id=app_id, app_version=app_version, audit=audit)
            if res.skipped:
                return MergeResult(res.version, True, 0, 0, 0, 0)
            files = self.snapshot(name, version=res.version).files
            return MergeResult(res.version, False, 0, sum(f.num_records or 0 for f in files), 0, len(files))
        if arrow:
            return merging.merge_arrow(source, self.storage(name), tn, snap, keys, schema_mode, _app_txn(app_id, app_version),
                                       self.settings.commit_retries, unique_keys=unique_keys)
        return merging.merge(
            self.spark, source, self.storage(name), tn, snap, keys, when_matched, when_not_matched, schema_mode,
            _app_txn(app_id, app_version), self.settings.commit_retries, unique_keys=unique_keys,
        )

    def arrow_merge(self, name: str, keys: Sequence[str], partition_by: Sequence[str] | None = None, app_id: str | None = None,
                    app_version: int | None = None, unique_keys: bool = False) -> ArrowMerge:
        """An upsert built in the driver from Arrow tables of different partitions, committed once
        (``merging.ArrowMerge``: ``add`` each part, then ``commit``); creates the table if missing."""
        from lakehouse.tables.merge import ArrowMerge

        tn = str(TableName.parse(name))
        return ArrowMerge(self.storage(name), tn, self._maybe_snapshot(name), keys, partition_by=partition_by,
                          app_txn=_app_txn(app_id, app_version), max_retries=self.settings.commit_retries, unique_keys=unique_keys,
                          configuration=self.table_properties())

    def delete(self, name: str, predicate: str | Column) -> DeleteResult:
        """Delete rows where ``predicate`` (Spark SQL or a Column) is true."""
        from lakehouse.tables import merge as merging

        return merging.delete(self.spark, self.storage(name), str(TableName.parse(name)), self.snapshot(name), predicate, self.settings.commit_retries)

    # -- maintenance ----------------------------------------------------------------

    def history(self, name: str, limit: int | None = None) -> list[dict[str, Any]]:
        from lakehouse.tables import maintenance

        return maintenance.history(self.storage(name), name, limit)

    def optimize(self, name: str, target_mb: int | None = None) -> dict[str, Any]:
        from lakehouse.tables import maintenance

        return maintenance.optimize(self.storage(name), name, target_mb or self.settings.target_file_mb)

    def vacuum(self, name: str, retention_hours: float | None = None, dry_run: bool = False, force: bool = False, staging_retention_hours: float | None = None) -> list[str]:
        from lakehouse.tables import maintenance

        staging = self.settings.staging_retention_hours if staging_retention_hours is None else staging_retention_hours
        return maintenance.vacuum(self.storage(name), name, retention_hours, dry_run, staging, force)

    def checkpoint(self, name: str) -> None:
        from lakehouse.tables import maintenance

        maintenance.checkpoint(self.storage(name), name)

    def properties(self, name: str) -> dict[str, str]:
        from lakehouse.tables import maintenance

        return maintenance.properties(self.storage(name), name)

    def set_properties(self, name: str, props: dict[str, str]) -> None:
        from lakehouse.tables import maintenance

        maintenance.set_properties(self.storage(name), name, props)


def _app_txn(app_id: str | None, app_version: int | None) -> tuple[str, int] | None:
    if app_id is None and app_version is None:
        return None
    if app_id is None or app_version is None:
        raise TableError("exactly-once writes need both app_id and app_version")
    return (app_id, int(app_version))

"""Table operations of Arrow data held by the driver, through delta-rs's public API.

- ``write``: ``write_deltalake`` (append, overwrite, ``predicate`` for replaced partitions);
- ``commit_files``: files Spark tasks already wrote with pyarrow (``task_files``), committed with
  ``create_table_with_add_actions`` / ``DeltaTable.create_write_transaction``;
- ``merge``: ``DeltaTable.merge`` (upsert by key);
- ``ArrowMerge``: an upsert built from several parts (silver's driver path), each part spilled
  to local disk as it is made and merged in ONE ``DeltaTable.merge`` over a stream of them.

Exactly-once batches are delta-rs app transactions (``CommitProperties.app_transactions``);
conflicts between concurrent writers are delta-rs's own conflict checker's. Each commit carries
a unique ``userMetadata`` so the version it made is found afterwards.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from lakehouse.tables import schema as schemas
from lakehouse.tables.exceptions import ConcurrentModificationError, DuplicateKeyError, SchemaMismatchError, TableError
from lakehouse.tables.results import FileAdd, MergeResult

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql.types import StructType

log = logging.getLogger(__name__)

# A merge source of up to this many rows is held in memory, so delta-rs can prune the table's files by
# the source's partitions and key ranges before it reads them; a larger one is streamed from disk.
IN_MEMORY_MERGE_ROWS = 2_000_000


def commit_properties(commit_id: str, app_txn: tuple[str, int] | None, max_retries: int, operation: str | None = None):
    from deltalake import CommitProperties, Transaction

    meta = {"userMetadata": commit_id}
    if operation:
        meta["regulake.operation"] = operation
    txns = [Transaction(app_txn[0], int(app_txn[1]), int(time.time() * 1000))] if app_txn else None
    return CommitProperties(custom_metadata=meta, max_commit_retries=max_retries, app_transactions=txns)


def error(exc: BaseException, table: str, what: str) -> BaseException:
    """delta-rs's exception as the project's error (unknown ones are returned unchanged)."""
    from deltalake.exceptions import CommitFailedError

    text = str(exc)
    if isinstance(exc, CommitFailedError) or "Transaction failed" in text or "conflict" in text.lower() or "already exists" in text.lower():
        return ConcurrentModificationError(
            f"{table}: another writer committed to the table while this {what} ran, and delta-rs found the two conflict "
            f"({text.splitlines()[0] if text else type(exc).__name__}); nothing was committed. Re-run the job: it is idempotent."
        )
    if "Schema" in type(exc).__name__ or "schema" in text.lower() and "mismatch" in text.lower():
        return SchemaMismatchError(
            f"{table}: delta-rs refused the {what}'s schema ({text.splitlines()[0]}); cast the columns to the table's types"
        )
    return exc


def write(
    data: pa.Table,
    uri: str,
    storage_options: dict[str, str] | None,
    table: str,
    mode: Literal["append", "overwrite"],
    partition_by: Sequence[str] | None,
    predicate: str | None,
    merge_schema: bool,
    app_txn: tuple[str, int] | None,
    configuration: dict[str, str] | None,
    commit_id: str,
    max_retries: int,
) -> None:
    """``write_deltalake``; ``configuration`` only for a new table."""
    from deltalake import write_deltalake

    try:
        write_deltalake(
            uri,
            data,
            mode=mode,
            partition_by=list(partition_by) or None if partition_by else None,
            predicate=predicate,
            schema_mode="merge" if merge_schema else None,
            configuration=configuration or None,
            storage_options=storage_options or None,
            name=table if configuration else None,
            commit_properties=commit_properties(commit_id, app_txn, max_retries),
        )
    except Exception as exc:
        raise error(exc, table, "write") from exc


def _actions(adds: Sequence[FileAdd]) -> list:
    from deltalake.transaction import AddAction

    return [AddAction(a.path, a.size, dict(a.partition_values), a.modification_time, a.data_change, a.stats) for a in adds]


def commit_files(
    adds: Sequence[FileAdd],
    uri: str,
    storage_options: dict[str, str] | None,
    table: str,
    exists: bool,
    mode: Literal["append", "overwrite"],
    schema: StructType,
    partition_by: Sequence[str],
    replaced: list[dict[str, str | None]] | None,
    app_txn: tuple[str, int] | None,
    configuration: dict[str, str] | None,
    commit_id: str,
    max_retries: int,
) -> None:
    """Commit files already in the table's folders (``adds``) as one transaction.

    ``replaced``: the partitions an overwrite replaces (None: the whole table).
    """
    from deltalake import DeltaTable, Field
    from deltalake.transaction import create_table_with_add_actions

    props = commit_properties(commit_id, app_txn, max_retries)
    try:
        if not exists:
            create_table_with_add_actions(
                uri,
                schemas.to_delta(schema),
                _actions(adds),
                mode="error",
                partition_by=list(partition_by) or None,
                name=table,
                configuration=configuration or None,
                storage_options=storage_options or None,
                commit_properties=props,
            )
            return
        dt = DeltaTable(uri, storage_options=storage_options or None)
        table_schema = schemas.from_delta(dt.schema())
        new_fields = schemas.evolve(table_schema, schema, table, add_columns=True)
        if new_fields:
            dt.alter.add_columns([Field.from_json(schemas.field_json(f)) for f in new_fields])
            table_schema = schemas.merged(table_schema, new_fields)
        filters = None
        if mode == "overwrite" and replaced is not None:
            if len({tuple(sorted(p)) for p in replaced}) != 1 or any(len(p) != 1 for p in replaced):
                raise TableError(f"{table}: an overwrite of staged files replaces partitions of one column; got {replaced[:3]}")
            column = next(iter(replaced[0]))
            filters = [(column, "in", sorted({p[column] for p in replaced}))]
        dt.create_write_transaction(
            _actions(adds),
            mode=mode,
            schema=schemas.to_delta(table_schema),
            partition_by=list(partition_by) or None,
            partition_filters=filters,
            commit_properties=props,
        )
    except (TableError, SchemaMismatchError):
        raise
    except Exception as exc:
        raise error(exc, table, "commit") from exc


def merge(
    source: Any,
    uri: str,
    storage_options: dict[str, str] | None,
    table: str,
    keys: Sequence[str],
    merge_schema: bool,
    app_txn: tuple[str, int] | None,
    commit_id: str,
    max_retries: int,
    streamed: bool = False,
) -> dict[str, Any]:
    """Upsert ``source`` (an Arrow table or stream) by ``keys`` with ``DeltaTable.merge``; delta-rs's merge metrics."""
    from deltalake import DeltaTable

    predicate = " AND ".join(f"t.{k} = s.{k}" for k in keys)
    try:
        dt = DeltaTable(uri, storage_options=storage_options or None)
        return (
            dt.merge(
                source,
                predicate,
                source_alias="s",
                target_alias="t",
                merge_schema=merge_schema,
                streamed_exec=streamed,
                commit_properties=commit_properties(commit_id, app_txn, max_retries),
            )
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute()
        )
    except Exception as exc:
        raise error(exc, table, "merge") from exc


def merge_result(version: int | None, metrics: dict[str, Any]) -> MergeResult:
    return MergeResult(
        version,
        False,
        int(metrics.get("num_target_rows_updated", 0)),
        int(metrics.get("num_target_rows_inserted", 0)),
        int(metrics.get("num_target_files_removed", 0)),
        int(metrics.get("num_target_files_added", 0)),
    )


def check_unique_keys(joined: pa.Array, keys: Sequence[str], table: str) -> None:
    """``joined``: the key strings (``arrow_files.key_strings``) of the valid keys."""
    import pyarrow.compute as pc

    counts = pc.value_counts(joined)
    repeated = counts.filter(pc.greater(counts.field("counts"), 1)).field("values").to_pylist()[:5]
    if repeated:
        examples = [dict(zip(keys, k.split("\x1f"))) for k in repeated]
        raise DuplicateKeyError(
            f"{table}: the merge source holds several rows for keys {examples}; keep one row per key "
            "(e.g. the latest by a window over the key) before merging"
        )


class ArrowMerge:
    """An upsert in the driver from one Arrow table or several (parts), committed once.

    Each :meth:`add` spills its rows to an Arrow file on local disk (LZ4) and keeps only their
    keys, so the driver holds one part at a time. :meth:`commit` runs ONE delta-rs merge over
    all parts (in memory up to ``IN_MEMORY_MERGE_ROWS`` rows, so delta-rs prunes the table's
    files by the source; streamed from the spill files beyond), with the app transaction; a new
    table is created from the stream. :meth:`discard` deletes the spill. No key may be in two
    parts (checked unless ``unique_keys``).
    """

    def __init__(
        self,
        tables,
        name: str,
        keys: Sequence[str],
        partition_by: Sequence[str] | None = None,
        schema_mode: Literal["strict", "add_columns"] = "strict",
        app_txn: tuple[str, int] | None = None,
        unique_keys: bool = False,
    ):
        from lakehouse.tables.names import TableName

        self.tables, self.name, self.table, self.keys = tables, name, str(TableName.parse(name)), list(keys)
        self.snapshot = tables._maybe_snapshot(name)
        self.parts = self.snapshot.partition_by if self.snapshot is not None else list(partition_by or [])
        if self.snapshot is not None and partition_by is not None and list(partition_by) != self.parts:
            raise SchemaMismatchError(f"{self.table}: the table is partitioned by {self.parts or 'nothing'}, not {list(partition_by)}")
        self.schema_mode, self.app_txn, self.unique_keys = schema_mode, app_txn, unique_keys
        self.schema = self.snapshot.schema if self.snapshot is not None else None
        self.spill: str | None = None
        self.files: list[str] = []
        self.key_strings: list = []
        self.rows_in = 0
        done = self.snapshot.dt.transaction_version(app_txn[0]) if app_txn and self.snapshot is not None else None
        self.done = done is not None and done >= app_txn[1]

    def add(self, source: pa.Table) -> None:
        """Spill one part (nothing is committed)."""
        import pyarrow as pa

        from lakehouse.tables import arrow_files

        source_schema = arrow_files.spark_schema(source.schema)
        schemas.check_writable(source_schema, self.table)
        names = {"source": source.column_names, "table": self.schema.names if self.schema is not None else source.column_names}
        for what, cols in names.items():
            missing = [k for k in self.keys if k not in cols]
            if missing:
                raise SchemaMismatchError(f"{self.table}: merge keys {missing} are not columns of the {what} ({cols})")
        if self.schema is None:
            schemas.check_partition_columns(source_schema, self.parts, self.table)
            self.schema = source_schema
        else:
            new_fields = schemas.evolve(self.schema, source_schema, self.table, add_columns=self.schema_mode == "add_columns")
            self.schema = schemas.merged(self.schema, new_fields)
        if not self.unique_keys:
            joined, valid = arrow_files.key_strings(source, self.keys)
            self.key_strings.append(joined.filter(valid))
        if self.spill is None:
            self.spill = tempfile.mkdtemp(prefix="regulake-merge-")
        path = os.path.join(self.spill, f"part-{len(self.files):05d}.arrow")
        with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, source.schema, options=pa.ipc.IpcWriteOptions(compression="lz4")) as w:
            w.write_table(source)
        self.files.append(path)
        self.rows_in += source.num_rows

    def _stream(self) -> pa.RecordBatchReader:
        """Every spilled part, conformed to the merged schema, as one stream."""
        import pyarrow as pa

        from lakehouse.tables import arrow_files

        target = arrow_files.arrow_schema(self.schema)

        def batches():
            for path in self.files:
                with pa.memory_map(path) as src:
                    reader = pa.ipc.open_file(src)
                    for i in range(reader.num_record_batches):
                        t = pa.Table.from_batches([reader.get_batch(i)])
                        yield from arrow_files.conform(t, self.schema, fill_missing=True).to_batches()

        return pa.RecordBatchReader.from_batches(target, batches())

    def commit(self) -> MergeResult:
        """Merge every part in one transaction (a new table: created, even with no rows)."""
        import pyarrow as pa

        if self.done:
            self.discard()
            return MergeResult(None, True, 0, 0, 0, 0)
        if self.schema is None:
            raise ValueError(f"{self.table}: nothing was added to create the table from")
        try:
            if self.key_strings:
                chunks = [c for k in self.key_strings for c in (k.chunks if isinstance(k, pa.ChunkedArray) else [k])]
                check_unique_keys(pa.chunked_array(chunks, pa.string()).combine_chunks(), self.keys, self.table)
            if self.snapshot is None:
                res = self.tables.write(
                    self.name,
                    self._stream(),
                    partition_by=self.parts,
                    app_id=self.app_txn[0] if self.app_txn else None,
                    app_version=self.app_txn[1] if self.app_txn else None,
                )
                return MergeResult(res.version, res.skipped, 0, 0 if res.skipped else self.rows_in, 0, 0)
            source = self._stream()
            streamed = self.rows_in > IN_MEMORY_MERGE_ROWS
            if not streamed:
                source = source.read_all()
            return self.tables._merge_arrow(self.name, source, self.keys, self.schema_mode, self.app_txn, streamed=streamed)
        finally:
            self.discard()

    def discard(self) -> None:
        """Delete the spilled parts (nothing was committed)."""
        if self.spill is not None:
            shutil.rmtree(self.spill, ignore_errors=True)
        self.spill, self.files, self.key_strings = None, [], []

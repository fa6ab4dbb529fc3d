"""Merge (upsert by key) and delete by predicate, as copy-on-write of the touched files only.

``merge_arrow`` does the same upsert for a small Arrow table in the driver, with no Spark job;
``ArrowMerge`` for one or several Arrow tables (parts), committed once.

Spark finds the files holding matching rows (a semi-join on the keys, or the predicate),
rewrites just those files without the matched rows plus the new rows, and the driver
commits "remove touched files + add rewritten files" as one transaction that fails if a
concurrent commit changed the same partitions.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Literal, NamedTuple, Sequence

from lakehouse.tables import schema as schemas
from lakehouse.tables.committer import Commit
from lakehouse.tables.exceptions import DuplicateKeyError, SchemaMismatchError
from lakehouse.tables.reader import FILE_COLUMN, file_relpath, read_files
from lakehouse.tables.snapshot import Snapshot, SnapshotFile
from lakehouse.tables.writer import commit_or_discard, removes_for, stage_dataframe

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import Column, DataFrame, SparkSession

    from lakehouse.tables.storage import TableStorage


class MergeResult(NamedTuple):
    version: int | None
    skipped: bool
    rows_updated: int
    rows_inserted: int
    files_removed: int
    files_added: int


class DeleteResult(NamedTuple):
    version: int | None
    rows_deleted: int
    files_removed: int
    files_added: int


def _check_keys(df: DataFrame, keys: Sequence[str], what: str, table: str) -> None:
    missing = [k for k in keys if k not in df.columns]
    if missing:
        raise SchemaMismatchError(f"{table}: merge keys {missing} are not columns of the {what} ({df.columns})")


def _check_unique(source: DataFrame, keys: Sequence[str], table: str) -> None:
    from pyspark.sql import functions as F

    dupes = source.groupBy(*keys).count().where(F.col("count") > 1).limit(5).collect()
    if dupes:
        examples = [{k: r[k] for k in keys} for r in dupes]
        raise DuplicateKeyError(
            f"{table}: the merge source holds several rows for keys {examples}; keep one row per key "
            "(e.g. the latest by a window over the key) before merging"
        )


def _candidate_files(spark: SparkSession, snapshot: Snapshot, source: DataFrame, keys: Sequence[str]) -> list[SnapshotFile]:
    """When the keys include every partition column, only the source's partitions can match."""
    parts = snapshot.partition_by
    if not parts or not set(parts) <= set(keys):
        return snapshot.files
    from lakehouse.tables.writer import partition_string

    present = {tuple(partition_string(r[c]) for c in parts) for r in source.select(*parts).distinct().collect()}
    return [f for f in snapshot.files if tuple(f.partition_values.get(c) for c in parts) in present]


PRUNE_KEYS = 1_000_000  # a source of up to this many keys prunes files by the key's min/max statistics
STRING_BOUND = 32  # Delta writers keep string statistics to a 32-character prefix: shorter bounds are exact


def _data_key(snapshot: Snapshot, keys: Sequence[str]) -> str | None:
    """The one non-partition key whose min/max statistics can prune files (None: no such key)."""
    from pyspark.sql.types import IntegerType, LongType, StringType

    data_keys = [k for k in keys if k not in snapshot.partition_by]
    if len(data_keys) != 1:
        return None
    key = data_keys[0]
    if not isinstance(snapshot.schema[key].dataType, (StringType, IntegerType, LongType)):
        return None  # compared in Python exactly as Parquet orders them: strings (UTF-8) and integers
    return key


def files_holding(snapshot: Snapshot, candidates: list[SnapshotFile] | None, by_part: dict[tuple, list], key: str) -> list[SnapshotFile]:
    """Of ``candidates``, the files whose min/max of ``key`` may hold one of ``by_part``'s keys.

    ``by_part``: partition values (as strings) → sorted non-null keys. ``candidates=None``: every
    file of the partitions in ``by_part``. Files without both bounds (long strings keep no max)
    stay candidates.
    """
    import bisect

    parts = snapshot.partition_by
    if candidates is None:  # a row with a null key matches nothing: its partition needs no file read
        candidates = [f for f in snapshot.files if tuple(f.partition_values.get(c) for c in parts) in by_part]
    ranges = snapshot.key_ranges(key)
    out = []
    for f in candidates:
        lo, hi = ranges.get(f.path, (None, None))
        if lo is None or hi is None or (isinstance(lo, str) and max(len(lo), len(hi)) >= STRING_BOUND):
            out.append(f)  # no bounds, or strings long enough that some writer may have truncated them
            continue
        mine = by_part.get(tuple(f.partition_values.get(c) for c in parts), [])
        i = bisect.bisect_left(mine, lo)
        if i < len(mine) and mine[i] <= hi:
            out.append(f)
    return out


def _keys_by_partition(rows, parts: Sequence[str], key: str) -> dict[tuple, list]:
    from lakehouse.tables.writer import partition_string

    by_part: dict[tuple, list] = {}
    for r in rows:
        by_part.setdefault(tuple(partition_string(r[c]) for c in parts), []).append(r[key])
    for v in by_part.values():
        v.sort()
    return by_part


def _prune_by_key_range(snapshot: Snapshot, candidates: list[SnapshotFile] | None, source: DataFrame,
                        keys: Sequence[str]) -> list[SnapshotFile] | None:
    """Drop candidate files whose min/max of the one non-partition key hold none of the source's keys.

    A daily batch of new records (sequential record numbers above every existing one) then
    reads and rewrites no old file at all. ``candidates=None``: every file of the partitions
    the source's keys fall in (found from the same collected keys). Returns None when the
    source is too large to collect or the key cannot be compared (the caller keeps its candidates).
    """
    if candidates == []:
        return []
    key = _data_key(snapshot, keys)
    if key is None:
        return None
    parts = snapshot.partition_by
    rows = source.select(*parts, key).where(source[key].isNotNull()).limit(PRUNE_KEYS + 1).collect()
    if len(rows) > PRUNE_KEYS:
        return None
    return files_holding(snapshot, candidates, _keys_by_partition(rows, parts, key), key)


def _candidates(spark: SparkSession, snapshot: Snapshot, source: DataFrame, keys: Sequence[str]) -> list[SnapshotFile]:
    """The files that can hold a source key: by partition, then by the key's min/max (one collect when both apply)."""
    parts = snapshot.partition_by
    by_partition = bool(parts) and set(parts) <= set(keys)
    pruned = _prune_by_key_range(snapshot, None if by_partition else snapshot.files, source, keys)
    if pruned is not None:
        return pruned
    return _candidate_files(spark, snapshot, source, keys)


def _files_by_path(snapshot: Snapshot) -> dict[str, SnapshotFile]:
    return {f.path: f for f in snapshot.files}


def _touched(storage: TableStorage, snapshot: Snapshot, rows: list) -> list[tuple[SnapshotFile, int]]:
    by_path = _files_by_path(snapshot)
    return [(by_path[file_relpath(storage, r[FILE_COLUMN])], r["count"]) for r in rows]


def _scope(snapshot: Snapshot, touched: Sequence[SnapshotFile], adds) -> list[dict] | None:
    if not snapshot.partition_by:
        return None
    scope = {tuple(sorted(f.partition_values.items())) for f in touched}
    scope |= {tuple(sorted(a.partition_values.items())) for a in adds}
    return [dict(s) for s in scope]


def merge(
    spark: SparkSession,
    source: DataFrame,
    storage: TableStorage,
    table: str,
    snapshot: Snapshot,
    keys: Sequence[str],
    when_matched: Literal["update", "ignore"] = "update",
    when_not_matched: Literal["insert", "ignore"] = "insert",
    schema_mode: Literal["strict", "add_columns"] = "strict",
    app_txn: tuple[str, int] | None = None,
    max_retries: int = 10,
    unique_keys: bool = False,
) -> MergeResult:
    """Upsert ``source`` into the table by ``keys`` (one source row per key)."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    if app_txn:
        done = snapshot.dt.transaction_version(app_txn[0])
        if done is not None and done >= app_txn[1]:
            return MergeResult(None, True, 0, 0, 0, 0)
    keys = list(keys)
    schemas.check_writable(source.schema, table)
    _check_keys(source, keys, "source", table)
    _check_keys(spark.createDataFrame([], snapshot.schema), keys, "table", table)
    new_fields = schemas.evolve(snapshot.schema, source.schema, table, add_columns=schema_mode == "add_columns")
    target_schema = schemas.merged(snapshot.schema, new_fields)

    source = source.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        if not unique_keys:
            _check_unique(source, keys, table)
        candidates = _candidates(spark, snapshot, source, keys)
        source_keys = source.select(*keys)
        target = read_files(spark, storage, snapshot, candidates, with_file=True)
        matched_rows = (
            target.select(FILE_COLUMN, *keys).join(source_keys, keys, "left_semi").groupBy(FILE_COLUMN).count().collect()
        ) if candidates else []
        touched = _touched(storage, snapshot, matched_rows)
        rows_matched = sum(n for _, n in touched)
        touched_files = [f for f, _ in touched]
        target_keys = target.select(*keys)

        if when_matched == "update":
            new_rows = source if when_not_matched == "insert" else source.join(target_keys, keys, "left_semi")
            kept = read_files(spark, storage, snapshot, touched_files).join(source_keys, keys, "left_anti")
            out = kept.unionByName(new_rows, allowMissingColumns=True)
            removes = removes_for(touched_files)
            rows_updated = rows_matched
        else:
            out = source.join(target_keys, keys, "left_anti") if when_not_matched == "insert" else None
            removes = []
            rows_updated = 0
        out = out.select(*[F.col(f.name).cast(f.dataType) if f.name in out.columns else F.lit(None).cast(f.dataType).alias(f.name) for f in target_schema.fields]) if out is not None else None

        adds = stage_dataframe(out, storage, snapshot.partition_by) if out is not None else []
        if not adds and not removes:
            return MergeResult(snapshot.version, False, 0, 0, 0, 0)
        rows_out = sum(_num_records(a.stats) for a in adds)
        rows_kept = sum(f.num_records or 0 for f in touched_files) - rows_matched if when_matched == "update" else 0
        c = Commit(
            table=table,
            operation="MERGE",
            schema=target_schema,
            partition_by=snapshot.partition_by,
            adds=adds,
            removes=removes,
            read_version=snapshot.version,
            conflict_partitions=_scope(snapshot, touched_files, adds),
            app_txn=app_txn,
            parameters={"keys": keys, "whenMatched": when_matched, "whenNotMatched": when_not_matched},
        )
        result = commit_or_discard(storage, c, max_retries)
        if result.skipped:
            return MergeResult(None, True, 0, 0, 0, 0)
        return MergeResult(result.version, False, rows_updated, max(rows_out - rows_kept - rows_updated, 0), len(removes), len(adds))
    finally:
        source.unpersist()


def _check_unique_arrow(source: pa.Table, keys: Sequence[str], table: str) -> None:
    from lakehouse.tables.arrow_files import key_strings

    joined, valid = key_strings(source, keys)
    _check_unique_keys(joined.filter(valid), keys, table)


def _check_unique_keys(joined: pa.Array, keys: Sequence[str], table: str) -> None:
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


def merge_arrow(
    source: pa.Table,
    storage: TableStorage,
    table: str,
    snapshot: Snapshot,
    keys: Sequence[str],
    schema_mode: Literal["strict", "add_columns"] = "strict",
    app_txn: tuple[str, int] | None = None,
    max_retries: int = 10,
    unique_keys: bool = False,
) -> MergeResult:
    """Upsert an Arrow table by ``keys`` in the driver: the files that hold a source key are
    rewritten without those rows, plus the source rows, in one commit (as ``merge`` with
    ``when_matched="update"``, ``when_not_matched="insert"``; for a source of a few hundred
    thousand rows at most, and the candidate files it touches)."""
    m = ArrowMerge(storage, table, snapshot, keys, schema_mode=schema_mode, app_txn=app_txn, max_retries=max_retries,
                   unique_keys=unique_keys)
    if m.done:
        return MergeResult(None, True, 0, 0, 0, 0)
    m.add(source, hold=True)
    return m.commit()


class ArrowMerge:
    """An upsert in the driver from one Arrow table or several (parts), committed once.

    Each :meth:`add` writes its rows as new, uncommitted files and keeps only their keys, so
    the driver holds one part at a time. :meth:`commit` finds the files holding one of the keys,
    rewrites them without those rows, and commits the rewritten files, the parts' files and the
    removal of the old ones in one transaction (with the app transaction); :meth:`discard`
    deletes the staged files. No key may be in two parts (checked unless ``unique_keys``).

    With ``snapshot`` None the table is created by the commit, partitioned by ``partition_by``,
    with the schema of the first part.
    """

    def __init__(self, storage: TableStorage, table: str, snapshot: Snapshot | None, keys: Sequence[str],
                 partition_by: Sequence[str] | None = None, schema_mode: Literal["strict", "add_columns"] = "strict",
                 app_txn: tuple[str, int] | None = None, max_retries: int = 10, unique_keys: bool = False,
                 configuration: dict[str, str] | None = None):
        self.storage, self.table, self.snapshot, self.keys = storage, table, snapshot, list(keys)
        self.parts = snapshot.partition_by if snapshot is not None else list(partition_by or [])
        if snapshot is not None and partition_by is not None and list(partition_by) != self.parts:
            raise SchemaMismatchError(f"{table}: the table is partitioned by {self.parts or 'nothing'}, not {list(partition_by)}")
        self.schema_mode, self.app_txn, self.max_retries = schema_mode, app_txn, max_retries
        self.unique_keys, self.configuration = unique_keys, configuration
        self.schema = snapshot.schema if snapshot is not None else None
        self.adds: list = []
        self.key_strings: list = []   # of every part's rows, to find the rows they replace
        self.key_rows: list = []      # (partition columns, data key) of every part, to prune files by statistics
        self.present: set[tuple] = set()  # partitions of the parts' rows
        self.held: list = []              # parts written at commit (``add(hold=True)``)
        self.rows_in = 0
        done = snapshot.dt.transaction_version(app_txn[0]) if app_txn and snapshot is not None else None
        self.done = done is not None and done >= app_txn[1]

    def add(self, source: pa.Table, hold: bool = False) -> None:
        """Stage one part: its rows as new files (nothing is committed).

        ``hold``: keep the rows in memory until :meth:`commit` writes them in the same files as
        the rows kept from rewritten files (for the last part: one new file per partition)."""
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
        joined, valid = arrow_files.key_strings(source, self.keys)
        self.key_strings.append(joined.filter(valid))
        if self.snapshot is not None and (key := _data_key(self.snapshot, self.keys)) is not None and self.rows_in + source.num_rows <= PRUNE_KEYS:
            self.key_rows.append(source.select([*self.parts, key]))
        if self.parts and source.num_rows:
            from lakehouse.tables.writer import partition_string

            self.present |= {tuple(partition_string(r[c]) for c in self.parts)
                             for r in source.select(self.parts).group_by(self.parts).aggregate([]).to_pylist()}
        self.rows_in += source.num_rows
        if hold:
            self.held.append(source)
            return
        try:
            self.adds += arrow_files.stage_table(arrow_files.conform(source, self.schema, fill_missing=True), self.storage, self.parts, self.schema)
        except BaseException:
            self.discard()
            raise

    def _rewritten(self, source_keys) -> tuple[list[tuple[SnapshotFile, int]], pa.Table]:
        """(the files holding one of ``source_keys`` with their matched rows, the rows they keep)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        from lakehouse.tables import arrow_files

        snapshot, keys, parts = self.snapshot, self.keys, self.parts
        by_partition = bool(parts) and set(parts) <= set(keys)
        key = _data_key(snapshot, keys)
        if key is not None and self.rows_in <= PRUNE_KEYS:
            rows = pa.concat_tables(self.key_rows)
            rows = rows.filter(pc.is_valid(rows.column(key))).to_pylist()
            candidates = files_holding(snapshot, None if by_partition else snapshot.files, _keys_by_partition(rows, parts, key), key)
        elif by_partition:
            candidates = [f for f in snapshot.files if tuple(f.partition_values.get(c) for c in parts) in self.present]
        else:
            candidates = snapshot.files

        def matching(data: pa.Table):
            joined, ok = arrow_files.key_strings(data, keys)
            return pc.and_(ok, pc.is_in(joined, value_set=source_keys))

        target = arrow_files.read_files(self.storage, snapshot, candidates, columns=keys, with_file=True)
        counts = pc.value_counts(target.column("_file").filter(matching(target))) if target.num_rows else []
        by_path = _files_by_path(snapshot)
        touched = [(by_path[c["values"]], c["counts"]) for c in (counts.to_pylist() if len(counts) else [])]
        kept = arrow_files.read_files(self.storage, snapshot, [f for f, _ in touched])
        return touched, kept.filter(pc.invert(matching(kept))) if kept.num_rows else kept

    def commit(self) -> MergeResult:
        """Rewrite the files the parts' keys touch and commit everything in one transaction (a new table: even with no rows)."""
        import pyarrow as pa

        from lakehouse.tables import arrow_files

        if self.done:
            self.discard()
            return MergeResult(None, True, 0, 0, 0, 0)
        if self.schema is None:
            raise ValueError(f"{self.table}: nothing was added to create the table from")
        try:
            chunks = [c for k in self.key_strings for c in (k.chunks if isinstance(k, pa.ChunkedArray) else [k])]
            source_keys = pa.chunked_array(chunks, pa.string()).combine_chunks()
            if not self.unique_keys:
                _check_unique_keys(source_keys, self.keys, self.table)
            touched, kept = self._rewritten(source_keys) if self.snapshot is not None else ([], None)
            out = [t for t in [kept, *self.held] if t is not None and t.num_rows]
            self.held = []
            if out:
                out = pa.concat_tables([arrow_files.conform(t, self.schema, fill_missing=True) for t in out])
                self.adds += arrow_files.stage_table(out, self.storage, self.parts, self.schema)
        except BaseException:
            self.discard()
            raise
        touched_files = [f for f, _ in touched]
        removes = removes_for(touched_files)
        rows_matched = sum(n for _, n in touched)
        if self.snapshot is not None and not self.adds and not removes:
            return MergeResult(self.snapshot.version, False, 0, 0, 0, 0)
        c = Commit(
            table=self.table,
            operation="MERGE" if self.snapshot is not None else "WRITE",
            schema=self.schema,
            partition_by=self.parts,
            adds=self.adds,
            removes=removes,
            read_version=None if self.snapshot is None else self.snapshot.version,
            conflict_partitions=_scope(self.snapshot, touched_files, self.adds) if self.snapshot is not None else None,
            app_txn=self.app_txn,
            configuration=self.configuration if self.snapshot is None else None,
            parameters={"keys": self.keys, "whenMatched": "update", "whenNotMatched": "insert"} if self.snapshot is not None
            else {"mode": "Append", "partitionBy": list(self.parts)},
        )
        result = commit_or_discard(self.storage, c, self.max_retries)
        if result.skipped:
            return MergeResult(None, True, 0, 0, 0, 0)
        return MergeResult(result.version, False, rows_matched, self.rows_in - rows_matched, len(removes), len(self.adds))

    def discard(self) -> None:
        """Delete the staged files (nothing was committed)."""
        from lakehouse.tables.writer import discard

        discard(self.storage, self.adds)
        self.adds, self.held = [], []


def _num_records(stats: str) -> int:
    import json

    return int(json.loads(stats)["numRecords"])


def delete(
    spark: SparkSession,
    storage: TableStorage,
    table: str,
    snapshot: Snapshot,
    predicate: str | Column,
    max_retries: int = 10,
) -> DeleteResult:
    """Delete the rows where ``predicate`` is true (rows where it is NULL stay)."""
    from pyspark.sql import functions as F

    cond = F.expr(predicate) if isinstance(predicate, str) else predicate
    target = read_files(spark, storage, snapshot, snapshot.files, with_file=True)
    affected_rows = target.where(cond).groupBy(FILE_COLUMN).count().collect()
    affected = _touched(storage, snapshot, affected_rows)
    if not affected:
        return DeleteResult(snapshot.version, 0, 0, 0)
    files = [f for f, _ in affected]
    kept = read_files(spark, storage, snapshot, files).where(~F.coalesce(cond, F.lit(False)))
    adds = stage_dataframe(kept, storage, snapshot.partition_by)
    c = Commit(
        table=table,
        operation="DELETE",
        schema=snapshot.schema,
        partition_by=snapshot.partition_by,
        adds=adds,
        removes=removes_for(files),
        read_version=snapshot.version,
        conflict_partitions=_scope(snapshot, files, adds),
        parameters={"predicate": predicate if isinstance(predicate, str) else str(predicate)},
    )
    result = commit_or_discard(storage, c, max_retries)
    return DeleteResult(result.version, sum(n for _, n in affected), len(files), len(adds))

"""Delta table files from and to Arrow tables in the driver, for batches too small to be worth Spark jobs.

pyarrow reads the files a snapshot lists (partition columns restored from the log); Spark tasks
that already hold Arrow tables write Parquet straight into the table's ``col=value/`` folders
(``PartitionedWriter``; files no commit references are removed by ``vacuum``, like a killed
Spark writer's), with statistics from the written footers, and delta-rs commits them. Types
follow the table's Spark schema (``to_arrow_schema``), so Spark, delta-rs and Trino read these
files exactly as they read Spark's.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from lakehouse.tables.exceptions import TableError
from lakehouse.tables.predicates import partition_string
from lakehouse.tables.results import FileAdd
from lakehouse.tables.stats import HIVE_NULL, escape_path_name, file_stats, stats_json

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql.types import StructType

    from lakehouse.tables.snapshot import Snapshot, SnapshotFile
    from lakehouse.tables.storage import TableStorage

ROWS_PER_FILE = 1_000_000


def arrow_schema(schema: StructType) -> pa.Schema:
    """The Arrow schema of a table's Spark schema (timestamps in UTC, as Spark writes them)."""
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(schema)


def spark_schema(schema: pa.Schema) -> StructType:
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema)


_SCALARS = {
    "string": "string",
    "long": "int64",
    "bigint": "int64",
    "int": "int32",
    "integer": "int32",
    "double": "float64",
    "boolean": "bool",
    "date": "date32",
}


def simple_schema(ddl: str) -> pa.Schema:
    """A flat Spark DDL schema (``"a long, b string, t timestamp"``) in Arrow; scalar types only."""
    import pyarrow as pa

    fields = []
    for part in ddl.split(","):
        name, _, kind = part.strip().partition(" ")
        kind = kind.strip().lower()
        if kind == "timestamp":
            fields.append(pa.field(name.strip("`"), pa.timestamp("us", tz="UTC")))
        elif kind in _SCALARS:
            fields.append(pa.field(name.strip("`"), pa.type_for_alias(_SCALARS[kind])))
        else:
            raise TableError(f"simple_schema: column {name!r} has type {kind!r}; only flat scalar types are supported")
    return pa.schema(fields)


def rows_table(rows: Sequence[tuple], ddl: str) -> pa.Table:
    """Row tuples in the column order of a flat DDL schema → an Arrow table of those types."""
    import pyarrow as pa

    schema = simple_schema(ddl)
    columns = list(zip(*rows)) if rows else [[] for _ in schema.names]
    return pa.Table.from_arrays([pa.array(list(c), f.type) for c, f in zip(columns, schema)], schema=schema)


def conform(data: pa.Table, schema: StructType, fill_missing: bool = False) -> pa.Table:
    """``data``'s columns cast to the types ``schema`` gives them (in ``schema``'s order with ``fill_missing``)."""
    import pyarrow as pa

    target = arrow_schema(schema)
    if fill_missing:
        cols = [data.column(f.name).cast(f.type) if f.name in data.column_names else pa.nulls(data.num_rows, f.type) for f in target]
        return pa.Table.from_arrays(cols, schema=target)
    fields = [target.field(n) if target.get_field_index(n) >= 0 else data.schema.field(n) for n in data.column_names]
    return pa.Table.from_arrays([data.column(f.name).cast(f.type) for f in fields], schema=pa.schema(fields))


def conform_stream(data, schema: StructType, fill_missing: bool = False):
    """``conform`` for an Arrow table or a stream of record batches (a stream stays a stream)."""
    import pyarrow as pa

    def nullable(t: pa.Table) -> pa.Table:  # every column nullable, as Spark writes them (Delta's convention)
        return t.cast(pa.schema([f.with_nullable(True) for f in t.schema]))

    if isinstance(data, pa.Table):
        return nullable(conform(data, schema, fill_missing))
    target = nullable(conform(data.schema.empty_table(), schema, fill_missing)).schema

    def batches():
        for batch in data:
            yield from nullable(conform(pa.Table.from_batches([batch]), schema, fill_missing)).to_batches()

    return pa.RecordBatchReader.from_batches(target, batches())


def read_files(
    storage: TableStorage, snapshot: Snapshot, files: Sequence[SnapshotFile], columns: Sequence[str] | None = None, with_file: bool = False
) -> pa.Table:
    """Exactly ``files`` of ``snapshot`` as one Arrow table in the table's types.

    ``with_file`` adds ``_file``: each row's file path relative to the table.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    out_fields, parts = _out_fields(snapshot, columns, with_file), []
    data_columns = _data_columns(snapshot, out_fields)
    for f in files:
        with storage.open_input(f.path) as fh:
            parts.append(_file_rows(snapshot, f, pq.ParquetFile(fh).read(columns=data_columns), out_fields))
    if not parts:
        return pa.schema(out_fields).empty_table()
    return pa.concat_tables(parts)


def iter_files(
    storage: TableStorage, snapshot: Snapshot, files: Sequence[SnapshotFile], max_rows: int, columns: Sequence[str] | None = None
) -> Iterator[pa.Table]:
    """``read_files`` in slices of ``max_rows`` rows or a little more (read 64k rows at a time), in file order."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out_fields, pending, n = _out_fields(snapshot, columns, False), [], 0
    data_columns = _data_columns(snapshot, out_fields)
    for f in files:
        with storage.open_input(f.path) as fh:
            for rb in pq.ParquetFile(fh).iter_batches(batch_size=min(max_rows, 65_536), columns=data_columns):
                pending.append(_file_rows(snapshot, f, pa.Table.from_batches([rb]), out_fields))
                n += rb.num_rows
                if n >= max_rows:
                    yield pa.concat_tables(pending)
                    pending, n = [], 0
    if pending:
        yield pa.concat_tables(pending)


def _out_fields(snapshot: Snapshot, columns: Sequence[str] | None, with_file: bool) -> list:
    import pyarrow as pa

    target = arrow_schema(snapshot.schema)
    names = list(columns) if columns is not None else target.names
    missing = [c for c in names if target.get_field_index(c) < 0]
    if missing:
        raise TableError(f"table {snapshot.table} has no columns {missing}; it has {target.names}")
    return [target.field(n) for n in names] + ([pa.field("_file", pa.string())] if with_file else [])


def _data_columns(snapshot: Snapshot, out_fields: list) -> list[str]:
    return [f.name for f in out_fields if f.name != "_file" and f.name not in snapshot.partition_by]


def _file_rows(snapshot: Snapshot, f: SnapshotFile, t: pa.Table, out_fields: list) -> pa.Table:
    """The file's rows ``t`` in the table's types, with its partition values (and path for ``_file``)."""
    import pyarrow as pa

    arrays = []
    for field in out_fields:
        n = field.name
        if n == "_file":
            arrays.append(pa.array([f.path] * t.num_rows, pa.string()))
        elif n in snapshot.partition_by:
            arrays.append(pa.array([f.partition_values.get(n)] * t.num_rows, pa.string()).cast(field.type))
        else:
            arrays.append(t.column(n).cast(field.type))
    return pa.Table.from_arrays(arrays, schema=pa.schema(out_fields))


def _typed(values: list, typ: pa.DataType) -> pa.Array:
    """Filter values in a column's type ("2024-01-02" for a date column, as Spark compares them)."""
    import pyarrow as pa

    try:
        return pa.array(values, typ)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return pa.array(values).cast(typ)


def filter_mask(data: pa.Table, filters: Sequence[tuple]) -> pa.Array:
    """The rows of ``data`` where every (column, op, value) filter holds (as ``reader.filter_column``: NULL fails)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    mask = pa.array([True] * data.num_rows, pa.bool_())
    for col, op, value in filters:
        c = data.column(col)
        if op in ("in", "not in"):
            part = pc.is_in(c, value_set=_typed(list(value), c.type))
            part = pc.invert(part) if op == "not in" else part
        else:
            fn = {
                "=": pc.equal,
                "==": pc.equal,
                "!=": pc.not_equal,
                "<": pc.less,
                "<=": pc.less_equal,
                ">": pc.greater,
                ">=": pc.greater_equal,
            }.get(op)
            if fn is None:
                raise TableError(f"filter ({col!r}, {op!r}, ...): unknown operator")
            part = fn(c, _typed([value], c.type)[0])
        mask = pc.and_(mask, pc.fill_null(pc.and_(part, pc.is_valid(c)), False))
    return mask


class PartitionedWriter:
    """Parquet files of a table written from Arrow tables as they come: one open file per partition,
    a new one after ``max_rows`` rows; ``close`` describes the files as add actions, ``abort``
    deletes them. Memory holds a row group at a time, not the data."""

    def __init__(self, storage: TableStorage, partition_by: Sequence[str], schema: StructType, max_rows: int = ROWS_PER_FILE):
        self.storage, self.parts, self.schema, self.max_rows = storage, list(partition_by), schema, max_rows
        self.open: dict[tuple, list] = {}  # partition values → [path, output stream, Parquet writer, rows, values]
        self.written: list[tuple[str, dict[str, str | None]]] = []

    def write(self, data: pa.Table) -> None:
        data = conform(data, self.schema)
        for values, rows in self._groups(data):
            start = 0
            while start < rows.num_rows:
                entry = self._file(values, rows.schema)
                take = min(self.max_rows - entry[3], rows.num_rows - start)
                entry[2].write_table(rows.slice(start, take))
                entry[3] += take
                start += take
                if entry[3] >= self.max_rows:
                    self._finish(tuple(values.items()))

    def _groups(self, data: pa.Table) -> list[tuple[dict[str, str | None], pa.Table]]:
        import pyarrow.compute as pc

        if data.num_rows == 0:
            return []
        if not self.parts:
            return [({}, data)]
        keys = data.select(self.parts).group_by(self.parts).aggregate([]).to_pylist()
        if len(keys) == 1:  # one partition (a chunk of one catalog, one cutoff's rows): no copy
            return [({c: partition_string(keys[0][c]) for c in self.parts}, data.drop_columns(self.parts))]
        groups = []
        for key in keys:
            mask = None
            for c in self.parts:
                col = data.column(c)
                m = pc.is_null(col) if key[c] is None else pc.fill_null(pc.equal(col, key[c]), False)
                mask = m if mask is None else pc.and_(mask, m)
            groups.append(({c: partition_string(key[c]) for c in self.parts}, data.filter(mask).drop_columns(self.parts)))
        return groups

    def _file(self, values: dict[str, str | None], schema: pa.Schema) -> list:
        import pyarrow.parquet as pq

        key = tuple(values.items())
        if key not in self.open:
            folder = "/".join(f"{escape_path_name(c)}={HIVE_NULL if v is None else escape_path_name(v)}" for c, v in values.items())
            rel = (folder + "/" if folder else "") + f"part-{len(self.written) + len(self.open):05d}-{uuid.uuid4()}.c000.snappy.parquet"
            out = self.storage.open_output(rel)
            self.open[key] = [rel, out, pq.ParquetWriter(out, schema, compression="snappy"), 0, values]
        return self.open[key]

    def _finish(self, key: tuple) -> None:
        rel, out, writer, _, values = self.open.pop(key)
        self.written.append((rel, values))
        try:
            writer.close()
        finally:
            out.close()

    def close(self) -> list[FileAdd]:
        """Close every file and describe it (size, partition values, statistics from its footer)."""
        for key in list(self.open):
            self._finish(key)
        adds = []
        for rel, values in self.written:
            entry = self.storage.stat(rel)
            with self.storage.open_input(rel) as fh:
                st = file_stats(fh, [f.name for f in self.schema.fields if f.name not in self.parts])
            adds.append(FileAdd(rel, entry.size, values, entry.mtime_ms, stats_json(st)))
        return adds

    def abort(self) -> None:
        """Close and delete every file written so far."""
        for key in list(self.open):
            with contextlib.suppress(Exception):
                self._finish(key)
        for rel, _ in self.written:
            self.storage.delete_file(rel)


def stage_tables(tables: Iterable[pa.Table], storage: TableStorage, partition_by: Sequence[str], schema: StructType) -> list[FileAdd]:
    """Write ``tables`` as they come into their partition folders and describe the files as add
    actions; on any failure the files written so far are deleted."""
    writer = PartitionedWriter(storage, partition_by, schema)
    try:
        for data in tables:
            writer.write(data)
        return writer.close()
    except BaseException:
        writer.abort()
        raise


def stage_table(data: pa.Table, storage: TableStorage, partition_by: Sequence[str], schema: StructType) -> list[FileAdd]:
    """Write ``data`` as Parquet into its partition folders and describe the files as add actions."""
    return stage_tables([data], storage, partition_by, schema)


def key_strings(data: pa.Table, keys: Sequence[str]) -> tuple[pa.Array, pa.Array]:
    """(one string per row joining the key columns, valid: no key column is null) for key matching."""
    import pyarrow as pa
    import pyarrow.compute as pc

    valid = pa.array([True] * data.num_rows, pa.bool_())
    parts = []
    for k in keys:
        col = data.column(k)
        valid = pc.and_(valid, pc.is_valid(col))
        parts.append(pc.fill_null(pc.cast(col, pa.string()), ""))
    joined = parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, "\x1f")
    return joined, valid

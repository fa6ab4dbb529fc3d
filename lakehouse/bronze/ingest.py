"""Bronze: ingest new landing files exactly once, every record as delivered, with lineage.

One ingest batch:

1. **plan** — discover landing files; a file already ingested (same checksum, wherever it
   lies) is recorded as a duplicate and not read again; files that cannot be placed (bad
   folder, unknown catalog, wrong type) are rejected whole. The plan is committed to
   ``bronze.landing_files`` before any data is read, so a batch that dies half way is
   resumed with exactly the same files.
2. **parse and write** — ONE Spark job over all planned files of all catalogs: each task
   streams its files (CSV UTF-8/GBK, JSON lines, XLSX) into records (original field names →
   text) and writes them with pyarrow into ``bronze.records``' catalog folders; the driver
   commits the files. The tasks name the files that had rejected lines (an accumulator).
3. **rejects** — only those files are parsed again, for their rejected lines with reasons
   (``bronze.rejects``). Both writes carry the Delta app transaction ``(bronze.ingest,
   batch)``; then ``bronze.ingest_batches`` marks the batch complete. Re-running after a
   failure at any point converges without duplicates (a resumed batch whose records were
   committed re-parses every file for its rejects: the flags died with the first attempt).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lakehouse.landing.discovery import LandingFile, discover, sha256_file

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakehouse.tables import Tables

log = logging.getLogger(__name__)

RECORDS = "bronze.records"
REJECTS = "bronze.rejects"
FILES = "bronze.landing_files"
BATCHES = "bronze.ingest_batches"
APP = "bronze.ingest"

EXTENSION_FORMATS = {".csv": ("csv_utf8", "csv_gbk"), ".jsonl": ("jsonl",), ".json": ("jsonl",), ".xlsx": ("xlsx",)}

PARSED_SCHEMA = (
    "kind string, catalog string, department string, batch_date date, file string, line int, "
    "record map<string,string>, raw string, reason string, file_checksum string"
)
FILES_SCHEMA = (
    "ingest_batch long, file string, checksum string, size long, mtime_ns long, catalog string, department string, "
    "batch_date date, format string, manifest_rows long, status string, duplicate_of string, reason string, planned_at timestamp"
)
BATCHES_SCHEMA = "ingest_batch long, files long, duplicates long, rejected_files long, records long, rejected_lines long, started_at timestamp, completed_at timestamp"

OUTPUT_ROWS = 50_000  # rows per Arrow batch a parse task emits
RECORD_COLUMNS = ["catalog", "department", "batch_date", "file", "line", "record", "file_checksum"]


@dataclass
class PlannedFile:
    file: str
    checksum: str
    size: int
    mtime_ns: int
    catalog: str | None
    department: str | None
    batch_date: dt.date | None
    format: str | None
    manifest_rows: int | None
    status: str  # ingest | duplicate | rejected
    duplicate_of: str | None = None
    reason: str | None = None


@dataclass
class IngestResult:
    batch: int | None
    resumed: bool = False
    files: int = 0
    duplicates: int = 0
    rejected_files: int = 0
    records: int = 0
    rejected_lines: int = 0
    versions: dict[str, int | None] = field(default_factory=dict)
    lines_by_catalog: dict[str, int] = field(default_factory=dict)


def _max_batch(tables: Tables, name: str) -> int:
    if not tables.exists(name):
        return 0
    import pyarrow.compute as pc

    v = pc.max(tables.read_arrow(name, columns=["ingest_batch"]).column("ingest_batch")).as_py()
    return int(v or 0)


def _classify(f: LandingFile, catalogs: dict) -> tuple[str | None, str | None]:
    """(format, reason): the catalog's declared format, or why the file cannot be ingested."""
    if f.problem:
        return None, f.problem
    cat = catalogs.get(f.catalog)
    if cat is None:
        return None, f"unknown catalog '{f.catalog}': not in the data catalog; register it in catalog/data/catalogs.csv first"
    if cat.department != f.department:
        return None, f"catalog {f.catalog} belongs to department {cat.department}, but was delivered under {f.department}/"
    suffix = Path(f.rel_path).suffix.lower()
    if cat.format not in EXTENSION_FORMATS.get(suffix, ()):
        return None, f"catalog {f.catalog} is delivered as {cat.format}, but the file is a '{suffix}' file"
    return cat.format, None


def plan(tables: Tables, landing_root: str, catalogs: dict) -> tuple[int, list[PlannedFile], bool]:
    """The files of the next batch (resuming an unfinished batch if there is one)."""
    completed = _max_batch(tables, BATCHES)
    planned = _max_batch(tables, FILES)
    if planned > completed:
        rows = tables.read_arrow(FILES, filters=[("ingest_batch", "=", planned)]).to_pylist()
        files = [PlannedFile(**{k: r[k] for k in PlannedFile.__dataclass_fields__}) for r in rows]
        log.info("resuming ingest batch %s with its %s planned files", planned, len(files))
        return planned, files, True

    seen_stat: set[tuple[str, int, int]] = set()
    by_checksum: dict[str, str] = {}
    if tables.exists(FILES):
        for r in tables.read_arrow(FILES, columns=["file", "size", "mtime_ns", "checksum", "status"]).to_pylist():
            seen_stat.add((r["file"], r["size"], r["mtime_ns"]))
            if r["status"] == "ingest":
                by_checksum.setdefault(r["checksum"], r["file"])

    batch = completed + 1
    out: list[PlannedFile] = []
    root = Path(landing_root)
    for f in discover(root):
        if (f.rel_path, f.size, f.mtime_ns) in seen_stat:
            continue  # recorded in an earlier batch, unchanged since
        checksum = sha256_file(root / f.rel_path)
        common = dict(
            file=f.rel_path,
            checksum=checksum,
            size=f.size,
            mtime_ns=f.mtime_ns,
            catalog=f.catalog,
            department=f.department,
            batch_date=f.batch_date,
            manifest_rows=f.manifest_rows,
        )
        if checksum in by_checksum:
            out.append(PlannedFile(**common, format=None, status="duplicate", duplicate_of=by_checksum[checksum]))
            continue
        fmt, reason = _classify(f, catalogs)
        if reason:
            out.append(PlannedFile(**common, format=fmt, status="rejected", reason=reason))
            continue
        by_checksum[checksum] = f.rel_path
        out.append(PlannedFile(**common, format=fmt, status="ingest"))
    return batch, out, False


def _record_plan(tables: Tables, batch: int, files: list[PlannedFile]) -> int | None:
    from lakehouse.tables.arrow_files import rows_table

    now = dt.datetime.now(dt.timezone.utc)
    rows = [
        (
            batch,
            f.file,
            f.checksum,
            f.size,
            f.mtime_ns,
            f.catalog,
            f.department,
            f.batch_date,
            f.format,
            f.manifest_rows,
            f.status,
            f.duplicate_of,
            f.reason,
            now,
        )
        for f in files
    ]
    res = tables.write(FILES, rows_table(rows, FILES_SCHEMA), app_id=APP, app_version=batch, audit=True)
    return res.version


def parse_partition(landing_root: str, flagged=None):
    """The function Spark runs per task: Arrow batches of planned files → parsed rows.

    ``flagged``: a set accumulator that gets the name of every file with a rejected line, so
    the rejects can be written from a second parse of those files only."""

    def run(batches: Iterator) -> Iterator:
        import numpy as np
        import pyarrow as pa

        from lakehouse.bronze.readers import ENCODINGS, iter_parse, read_csv_arrow

        map_type = pa.map_(pa.string(), pa.string())
        for batch in batches:
            for f in batch.to_pylist():
                try:
                    fh = open(f"{landing_root}/{f['file']}", "rb", buffering=1 << 20)
                except OSError as exc:
                    if flagged is not None:
                        flagged.add({f["file"]})
                    yield _reject_batch(f, [None], [None], [f"file could not be read: {exc}"], map_type)
                    continue
                records = reject_lines = 0
                header_seen = any_reject = False
                fast = read_csv_arrow(fh.name, ENCODINGS[f["format"]]) if f["format"] in ("csv_utf8", "csv_gbk") else None
                if fast is not None:
                    # a clean CSV: Arrow's reader, columns → map rows without Python objects per value
                    header, table = fast
                    header_seen, records = True, table.num_rows
                    for start in range(0, table.num_rows, OUTPUT_ROWS):
                        part = table.slice(start, OUTPUT_ROWS).combine_chunks()
                        n, width = part.num_rows, part.num_columns
                        keys = pa.array(header, pa.string()).take(pa.array(np.tile(np.arange(width, dtype=np.int32), n)))
                        # row-major interleaving of the columns: value (row r, column c) at r·width + c
                        order = (np.arange(width, dtype=np.int64)[None, :] * n + np.arange(n, dtype=np.int64)[:, None]).ravel()
                        values = pa.concat_arrays([c.chunk(0) for c in part.columns]).take(pa.array(order))
                        offsets = pa.array(np.arange(n + 1, dtype=np.int32) * width)
                        lines = pa.array(np.arange(start + 2, start + 2 + n, dtype=np.int32))
                        yield _batch(
                            f,
                            "record",
                            lines,
                            pa.MapArray.from_arrays(offsets, keys, values),
                            pa.nulls(n, pa.string()),
                            pa.nulls(n, pa.string()),
                        )
                    del table
                with fh:
                    try:
                        # streamed in chunks of OUTPUT_ROWS records: memory is bounded by a chunk, not the file
                        for parsed in iter_parse(fh, f["format"], OUTPUT_ROWS) if fast is None else ():
                            header_seen = header_seen or bool(parsed.header)
                            n = len(parsed.rows)
                            if n:
                                header = pa.array(parsed.header, pa.string())
                                width = len(header)
                                # keys by index into the header: building n×width Python strings costs 10× more
                                keys = header.take(pa.array(np.tile(np.arange(width, dtype=np.int32), n)))
                                values = pa.array([v for row in parsed.rows for v in row], pa.string())
                                offsets = pa.array(np.arange(n + 1, dtype=np.int32) * width)
                                record = pa.MapArray.from_arrays(offsets, keys, values)
                                yield _batch(
                                    f,
                                    "record",
                                    pa.array(parsed.lines, pa.int32()),
                                    record,
                                    pa.nulls(n, pa.string()),
                                    pa.nulls(n, pa.string()),
                                )
                            records += n
                            reject_lines += sum(1 for x in parsed.reject_lines if x is not None)
                            if parsed.reject_reasons:
                                any_reject = True
                                yield _reject_batch(f, parsed.reject_lines, parsed.reject_raw, parsed.reject_reasons, map_type)
                    except OSError as exc:
                        yield _reject_batch(f, [None], [None], [f"file could not be read to the end: {exc}"], map_type)
                declared = f.get("manifest_rows")
                delivered = records + reject_lines
                mismatch = declared is not None and delivered != declared and (header_seen or any_reject)
                if flagged is not None and (any_reject or mismatch):
                    flagged.add({f["file"]})
                if mismatch:
                    yield _reject_batch(
                        f,
                        [None],
                        [None],
                        [
                            f"the manifest declares {declared} data rows but the file holds {delivered}; the delivery is incomplete or padded"
                        ],
                        map_type,
                    )

    return run


def _batch(f: dict, kind: str, lines, record, raw, reason):
    import pyarrow as pa

    n = len(lines)
    return pa.RecordBatch.from_arrays(
        [
            pa.array([kind] * n, pa.string()),
            pa.array([f["catalog"]] * n, pa.string()),
            pa.array([f["department"]] * n, pa.string()),
            pa.array([f["batch_date"]] * n, pa.date32()),
            pa.array([f["file"]] * n, pa.string()),
            lines,
            record,
            raw,
            reason,
            pa.array([f["checksum"]] * n, pa.string()),
        ],
        names=["kind", "catalog", "department", "batch_date", "file", "line", "record", "raw", "reason", "file_checksum"],
    )


def _reject_batch(f: dict, lines, raws, reasons, map_type):
    import pyarrow as pa

    n = len(reasons)
    return _batch(
        f, "reject", pa.array(lines, pa.int32()), pa.nulls(n, map_type), pa.array(raws, pa.string()), pa.array(reasons, pa.string())
    )


class _FileSet:
    """Accumulator parameter: a set of file names (idempotent when a task is retried)."""

    @staticmethod
    def zero(value):
        return set()

    @staticmethod
    def addInPlace(a, b):
        a |= b
        return a


def planned_frame(spark: SparkSession, files: list[PlannedFile]) -> DataFrame:
    """The files to ingest as rows of a DataFrame spread over the parse tasks, larger files first."""
    todo = sorted((f for f in files if f.status == "ingest"), key=lambda f: -f.size)
    rows = [(f.file, f.checksum, f.catalog, f.department, f.batch_date, f.format, f.manifest_rows) for f in todo]
    df = spark.createDataFrame(
        rows, "file string, checksum string, catalog string, department string, batch_date date, format string, manifest_rows long"
    )
    slots = max(1, spark.sparkContext.defaultParallelism) * 4
    return df.repartition(max(1, min(len(rows), slots)))


def parse(spark: SparkSession, landing_root: str, files: list[PlannedFile], flagged=None) -> DataFrame:
    """One Spark job over every file to ingest; larger files are spread first."""
    return planned_frame(spark, files).mapInArrow(parse_partition(landing_root, flagged), PARSED_SCHEMA)


def record_tables(landing_root: str, flagged, lineage: dict):
    """The function each parse task runs to write its files' records itself (``Tables.stage_in_tasks``):
    planned files → Arrow tables of their records with the ``lineage`` columns (name → (value, type))."""
    parse_files = parse_partition(landing_root, flagged)

    def run(batches: Iterator):
        import pyarrow as pa
        import pyarrow.compute as pc

        for batch in parse_files(batches):
            t = pa.Table.from_batches([batch])
            t = t.filter(pc.equal(t.column("kind"), "record")).select(RECORD_COLUMNS)
            if t.num_rows:
                for name, (value, typ) in lineage.items():
                    t = t.append_column(name, pa.array([value] * t.num_rows, typ))
                yield t

    return run


def ingest(spark: SparkSession, tables: Tables, landing_root: str, catalogs: dict, driver_write_max_bytes: int = 0) -> IngestResult:
    """Ingest the next batch of new landing files (or finish an interrupted one).

    The parse tasks write the records themselves (``Tables.stage_in_tasks``): handing ~140M map
    rows to Spark's writer cost a conversion to its rows, a sort by catalog and its Parquet writer.
    A batch of up to ``driver_write_max_bytes`` of files comes back to the driver as Arrow instead,
    and the driver writes it: a daily batch touches a few hundred catalogs with few rows each,
    and each task would write a file per catalog it met.
    """
    import pyarrow as pa
    from pyspark.sql import functions as F

    from lakehouse.tables.arrow_files import rows_table
    from lakehouse.tables.results import CommitResult

    started = dt.datetime.now(dt.timezone.utc)
    batch, files, resumed = plan(tables, landing_root, catalogs)
    if not files:
        return IngestResult(batch=None)
    result = IngestResult(batch=batch, resumed=resumed)
    if not resumed:
        result.versions[FILES] = _record_plan(tables, batch, files)

    ingested_at = dt.datetime.now(dt.timezone.utc)
    lineage = [F.lit(batch).cast("long").alias("ingest_batch"), F.lit(ingested_at).cast("timestamp").alias("ingested_at")]
    # pass 1: parse every file and write its records; the parse tasks name the files that had rejects
    flagged = spark.sparkContext.accumulator(set(), _FileSet())
    records = parse(spark, landing_root, files, flagged).where("kind = 'record'").select(*RECORD_COLUMNS, *lineage)
    delivered = sum(f.size for f in files if f.status == "ingest")
    if (tables.transaction_version(RECORDS, APP) or -1) >= batch:
        res = CommitResult(None, True)  # committed by an earlier attempt of this batch
    else:
        if delivered <= driver_write_max_bytes:
            records = records.toArrow()
        else:
            # the parse tasks write the records they parsed (pyarrow), the driver commits: the rows
            # never pass through Spark's row format, its sort by catalog or its Parquet writer
            values = {"ingest_batch": (batch, pa.int64()), "ingested_at": (ingested_at, pa.timestamp("us", tz="UTC"))}
            records = tables.stage_in_tasks(
                RECORDS, planned_frame(spark, files), record_tables(landing_root, flagged, values), records.schema, partition_by=["catalog"]
            )
        res = tables.write(RECORDS, records, partition_by=["catalog"], app_id=APP, app_version=batch)
    result.versions[RECORDS] = res.version
    # pass 2: only the files with rejects are parsed again (every file when pass 1 was committed by an
    # earlier attempt of this batch, whose flags are gone)
    file_rejects = [
        (f.catalog, f.department, f.batch_date, f.file, None, None, f.reason, f.checksum) for f in files if f.status == "rejected"
    ]
    if (tables.transaction_version(REJECTS, APP) or -1) < batch:
        again = [f for f in files if f.status == "ingest" and (res.skipped or f.file in flagged.value)]
        rejects = spark.createDataFrame(
            file_rejects,
            "catalog string, department string, batch_date date, file string, line int, raw string, reason string, file_checksum string",
        )
        if again:
            lines = (
                parse(spark, landing_root, again)
                .where("kind = 'reject'")
                .select("catalog", "department", "batch_date", "file", "line", "raw", "reason", "file_checksum")
            )
            rejects = lines.unionByName(rejects)
        result.versions[REJECTS] = tables.write(REJECTS, rejects.select("*", *lineage), app_id=APP, app_version=batch).version
    n_rejects = tables.read_arrow(REJECTS, columns=["ingest_batch"], filters=[("ingest_batch", "=", batch)]).num_rows
    result.rejected_lines = n_rejects - len(file_rejects)
    # records per catalog of this batch, from the table (two narrow columns of this batch's files, no re-parse)
    counts = (
        tables.read_arrow(RECORDS, columns=["catalog"], filters=[("ingest_batch", "=", batch)])
        .group_by("catalog")
        .aggregate([([], "count_all")])
    )
    result.lines_by_catalog = {r["catalog"]: r["count_all"] for r in counts.to_pylist()}
    result.records = sum(result.lines_by_catalog.values())

    result.files = sum(1 for f in files if f.status == "ingest")
    result.duplicates = sum(1 for f in files if f.status == "duplicate")
    result.rejected_files = sum(1 for f in files if f.status == "rejected")
    done = [
        (
            batch,
            result.files,
            result.duplicates,
            result.rejected_files,
            result.records,
            result.rejected_lines,
            started,
            dt.datetime.now(dt.timezone.utc),
        )
    ]
    result.versions[BATCHES] = tables.write(BATCHES, rows_table(done, BATCHES_SCHEMA), app_id=APP, app_version=batch, audit=True).version
    return result


def ingest_all(
    spark: SparkSession, tables: Tables, landing_root: str, catalogs: dict, max_batches: int = 100, driver_write_max_bytes: int = 0
) -> list[IngestResult]:
    """Ingest until no new file is left (an interrupted batch first)."""
    out = []
    for _ in range(max_batches):
        res = ingest(spark, tables, landing_root, catalogs, driver_write_max_bytes)
        if res.batch is None:
            break
        out.append(res)
    return out

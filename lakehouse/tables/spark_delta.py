"""Table operations of Spark DataFrames through delta-spark, Delta Lake's own Spark integration.

Writes (append, overwrite, ``replaceWhere``), exactly-once batches (``txnAppId`` / ``txnVersion``),
merge, delete, optimize and Z-order, vacuum, restore, history and time travel are Delta's own
code; this module only names the options, finds the version a call committed and turns Delta's
errors into the project's, each naming the table and what to do.

Every commit carries a unique ``userMetadata`` so the version it made is found in the log
afterwards, even when other writers commit at the same time. MERGE and DELETE take their
exactly-once settings from the session (``spark.databricks.delta.write.txnAppId`` …), so those
calls are serialised in this process while the settings are in place.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal

from lakehouse.tables.exceptions import ConcurrentModificationError, SchemaMismatchError, TableError, TableNotFoundError
from lakehouse.tables.storage import spark_uri

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

log = logging.getLogger(__name__)

_SESSION_SETTINGS = threading.Lock()
USER_METADATA = "spark.databricks.delta.commitInfo.userMetadata"
TXN_APP_ID = "spark.databricks.delta.write.txnAppId"
TXN_VERSION = "spark.databricks.delta.write.txnVersion"
AUTO_MERGE = "spark.databricks.delta.schema.autoMerge.enabled"
RETENTION_CHECK = "spark.databricks.delta.retentionDurationCheck.enabled"


def error(exc: BaseException, table: str, what: str) -> BaseException:
    """Delta's exception as the project's error (unknown ones are returned unchanged)."""
    from delta.exceptions import DeltaConcurrentModificationException

    text = str(exc)
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    if isinstance(exc, DeltaConcurrentModificationException) or any(
        s in text
        for s in (
            "DELTA_CONCURRENT",
            "DELTA_PROTOCOL_CHANGED",
            "DELTA_METADATA_CHANGED",
            "io.delta.exceptions.Concurrent",
            "ProtocolChangedException",
            "MetadataChangedException",
        )
    ):
        return ConcurrentModificationError(
            f"{table}: another writer committed to the table while this {what} ran, and Delta found the two conflict "
            f"({first}); nothing was committed. Re-run the job: it reads the new version and is idempotent."
        )
    if "DELTA_REPLACE_WHERE_MISMATCH" in text:
        from lakehouse.tables.exceptions import PartitionFilterViolationError

        return PartitionFilterViolationError(
            f"{table}: the data holds rows outside replace_where ({first}); filter the data to the "
            "partitions being replaced or widen replace_where"
        )
    if "DELTA_METADATA_MISMATCH" in text or "DELTA_FAILED_TO_MERGE_FIELDS" in text or "DELTA_SCHEMA_CHANGED" in text:
        return SchemaMismatchError(
            f"{table}: Delta refused the {what}'s schema ({first}); cast the columns to the table's types, "
            "or pass schema_mode='add_columns' to add new columns"
        )
    if "DELTA_MISSING_DELTA_TABLE" in text or "DELTA_TABLE_NOT_FOUND" in text or "is not a Delta table" in text:
        return TableNotFoundError(f"table {table} is not a Delta table ({first}); run the job that creates it first")
    if "DELTA_MULTIPLE_SOURCE_ROW_MATCHING_TARGET_ROW" in text:
        from lakehouse.tables.exceptions import DuplicateKeyError

        return DuplicateKeyError(f"{table}: several merge source rows match one table row ({first}); keep one row per key before merging")
    return exc


@contextlib.contextmanager
def session_settings(spark: SparkSession, settings: dict[str, str | None]) -> Iterator[None]:
    """Set Spark session settings for one call (serialised in this process), then restore them."""
    with _SESSION_SETTINGS:
        before = {k: spark.conf.get(k, None) for k in settings}
        try:
            _apply(spark, settings)
            yield
        finally:
            _apply(spark, before)


def _apply(spark: SparkSession, settings: dict[str, str | None]) -> None:
    """Set each setting; None unsets it."""
    for k, v in settings.items():
        if v is None:
            spark.conf.unset(k)
        else:
            spark.conf.set(k, v)


def _txn_settings(app_txn: tuple[str, int] | None, commit_id: str, merge_schema: bool = False) -> dict[str, str | None]:
    return {
        USER_METADATA: commit_id,
        TXN_APP_ID: app_txn[0] if app_txn else None,
        TXN_VERSION: str(app_txn[1]) if app_txn else None,
        AUTO_MERGE: "true" if merge_schema else None,
    }


def read(spark: SparkSession, uri: str, version: int | None = None, timestamp: Any = None) -> DataFrame:
    """The table at ``uri`` (at a version or as of a timestamp) through Delta's reader."""
    reader = spark.read.format("delta")
    if version is not None:
        reader = reader.option("versionAsOf", int(version))
    elif timestamp is not None:
        reader = reader.option("timestampAsOf", str(timestamp))
    return reader.load(spark_uri(uri))


def write(
    df: DataFrame,
    uri: str,
    table: str,
    mode: Literal["append", "overwrite"],
    partition_by: Sequence[str],
    replace_where: str | None,
    merge_schema: bool,
    app_txn: tuple[str, int] | None,
    properties: dict[str, str] | None,
    commit_id: str,
) -> None:
    """``df.write.format("delta")`` with the options each argument names (``properties``: of a new table)."""
    writer = df.write.format("delta").mode(mode).option("userMetadata", commit_id)
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    if replace_where:
        writer = writer.option("replaceWhere", replace_where)
    if merge_schema:
        writer = writer.option("mergeSchema", "true")
    if app_txn:
        writer = writer.option("txnAppId", app_txn[0]).option("txnVersion", str(int(app_txn[1])))
    for key, value in (properties or {}).items():
        writer = writer.option(key, value)
    try:
        writer.save(spark_uri(uri))
    except Exception as exc:
        raise error(exc, table, "write") from exc


def merge(
    spark: SparkSession,
    source: DataFrame,
    uri: str,
    table: str,
    keys: Sequence[str],
    when_matched: Literal["update", "ignore"],
    when_not_matched: Literal["insert", "ignore"],
    merge_schema: bool,
    app_txn: tuple[str, int] | None,
    commit_id: str,
) -> None:
    """``MERGE INTO`` the table by ``keys`` (equality on every key; a NULL key matches nothing)."""
    from delta.tables import DeltaTable

    condition = " AND ".join(f"t.`{k}` = s.`{k}`" for k in keys)
    try:
        builder = DeltaTable.forPath(spark, spark_uri(uri)).alias("t").merge(source.alias("s"), condition)
        if when_matched == "update":
            builder = builder.whenMatchedUpdateAll()
        if when_not_matched == "insert":
            builder = builder.whenNotMatchedInsertAll()
        with session_settings(spark, _txn_settings(app_txn, commit_id, merge_schema)):
            builder.execute()
    except Exception as exc:
        raise error(exc, table, "merge") from exc


def delete(spark: SparkSession, uri: str, table: str, predicate: str | Column, commit_id: str) -> None:
    """``DELETE FROM`` the table where ``predicate`` is true (rows where it is NULL stay)."""
    from delta.tables import DeltaTable

    try:
        with session_settings(spark, _txn_settings(None, commit_id)):
            DeltaTable.forPath(spark, spark_uri(uri)).delete(predicate)
    except Exception as exc:
        raise error(exc, table, "delete") from exc


def optimize(
    spark: SparkSession,
    uri: str,
    table: str,
    zorder_by: Sequence[str] | None = None,
    where: str | None = None,
    target_mb: int | None = None,
) -> dict[str, Any]:
    """``OPTIMIZE`` (compaction, or Z-order by ``zorder_by``) of the whole table or the partitions ``where`` selects."""
    from delta.tables import DeltaTable

    settings = {"spark.databricks.delta.optimize.maxFileSize": str(target_mb * 1024 * 1024) if target_mb else None}
    try:
        with session_settings(spark, settings):
            builder = DeltaTable.forPath(spark, spark_uri(uri)).optimize()
            if where:
                builder = builder.where(where)
            out = builder.executeZOrderBy(*zorder_by) if zorder_by else builder.executeCompaction()
            row = out.collect()[0]
    except Exception as exc:
        raise error(exc, table, "optimize") from exc
    metrics = row["metrics"].asDict(recursive=True)
    return {k: metrics[k] for k in ("numFilesAdded", "numFilesRemoved", "totalConsideredFiles", "totalFilesSkipped") if k in metrics}


def vacuum(spark: SparkSession, uri: str, table: str, retention_hours: float | None, dry_run: bool) -> list[str]:
    """``VACUUM``: delete files no version within the retention needs (and files of writers that died).

    Delta's own check against the table's ``deletedFileRetentionDuration`` is made by the caller
    with a message of its own, so Delta's is off here.
    """
    target = f"delta.`{spark_uri(uri)}`"
    sql = (
        f"VACUUM {target}" + (f" RETAIN {retention_hours:g} HOURS" if retention_hours is not None else "") + (" DRY RUN" if dry_run else "")
    )
    try:
        with session_settings(spark, {RETENTION_CHECK: "false"}):
            rows = spark.sql(sql).collect()
    except Exception as exc:
        raise error(exc, table, "vacuum") from exc
    return [r[0] for r in rows] if dry_run else []


def restore(spark: SparkSession, uri: str, table: str, version: int | None = None, timestamp: str | None = None) -> dict[str, Any]:
    """``RESTORE`` the table to an earlier version (a new commit; history is kept)."""
    from delta.tables import DeltaTable

    dt = DeltaTable.forPath(spark, spark_uri(uri))
    try:
        out = dt.restoreToVersion(int(version)) if version is not None else dt.restoreToTimestamp(str(timestamp))
    except Exception as exc:
        raise error(exc, table, "restore") from exc
    return out.collect()[0].asDict()


def history(spark: SparkSession, uri: str, limit: int | None = None) -> list[dict[str, Any]]:
    """``DESCRIBE HISTORY``, newest first."""
    from delta.tables import DeltaTable

    dt = DeltaTable.forPath(spark, spark_uri(uri))
    rows = (dt.history(limit) if limit else dt.history()).collect()
    return [r.asDict(recursive=True) for r in rows]


def set_properties(spark: SparkSession, uri: str, table: str, props: dict[str, str]) -> None:
    """``ALTER TABLE … SET TBLPROPERTIES``."""
    if not props:
        return
    body = ", ".join(f"'{k}' = '{str(v)}'" for k, v in props.items())
    try:
        spark.sql(f"ALTER TABLE delta.`{spark_uri(uri)}` SET TBLPROPERTIES ({body})")
    except Exception as exc:
        raise error(exc, table, "property change") from exc


def register(spark: SparkSession, tables: dict[str, str]) -> list[str]:
    """Name Delta tables in the session's catalog: ``{"gold.kpi": uri}`` → ``CREATE TABLE gold.kpi USING DELTA LOCATION uri``.

    The schemas are created as needed. A table already registered at another location is
    re-pointed; one at the same location is left alone.
    """
    done = []
    schemas = {n.split(".", 1)[0] for n in tables}
    for schema in sorted(schemas):
        spark.sql(f"CREATE SCHEMA IF NOT EXISTS `{schema}`")
    for name, uri in sorted(tables.items()):
        layer, short = name.split(".", 1)
        location = spark_uri(uri)
        if spark.catalog.tableExists(f"{layer}.{short}"):
            info = spark.sql(f"DESCRIBE DETAIL `{layer}`.`{short}`").select("location").first()
            if info is not None and info[0].rstrip("/").split(":", 1)[-1].lstrip("/") == location.rstrip("/").split(":", 1)[-1].lstrip("/"):
                done.append(name)
                continue
            spark.sql(f"DROP TABLE `{layer}`.`{short}`")  # an external table: dropping it keeps the data
        spark.sql(f"CREATE TABLE `{layer}`.`{short}` USING DELTA LOCATION '{location}'")
        done.append(name)
    return done


def not_found(exc: BaseException) -> bool:
    text = str(exc)
    return any(s in text for s in ("DELTA_MISSING_DELTA_TABLE", "PATH_NOT_FOUND", "is not a Delta table", "DELTA_TABLE_NOT_FOUND"))


__all__ = [
    "read",
    "write",
    "merge",
    "delete",
    "optimize",
    "vacuum",
    "restore",
    "history",
    "set_properties",
    "register",
    "error",
    "TableError",
]

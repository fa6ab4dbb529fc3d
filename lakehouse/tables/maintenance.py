"""History, compaction, vacuum, checkpoints and table properties."""
from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from lakehouse.tables.exceptions import TableError
from lakehouse.tables.snapshot import load_delta_table
from lakehouse.tables.writer import STAGING

if TYPE_CHECKING:
    from lakehouse.tables.storage import TableStorage

_INTERVAL = re.compile(r"^\s*interval\s+(\d+)\s+(second|minute|hour|day|week)s?\s*$", re.IGNORECASE)
_HOURS = {"second": 1 / 3600, "minute": 1 / 60, "hour": 1, "day": 24, "week": 168}


def interval_hours(text: str | None) -> float | None:
    """``"interval 365 days"`` → 8760.0."""
    if not text:
        return None
    m = _INTERVAL.match(text)
    if not m:
        return None
    return int(m.group(1)) * _HOURS[m.group(2).lower()]


def retention_properties(log_days: int, file_days: int, checkpoint_interval: int) -> dict[str, str]:
    return {
        "delta.logRetentionDuration": f"interval {log_days} days",
        "delta.deletedFileRetentionDuration": f"interval {file_days} days",
        "delta.checkpointInterval": str(checkpoint_interval),
    }


def history(storage: TableStorage, table: str, limit: int | None = None) -> list[dict[str, Any]]:
    return load_delta_table(storage, table).history(limit)


def optimize(storage: TableStorage, table: str, target_mb: int) -> dict[str, Any]:
    """Compact small files (no data change; readers of older versions are unaffected)."""
    with storage.commit_lock():
        dt = load_delta_table(storage, table)
        return dt.optimize.compact(target_size=target_mb * 1024 * 1024)


def vacuum(
    storage: TableStorage,
    table: str,
    retention_hours: float | None = None,
    dry_run: bool = False,
    staging_retention_hours: float = 24.0,
    force: bool = False,
) -> list[str]:
    """Delete files no snapshot within the retention needs, and abandoned staging folders.

    A retention shorter than the table's ``delta.deletedFileRetentionDuration`` (the
    audit horizon for tables that feed draws) is refused unless ``force``.
    """
    dt = load_delta_table(storage, table)
    configured = interval_hours(dt.metadata().configuration.get("delta.deletedFileRetentionDuration"))
    if retention_hours is not None and configured is not None and retention_hours < configured and not force:
        raise TableError(
            f"{table}: vacuum retention {retention_hours} h is shorter than the table's deletedFileRetentionDuration "
            f"({configured:g} h); older versions would become unreadable. Use a longer retention, or force=True if you mean it"
        )
    hours = configured if retention_hours is None else retention_hours
    with storage.commit_lock():
        removed = dt.vacuum(
            retention_hours=int(hours) if hours is not None else None,
            dry_run=dry_run,
            enforce_retention_duration=False,
            full=True,
        )
    cutoff_ms = (time.time() - staging_retention_hours * 3600) * 1000
    for rel, mtime in storage.list_dirs(STAGING):
        if mtime <= cutoff_ms:
            removed.append(rel + "/")
            if not dry_run:
                storage.delete_dir(rel)
    return removed


def checkpoint(storage: TableStorage, table: str) -> None:
    load_delta_table(storage, table).create_checkpoint()


def properties(storage: TableStorage, table: str) -> dict[str, str]:
    return dict(load_delta_table(storage, table).metadata().configuration)


def set_properties(storage: TableStorage, table: str, props: dict[str, str]) -> None:
    for key in props:
        if key.startswith("delta.") and key.split(".", 1)[1] in ("enableDeletionVectors", "columnMapping.mode", "enableTypeWidening"):
            if str(props[key]).lower() not in ("false", "none"):
                raise TableError(f"{table}: {key} would lift the table's protocol beyond what Trino, polars and this reader share; not allowed")
    with storage.commit_lock():
        load_delta_table(storage, table).alter.set_table_properties(props, raise_if_not_exists=False)

"""Table properties for retention, and the retention rule vacuum keeps.

The operations themselves (optimize, Z-order, vacuum, restore, history, checkpoints) are
delta-spark's and delta-rs's; see ``Tables``.
"""

from __future__ import annotations

import re

from lakehouse.tables.exceptions import TableError

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


def check_retention(table: str, retention_hours: float | None, configured_hours: float | None, force: bool) -> None:
    """Refuse a vacuum retention shorter than the table's ``deletedFileRetentionDuration`` unless ``force``."""
    if retention_hours is not None and configured_hours is not None and retention_hours < configured_hours and not force:
        raise TableError(
            f"{table}: vacuum retention {retention_hours} h is shorter than the table's deletedFileRetentionDuration "
            f"({configured_hours:g} h); older versions would become unreadable. Use a longer retention, or force=True if you mean it"
        )

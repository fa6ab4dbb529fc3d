"""Per-file statistics for Delta add actions, read from Parquet footers.

Spark writes min/max/null counts into every row group's footer; the driver reads the
footers (metadata only, a few KB each) and folds them into Delta's
``{"numRecords", "minValues", "maxValues", "nullCount"}``. Values are kept only where
they are exact bounds: strings longer than 32 characters lose their max, timestamps are
rounded outwards to milliseconds, and floating point and decimal columns keep only
null counts (NaN and decimal footers are not reliable bounds).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

STRING_PREFIX = 32
HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"
_ESCAPED = re.compile(r"%([0-9A-Fa-f]{2})")


_ESCAPE = set("\"#%'*/:=?\\{[]^\x7f") | {chr(c) for c in range(1, 32)}  # what Spark (Hive) escapes in folder names


def escape_path_name(text: str) -> str:
    """A partition value as Spark names its folder (``a:b`` → ``a%3Ab``)."""
    return "".join(f"%{ord(ch):02X}" if ch in _ESCAPE else ch for ch in text)


def unescape_path_name(text: str) -> str:
    """Undo Hive/Spark partition-folder escaping (``%3A`` → ``:``)."""
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)


def partition_values_from_path(rel_path: str, partition_by: list[str]) -> dict[str, str | None]:
    """``"d=2024-01-01/k=a%3Ab/part-0.parquet"`` → ``{"d": "2024-01-01", "k": "a:b"}``."""
    if not partition_by:
        return {}
    dirs = rel_path.split("/")[:-1]
    found: dict[str, str | None] = {}
    for segment in dirs:
        if "=" not in segment:
            continue
        key, _, value = segment.partition("=")
        key = unescape_path_name(key)
        if key in partition_by:
            value = unescape_path_name(value)
            found[key] = None if value == HIVE_NULL else value
    missing = [c for c in partition_by if c not in found]
    if missing:
        raise ValueError(f"file {rel_path} lies outside partition folders for {missing}")
    return {c: found[c] for c in partition_by}


def _ts_floor(v: dt.datetime) -> str:
    v = v.astimezone(dt.timezone.utc)
    v = v.replace(microsecond=(v.microsecond // 1000) * 1000)
    return v.strftime("%Y-%m-%dT%H:%M:%S.") + f"{v.microsecond // 1000:03d}Z"


def _ts_ceil(v: dt.datetime) -> str:
    v = v.astimezone(dt.timezone.utc)
    if v.microsecond % 1000:
        v = v + dt.timedelta(microseconds=1000 - v.microsecond % 1000)
    return v.strftime("%Y-%m-%dT%H:%M:%S.") + f"{v.microsecond // 1000:03d}Z"


def _bound(value: Any, is_max: bool) -> Any:
    """A JSON-ready, exact (or outward-rounded) bound, or None to leave it out."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return _ts_ceil(value) if is_max else _ts_floor(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        if len(value) <= STRING_PREFIX:
            return value
        return None if is_max else value[:STRING_PREFIX]
    return None


def file_stats(parquet_file, data_columns: list[str]) -> dict[str, Any]:
    """Delta stats for one Parquet file (a path or an open pyarrow input file)."""
    import pyarrow.parquet as pq

    md = pq.ParquetFile(parquet_file).metadata
    wanted = set(data_columns)
    bounds: dict[str, list] = {"min": {}, "max": {}}
    usable = {"min": {}, "max": {}}
    nulls: dict[str, int] = {}
    ok_nulls: dict[str, bool] = {}
    for rg_index in range(md.num_row_groups):
        rg = md.row_group(rg_index)
        if rg.num_rows == 0:
            continue
        for j in range(rg.num_columns):
            col = rg.column(j)
            name = col.path_in_schema
            if name not in wanted:
                continue  # nested leaves and unknown columns get no stats
            st = col.statistics
            if st is None:
                ok_nulls[name] = usable["min"][name] = usable["max"][name] = False
                continue
            if st.has_null_count:
                nulls[name] = nulls.get(name, 0) + st.null_count
                ok_nulls.setdefault(name, True)
            else:
                ok_nulls[name] = False
            if not st.has_min_max:
                if not (st.has_null_count and st.null_count == rg.num_rows):
                    usable["min"][name] = usable["max"][name] = False
                continue  # an all-null row group has no bounds and needs none
            try:
                found = {"min": _bound(st.min, False), "max": _bound(st.max, True)}
            except Exception:  # types pyarrow cannot decode (decimal): no bounds
                found = {"min": None, "max": None}
            for side, value in found.items():
                if value is None:
                    usable[side][name] = False
                    continue
                usable[side].setdefault(name, True)
                current = bounds[side].get(name)
                if current is None or (value < current if side == "min" else value > current):
                    bounds[side][name] = value
    stats: dict[str, Any] = {"numRecords": md.num_rows, "minValues": {}, "maxValues": {}, "nullCount": {}}
    for name in data_columns:
        for side, key in (("min", "minValues"), ("max", "maxValues")):
            if usable[side].get(name) and name in bounds[side]:
                stats[key][name] = bounds[side][name]
        if ok_nulls.get(name, False):
            stats["nullCount"][name] = nulls.get(name, 0)
    return stats


def collect_stats(storage, rel_paths: list[str], data_columns: list[str], threads: int = 16) -> dict[str, dict]:
    """Stats of many files, footers read in parallel threads."""

    def one(rel: str) -> tuple[str, dict]:
        with storage.open_input(rel) as f:
            return rel, file_stats(f, data_columns)

    if len(rel_paths) <= 1:
        return dict(one(r) for r in rel_paths)
    with ThreadPoolExecutor(max_workers=min(threads, len(rel_paths))) as pool:
        return dict(pool.map(one, rel_paths))


def stats_json(stats: dict) -> str:
    return json.dumps(stats, ensure_ascii=False, separators=(",", ":"), allow_nan=False)

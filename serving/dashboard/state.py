"""What the dashboard shows, held in memory: one snapshot per source table, reloaded when its
Delta version moves (the same rule as the scoring API's :class:`ApiState`: check the log,
load only what changed, swap one reference). A request filters and groups these frames; it
never reads storage.

Only allowlisted, non-personal columns are loaded (``COLUMNS``; a name that
:func:`is_personal_field` flags is dropped even if listed), so a panel cannot leak what was
never read. ``gold.inspection_tasks``' ``inspectors`` and every ``legal_rep_*`` column stay on disk.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from lakehouse.config.api import is_personal_field

log = logging.getLogger("regulake.dashboard")

# source key → (table, allowlisted columns). Names personal-looking by the API's rule are refused anyway.
SOURCES: dict[str, tuple[str, list[str]]] = {
    "entity_profile": (
        "gold.entity_profile",
        [
            "uscc",
            "entity_name",
            "enterprise_type",
            "registration_status",
            "establishment_date",
            "deregistration_date",
            "industry_code",
            "district_code",
            "town_code",
            "abnormal_operations_count_365d",
            "abnormal_operations_count_all",
            "as_of",
        ],
    ),
    "kpi": ("gold.kpi", ["as_of", "metric", "dimension", "value"]),
    "risk_scores": ("gold.risk_scores", ["score_date", "uscc", "probability", "risk_class", "reasons", "model_version"]),
    "factor_catalog": ("gold.factor_catalog", ["factor", "description_zh", "description_en"]),
    "inspection_tasks": (
        "gold.inspection_tasks",
        ["plan_id", "task_id", "uscc", "district_code", "industry_section", "share", "risk_class"],
    ),
    "public_plans": (
        "gold.public_inspection_plans",
        ["plan_id", "plan_name", "period_start", "period_end", "tasks", "results_reported", "problems_found", "status"],
    ),
    "public_results": (
        "gold.public_inspection_results",
        ["plan_id", "task_id", "uscc", "district_code", "inspection_date", "inspection_result"],
    ),
    "hot_words": (
        "gold.complaint_hot_words",
        ["period", "scope", "district_code", "industry_section", "rank", "word", "count", "complaints", "keyness"],
    ),
    "rising_words": (
        "gold.complaint_rising_words",
        [
            "period",
            "previous_period",
            "scope",
            "district_code",
            "industry_section",
            "rank",
            "word",
            "count",
            "previous_count",
            "ratio",
            "is_new",
        ],
    ),
    "hotspots": (
        "gold.complaint_hotspots",
        [
            "period",
            "district_code",
            "district_name",
            "industry_section",
            "industry_name",
            "complaints",
            "entities",
            "rate",
            "ratio",
            "z",
            "hotspot",
            "rank",
        ],
    ),
    "alerts": (
        "gold.registration_alerts",
        [
            "cluster_id",
            "district_code",
            "town_code",
            "size",
            "first_date",
            "last_date",
            "span_days",
            "score",
            "trading_share",
            "unpaid_share",
            "industry_codes",
            "reason_codes",
            "reasons",
            "as_of",
        ],
    ),
    "clusters": (
        "gold.registration_clusters",
        [
            "cluster_id",
            "uscc",
            "entity_name",
            "enterprise_type",
            "establishment_date",
            "industry_code",
            "registered_capital",
            "district_code",
            "town_code",
            "score",
            "alert",
            "as_of",
        ],
    ),
    "quality": ("silver.quality", ["ingest_batch", "subject_area", "catalog", "metric", "rule", "count"]),
    "landing_files": ("bronze.landing_files", ["ingest_batch", "catalog", "department", "batch_date", "manifest_rows", "status"]),
}
# identifiers the API's personal-field rule would refuse (it refuses every *_id) that name no person
SAFE = frozenset({"cluster_id"})


@dataclass
class Snapshot:
    table: str
    version: int
    frame: pl.DataFrame
    loaded_at: float = field(default_factory=time.time)
    note: str | None = None  # e.g. "latest partition as_of=2026-01-03"


@dataclass
class SourceStatus:
    table: str
    version: int | None = None
    error: str | None = None
    checked_at: float | None = None
    reloads: int = 0


def _columns(have: list[str], allowed: list[str]) -> list[str]:
    return [c for c in have if c in allowed and (c in SAFE or not is_personal_field(c))]


def _load(dto, key: str, table: str, version: int) -> Snapshot:
    import pyarrow as pa

    have = [f.name for f in dto.schema().fields]
    cols = _columns(have, SOURCES[key][1])
    note = None
    filters = None
    parts = {p.get(k) for p in dto.partitions() for k in ("as_of",) if p.get(k)} if key in ("entity_profile", "kpi") else set()
    if parts:
        latest = max(parts)
        filters = [("as_of", "=", dt.date.fromisoformat(str(latest)[:10]))]
        note = f"as_of={latest}"
    if key == "risk_scores":
        dates = sorted({p.get("score_date") for p in dto.partitions() if p.get("score_date")})[-2:]
        if dates:
            filters = [("score_date", "in", [dt.date.fromisoformat(str(d)[:10]) for d in dates])]
            note = f"score_date={dates[-1]}" + (f" (previous {dates[0]})" if len(dates) > 1 else "")
    tbl = dto.to_pyarrow_table(columns=cols, filters=filters)
    if key == "risk_scores" and "reasons" in tbl.column_names:
        # keep only each reason's factor and Chinese description (values are the entity's own figures)
        reasons = tbl.column("reasons").combine_chunks()
        flat = reasons.flatten()
        names = [flat.type.field(i).name for i in range(flat.type.num_fields)]
        keep = [n for n in ("factor", "description_zh") if n in names]
        sub = pa.StructArray.from_arrays([flat.field(n) for n in keep], names=keep)
        rebuilt = pa.ListArray.from_arrays(reasons.offsets, sub, mask=reasons.is_null())
        tbl = tbl.set_column(tbl.column_names.index("reasons"), "reasons", rebuilt)
    return Snapshot(table, version, pl.from_arrow(tbl), note=note)


class DashboardState:
    """Snapshots of every source in :data:`SOURCES`, kept current by a background thread."""

    def __init__(
        self, warehouse_root: str, storage_options: dict | None = None, reload_interval_s: float = 30.0, data_docs_root: str | None = None
    ):
        from lakehouse.tables.names import TableName, table_uri

        self.root = warehouse_root
        self.storage_options = dict(storage_options or {}) or None
        self.reload_interval_s = reload_interval_s
        self.data_docs_root = data_docs_root
        self.uris = {k: table_uri(warehouse_root, TableName.parse(t)) for k, (t, _) in SOURCES.items()}
        self.status = {k: SourceStatus(t) for k, (t, _) in SOURCES.items()}
        self.snaps: dict[str, Snapshot | None] = {k: None for k in SOURCES}
        self._dts: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.generation = 0  # moves whenever any snapshot changes (the page polls it)

    def get(self, key: str) -> Snapshot | None:
        return self.snaps.get(key)

    def _refresh_one(self, key: str) -> bool:
        from deltalake import DeltaTable

        st = self.status[key]
        st.checked_at = time.time()
        try:
            dto = self._dts.get(key)
            if dto is None:
                if not DeltaTable.is_deltatable(self.uris[key], storage_options=self.storage_options):
                    if self.snaps[key] is not None:
                        self.snaps[key] = None
                        return True
                    st.error = f"{st.table} does not exist yet; run the job that writes it"
                    return False
                dto = DeltaTable(self.uris[key], storage_options=self.storage_options)
                self._dts[key] = dto
            else:
                dto.update_incremental()
            version = dto.version()
            if version == st.version and self.snaps[key] is not None:
                return False
            t0 = time.perf_counter()
            self.snaps[key] = _load(dto, key, st.table, version)
            st.version, st.error = version, None
            st.reloads += 1
            log.info("dashboard: loaded %s version %s in %.2f s", st.table, version, time.perf_counter() - t0)
            return True
        except Exception as e:  # noqa: BLE001 - keep the last good snapshot
            self._dts.pop(key, None)
            st.error = f"loading failed ({type(e).__name__}; the server log has the details)"
            log.warning("dashboard: could not load %s: %s: %s", st.table, type(e).__name__, e)
            return False

    def refresh(self) -> bool:
        with self._lock:
            changed = [self._refresh_one(k) for k in SOURCES]
            if any(changed):
                self.generation += 1
                from serving.dashboard import panels

                panels.clear_cache()
                self._prewarm(panels)
            return any(changed)

    def _prewarm(self, panels) -> None:
        """Compute the unfiltered view of every panel now, when the data arrives, not at the first request."""
        for name in panels.PANELS:
            try:
                panels.panel(self, name, panels.Filters())
            except Exception:  # noqa: BLE001 - the request will say what is wrong
                log.exception("dashboard: panel %s failed on the new snapshots", name)

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="regulake-dashboard-reload", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.reload_interval_s):
            try:
                self.refresh()
            except Exception:  # noqa: BLE001
                log.exception("dashboard reload failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def versions(self) -> dict[str, dict[str, Any]]:
        out = {}
        for k, st in self.status.items():
            s = self.snaps[k]
            out[k] = {
                "table": st.table,
                "version": s.version if s else None,
                "rows": s.frame.height if s else 0,
                "note": s.note if s else None,
                "error": None if s else st.error,
            }
        return out

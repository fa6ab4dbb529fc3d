"""What the API serves, held in memory, and the thread that keeps it current.

Every source is loaded once at start and again only when it changes: the Delta tables when
their version moves (``DeltaTable.update_incremental``, a read of the new log entries), the
champion when the MLflow alias points at another version (one registry query). A reload
builds a new immutable snapshot and swaps one reference, so a request sees either the old
or the new snapshot, never a mix, and no request ever scans a table.

``gold.risk_scores`` at 900k entities is held as columns: sorted fixed-width USCC bytes for
a binary-search index, float64 / small-integer code arrays for the values and the reasons
flattened into parallel arrays with offsets (≈ 100 bytes an entity with three reasons).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lakehouse.check_digits import valid_usccs
from lakehouse.config.api import ApiSettings, is_personal_field

log = logging.getLogger("regulake.api")

USCC_LEN = 18


class SourceMissing(Exception):
    """A table or model the API serves does not exist (yet)."""


# -- risk scores ------------------------------------------------------------------


def _codes(arr) -> tuple[np.ndarray, list]:
    """Dictionary-encode an Arrow array: (int32 codes with -1 for null, values)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    enc = pc.dictionary_encode(arr)
    codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
    return codes, enc.dictionary.to_pylist()


def _floats(arr) -> np.ndarray:
    import pyarrow as pa

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(pa.float64()).fill_null(float("nan")).to_numpy(zero_copy_only=False)


def _num(x: float) -> float | None:
    return None if x != x else float(x)


@dataclass
class ScoresSnapshot:
    table: str
    version: int
    score_date: dt.date
    keys: np.ndarray  # sorted S18
    rows: np.ndarray  # row of each sorted key
    probability: np.ndarray
    raw_score: np.ndarray
    base_value: np.ndarray
    risk_class: tuple[np.ndarray, list]
    model_name: tuple[np.ndarray, list]
    model_version: tuple[np.ndarray, list]
    r_offsets: np.ndarray | None
    r_factor: tuple[np.ndarray, list] | None
    r_desc: tuple[np.ndarray, list] | None
    r_value: np.ndarray | None
    r_contrib: np.ndarray | None
    loaded_at: float = field(default_factory=time.time)

    @property
    def entities(self) -> int:
        return len(self.keys)

    def find(self, uscc: str) -> int | None:
        b = uscc.encode("ascii", "replace")
        keys = self.keys
        i = int(keys.searchsorted(np.bytes_(b)))
        if i < len(keys) and keys.item(i) == b:
            return self.rows.item(i)
        return None

    def record(self, row: int) -> dict[str, Any]:
        reasons = []
        if self.r_offsets is not None:
            fc, fv = self.r_factor
            dc, dv = self.r_desc
            rv, rc = self.r_value, self.r_contrib
            for j in range(self.r_offsets.item(row), self.r_offsets.item(row + 1)):
                f, d, v, c = fc.item(j), dc.item(j), rv.item(j), rc.item(j)
                reasons.append(
                    {
                        "factor": fv[f] if f >= 0 else None,
                        "description_zh": dv[d] if d >= 0 else None,
                        "value": None if v != v else v,
                        "contribution": None if c != c else c,
                    }
                )

        def dec(pair):
            c = pair[0].item(row)
            return pair[1][c] if c >= 0 else None

        p, r, b = self.probability.item(row), self.raw_score.item(row), self.base_value.item(row)
        return {
            "probability": None if p != p else p,
            "risk_class": dec(self.risk_class),
            "raw_score": None if r != r else r,
            "base_value": None if b != b else b,
            "reasons": reasons,
            "model_name": dec(self.model_name),
            "model_version": dec(self.model_version),
        }

    def lookup(self, uscc: str) -> dict[str, Any] | None:
        row = self.find(uscc)
        if row is None:
            return None
        return {"uscc": uscc, "as_of": self.score_date, **self.record(row), "table_version": self.version}


def load_scores(dt_obj, table: str, version: int) -> ScoresSnapshot:
    import pyarrow as pa
    import pyarrow.compute as pc

    parts = [p.get("score_date") for p in dt_obj.partitions()]
    parts = [p for p in parts if p]
    if not parts:
        raise SourceMissing(f"table {table} has no score_date partition yet; run 'regulake run score'")
    latest = max(parts)
    day = dt.date.fromisoformat(str(latest)[:10])
    want = ["uscc", "probability", "risk_class", "raw_score", "base_value", "reasons", "model_name", "model_version"]
    have = {f.name for f in dt_obj.schema().fields}
    if "uscc" not in have or "probability" not in have:
        raise SourceMissing(f"table {table} has no uscc / probability columns; is it gold.risk_scores?")
    tbl = dt_obj.to_pyarrow_table(filters=[("score_date", "=", day)], columns=[c for c in want if c in have])
    n = tbl.num_rows

    def col(name):
        return tbl.column(name) if name in have else pa.nulls(n, pa.float64() if name in ("raw_score", "base_value") else pa.string())

    uscc = tbl.column("uscc").combine_chunks()
    ok = pc.and_(pc.is_valid(uscc), pc.equal(pc.binary_length(uscc), USCC_LEN))
    if not pc.all(ok).as_py():
        bad = n - pc.sum(ok.cast(pa.int64())).as_py()
        log.warning("%s: %d row(s) without an 18-character uscc are not served", table, bad)
        tbl = tbl.filter(ok)
        uscc = tbl.column("uscc").combine_chunks()
        n = tbl.num_rows
    fixed = uscc.cast(pa.binary(USCC_LEN))
    raw = np.frombuffer(fixed.buffers()[1], dtype=f"S{USCC_LEN}", count=len(fixed), offset=fixed.offset * USCC_LEN)
    valid = valid_usccs(raw)
    order = np.flatnonzero(valid)
    if len(order) < len(raw):
        log.warning("%s: %d code(s) failing the GB 32100 format or check digit are not served", table, len(raw) - len(order))
    order = order[np.argsort(raw[order], kind="stable")]
    keys = raw[order].copy()

    r_offsets = r_factor = r_desc = r_value = r_contrib = None
    if "reasons" in have:
        reasons = tbl.column("reasons").combine_chunks()
        reasons = reasons.fill_null(pa.scalar([], reasons.type)) if reasons.null_count else reasons
        r_offsets = reasons.offsets.to_numpy().astype(np.int64) - int(reasons.offsets[0].as_py())
        flat = reasons.flatten()
        names = {flat.type.field(i).name for i in range(flat.type.num_fields)}

        def child(name, kind):
            if name in names:
                return flat.field(name)
            return pa.nulls(len(flat), pa.string() if kind == "s" else pa.float64())

        r_factor = _codes(child("factor", "s"))
        r_desc = _codes(child("description_zh", "s"))
        r_value = _floats(child("value", "f"))
        r_contrib = _floats(child("contribution", "f"))

    return ScoresSnapshot(
        table=table,
        version=version,
        score_date=day,
        keys=keys,
        rows=order.astype(np.int32),
        probability=_floats(col("probability")),
        raw_score=_floats(col("raw_score")),
        base_value=_floats(col("base_value")),
        risk_class=_codes(col("risk_class")),
        model_name=_codes(col("model_name")),
        model_version=_codes(col("model_version")),
        r_offsets=r_offsets,
        r_factor=r_factor,
        r_desc=r_desc,
        r_value=r_value,
        r_contrib=r_contrib,
    )


# -- small tables ---------------------------------------------------------------------


def _rows(dt_obj, allowed: list[str], table: str) -> tuple[list[dict], list[str], list[str]]:
    """Rows of a small table restricted to the allowed, non-personal columns: (rows, served, dropped)."""
    have = [f.name for f in dt_obj.schema().fields]
    allowed_set = set(allowed)
    served = [c for c in have if c in allowed_set and not is_personal_field(c)]
    dropped = [c for c in have if c not in served]
    if dropped:
        log.info("%s: column(s) %s are not in the API's allowlist and are not served", table, dropped)
    tbl = dt_obj.to_pyarrow_table(columns=served) if served else None
    return (tbl.to_pylist() if tbl is not None else []), served, dropped


@dataclass
class FactorCatalog:
    table: str
    version: int
    descriptions: dict[str, dict[str, str | None]]


def load_factor_catalog(dt_obj, table: str, version: int) -> FactorCatalog:
    have = {f.name for f in dt_obj.schema().fields}
    cols = [c for c in ("factor", "description_zh", "description_en") if c in have]
    if "factor" not in cols:
        raise SourceMissing(f"table {table} has no 'factor' column")
    out = {}
    for r in dt_obj.to_pyarrow_table(columns=cols).to_pylist():
        out[r["factor"]] = {"description_zh": r.get("description_zh"), "description_en": r.get("description_en")}
    return FactorCatalog(table, version, out)


PLAN_LEVEL_CANDIDATES = frozenset(
    {
        "period",
        "department",
        "department_code",
        "department_name",
        "draw_date",
        "draw_seed",
        "seed",
        "draw_method",
        "published_at",
        "publish_date",
        "plan_type",
        "inspectors_per_task",
    }
)


@dataclass
class PlansSnapshot:
    table: str
    version: Any
    plans: dict[str, bytes]  # plan_id → rendered JSON
    columns: list[str]


def load_plans(dt_obj, table: str, version: int, allowed: list[str], dumps: Callable[[Any], bytes]) -> PlansSnapshot:
    rows, served, _ = _rows(dt_obj, allowed, table)
    if "plan_id" not in served:
        raise SourceMissing(f"table {table} has no plan_id column")
    groups: dict[str, list[dict]] = {}
    for r in rows:
        pid = r["plan_id"]
        if pid is not None:
            groups.setdefault(str(pid), []).append(r)
    # plan-level fields: plan_* and the draw's own fields, when they hold one value on every task of every plan
    plan_level = [
        c
        for c in served
        if c == "plan_id"
        or ((c.startswith("plan_") or c in PLAN_LEVEL_CANDIDATES) and all(len({repr(t.get(c)) for t in ts}) == 1 for ts in groups.values()))
    ]
    task_cols = [c for c in served if c not in plan_level]
    plans = {}
    for pid, ts in groups.items():
        head = {c: ts[0].get(c) for c in plan_level}
        head["plan_id"] = pid
        tasks = [{c: t.get(c) for c in task_cols} for t in ts]
        plans[pid] = dumps({**head, "task_count": len(tasks), "tasks": tasks, "table_version": version})
    return PlansSnapshot(table, version, plans, served)


def load_public_plans(dt_plans, dt_results, label: str, version: str, allowed: list[str], dumps: Callable[[Any], bytes]) -> PlansSnapshot:
    """Plans from one-row-per-plan + one-row-per-task tables (``gold.public_inspection_plans`` / ``_results``).

    A plan column named ``tasks`` (the planned number) is served as ``planned_tasks``: ``tasks`` is the task list."""
    heads, served, _ = _rows(dt_plans, allowed, label)
    if "plan_id" not in served:
        raise SourceMissing(f"table {label} has no plan_id column")
    tasks: dict[str, list[dict]] = {}
    task_cols: list[str] = []
    if dt_results is not None:
        rows, task_cols, _ = _rows(dt_results, allowed, label)
        for r in rows:
            if r.get("plan_id") is not None:
                tasks.setdefault(str(r["plan_id"]), []).append({k: v for k, v in r.items() if k != "plan_id"})
    plans = {}
    for h in heads:
        if h.get("plan_id") is None:
            continue
        pid = str(h["plan_id"])
        head = dict(h)
        if "tasks" in head:
            head["planned_tasks"] = head.pop("tasks")
        ts = sorted(tasks.get(pid, []), key=lambda t: str(t.get("task_id") or ""))
        plans[pid] = dumps({**head, "plan_id": pid, "task_count": len(ts), "tasks": ts, "table_version": version})
    return PlansSnapshot(label, version, plans, served + [c for c in task_cols if c not in served])


@dataclass
class HotwordsSnapshot:
    table: str
    version: int
    period: str | None
    previous_period: str | None
    groups: dict[tuple, list[dict]]  # (scope, district_code, industry_section) → words in rank order
    columns: list[str]
    rows: int


def load_hotwords(dt_obj, table: str, version: int, allowed: list[str]) -> HotwordsSnapshot:
    rows, served, _ = _rows(dt_obj, allowed, table)
    if "word" not in served:
        raise SourceMissing(f"table {table} has no word column")
    period = None
    if "period" in served:
        periods = [str(r["period"]) for r in rows if r.get("period") is not None]
        period = max(periods) if periods else None
        rows = [r for r in rows if r.get("period") is not None and str(r["period"]) == period]
    prev = next((r.get("previous_period") for r in rows if r.get("previous_period") is not None), None)

    def order(r):
        rank = r.get("rank")
        if rank is not None:
            return (0, rank, "")
        return (1, -(r.get("ratio") or r.get("growth") or r.get("count") or 0), r.get("word") or "")

    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        key = (r.get("scope"), r.get("district_code"), r.get("industry_section"))
        groups.setdefault(key, []).append({k: v for k, v in r.items() if k not in ("period", "previous_period", "scope")})
    for ws in groups.values():
        ws.sort(key=order)
    return HotwordsSnapshot(table, version, period, str(prev) if prev is not None else None, groups, served, len(rows))


# -- champion ----------------------------------------------------------------------


@dataclass
class ChampionSnapshot:
    name: str
    version: str
    factors: list[str]
    booster: Any
    loaded_at: float = field(default_factory=time.time)
    metrics: dict[str, Any] | None = None  # held-out figures of ml.metrics.public

    def score(self, values: dict[str, float | None], thresholds: list[float], k: int, catalog: FactorCatalog | None) -> dict[str, Any]:
        from ml.scoring import risk_class

        X = np.array([[np.nan if values.get(f) is None else float(values[f]) for f in self.factors]], dtype=float)
        contrib = np.asarray(self.booster.predict(X, pred_contrib=True, num_threads=1))[0]
        raw = float(contrib.sum())
        p = float(1.0 / (1.0 + np.exp(-raw)))
        shap = contrib[:-1]
        desc = catalog.descriptions if catalog else {}
        reasons = []
        for j in np.argsort(-shap, kind="stable")[:k]:
            if shap[j] <= 0:
                break
            f = self.factors[j]
            d = desc.get(f, {})
            reasons.append(
                {
                    "factor": f,
                    "description_zh": d.get("description_zh") or f,
                    "description_en": d.get("description_en"),
                    "value": _num(X[0, j]),
                    "contribution": float(shap[j]),
                }
            )
        return {
            "model_name": self.name,
            "model_version": self.version,
            "probability": p,
            "risk_class": str(risk_class(np.array([p]), thresholds)[0]),
            "raw_score": raw,
            "base_value": float(contrib[-1]),
            "reasons": reasons,
            "missing": [f for f in self.factors if values.get(f) is None],
        }


def _release_arrow_memory() -> None:
    """Hand the load's transient Arrow buffers back to the OS (mimalloc/jemalloc keep them otherwise)."""
    try:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    except Exception:  # noqa: BLE001
        pass


# -- the state and its reloader ----------------------------------------------------


@dataclass
class SourceStatus:
    name: str
    what: str  # table name or model name
    version: Any = None
    loaded_at: float | None = None
    checked_at: float | None = None
    error: str | None = None
    reloads: int = 0
    failures: int = 0


class ApiState:
    """Snapshots of the served tables and the champion, kept current by a background thread."""

    def __init__(
        self,
        settings: ApiSettings,
        warehouse_root: str,
        storage_options: dict | None = None,
        mlflow_cfg=None,
        class_thresholds: list[float] | None = None,
        reasons: int = 3,
        dumps: Callable[[Any], bytes] | None = None,
    ):
        import orjson

        from lakehouse.tables.names import TableName, table_uri

        self.settings = settings
        self.root = warehouse_root
        self.storage_options = dict(storage_options or {})
        self.mlflow_cfg = mlflow_cfg
        self.class_thresholds = list(class_thresholds or [0.1, 0.2, 0.4])
        self.reasons = reasons
        self.dumps = dumps or (lambda o: orjson.dumps(o, default=str))
        t = settings.tables
        self.uris = {
            key: table_uri(warehouse_root, TableName.parse(getattr(t, key)))
            for key in ("risk_scores", "factor_catalog", "public_plans", "public_results", "plan_disclosure", "hotwords")
        }
        self.status = {key: SourceStatus(key, getattr(t, key)) for key in ("risk_scores", "factor_catalog", "hotwords")}
        self.status["plans"] = SourceStatus("plans", f"{t.public_plans} + {t.public_results} (else {t.plan_disclosure})")
        self.status["champion"] = SourceStatus("champion", mlflow_cfg.model_name if mlflow_cfg else "(no MLflow configured)")
        self.scores: ScoresSnapshot | None = None
        self.factor_catalog: FactorCatalog | None = None
        self.plans: PlansSnapshot | None = None
        self.hotwords: HotwordsSnapshot | None = None
        self.champion: ChampionSnapshot | None = None
        self._dts: dict[str, Any] = {}
        self._tracker = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._refresh_lock = threading.Lock()
        self.on_reload: Callable[[str, str], None] | None = None  # (source, outcome) for metrics

    # -- loading -----------------------------------------------------------------------

    def _delta(self, key: str):
        """(DeltaTable at its newest version, version) or raises SourceMissing."""
        from deltalake import DeltaTable

        from lakehouse.tables.snapshot import check_readable

        uri = self.uris[key]
        dto = self._dts.get(key)
        if dto is None:
            if not DeltaTable.is_deltatable(uri, storage_options=self.storage_options or None):
                log.debug("no Delta log at %s", uri)
                raise SourceMissing(f"table {getattr(self.settings.tables, key)} does not exist yet; run the job that writes it")
            dto = DeltaTable(uri, storage_options=self.storage_options or None)
            self._dts[key] = dto
        else:
            try:
                dto.update_incremental()
            except Exception:
                self._dts.pop(key, None)
                raise
        check_readable(dto, getattr(self.settings.tables, key))
        return dto, dto.version()

    def _refresh_table(self, key: str, loader: Callable[[Any, str, int], Any], attr: str) -> None:
        self._refresh_source(key, lambda: self._delta(key)[1], lambda _d, label, v: loader(self._dts[key], label, v), attr)

    def _refresh_source(self, key: str, version_fn: Callable[[], Any], loader: Callable[[Any, str, Any], Any], attr: str) -> None:
        st = self.status[key]
        st.checked_at = time.time()
        try:
            version = version_fn()
            if version == st.version and getattr(self, attr) is not None:
                return
            t0 = time.perf_counter()
            snap = loader(None, st.what, version)
            setattr(self, attr, snap)
            _release_arrow_memory()
            st.version, st.loaded_at, st.error = version, time.time(), None
            st.reloads += 1
            log.info("loaded %s version %s in %.2f s", st.what, version, time.perf_counter() - t0)
            self._event(key, "loaded")
        except SourceMissing as e:
            setattr(self, attr, None)
            st.version, st.error = None, str(e)
            self._event(key, "missing")
        except Exception as e:  # noqa: BLE001 - keep serving the last good snapshot
            st.failures += 1
            st.error = f"loading failed ({type(e).__name__}; the server log has the details)"  # responses stay free of paths
            log.warning("could not load %s: %s: %s (still serving version %s)", st.what, type(e).__name__, e, st.version)
            self._event(key, "failed")

    def _exists(self, key: str) -> bool:
        from deltalake import DeltaTable

        return key in self._dts or DeltaTable.is_deltatable(self.uris[key], storage_options=self.storage_options or None)

    def _refresh_plans(self) -> None:
        """The two published tables when public_plans exists, else the one-row-per-task plan_disclosure."""
        t, allowed = self.settings.tables, self.settings.plan_fields
        if self._exists("public_plans"):

            def loader(_d, _label, version):
                dp, _ = self._delta("public_plans")
                dr = self._delta("public_results")[0] if self._exists("public_results") else None
                return load_public_plans(dp, dr, f"{t.public_plans} + {t.public_results}", version, allowed, self.dumps)

            def versions():
                vp = self._delta("public_plans")[1]
                vr = self._delta("public_results")[1] if self._exists("public_results") else -1
                return f"{vp}+{vr}"

            self._refresh_source("plans", versions, loader, "plans")
        else:

            def version():
                if not self._exists("plan_disclosure"):
                    raise SourceMissing(f"neither {t.public_plans} nor {t.plan_disclosure} exists yet; publish a plan first")
                return self._delta("plan_disclosure")[1]

            self._refresh_source(
                "plans",
                version,
                lambda _d, label, v: load_plans(self._delta("plan_disclosure")[0], t.plan_disclosure, v, allowed, self.dumps),
                "plans",
            )

    def _refresh_champion(self) -> None:
        st = self.status["champion"]
        st.checked_at = time.time()
        if self.mlflow_cfg is None:
            st.error = "no MLflow configuration"
            return
        try:
            if self._tracker is None:
                from pathlib import Path

                from ml.tracking import Tracker

                uri = self.mlflow_cfg.tracking_uri
                if uri.startswith("sqlite:///") and not Path(uri[len("sqlite:///") :]).exists():
                    # read-only consumer: never create an empty MLflow store
                    self.champion, st.version = None, None
                    st.error = "no MLflow store yet; run 'regulake run train' (or set risk.mlflow.tracking_uri)"
                    log.debug("no MLflow store at %s", uri)
                    self._event("champion", "missing")
                    return

                self._tracker = Tracker(self.mlflow_cfg)
            tr = self._tracker
            try:
                mv = tr.client.get_model_version_by_alias(self.mlflow_cfg.model_name, "champion")
                current = str(mv.version)
            except Exception:  # noqa: BLE001 - no model or no alias
                current = None
            if current is None:
                self.champion = None
                st.version, st.error = None, f"no 'champion' version of model '{self.mlflow_cfg.model_name}'; run 'regulake run train'"
                self._event("champion", "missing")
                return
            if current == st.version and self.champion is not None:
                return
            c = tr.champion()
            if c is None:
                raise SourceMissing("the champion alias vanished while loading")
            self.champion = ChampionSnapshot(c.name, str(c.version), list(c.factors), c.booster, metrics=c.metrics)
            st.version, st.loaded_at, st.error = str(c.version), time.time(), None
            st.reloads += 1
            log.info("loaded champion %s version %s (%d factors)", c.name, c.version, len(c.factors))
            self._event("champion", "loaded")
        except Exception as e:  # noqa: BLE001
            st.failures += 1
            st.error = f"loading failed ({type(e).__name__}; the server log has the details)"
            log.warning("could not load the champion: %s: %s (still serving version %s)", type(e).__name__, e, st.version)
            self._event("champion", "failed")

    def _event(self, source: str, outcome: str) -> None:
        if self.on_reload:
            try:
                self.on_reload(source, outcome)
            except Exception:  # noqa: BLE001
                pass

    def refresh(self) -> None:
        """Check every source once; load what changed."""
        s = self.settings
        with self._refresh_lock:
            self._refresh_table("risk_scores", load_scores, "scores")
            self._refresh_table("factor_catalog", load_factor_catalog, "factor_catalog")
            self._refresh_plans()
            self._refresh_table("hotwords", lambda d, t, v: load_hotwords(d, t, v, s.hotword_fields), "hotwords")
            self._refresh_champion()

    # -- background ---------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="regulake-api-reload", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.settings.reload_interval_s):
            try:
                self.refresh()
            except Exception:  # noqa: BLE001 - never let the reloader die
                log.exception("reload failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    @property
    def ready(self) -> bool:
        return self.scores is not None

    def describe(self) -> dict[str, Any]:
        attrs = {
            "risk_scores": "scores",
            "factor_catalog": "factor_catalog",
            "plans": "plans",
            "hotwords": "hotwords",
            "champion": "champion",
        }
        out = {}
        for key, st in self.status.items():
            d = {"source": st.what, "loaded": getattr(self, attrs[key]) is not None, "version": st.version}
            if st.error:
                d["error"] = st.error
            out[key] = d
        if self.scores is not None:
            out["risk_scores"].update(score_date=self.scores.score_date.isoformat(), entities=self.scores.entities)
        if self.champion is not None:
            out["champion"].update(factors=len(self.champion.factors))
        if self.hotwords is not None:
            out["hotwords"].update(period=self.hotwords.period)
        return out

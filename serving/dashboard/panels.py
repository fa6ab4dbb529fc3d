"""The panels' figures, from the in-memory snapshots of :mod:`serving.dashboard.state`.

Each function takes the state and the :class:`Filters` and returns a JSON-ready dict with a
``sources`` list naming every table and Delta version it read; a source that does not exist
yet comes back as ``{"table": ..., "version": null, "missing": "..."}`` and the page shows
"no data yet" for it — nothing is made up. Entity-level rows carry only the USCC, the
registered name, classes and figures.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import polars as pl

from lakehouse import intervals

PERIOD_RE = r"^\d{4}-(0[1-9]|1[0-2])$"
FREQUENCY_DAYS = {"daily": 1, "weekly": 7, "monthly": 31, "quarterly": 92, "yearly": 366}


@dataclass(frozen=True)
class Filters:
    period_from: str | None = None  # YYYY-MM, inclusive
    period_to: str | None = None  # YYYY-MM, inclusive
    district: str | None = None  # 6-digit district code
    industry: str | None = None  # GB/T 4754 section letter

    def key(self) -> tuple:
        return (self.period_from, self.period_to, self.district, self.industry)

    def month_in(self, month: str | None) -> bool:
        if month is None:
            return self.period_from is None and self.period_to is None
        return (self.period_from is None or month >= self.period_from) and (self.period_to is None or month <= self.period_to)

    def quarter_in(self, quarter: str | None) -> bool:
        """A 'YYYY-Qn' period overlaps the filter's months."""
        if not quarter or len(quarter) < 7 or quarter[5] != "Q":
            return self.month_in(None) or (self.period_from is None and self.period_to is None)
        y, q = quarter[:4], int(quarter[6])
        first, last = f"{y}-{3 * q - 2:02d}", f"{y}-{3 * q:02d}"
        return (self.period_to is None or first <= self.period_to) and (self.period_from is None or last >= self.period_from)


# -- reference names ----------------------------------------------------------------------


@lru_cache(maxsize=1)
def districts() -> dict[str, str]:
    from lakehouse.gold.clusters.address import division_names

    return {c: n for c, n in division_names().items() if len(c) == 6}


@lru_cache(maxsize=1)
def towns() -> dict[str, str]:
    from lakehouse.gold.clusters.address import division_names

    return {c: n for c, n in division_names().items() if len(c) == 9}


@lru_cache(maxsize=1)
def sections() -> dict[str, str]:
    from lakehouse.gold.complaints.source import section_names

    return dict(section_names())


@lru_cache(maxsize=1)
def _division_sections() -> dict[str, str]:
    from lakehouse.gold.complaints.source import division_sections

    return dict(division_sections())


@lru_cache(maxsize=1)
def status_names() -> dict[str, tuple[str, str]]:
    import csv

    from catalog.loader import DATA_DIR

    with open(DATA_DIR / "code_tables.csv", encoding="utf-8") as fh:
        return {r["code"]: (r["name_zh"], r["name_en"]) for r in csv.DictReader(fh) if r["domain"] == "registration_status"}


def section_of(code: str | None) -> str | None:
    code = (code or "").strip()
    if not code:
        return None
    if code[:1].isalpha():
        return code[:1].upper()
    return _division_sections().get(code[:2])


# -- derived frames, cached per snapshot version -------------------------------------------

_cache: dict[tuple, Any] = {}
_cache_lock = threading.Lock()


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def _memo(key: tuple, fn):
    with _cache_lock:
        if key in _cache:
            return _cache[key]
    value = fn()
    with _cache_lock:
        if len(_cache) > 512:
            _cache.clear()
        _cache[key] = value
    return value


def _src(state, key: str) -> dict[str, Any]:
    s = state.get(key)
    st = state.status[key]
    if s is None:
        return {"table": st.table, "version": None, "missing": st.error or f"{st.table} is not loaded yet"}
    d = {"table": s.table, "version": s.version}
    if s.note:
        d["note"] = s.note
    return d


def entities(state) -> pl.DataFrame | None:
    """gold.entity_profile's latest partition with industry section and establishment month."""
    s = state.get("entity_profile")
    if s is None:
        return None

    def build():
        f = s.frame
        secs = [section_of(c) for c in f.get_column("industry_code").to_list()] if "industry_code" in f.columns else [None] * f.height
        out = f.with_columns(pl.Series("industry_section", secs, dtype=pl.String))
        for date, month in (("establishment_date", "month"), ("deregistration_date", "dereg_month")):
            if date in f.columns:
                out = out.with_columns(pl.col(date).dt.strftime("%Y-%m").alias(month))
        return out

    return _memo(("entities", s.version), build)


def _per_month(e: pl.DataFrame, f: Filters, series: dict[str, str]) -> dict[str, list[dict]]:
    """Entities per month of each ``series`` name → month column, in the filter's period, else in the two
    years up to the latest month any of the series has."""
    have = {name: col for name, col in series.items() if col in e.columns}
    if f.period_from or f.period_to:
        keep = lambda col: pl.col(col).is_between(pl.lit(f.period_from or "0000-00"), pl.lit(f.period_to or "9999-99"))  # noqa: E731
    else:
        last = max((m for col in have.values() if (m := e.get_column(col).max())), default="0000-00")
        first = f"{int(last[:4]) - 2}-{last[5:7]}"
        keep = lambda col: pl.col(col) > first  # noqa: E731
    return {name: [{"month": c["key"], "count": c["count"]} for c in _counts(e.filter(keep(col)), col)] for name, col in have.items()}


def _where(df: pl.DataFrame, f: Filters, district="district_code", industry="industry_section") -> pl.DataFrame:
    if f.district and district in df.columns:
        df = df.filter(pl.col(district) == f.district)
    if f.industry and industry in df.columns:
        df = df.filter(pl.col(industry) == f.industry)
    return df


def _counts(df: pl.DataFrame, col: str, names: dict | None = None) -> list[dict]:
    if df.height == 0 or col not in df.columns:
        return []
    g = df.group_by(col).len().sort(col)
    return [{"key": k, "name": (names or {}).get(k, k), "count": int(n)} for k, n in g.iter_rows()]


def filter_options(state) -> dict[str, Any]:
    return {
        "districts": [{"code": c, "name": n} for c, n in sorted(districts().items())],
        "industries": [{"code": c, "name": n} for c, n in sorted(sections().items())],
    }


# -- the city at a glance ---------------------------------------------------------------------


def overview(state, f: Filters) -> dict[str, Any]:
    ent = entities(state)
    out: dict[str, Any] = {"sources": [_src(state, "entity_profile"), _src(state, "kpi")]}
    if ent is None:
        return out
    e = _where(ent, f)
    out["entities"] = e.height
    out["by_district"] = _counts(e, "district_code", districts())
    tn = towns()
    tree = []
    for d in out["by_district"]:
        sub = e.filter(pl.col("district_code") == d["key"])
        tree.append(
            {
                "name": d["name"],
                "code": d["key"],
                "value": d["count"],
                "children": [{"name": t["name"], "code": t["key"], "value": t["count"]} for t in _counts(sub, "town_code", tn)],
            }
        )
    out["treemap"] = tree
    sn = status_names()
    out["by_status"] = [
        {**c, "name": sn.get(c["key"], (c["key"], c["key"]))[0], "name_en": sn.get(c["key"], (c["key"], c["key"]))[1]}
        for c in _counts(e, "registration_status")
    ]
    out.update(_per_month(e, f, {"registered_per_month": "month", "deregistered_per_month": "dereg_month"}))
    if "abnormal_operations_count_365d" in e.columns:
        ab = e.filter(pl.col("abnormal_operations_count_365d") > 0)
        out["abnormal_listed_365d"] = ab.height
        out["abnormal_by_district"] = _counts(ab, "district_code", districts())
    return out


# -- risk ----------------------------------------------------------------------------------------


def _scored(state) -> tuple[pl.DataFrame | None, pl.DataFrame | None]:
    """(latest score date joined with the profile's district/industry, the previous date's or None)."""
    s = state.get("risk_scores")
    ent = entities(state)
    if s is None:
        return None, None

    def build():
        fr = s.frame
        dates = sorted(fr.get_column("score_date").unique().to_list())
        dims = ent.select("uscc", "entity_name", "district_code", "industry_section") if ent is not None else None

        def on(d):
            x = fr.filter(pl.col("score_date") == d)
            return x.join(dims, on="uscc", how="left") if dims is not None else x

        return on(dates[-1]), (on(dates[-2]) if len(dates) > 1 else None)

    ver = state.get("entity_profile").version if ent is not None else None
    return _memo(("scored", s.version, ver), build)


def wilson(k: int, n: int) -> tuple[float | None, float | None, float | None]:
    """Share and its 95% Wilson score interval (``None`` for no tasks done)."""
    if n <= 0:
        return None, None, None
    return (k / n, *intervals.wilson(k, n))


def risk(state, f: Filters, top: int = 20) -> dict[str, Any]:
    latest, prev = _scored(state)
    out: dict[str, Any] = {"sources": [_src(state, "risk_scores"), _src(state, "entity_profile"), _src(state, "factor_catalog")]}
    if latest is None:
        return out
    fc = state.get("factor_catalog")
    en = (
        dict(zip(fc.frame.get_column("factor").to_list(), fc.frame.get_column("description_en").to_list()))
        if fc is not None and "description_en" in fc.frame.columns
        else {}
    )
    cur = _where(latest, f)
    out["score_date"] = str(latest.get_column("score_date").max())
    out["scored"] = cur.height
    classes = ["A", "B", "C", "D"]
    out["classes"] = classes

    def by(col, names):
        rows = []
        if col not in cur.columns or cur.height == 0:
            return rows
        g = cur.group_by(col, "risk_class").len()
        keys = sorted(k for k in g.get_column(col).unique().to_list() if k is not None)
        for k in keys:
            sub = g.filter(pl.col(col) == k)
            counts = {c: int(n) for c, n in zip(sub.get_column("risk_class").to_list(), sub.get_column("len").to_list())}
            rows.append({"key": k, "name": names.get(k, k), **{c: counts.get(c, 0) for c in classes}})
        return rows

    out["by_district"] = by("district_code", districts())
    out["by_industry"] = by("industry_section", sections())
    out["class_counts"] = {c: int(cur.filter(pl.col("risk_class") == c).height) for c in classes}
    if "reasons" in cur.columns and cur.height:
        r = cur.select(pl.col("reasons")).explode("reasons").drop_nulls()
        if r.height:
            r = r.unnest("reasons")
            if "factor" in r.columns:
                desc = "description_zh" if "description_zh" in r.columns else "factor"
                g = (
                    r.group_by("factor")
                    .agg(pl.len().alias("count"), pl.col(desc).first().alias("description_zh"))
                    .sort(["count", "factor"], descending=[True, False])
                    .head(10)
                )
                out["top_reasons"] = [{**x, "description_en": en.get(x["factor"])} for x in g.to_dicts()]
    cols = [c for c in ("uscc", "entity_name", "risk_class", "probability", "district_code", "reasons") if c in cur.columns]
    hi = cur.sort(["probability", "uscc"], descending=[True, False]).head(top).select(cols).to_dicts()
    for h in hi:
        h["district_name"] = districts().get(h.get("district_code"), h.get("district_code"))
        rs = (h.get("reasons") or [])[:3]
        h["reasons"] = [x.get("description_zh") or x.get("factor") for x in rs]
        h["reasons_en"] = [en.get(x.get("factor")) or x.get("factor") for x in rs]
    out["top_entities"] = hi
    if prev is not None:
        p = _where(prev, f)
        out["previous_score_date"] = str(prev.get_column("score_date").max())
        out["previous_class_counts"] = {c: int(p.filter(pl.col("risk_class") == c).height) for c in classes}
        j = p.select("uscc", pl.col("risk_class").alias("before")).join(cur.select("uscc", pl.col("risk_class").alias("after")), on="uscc")
        out["moved_up"] = int(j.filter(pl.col("after") > pl.col("before")).height)
        out["moved_down"] = int(j.filter(pl.col("after") < pl.col("before")).height)
    else:
        out["previous_score_date"] = None
        out["movement_missing"] = "gold.risk_scores holds one score date; the movement shows after the next scoring"
    return out


# -- inspection plans ---------------------------------------------------------------------------


def plans(state, f: Filters) -> dict[str, Any]:
    tasks, res, pp = state.get("inspection_tasks"), state.get("public_results"), state.get("public_plans")
    out: dict[str, Any] = {"sources": [_src(state, "inspection_tasks"), _src(state, "public_results"), _src(state, "public_plans")]}
    if tasks is None:
        return out
    t = _where(tasks.frame, f)
    if res is not None and "inspection_result" in res.frame.columns:
        keys = [c for c in ("plan_id", "task_id", "uscc") if c in res.frame.columns and c in t.columns]
        r = res.frame.select(*keys, "inspection_result", *[c for c in ("inspection_date",) if c in res.frame.columns])
        if f.period_from or f.period_to:
            if "inspection_date" in r.columns:
                r = r.filter(pl.col("inspection_date").dt.strftime("%Y-%m").map_elements(f.month_in, return_dtype=pl.Boolean))
        t = t.join(r.unique(subset=keys, keep="first"), on=keys, how="left")
    else:
        t = t.with_columns(pl.lit(None, pl.String).alias("inspection_result"))
    t = t.with_columns(
        done=pl.col("inspection_result").is_not_null(),
        found=pl.col("inspection_result").is_not_null() & (pl.col("inspection_result") != "1"),
    )
    names = {}
    if pp is not None and "plan_name" in pp.frame.columns:
        names = dict(zip(pp.frame.get_column("plan_id").to_list(), pp.frame.get_column("plan_name").to_list()))
    rows = []
    for pid in sorted(t.get_column("plan_id").unique().to_list()):
        sub = t.filter(pl.col("plan_id") == pid)
        rows.append(
            {
                "plan_id": pid,
                "plan_name": names.get(pid),
                "tasks": sub.height,
                "done": int(sub.get_column("done").sum()),
                "violations": int(sub.get_column("found").sum()),
            }
        )
    out["plans"] = rows
    shares = {}
    for share in sorted(x for x in t.get_column("share").unique().to_list() if x is not None) if "share" in t.columns else []:
        sub = t.filter((pl.col("share") == share) & pl.col("done"))
        n, k = sub.height, int(sub.get_column("found").sum())
        p, lo, hi = wilson(k, n)
        shares[share] = {
            "tasks": int(t.filter(pl.col("share") == share).height),
            "done": n,
            "violations": k,
            "hit_rate": p,
            "ci_low": lo,
            "ci_high": hi,
        }
    out["shares"] = shares
    tg, rd = shares.get("targeted"), shares.get("random")
    if tg and rd and tg["hit_rate"] is not None and rd["hit_rate"] is not None:
        # law-abiding entities a random draw of the targeted share's size would have visited, minus those the targeted draw visited
        out["law_abiding_spared"] = round(tg["done"] * (tg["hit_rate"] - rd["hit_rate"]), 1)
        out["law_abiding_reduction"] = (1 - (1 - tg["hit_rate"]) / (1 - rd["hit_rate"])) if rd["hit_rate"] < 1 else None
    return out


# -- complaints -----------------------------------------------------------------------------------


def _scope_rows(df: pl.DataFrame, f: Filters) -> tuple[pl.DataFrame, str]:
    if "scope" in df.columns:
        scope = "district_industry" if f.district and f.industry else "district" if f.district else "industry" if f.industry else "city"
        have = set(df.get_column("scope").unique().to_list())
        if scope not in have and scope == "industry":
            scope = "city"
        df = df.filter(pl.col("scope") == scope)
        if scope in ("district", "district_industry"):
            df = df.filter(pl.col("district_code") == f.district)
        if scope in ("industry", "district_industry"):
            df = df.filter(pl.col("industry_section") == f.industry)
        return df, scope
    return _where(df, f), "filtered"


def complaints(state, f: Filters, top: int = 60) -> dict[str, Any]:
    out: dict[str, Any] = {"sources": [_src(state, "hot_words"), _src(state, "rising_words"), _src(state, "hotspots")]}
    hw = state.get("hot_words")
    if hw is not None:
        d, scope = _scope_rows(hw.frame, f)
        periods = sorted(p for p in d.get_column("period").unique().to_list() if p and f.quarter_in(p))
        out["scope"] = scope
        if periods:
            out["period"] = periods[-1]
            w = d.filter(pl.col("period") == periods[-1]).sort("rank").head(top)
            out["hot_words"] = w.select([c for c in ("rank", "word", "count", "complaints", "keyness") if c in w.columns]).to_dicts()
        else:
            out["hot_words"] = []
    rw = state.get("rising_words")
    if rw is not None:
        d, _ = _scope_rows(rw.frame, f)
        periods = sorted(p for p in d.get_column("period").unique().to_list() if p and f.quarter_in(p))
        if periods:
            w = d.filter(pl.col("period") == periods[-1]).sort("rank").head(20)
            out["rising_period"] = periods[-1]
            out["rising_words"] = w.select(
                [c for c in ("rank", "word", "count", "previous_count", "ratio", "is_new") if c in w.columns]
            ).to_dicts()
        else:
            out["rising_words"] = []
    hs = state.get("hotspots")
    if hs is not None:
        d = _where(hs.frame, f)
        d = d.filter(pl.col("period").map_elements(f.quarter_in, return_dtype=pl.Boolean)) if d.height else d
        series = d.group_by("period").agg(pl.col("complaints").sum()).sort("period")
        out["over_time"] = [{"period": p, "complaints": int(c)} for p, c in series.iter_rows()]
        if d.height:
            last = d.get_column("period").max()
            h = d.filter((pl.col("period") == last) & pl.col("hotspot")).sort("z", descending=True).head(15)
            out["hotspot_period"] = last
            out["hotspots"] = h.select(
                [
                    c
                    for c in (
                        "district_code",
                        "district_name",
                        "industry_section",
                        "industry_name",
                        "complaints",
                        "entities",
                        "rate",
                        "ratio",
                        "z",
                    )
                    if c in h.columns
                ]
            ).to_dicts()
        else:
            out["hotspots"] = []
    return out


# -- registration clusters -------------------------------------------------------------------------


def clusters(state, f: Filters, top: int = 10) -> dict[str, Any]:
    out: dict[str, Any] = {"sources": [_src(state, "alerts"), _src(state, "clusters")]}
    a = state.get("alerts")
    if a is None:
        return out
    df = _where(a.frame, f)
    if f.industry and "industry_section" not in df.columns:
        out["industry_filter"] = "gold.registration_alerts has no industry column; the industry filter does not apply here"
    order = [c for c in ("as_of", "last_date", "score") if c in df.columns]
    if order:
        df = df.sort(order, descending=True)
    key = "cluster_id" if "cluster_id" in df.columns else None
    alerts = df.head(top).to_dicts()
    for al in alerts:
        al["town_name"] = towns().get(al.get("town_code"), al.get("town_code"))
        al["district_name"] = districts().get(al.get("district_code"), al.get("district_code"))
    members = state.get("clusters")
    if members is not None and key and key in members.frame.columns:
        mf = members.frame
        mcols = [
            c for c in ("uscc", "entity_name", "establishment_date", "industry_code", "registered_capital", "score") if c in mf.columns
        ]
        for al in alerts:
            al["members"] = mf.filter(pl.col(key) == al[key]).select(mcols).head(30).to_dicts()
    out["alerts"] = alerts
    out["count"] = df.height
    return out


# -- data governance --------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _catalogs() -> dict[str, Any]:
    from catalog import load_catalog

    return dict(load_catalog().catalogs)


@lru_cache(maxsize=1)
def _departments() -> dict[str, str]:
    import csv

    from catalog.loader import DATA_DIR

    with open(DATA_DIR / "departments.csv", encoding="utf-8") as fh:
        return {r["code"]: r["name_zh"] for r in csv.DictReader(fh)}


def governance(state, f: Filters) -> dict[str, Any]:
    out: dict[str, Any] = {
        "sources": [_src(state, "landing_files"), _src(state, "quality"), _src(state, "kpi")],
        "filters_applied": "period (delivery date); departments and catalogs are not split by district or industry",
    }
    lf, q = state.get("landing_files"), state.get("quality")
    if lf is None:
        return out
    files = lf.frame
    if f.period_from or f.period_to:
        files = files.filter(pl.col("batch_date").dt.strftime("%Y-%m").map_elements(f.month_in, return_dtype=pl.Boolean))
    newest = lf.frame.get_column("batch_date").max()
    ing = files.filter(pl.col("status") == "ingest") if "status" in files.columns else files
    g = ing.group_by("department", "catalog").agg(
        pl.col("manifest_rows").sum().alias("delivered"), pl.len().alias("files"), pl.col("batch_date").max().alias("last_delivery")
    )
    rej = {}
    if q is not None:
        qq = q.frame.filter(pl.col("rule").is_null())
        if f.period_from or f.period_to:
            batches = set(files.get_column("ingest_batch").unique().to_list())
            qq = qq.filter(pl.col("ingest_batch").is_in(list(batches)))
        agg = qq.group_by("catalog", "metric").agg(pl.col("count").sum())
        for c, m, n in agg.iter_rows():
            rej.setdefault(c, {})[m] = int(n)
    cats = _catalogs()
    deps = _departments()
    rows = []
    for dep, cat, delivered, nfiles, last in g.sort(["department", "catalog"]).iter_rows():
        qc = rej.get(cat, {})
        days = (newest - last).days if newest and last else None
        c = cats.get(cat)
        freq = str(getattr(c.frequency, "value", c.frequency)) if c else None
        late = days is not None and freq in FREQUENCY_DAYS and days > FREQUENCY_DAYS[freq]
        rows.append(
            {
                "department": dep,
                "department_name": deps.get(dep, dep),
                "catalog": cat,
                "catalog_name": c.name_zh if c else None,
                "catalog_name_en": c.name_en if c else None,
                "frequency": freq,
                "files": int(nfiles),
                "delivered": int(delivered or 0),
                "rows_in": qc.get("rows_in"),
                "rejected": qc.get("rows_rejected"),
                "pass_rate": (1 - (qc.get("rows_rejected") or 0) / qc["rows_in"]) if qc.get("rows_in") else None,
                "last_delivery": str(last) if last else None,
                "days_since": days,
                "late": late,
            }
        )
    out["as_of"] = str(newest) if newest else None
    out["catalogs"] = rows
    by_dep: dict[str, dict] = {}
    for r in rows:
        d = by_dep.setdefault(
            r["department"],
            {
                "department": r["department"],
                "department_name": r["department_name"],
                "catalogs": 0,
                "delivered": 0,
                "rows_in": 0,
                "rejected": 0,
                "late": 0,
            },
        )
        d["catalogs"] += 1
        d["delivered"] += r["delivered"]
        d["rows_in"] += r["rows_in"] or 0
        d["rejected"] += r["rejected"] or 0
        d["late"] += int(r["late"])
    for d in by_dep.values():
        d["pass_rate"] = (1 - d["rejected"] / d["rows_in"]) if d["rows_in"] else None
    out["departments"] = sorted(by_dep.values(), key=lambda d: d["department"])
    out["late_catalogs"] = sum(int(r["late"]) for r in rows)
    return out


PANELS = {"overview": overview, "risk": risk, "plans": plans, "complaints": complaints, "clusters": clusters, "governance": governance}


def panel(state, name: str, f: Filters) -> dict[str, Any]:
    gen = state.generation
    return _memo(("panel", name, gen, f.key()), lambda: {"panel": name, "filters": f.__dict__, **PANELS[name](state, f)})


def today() -> str:
    return dt.date.today().isoformat()

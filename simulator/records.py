"""Records of every catalog, generated column by column from the city and the standards.

A *plan* says which entity each record is about (and, for series, which month, year or
shareholder); a *column* is then generated per field: entity-bound standards (USCC, name,
address, industry...) are taken from the city, the planted catalogs' fields follow the
planted truth, and every other field is drawn from its standard (code table, pattern, range),
so every clean value validates against its standard.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from catalog.catalogs import Catalog, CatalogField, Registry
from catalog.standards import Standard
from simulator.entities import City, propensity_at, year_day

HISTORY_MONTHS = 24
NONCASH_METHODS = np.array(["2", "3", "4", "5", "6", "9"])
NONCASH_WEIGHTS = np.array([0.35, 0.3, 0.05, 0.15, 0.1, 0.05])
SCOPE_BY_SECTION = {
    "C": "生产、加工、销售：{x}；货物进出口、技术进出口。（依法须经批准的项目，经相关部门批准后方可开展经营活动）",
    "F": "销售：{x}、日用百货、五金交电、建筑材料；货物进出口。（依法须经批准的项目，经相关部门批准后方可开展经营活动）",
    "H": "餐饮服务；食品销售；{x}。（依法须经批准的项目，经相关部门批准后方可开展经营活动）",
    "_": "{x}；企业管理咨询；信息咨询服务。（依法须经批准的项目，经相关部门批准后方可开展经营活动）",
}
SCOPE_WORDS = ["家具", "陶瓷制品", "金属制品", "塑料制品", "家用电器", "服装", "食品", "电子产品", "机械设备", "照明器具", "技术服务"]


@dataclass
class Batch:
    """Where a chunk of records sits: which batch (0 = history load), which day."""

    index: int
    date: np.datetime64
    history: bool


Plan = dict  # "ent" (entity numbers) plus optional "period", "year", "k", "mode", ...


def _repeat(block: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    counts = counts.astype(np.int64)
    ent = np.repeat(block, counts)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    k = np.arange(len(ent)) - starts
    return ent, k


def _months_since(city: City, ent: np.ndarray) -> np.ndarray:
    """Whole months an entity has existed before the history ends (capped at the series length)."""
    return np.minimum(HISTORY_MONTHS, (city["age_days"][ent] // 30).astype(np.int64))


# ---------------------------------------------------------------------------
# plans of the catalogs whose records follow the planted truth (history load)


def _plan_registration(city, block, rng):
    return {"ent": block}


def _plan_shareholders(city, block, rng):
    comp = block[~city["individual"][block]]
    et = city.text["etype"].take(pa.array(comp)).to_numpy(zero_copy_only=False)
    n_sh = np.where(np.isin(et, ["1151", "4000"]), 1, np.minimum(6, 1 + rng.poisson(0.8, len(comp))))
    ent, k = _repeat(comp, n_sh)
    weights = rng.random(len(ent)) + 0.2
    totals = np.repeat(np.add.reduceat(weights, np.cumsum(n_sh) - n_sh) if len(ent) else np.zeros(0), n_sh)
    share = np.round(100 * weights / totals, 4) if len(ent) else weights
    method = np.full(len(ent), "1", dtype="U1")
    nc = city["noncash"][ent] & ((k == 0) | (rng.random(len(ent)) < 0.5))
    method[nc] = NONCASH_METHODS[rng.choice(len(NONCASH_METHODS), nc.sum(), p=NONCASH_WEIGHTS)]
    stype = np.where(k == 0, "1", rng.choice(["1", "2", "4"], len(ent), p=[0.8, 0.18, 0.02]))
    return {"ent": ent, "k": k, "share": share, "method": method, "stype": stype}


def _plan_annual_reports(city, block, rng):
    y0 = int(str(city.start)[:4])
    years = np.array([y0 - 4, y0 - 3, y0 - 2])
    est_year = city["establishment"][block].astype("datetime64[Y]").astype(int) + 1970
    ents, yrs = [], []
    for j, y in enumerate(years):
        ok = est_year[:] <= y
        if j == len(years) - 1:
            ok &= ~city["missing_ar"][block]
        else:
            ok &= ~(city["missing_ar"][block] & (rng.random(len(block)) < 0.4))
        ents.append(block[ok])
        yrs.append(np.full(ok.sum(), y))
    ent = np.concatenate(ents)
    order = np.argsort(ent, kind="stable")
    return {"ent": ent[order], "year": np.concatenate(yrs)[order]}


def _plan_changes(city, block, rng):
    ent, k = _repeat(block, city["changes"][block])
    return {"ent": ent, "k": k}


def _plan_inspections(city, block, rng):
    y0 = int(str(city.start)[:4])
    est_year = city["establishment"][block].astype("datetime64[Y]").astype(int) + 1970
    ents, yrs, modes, found = [], [], [], []
    for y in (y0 - 3, y0 - 2, y0 - 1):
        # double-random draws: uniform over entities existing that year, so the labels are unbiased
        drawn = block[(est_year <= y) & (rng.random(len(block)) < 0.05)]
        ents.append(drawn)
        yrs.append(np.full(len(drawn), y))
        modes.append(np.full(len(drawn), "1"))
        # found with the propensity of the entity as it was that year (age, licence expiry then)
        found.append(rng.random(len(drawn)) < propensity_at(city, drawn, year_day(y)))
        # targeted checks follow complaints and suspicion, and hit far more often
        t = block[(est_year <= y) & (rng.random(len(block)) < 0.01 * (1 + np.minimum(city["complaints"][block], 5)))]
        ents.append(t)
        yrs.append(np.full(len(t), y))
        modes.append(np.where(city["complaints"][t] > 0, "3", "2"))
        found.append(rng.random(len(t)) < np.minimum(1.0, 2.5 * propensity_at(city, t, year_day(y))))
    ent = np.concatenate(ents)
    return {"ent": ent, "year": np.concatenate(yrs), "mode": np.concatenate(modes), "found": np.concatenate(found)}


def _plan_count(column: str):
    def plan(city, block, rng):
        ent, k = _repeat(block, city[column][block])
        return {"ent": ent, "k": k}

    return plan


def _plan_abnormal(city, block, rng):
    listed = city["missing_ar"][block] | (city["shell"][block] & (rng.random(len(block)) < 0.7))
    ent = block[listed]
    reason = np.where(city["missing_ar"][ent], "1", "4")
    return {"ent": ent, "reason": reason}


def _plan_serious(city, block, rng):
    m = (city["shell"][block] & city["missing_ar"][block] & (rng.random(len(block)) < 0.4)) | (
        (city["penalties"][block] >= 2) & (rng.random(len(block)) < 0.1)
    )
    return {"ent": block[m]}


def _plan_licences(city, block, rng):
    ent, k = _repeat(block, city["has_licence"][block] * (1 + (rng.random(len(block)) < 0.2)))
    return {"ent": ent, "k": k}


def _plan_monthly(active: Callable[[City, np.ndarray], np.ndarray], per_month: Callable[[City, np.ndarray], np.ndarray]):
    def plan(city, block, rng):
        b = block[active(city, block)]
        months = _months_since(city, b)
        ent, k = _repeat(b, months)
        period = HISTORY_MONTHS - months[np.searchsorted(b, ent)] + k  # 0 = oldest month of the series
        reps = per_month(city, ent)
        ent2, sub = _repeat(ent, reps)
        idx = np.repeat(np.arange(len(ent)), reps)
        return {"ent": ent2, "period": period[idx], "sub": sub}

    return plan


PLANS: dict[str, tuple[Callable, float]] = {
    # catalog -> (plan, expected records per entity, for sizing entity blocks)
    "SCJG-001": (_plan_registration, 1.0),
    "SCJG-002": (_plan_shareholders, 0.8),
    "SCJG-003": (_plan_annual_reports, 2.5),
    "SCJG-004": (_plan_changes, 1.2),
    "SCJG-005": (_plan_inspections, 0.3),
    "SCJG-006": (_plan_count("penalties"), 0.1),
    "SCJG-007": (_plan_abnormal, 0.2),
    "SCJG-008": (_plan_count("complaints"), 0.4),
    "SCJG-009": (_plan_licences, 0.4),
    "SCJG-010": (_plan_serious, 0.02),
    "SWJ-001": (_plan_monthly(lambda c, b: ~c["no_tax"][b], lambda c, e: np.where(c["individual"][e], 1, 2)), 30.0),
    "SBJ-001": (
        _plan_monthly(lambda c, b: ~c["no_si"][b] & (c["employees"][b] > 0), lambda c, e: np.where(c["individual"][e], 1, 2)),
        20.0,
    ),
    # utility accounts: a fixed hash of the entity number decides who has one, so every chunk
    # and batch agrees without drawing from a random stream
    "GDFS-001": (
        _plan_monthly(lambda c, b: (b * 2654435761 % 100) < np.where(c["shell"][b], 10, 62), lambda c, e: np.ones(len(e), dtype=np.int64)),
        15.0,
    ),
    "FSSW-001": (
        _plan_monthly(lambda c, b: (b * 40503 % 100) < np.where(c["shell"][b], 10, 58), lambda c, e: np.ones(len(e), dtype=np.int64)),
        14.0,
    ),
    "ZJFY-001": (_plan_count("court_cases"), 0.2),
}


# ---------------------------------------------------------------------------
# columns


def _fmt_amount(x: np.ndarray, scale: int) -> pa.Array:
    """Decimal text with at most ``scale`` decimals (no exponent, no float noise)."""
    cents = np.round(x * 10**scale).astype(np.int64)
    whole = cents // 10**scale
    frac = cents % 10**scale
    if scale == 0:
        return pa.array(whole.astype(str))
    w = pa.array(whole).cast(pa.string())
    f = pc.utf8_lpad(pa.array(frac).cast(pa.string()), scale, "0")
    return pc.binary_join_element_wise(w, pa.scalar("."), f, "")


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array(days.astype("datetime64[D]")).cast(pa.string())


def _datetimes(seconds: np.ndarray) -> pa.Array:
    ts = pa.array(seconds.astype("datetime64[s]"))
    return pc.strftime(ts, format="%Y-%m-%d %H:%M:%S")


def _digits(n: int, width: int, rng) -> pa.Array:
    return pc.utf8_lpad(pa.array(rng.integers(0, 10**width, n)).cast(pa.string()), width, "0")


def _with_nulls(arr: pa.Array, mask) -> pa.Array:
    mask = np.broadcast_to(np.asarray(mask, dtype=bool), (len(arr),))
    if not mask.any():
        return arr
    return pc.if_else(pa.array(mask), pa.nulls(len(arr), pa.string()), arr)


_PATTERN_TOKEN = re.compile(r"\\d\{(\d+)\}|\(19\|20\)\\d\{2\}\(0\[1-9\]\|1\[0-2\]\)|([A-Za-z\-]+)")


class ColumnMaker:
    """Makes the columns of one catalog's records."""

    def __init__(self, city: City, registry: Registry, catalog: Catalog, complaints, seed: int):
        self.city = city
        self.reg = registry
        self.cat = catalog
        self.complaints = complaints
        self.dept = registry.departments[catalog.department]
        self.prefix = "".join(ch for ch in catalog.department if ch.isalpha())[:7] or "X"
        self._text_pools: dict[str, pa.Array] = {}
        self._pattern_cache: dict[str, list] = {}
        self.seed = seed

    # -- helpers --------------------------------------------------------------
    def ent_text(self, key: str, ent: np.ndarray) -> pa.Array:
        return self.city.text[key].take(pa.array(ent))

    def person(self, key: str, idx: np.ndarray) -> pa.Array:
        return self.city.persons[key].take(pa.array(idx))

    def window(self, batch: Batch, ent: np.ndarray, rng, years: float = 3.0) -> np.ndarray:
        """Day numbers of events: in the history (after establishment), or for an increment the
        day before its delivery (departments export each night what changed that day)."""
        end = (batch.date - np.timedelta64(1, "D")).astype("datetime64[D]").astype(np.int64)
        if not batch.history:
            return np.full(len(ent), end)
        est = self.city["establishment"][ent].astype("datetime64[D]").astype(np.int64)
        lo = np.maximum(est, end - int(years * 365))
        return lo + (rng.random(len(ent)) * (end - lo + 1)).astype(np.int64)

    def update_time(self, batch: Batch, n: int, rng) -> pa.Array:
        day = batch.date.astype("datetime64[D]").astype(np.int64)
        if batch.history:
            days = day - rng.integers(1, 3 * 365, n)
        else:
            days = np.full(n, day - 1)
        return _datetimes(days * 86400 + rng.integers(8 * 3600, 20 * 3600, n))

    def months(self, plan: Plan, batch: Batch, n: int) -> np.ndarray:
        """Month numbers (months since 1970) of series records."""
        start_month = batch.date.astype("datetime64[M]").astype(np.int64)
        if "period" in plan:
            first = self.city.start.astype("datetime64[M]").astype(np.int64) - HISTORY_MONTHS
            return first + plan["period"]
        return np.full(n, start_month - 1)

    # -- generic by standard ----------------------------------------------------
    def generic(self, std: Standard, n: int, ent: np.ndarray, batch: Batch, rng) -> pa.Array:
        v = std.validator
        if v == "uscc":
            return self.ent_text("uscc", rng.integers(0, self.city.n_history, n))
        if v == "resident_id":
            return self.person("id", rng.integers(0, len(self.city.persons["id"]), n))
        if v == "phone":
            return self.person("phone", rng.integers(0, len(self.city.persons["phone"]), n))
        if v == "code_table":
            dom = std.domain
            if dom in ("foshan_district", "foshan_town", "foshan_village", "gbt4754_class"):
                key = {
                    "foshan_district": "district_code",
                    "foshan_town": "town_code",
                    "foshan_village": "village_code",
                    "gbt4754_class": "industry",
                }[dom]
                return self.ent_text(key, ent)
            codes = self.reg.codes(dom)
            return pa.array(codes).take(pa.array(rng.integers(0, len(codes), n)))
        if v == "pattern":
            return self.pattern_values(std.pattern or "", n, batch, rng)
        if v == "text":
            if std.pii_class == "person_name" or (std.pattern and "u3400" in std.pattern):
                return self.person("name", rng.integers(0, len(self.city.persons["name"]), n))
            if std.pii_class == "address":
                return self.ent_text("address", rng.integers(0, self.city.n_history, n))
            pool = self._text_pool(std, rng)
            return pool.take(pa.array(rng.integers(0, len(pool), n)))
        if v == "integer":
            lo = int(std.min_value if std.min_value is not None else 0)
            hi = int(std.max_value if std.max_value is not None else 10**6)
            if lo >= 1900 and hi <= 2100:  # a year
                y0 = int(str(batch.date)[:4])
                return pa.array(rng.integers(y0 - 5, y0, n)).cast(pa.string())
            x = np.minimum(hi, lo + rng.geometric(0.05, n) - 1)
            return pa.array(x).cast(pa.string())
        if v == "decimal":
            lo = std.min_value if std.min_value is not None else 0.0
            hi = std.max_value if std.max_value is not None else 1e9
            if hi <= 100:
                x = lo + rng.random(n) * (hi - lo)
            else:
                x = np.clip(rng.lognormal(np.log(max(1.0, min(hi / 1000, 5000.0))), 1.2, n), lo, hi)
            return _fmt_amount(x, std.scale or 0)
        if v == "date":
            return _dates(self.window(batch, ent, rng))
        return self.update_time(batch, n, rng)

    def _text_pool(self, std: Standard, rng) -> pa.Array:
        pool = self._text_pools.get(std.id)
        if pool is None:
            base = std.name_zh
            phrases = [
                "已按规定办理",
                "材料齐全，予以受理",
                "经核查情况属实",
                "已完成整改",
                "按期复查合格",
                "待补正材料",
                "依法予以登记",
                "现场核查无异常",
                "已告知相关权利义务",
                "符合相关规定",
            ]
            items = [f"{self.dept.name_zh}：{base}{p}" for p in phrases]
            if std.length is not None:
                items = [s[: std.length] for s in items]
            pool = pa.array(items)
            self._text_pools[std.id] = pool
        return pool

    def pattern_values(self, pattern: str, n: int, batch: Batch, rng) -> pa.Array:
        tokens = self._pattern_cache.get(pattern)
        if tokens is None:
            body = pattern.lstrip("^").rstrip("$")
            tokens = []
            pos = 0
            for m in _PATTERN_TOKEN.finditer(body):
                if m.start() != pos:
                    raise ValueError(f"simulator cannot generate values for pattern {pattern!r}")
                if m.group(1):
                    tokens.append(("d", int(m.group(1))))
                elif m.group(2):
                    tokens.append(("lit", m.group(2)))
                else:
                    tokens.append(("month", 0))
                pos = m.end()
            if pos != len(body):
                raise ValueError(f"simulator cannot generate values for pattern {pattern!r}")
            self._pattern_cache[pattern] = tokens
        parts = []
        for kind, arg in tokens:
            if kind == "d":
                parts.append(_digits(n, arg, rng))
            elif kind == "lit":
                parts.append(pa.scalar(arg))
            else:
                m = batch.date.astype("datetime64[M]").astype(np.int64) - rng.integers(1, 36, n)
                parts.append(pc.strftime(pa.array(m.astype("datetime64[M]").astype("datetime64[s]")), format="%Y%m"))
        if len(parts) == 1:
            return parts[0] if isinstance(parts[0], pa.Array) else pa.array([parts[0].as_py()] * n)
        return pc.binary_join_element_wise(*parts, "")

    # -- one chunk of records -----------------------------------------------------
    def columns(self, plan: Plan, batch: Batch, chunk: int, rng) -> dict[str, pa.Array]:
        ent = plan["ent"]
        n = len(ent)
        out: dict[str, pa.Array] = {}
        # record numbers: batch in the top digits, then chunk, then row (14 digits in all)
        self._row_base = batch.index * 100_000_000_000 + chunk * 1_000_000
        self._short_base = batch.index * 3_000_000 + chunk * 250_000
        for f in self.cat.fields:
            std = self.reg.standards[f.standard]
            out[f.name] = self.column(f, std, plan, batch, rng)
            if len(out[f.name]) != n:
                raise AssertionError(f"{self.cat.code}.{f.name}: {len(out[f.name])} values for {n} rows")
        if batch.history and "update_time" in out:
            out["update_time"] = self._update_after_events(out, plan, batch, n, rng)
        return out

    def _update_after_events(self, out: dict[str, pa.Array], plan: Plan, batch: Batch, n: int, rng) -> pa.Array:
        """A record is last updated after its latest event (and before the export)."""
        end = (batch.date - np.timedelta64(1, "D")).astype("datetime64[D]").astype(np.int64)
        latest = np.full(n, end - 3 * 365, dtype=np.int64)
        if "period" in plan:  # monthly series: after the month it is about
            month_end = (self.months(plan, batch, n) + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
            latest = np.maximum(latest, np.minimum(month_end, end))
        for f in self.cat.fields:
            if self.reg.standards[f.standard].validator in ("date",) and f.name != "expiry_date":
                d = pc.strptime(out[f.name], format="%Y-%m-%d", unit="s", error_is_null=True)
                days = pc.fill_null(pc.cast(d, pa.int64()), 0).to_numpy() // 86400
                latest = np.maximum(latest, np.minimum(days, end))
        day = latest + (rng.random(n) * (end - latest + 1)).astype(np.int64)
        return _datetimes(day * 86400 + rng.integers(8 * 3600, 20 * 3600, n))

    def column(self, f: CatalogField, std: Standard, plan: Plan, batch: Batch, rng) -> pa.Array:
        city, ent = self.city, plan["ent"]
        n = len(ent)
        code, name, sid = self.cat.code, f.name, std.id
        # record numbers: unique per catalog across chunks and batches
        if sid == "core.record_id":
            seq = pc.utf8_lpad(pa.array(self._row_base + np.arange(n)).cast(pa.string()), 14, "0")
            return pc.binary_join_element_wise(pa.scalar(self.prefix), seq, "")
        if sid == "core.uscc" and name == "shareholder_uscc":
            st = plan.get("stype", np.full(n, "1"))
            other = self.ent_text("uscc", rng.integers(0, city.n_history, n))
            return _with_nulls(other, ~np.isin(st, ["2"]))
        if sid == "core.uscc":
            return self.ent_text("uscc", ent)
        if sid == "core.entity_name":
            return self.ent_text("name", ent)
        if sid == "core.enterprise_type":
            return self.ent_text("etype", ent)
        if sid == "core.legal_rep_name":
            return self.person("name", city["rep"][ent])
        if sid == "core.resident_id" and name == "legal_rep_id":
            return self.person("id", city["rep"][ent])
        if sid == "core.resident_id" and name == "shareholder_id":
            st = plan.get("stype", np.full(n, "1"))
            k = plan.get("k", np.zeros(n, dtype=np.int64))
            pid = np.where(k == 0, city["rep"][ent], rng.integers(0, len(city.persons["id"]), n))
            return _with_nulls(self.person("id", pid), st != "1")
        if sid == "core.shareholder_name":
            st = plan.get("stype", np.full(n, "1"))
            k = plan.get("k", np.zeros(n, dtype=np.int64))
            person = self.person("name", np.where(k == 0, city["rep"][ent], rng.integers(0, len(city.persons["name"]), n)))
            company = self.ent_text("name", rng.integers(0, city.n_history, n))
            return pc.if_else(pa.array(st == "1"), person, company)
        if sid == "core.shareholder_type":
            return pa.array(plan.get("stype", np.full(n, "1")))
        if sid == "core.contribution_method":
            return pa.array(plan.get("method", np.where(city["noncash"][ent], "2", "1")))
        if sid == "core.ratio_percent":
            return _fmt_amount(plan.get("share", np.full(n, 100.0)), 4)
        if sid == "core.mobile" and code == "SCJG-001":
            return _with_nulls(self.person("phone", city["rep"][ent]), rng.random(n) < 0.05)
        if sid in ("core.registered_capital",):
            return _fmt_amount(city["capital"][ent], 4)
        if sid == "core.paid_in_capital":
            return _fmt_amount(city["capital"][ent] * city["paid_ratio"][ent], 4)
        if sid == "core.amount_wan":
            sub = city["capital"][ent] * plan.get("share", np.full(n, 100.0)) / 100
            return _fmt_amount(sub * (city["paid_ratio"][ent] if name == "paid_amount" else 1.0), 4)
        if sid == "core.currency":
            return self.ent_text("currency", ent)
        if sid == "core.establishment_date":
            return self.ent_text("establishment", ent)
        if sid == "core.registration_status":
            return self.ent_text("status", ent)
        if sid == "core.industry_code":
            return self.ent_text("industry", ent)
        if sid == "core.district_code":
            return self.ent_text("district_code", ent)
        if sid == "core.town_code":
            return self.ent_text("town_code", ent)
        if sid == "core.village_code":
            return self.ent_text("village_code", ent)
        if sid == "core.address":
            return self.ent_text("address", ent)
        if sid == "core.business_scope":
            sec = self.ent_text("section", ent).to_numpy(zero_copy_only=False)
            words = np.array(SCOPE_WORDS)[rng.integers(0, len(SCOPE_WORDS), n)]
            out = np.empty(n, dtype=object)
            for s in np.unique(sec):
                m = sec == s
                tpl = SCOPE_BY_SECTION.get(s, SCOPE_BY_SECTION["_"])
                out[m] = [tpl.format(x=w) for w in words[m]]
            return pa.array(out, type=pa.string())
        if sid == "core.authority_name":
            if self.cat.department == "SCJG":
                d = self.city.places.district_names[city["district_idx"][ent]]
                return pa.array(np.char.add(np.char.add("佛山市", d), "市场监督管理局"))
            return pa.array([self.dept.name_zh] * n)
        if sid == "core.update_time":
            return self.update_time(batch, n, rng)
        if sid == "core.period_month":
            m = self.months(plan, batch, n)
            return pc.strftime(pa.array(m.astype("datetime64[M]").astype("datetime64[s]")), format="%Y%m")
        if sid == "core.year":
            y = plan.get("year", np.full(n, int(str(batch.date)[:4]) - 1))
            return pa.array(y).cast(pa.string())
        if sid == "core.count":
            base = city["employees"][ent].astype(np.int64)
            return pa.array(np.maximum(0, base + rng.integers(-1, 2, n)) if name == "employees" else np.maximum(1, base)).cast(pa.string())
        if sid == "core.inspection_mode":
            return pa.array(plan.get("mode", np.full(n, "1")))
        if sid == "core.inspection_result":
            found = plan.get("found", rng.random(n) < city["propensity"][ent])
            bad = np.where(city["shell"][ent], "4", rng.choice(["2", "3", "5", "6", "7"], n, p=[0.55, 0.15, 0.05, 0.15, 0.1]))
            return pa.array(np.where(found, bad, "1"))
        if sid == "core.inspection_item":
            return pa.array(
                rng.choice(["01", "02", "03", "04", "05", "06", "07", "08"], n, p=[0.35, 0.25, 0.12, 0.1, 0.05, 0.05, 0.04, 0.04])
            )
        if sid == "core.task_id":
            y = plan.get("year", np.full(n, int(str(batch.date)[:4])))
            mode = plan.get("mode", np.full(n, "1"))
            num = np.where(mode == "1", rng.integers(1, 13, n), 900000 + np.arange(n) % 100000)
            return pc.binary_join_element_wise(
                pa.scalar("SJ"), pa.array(y).cast(pa.string()), pa.scalar("-"), pc.utf8_lpad(pa.array(num).cast(pa.string()), 6, "0"), ""
            )
        if sid == "core.decision_no":
            days = plan.setdefault("_event_day", self.window(batch, ent, rng))
            y = days.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
            short = np.char.replace(self.city.places.district_names[city["district_idx"][ent]], "区", "")
            seq = (self._short_base + np.arange(n)) % 1_000_000 + 1
            return pa.array(
                np.char.add(
                    np.char.add(np.char.add("佛", short), np.char.add("市监罚字〔", y.astype(str))),
                    np.char.add(np.char.add("〕", seq.astype(str)), "号"),
                )
            )
        if sid == "core.case_no":
            days = plan.setdefault("_event_day", self.window(batch, ent, rng))
            y = (days.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970).astype(str)
            court = np.char.zfill((4 + city["district_idx"][ent]).astype(str), 2)
            kind = plan.setdefault("_case_kind", rng.choice(["民初", "民终", "执", "执恢"], n, p=[0.55, 0.1, 0.3, 0.05]))
            seq = ((self._short_base + np.arange(n)) % 999_999 + 1).astype(str)
            return pa.array(
                np.char.add(np.char.add(np.char.add("（", y), np.char.add("）粤06", court)), np.char.add(np.char.add(kind, seq), "号"))
            )
        if sid == "core.licence_no":
            t = plan.setdefault("_licence_type", rng.choice(["JY", "SC", "XK", "YP", "TS"], n, p=[0.6, 0.1, 0.1, 0.1, 0.1]))
            seq = pc.utf8_lpad(pa.array((self._short_base + np.arange(n)) % 10**8).cast(pa.string()), 8, "0")
            return pc.binary_join_element_wise(pa.array(t), pa.array(self.city.places.district_codes[city["district_idx"][ent]]), seq, "")
        if sid == "core.licence_type":
            return pa.array(plan.setdefault("_licence_type", rng.choice(["JY", "SC", "XK", "YP", "TS"], n, p=[0.6, 0.1, 0.1, 0.1, 0.1])))
        if sid == "core.account_no":
            return pc.binary_join_element_wise(pa.scalar("0757"), pc.utf8_lpad(pa.array(ent).cast(pa.string()), 8, "0"), "")
        if sid == "core.case_type" and "_case_kind" in plan:
            return pa.array(np.where(np.char.startswith(plan["_case_kind"].astype(str), "执"), "4", "1"))
        if sid == "core.abnormal_reason":
            return pa.array(plan.get("reason", np.full(n, "1")))
        if sid == "core.serious_violation_reason":
            return pa.array(np.where(city["shell"][ent], "1", "4"))
        if sid == "core.complaint_text":
            return self.complaints.texts(self.ent_text("section", ent), self.ent_text("district_code", ent), rng)
        if sid == "core.complaint_category":
            return pa.array(rng.choice(["1", "2", "3"], n, p=[0.7, 0.25, 0.05]))
        if sid == "core.handling_status":
            return pa.array(np.where(batch.history, rng.choice(["3", "4"], n, p=[0.93, 0.07]), rng.choice(["1", "2"], n)))
        if sid == "core.tax_type":
            sub = plan.get("sub", np.zeros(n, dtype=np.int64))
            return pa.array(np.where(sub == 0, "10101", "10104"))
        if sid == "core.insurance_type":
            sub = plan.get("sub", np.zeros(n, dtype=np.int64))
            return pa.array(np.where(sub == 0, "110", "310"))
        if sid == "core.energy_kwh":
            usage = plan.setdefault("_usage", np.round(city["employees"][ent] * rng.lognormal(np.log(300), 0.6, n) + 20, 2))
            return _fmt_amount(usage, 2)
        if sid == "core.water_m3":
            usage = plan.setdefault("_usage", np.round(city["employees"][ent] * rng.lognormal(np.log(3), 0.6, n) + 2, 2))
            return _fmt_amount(usage, 2)
        if sid == "core.amount_yuan":
            return self.amount_yuan(name, plan, batch, rng)
        if sid == "core.date":
            return self.date_field(name, plan, batch, rng)
        if sid == "core.change_item":
            return pa.array(
                plan.setdefault(
                    "_change_item",
                    rng.choice(["01", "02", "03", "04", "05", "06", "07", "08"], n, p=[0.1, 0.25, 0.15, 0.15, 0.2, 0.1, 0.02, 0.03]),
                )
            )
        if sid == "core.change_content":
            item = plan.setdefault("_change_item", rng.choice(["01", "02", "03", "04", "05", "06", "07", "08"], n))
            other = rng.integers(0, city.n_history, n)
            persons = rng.integers(0, len(city.persons["name"]), n)
            if name == "content_after":  # the entity's current state is the outcome of the change
                own_name, own_addr, own_rep = (
                    self.ent_text("name", ent),
                    self.ent_text("address", ent),
                    self.person("name", city["rep"][ent]),
                )
                capital = city["capital"][ent]
            else:
                own_name, own_addr, own_rep = self.ent_text("name", other), self.ent_text("address", other), self.person("name", persons)
                capital = np.round(city["capital"][ent] * rng.choice([0.5, 0.6, 0.8], n), 4)
            cap_text = pc.binary_join_element_wise(_fmt_amount(capital, 4), pa.scalar("万元"), "")
            generic = pa.array(rng.choice(["变更前登记事项", "按章程修正案变更", "依股东会决议变更"], n))
            out = pc.case_when(
                pc.make_struct(pa.array(item == "01"), pa.array(item == "02"), pa.array(item == "03"), pa.array(item == "04")),
                own_name,
                own_addr,
                own_rep,
                cap_text,
                generic,
            )
            return _with_nulls(out, rng.random(n) < 0.05)
        if sid == "core.mobile":
            return _with_nulls(
                self.person("phone", rng.integers(0, len(city.persons["phone"]), n)),
                rng.random(n) < 0.1 if not f.required else np.zeros(n, bool),
            )
        if not f.required and std.validator in ("text", "phone", "resident_id"):
            return _with_nulls(self.generic(std, n, ent, batch, rng), rng.random(n) < 0.15)
        return self.generic(std, n, ent, batch, rng)

    def amount_yuan(self, name: str, plan: Plan, batch: Batch, rng) -> pa.Array:
        city, ent = self.city, plan["ent"]
        n = len(ent)
        emp = city["employees"][ent].astype(float) + 1
        code = self.cat.code
        if code == "SCJG-006":  # fines; warnings carry none
            x = rng.lognormal(np.log(5000), 1.2, n)
            return _with_nulls(_fmt_amount(x, 2), rng.random(n) < 0.2)
        if code == "SBJ-001":
            return _fmt_amount(np.maximum(1, city["employees"][ent]) * rng.lognormal(np.log(1100), 0.2, n), 2)
        if code in ("GDFS-001", "FSSW-001") and "_usage" in plan:
            price = 0.72 if code == "GDFS-001" else 3.95  # yuan per kWh / per m3 for businesses, roughly
            return _fmt_amount(plan["_usage"] * price * rng.uniform(0.97, 1.05, n), 2)
        if code == "SWJ-001":
            x = emp * rng.lognormal(np.log(900), 1.0, n)
            return _fmt_amount(x * (1.0 if name == "declared_amount" else rng.choice([1.0, 1.0, 1.0, 0.0], n)), 2)
        if code == "SCJG-003":
            x = emp * rng.lognormal(np.log(150_000 if name == "revenue" else 6000), 1.0, n)
            return _with_nulls(_fmt_amount(x, 2), rng.random(n) < 0.1)
        return _with_nulls(_fmt_amount(rng.lognormal(np.log(80_000), 1.5, n), 2), rng.random(n) < 0.1)

    def _licence_issue(self, plan: Plan, batch: Batch, ent: np.ndarray, rng) -> np.ndarray:
        """Issue days of licences: within five years; an expired one 1-5 years before its expiry."""
        if "_issue" not in plan:
            issue = self.window(batch, ent, rng, years=5)
            if batch.history:
                c = self.city
                before = c["licence_expiry"][ent] - 365 - (rng.random(len(ent)) * 4 * 365).astype(np.int64)
                issue = np.where(c["licence_expired"][ent], np.minimum(issue, np.maximum(c["est_day"][ent], before)), issue)
            plan["_issue"] = issue
        return plan["_issue"]

    def date_field(self, name: str, plan: Plan, batch: Batch, rng) -> pa.Array:
        city, ent = self.city, plan["ent"]
        n = len(ent)
        end = (batch.date - np.timedelta64(1, "D")).astype("datetime64[D]").astype(np.int64)
        est = city["establishment"][ent].astype("datetime64[D]").astype(np.int64)
        if name == "report_date" and "year" in plan:
            jan1 = (plan["year"] + 1 - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
            return _dates(np.minimum(end, jan1 + rng.integers(0, 181, n)))
        if name == "inspection_date" and "year" in plan:
            jan1 = (plan["year"] - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
            return _dates(np.minimum(end, np.maximum(est, jan1 + rng.integers(60, 330, n))))
        if name == "contribution_date":
            return _dates(est + rng.integers(0, 400, n) * (plan.get("k", np.zeros(n)) > 0))
        if name == "declare_date":
            months = self.months(plan, batch, n) + 1
            return _dates(np.minimum(end, months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) + rng.integers(0, 15, n)))
        if name == "expiry_date":
            issue = self._licence_issue(plan, batch, ent, rng)
            expired = city["licence_expired"][ent]
            # an expired licence expired on the entity's own day, spread over its life (entities.py)
            gone = np.minimum(city["licence_expiry"][ent], end - 10) if batch.history else end - rng.integers(10, 300, n)
            exp = np.where(expired, gone, np.maximum(issue + 5 * 365, end + rng.integers(30, 900, n)))
            return _dates(exp)
        if name in ("decision_date", "filing_date"):
            return _dates(plan.setdefault("_event_day", self.window(batch, ent, rng)))
        if name == "issue_date":
            return _dates(self._licence_issue(plan, batch, ent, rng))
        if name == "removal_date":
            listed = plan.setdefault("_listed", self.window(batch, ent, rng))
            removed = listed + rng.integers(30, 365, n)
            return _with_nulls(_dates(np.minimum(removed, end)), (rng.random(n) < 0.7) | (removed > end) | (not batch.history))
        if name == "listing_date":
            return _dates(plan.setdefault("_listed", self.window(batch, ent, rng)))
        return _dates(self.window(batch, ent, rng))


def history_plans(
    catalog: Catalog, city: City, scale: float, chunk_rows: int, rng_for: Callable[[int], np.random.Generator]
) -> Iterator[Plan]:
    """Plans of the history load, in chunks of about ``chunk_rows`` records."""
    planned = PLANS.get(catalog.code)
    if planned is not None:
        plan_fn, per_entity = planned
        block = max(200, int(chunk_rows / per_entity))
        for i, start in enumerate(range(0, city.n_history, block)):
            ents = np.arange(start, min(city.n_history, start + block))
            p = plan_fn(city, ents, rng_for(i))
            if len(p["ent"]):
                yield p
        return
    total = max(1, int(round(catalog.est_records * scale)))
    for i, start in enumerate(range(0, total, chunk_rows)):
        n = min(chunk_rows, total - start)
        rng = rng_for(i)
        yield {"ent": np.sort(rng.integers(0, city.n_history, n))}


def increment_plan(catalog: Catalog, city: City, n: int, rng: np.random.Generator, day: int = 1) -> Plan:
    """Records of a daily increment: new events about random entities existing that day, and
    for registrations and shareholders, the entities registered that day."""
    ent = np.sort(rng.integers(0, city.existing(day), n))
    plan: Plan = {"ent": ent}
    if catalog.code == "SCJG-002":
        plan.update(
            k=np.zeros(n, dtype=np.int64), share=np.full(n, 100.0), stype=np.full(n, "1"), method=np.where(city["noncash"][ent], "2", "1")
        )
    if catalog.code == "SCJG-005":
        plan.update(mode=np.full(n, "1"), year=np.full(n, int(str(city.start)[:4])), found=rng.random(n) < city["propensity"][ent])
    if catalog.code == "SCJG-007":
        plan.update(reason=np.where(city["missing_ar"][ent], "1", "4"))
    if catalog.code in ("SCJG-001", "SCJG-002"):
        fresh = city.registered_on(day)
        if len(fresh):
            extra = PLANS[catalog.code][0](city, fresh, rng)
            plan = {k: np.concatenate([plan[k], extra[k]]) for k in plan if k in extra}
    return plan


def new_registrations(city: City, day: int) -> int:
    return len(city.registered_on(day))

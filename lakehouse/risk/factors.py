"""Candidate risk factors: about 1,300 numbers per entity, as of a cutoff date.

Every factor is computed from records whose own event date is on or before the cutoff (the
same rule as the entity profile), so a model trained on factors as of 2025-01-01 and labels
found during 2025 never sees the future. Factor families:

* ``ent_*``   the register (SCJG-001): age, capital, legal form, industry, district, status;
* ``net_*``   links between entities: others at the same address, others with the same legal
  representative or phone (joined on keyed hashes, never on raw personal data);
* ``sh_*``    shareholders and contributions: count, share of non-cash contributions, share of
  subscribed capital not paid in;
* ``hist_*``  supervision history before the cutoff: inspections and what they found,
  penalties, abnormal-operation listing, expired licences, missing annual report;
* ``area_<area>_*``  per subject area: records over all time, 90, 365 and 730 days, days since
  the latest, amounts over 365 days;
* ``cat_<catalog>_*`` per catalog (all 552): records over 365 days and days since the latest.

Each factor has a Chinese and an English description (:class:`Factor`), kept in
``gold.factor_catalog`` so that risk reasons can be shown to inspectors.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lakehouse.errors import RegulakeError

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

    from catalog.catalogs import Registry
    from lakehouse.tables import Tables

FACTORS = "gold.factors"
FACTOR_CATALOG = "gold.factor_catalog"
REGISTER = "SCJG-001"
AREA_WINDOWS = (90, 365, 730)


@dataclass(frozen=True)
class Factor:
    name: str
    description_zh: str
    description_en: str
    family: str


def column_name(catalog_code: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", catalog_code.lower())


def _days(cutoff: dt.date, col: Column) -> Column:
    from pyspark.sql import functions as F

    return F.datediff(F.lit(cutoff), col)


def registered(tables: Tables, cutoff: dt.date) -> DataFrame:
    from pyspark.sql import functions as F

    reg = tables.read("silver.registration", filters=[("catalog", "=", REGISTER)])
    return reg.where(F.col("uscc").isNotNull() & (F.col("establishment_date") <= F.lit(cutoff)))


ENTITY_FACTORS = [
    Factor("ent_age_days", "成立天数", "days since establishment", "register"),
    Factor("ent_registered_capital", "注册资本（万元）", "registered capital (10k yuan)", "register"),
    Factor("ent_type_code", "市场主体类型代码", "enterprise type code", "register"),
    Factor("ent_individual", "是否个体工商户", "individual business (1) or not (0)", "register"),
    Factor("ent_industry_section", "行业门类（序号）", "industry section (A=1 ... T=20)", "register"),
    Factor("ent_industry_division", "行业大类代码", "industry division (2-digit GB/T 4754 code)", "register"),
    Factor("ent_district", "所属区代码", "district code", "register"),
    Factor("ent_status", "登记状态代码", "registration status code", "register"),
    Factor("net_same_address", "同一住所登记的其他主体数", "other entities registered at the same address", "network"),
    Factor("net_same_address_180d", "同一住所180天内登记的其他主体数", "other entities registered at the same address within 180 days", "network"),
    Factor("net_same_legal_rep", "同一法定代表人的其他主体数", "other entities with the same legal representative", "network"),
    Factor("net_same_phone", "同一联系电话的其他主体数", "other entities with the same phone", "network"),
]


def entity_factors(tables: Tables, cutoff: dt.date) -> DataFrame:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    reg = registered(tables, cutoff)
    ind = F.col("industry_code")
    base = reg.select(
        "uscc",
        _days(cutoff, F.col("establishment_date")).alias("ent_age_days"),
        F.col("registered_capital").cast("double").alias("ent_registered_capital"),
        F.expr("try_cast(enterprise_type as int)").alias("ent_type_code"),
        F.when(F.col("enterprise_type").startswith("9"), 1).otherwise(0).alias("ent_individual"),
        (F.ascii(F.substring(ind, 1, 1)) - 64).alias("ent_industry_section"),
        F.expr("try_cast(substring(industry_code, 2, 2) as int)").alias("ent_industry_division"),
        F.expr("try_cast(district_code as int)").alias("ent_district"),
        F.expr("try_cast(registration_status as int)").alias("ent_status"),
        "address", "establishment_date", "legal_rep_id_hash", "legal_rep_phone_hash",
    )

    def others(key: str) -> Column:
        return F.when(F.col(key).isNull(), F.lit(0)).otherwise(F.count(F.lit(1)).over(Window.partitionBy(key)) - 1)

    est = F.col("establishment_date").cast("timestamp").cast("long")
    near = Window.partitionBy("address").orderBy(est).rangeBetween(-180 * 86400, 180 * 86400)
    out = base.select(
        *[c for c in base.columns if c.startswith("ent_")], "uscc",
        others("address").alias("net_same_address"),
        F.when(F.col("address").isNull(), 0).otherwise(F.count(F.lit(1)).over(near) - 1).alias("net_same_address_180d"),
        others("legal_rep_id_hash").alias("net_same_legal_rep"),
        others("legal_rep_phone_hash").alias("net_same_phone"),
    )
    return out


SHAREHOLDER_FACTORS = [
    Factor("sh_count", "股东人数", "shareholders", "shareholders"),
    Factor("sh_persons", "自然人股东人数", "natural-person shareholders", "shareholders"),
    Factor("sh_noncash_share", "非货币出资股东占比", "share of shareholders contributing other than cash", "shareholders"),
    Factor("sh_unpaid_share", "认缴未实缴资本占比", "share of subscribed capital not paid in", "shareholders"),
    Factor("sh_subscribed_total", "认缴出资总额", "subscribed capital in total", "shareholders"),
]


def shareholder_factors(tables: Tables, cutoff: dt.date) -> DataFrame | None:
    from pyspark.sql import functions as F

    if not tables.exists("silver.shareholders_contributions"):
        return None
    sh = tables.read("silver.shareholders_contributions")
    sh = sh.where(F.col("uscc").isNotNull() & (F.col("contribution_date").isNull() | (F.col("contribution_date") <= F.lit(cutoff))))
    sub, paid = F.sum(F.col("subscribed_amount").cast("double")), F.sum(F.col("paid_amount").cast("double"))
    return sh.groupBy("uscc").agg(
        F.count(F.lit(1)).alias("sh_count"),
        F.count(F.when(F.col("shareholder_type") == "1", 1)).alias("sh_persons"),
        F.avg(F.when(F.col("contribution_method").isNull(), None).otherwise((F.col("contribution_method") != "1").cast("double"))).alias("sh_noncash_share"),
        F.when(sub > 0, F.greatest(F.lit(0.0), 1 - F.try_divide(F.coalesce(paid, F.lit(0.0)), sub))).alias("sh_unpaid_share"),
        sub.alias("sh_subscribed_total"),
    )


HISTORY_FACTORS = [
    Factor("hist_inspections", "既往检查次数", "inspections before the cutoff", "history"),
    Factor("hist_inspections_found", "既往检查发现问题次数", "inspections that found a problem before the cutoff", "history"),
    Factor("hist_random_found_share", "既往双随机抽查发现问题比例", "share of past random inspections that found a problem", "history"),
    Factor("hist_penalties", "既往行政处罚次数", "administrative penalties before the cutoff", "history"),
    Factor("hist_fines_total", "既往罚款总额（元）", "fines before the cutoff (yuan)", "history"),
    Factor("hist_abnormal_listed", "当前列入经营异常名录", "on the abnormal-operation list at the cutoff", "history"),
    Factor("hist_licences_expired", "已过期许可证数", "licences expired by the cutoff", "history"),
    Factor("hist_licences_valid", "有效许可证数", "licences valid at the cutoff", "history"),
    Factor("hist_annual_reports", "已报送年报份数", "annual reports filed", "history"),
    Factor("hist_annual_report_missing", "最近应报年度年报未报送", "the annual report last due was not filed", "history"),
    Factor("hist_changes_365d", "近365天变更登记次数", "registration changes over 365 days", "history"),
]


def _by_catalog(tables: Tables, area: str, catalog: str) -> DataFrame | None:
    from pyspark.sql import functions as F

    if not tables.exists(f"silver.{area}"):
        return None
    return tables.read(f"silver.{area}", filters=[("catalog", "=", catalog)]).where(F.col("uscc").isNotNull())


def history_factors(tables: Tables, cutoff: dt.date) -> list[DataFrame]:
    from pyspark.sql import functions as F

    c = F.lit(cutoff)
    out = []
    if (insp := _by_catalog(tables, "inspections", "SCJG-005")) is not None:
        found = F.col("inspection_result") != "1"
        random_ = F.col("inspection_mode") == "1"
        out.append(insp.where(F.col("inspection_date") <= c).groupBy("uscc").agg(
            F.count(F.lit(1)).alias("hist_inspections"),
            F.count(F.when(found, 1)).alias("hist_inspections_found"),
            F.try_divide(F.count(F.when(found & random_, 1)), F.count(F.when(random_, 1))).alias("hist_random_found_share"),
        ))
    if (pen := _by_catalog(tables, "penalties", "SCJG-006")) is not None:
        out.append(pen.where(F.col("decision_date") <= c).groupBy("uscc").agg(
            F.count(F.lit(1)).alias("hist_penalties"), F.sum(F.col("fine_amount").cast("double")).alias("hist_fines_total"),
        ))
    if (abn := _by_catalog(tables, "abnormal_operations", "SCJG-007")) is not None:
        active = (F.col("listing_date") <= c) & (F.col("removal_date").isNull() | (F.col("removal_date") > c))
        out.append(abn.groupBy("uscc").agg(F.max(F.when(active, 1).otherwise(0)).alias("hist_abnormal_listed")))
    if (lic := _by_catalog(tables, "licences", "SCJG-009")) is not None:
        issued = F.col("issue_date") <= c
        out.append(lic.where(issued).groupBy("uscc").agg(
            F.count(F.when(F.col("expiry_date") <= c, 1)).alias("hist_licences_expired"),
            F.count(F.when(F.col("expiry_date") > c, 1)).alias("hist_licences_valid"),
        ))
    if (ar := _by_catalog(tables, "annual_reports", "SCJG-003")) is not None:
        # a year's report is due by 30 June of the next year
        due_year = cutoff.year - 1 if cutoff >= dt.date(cutoff.year, 7, 1) else cutoff.year - 2
        filed = ar.where(F.col("report_date") <= c)
        out.append(filed.groupBy("uscc").agg(
            F.count(F.lit(1)).alias("hist_annual_reports"),
            F.max((F.col("report_year").cast("int") == due_year).cast("int")).alias("_filed_due"),
        ))
    if (ch := _by_catalog(tables, "registration", "SCJG-004")) is not None:
        out.append(ch.where((F.col("change_date") <= c) & (F.col("change_date") > F.lit(cutoff - dt.timedelta(days=365))))
                   .groupBy("uscc").agg(F.count(F.lit(1)).alias("hist_changes_365d")))
    return out


def events(tables: Tables, registry: Registry, areas: set[str] | None = None, codes: set[str] | None = None) -> DataFrame | None:
    """(uscc, area, catalog, event_date, amount) of every silver record (each cutoff filters it).

    With ``areas`` / ``codes``: only the records of those subject areas and those catalogs (a
    catalog's partition is read alone, its area's other catalogs are not)."""
    from pyspark.sql import functions as F

    from lakehouse.gold.entity_profile import area_events
    from lakehouse.silver.standardise import area_plans

    plans = area_plans(registry)
    out = None
    for area in sorted(plans):
        if not tables.exists(f"silver.{area}"):
            continue
        catalogs = plans[area].catalogs
        if areas is not None and area not in areas:
            catalogs = {c: v for c, v in catalogs.items() if c in (codes or ())}
            if not catalogs:
                continue
        e = area_events(tables, registry, area, catalogs, with_catalog=True,
                        only_catalogs=catalogs != plans[area].catalogs)
        out = e if out is None else out.unionByName(e)
    return None if out is None else out.where(F.col("uscc").isNotNull())


def area_factor_list(areas: list[str], area_names: dict[str, str]) -> list[Factor]:
    out = []
    for a in areas:
        zh = area_names.get(a, a)
        out += [Factor(f"area_{a}_n_all", f"{zh}：记录总数", f"{a}: records, all time", "area")]
        out += [Factor(f"area_{a}_n_{w}d", f"{zh}：近{w}天记录数", f"{a}: records over {w} days", "area") for w in AREA_WINDOWS]
        out += [
            Factor(f"area_{a}_recency", f"{zh}：距最近一条记录天数", f"{a}: days since the latest record", "area"),
            Factor(f"area_{a}_amount_365d", f"{zh}：近365天金额合计", f"{a}: amounts over 365 days", "area"),
        ]
    return out


def catalog_factor_list(registry: Registry, codes: list[str] | None = None) -> list[Factor]:
    out = []
    for code in sorted(registry.catalogs if codes is None else codes):
        cat = registry.catalogs[code]
        col = column_name(code)
        out += [
            Factor(f"cat_{col}_n_365d", f"{cat.name_zh}：近365天记录数", f"{cat.name_en}: records over 365 days", "catalog"),
            Factor(f"cat_{col}_recency", f"{cat.name_zh}：距最近一条记录天数", f"{cat.name_en}: days since the latest record", "catalog"),
        ]
    return out


AREA_METRICS = ["n_all", *[f"n_{w}d" for w in AREA_WINDOWS], "recency", "amount_365d"]
CATALOG_METRICS = ["n_365d", "recency"]
EVENT_COUNTS = tuple(f"_{m}" for m in AREA_METRICS if m.startswith("n_"))


class WidePivot:
    """The per-area and per-catalog factor columns of entities, from their (entity, area, catalog) aggregates.

    Called on the Arrow batches of one Spark partition (``mapInArrow``): each row of ``long``
    holds one entity's ``AREA_METRICS`` for one catalog; the catalogs are rolled up to their
    areas (counts and amounts summed, the smallest recency kept) and both are laid out in the
    fixed column list. An entity's counts with no record are 0, its other metrics null.

    With ``carry`` (double columns), ``long`` also holds one row per entity to keep, marked by
    ``ENTITY_ROW``, whose ``carry`` values lead its output row; entities without one are left out.
    """

    def __init__(self, areas: list[str], codes: list[str], carry: list[str] | None = None):
        import pyarrow as pa

        keys = [("area", a, m) for a in areas for m in AREA_METRICS] + [("catalog", c, m) for c in codes for m in CATALOG_METRICS]
        self.columns = [f"area_{k}_{m}" if kind == "area" else f"cat_{column_name(k)}_{m}" for kind, k, m in keys]
        self.slot = {key: i for i, key in enumerate(keys)}
        self.counts = np.array([c.endswith(EVENT_COUNTS) for c in self.columns])
        self.carry = carry
        self.schema = pa.schema([("uscc", pa.string())] + [(c, pa.float64()) for c in [*(carry or []), *self.columns]])

    def values(self, long) -> tuple:
        """(entities, matrix of one row per column and one column per entity) of an Arrow table ``long``."""
        import pyarrow.compute as pc

        ents = pc.dictionary_encode(long.column("uscc").combine_chunks())
        row = ents.indices.to_numpy()
        width = len(ents.dictionary)
        out = np.full((len(self.columns), width), np.nan)
        out[self.counts, :] = 0.0
        flat = out.reshape(-1)  # a view: numpy's ufunc.at is ~10x faster on one flat index than on (row, column) pairs
        for kind, metrics in (("area", AREA_METRICS), ("catalog", CATALOG_METRICS)):
            names = pc.dictionary_encode(long.column(kind).combine_chunks())
            index = pc.fill_null(names.indices, len(names.dictionary)).to_numpy()
            for m in metrics:
                # slot of each distinct area / catalog name (-1: not a factor), then of every row
                lookup = np.array([self.slot.get((kind, k, m), -1) for k in names.dictionary.to_pylist()] + [-1], dtype=np.int64)
                cols = lookup[index]
                ok = cols >= 0
                at = cols[ok] * width + row[ok]
                vals = long.column(m).to_numpy(zero_copy_only=False).astype(float)[ok]
                if m == "recency":  # the latest record: the smallest number of days
                    np.fmin.at(flat, at, vals)
                elif m == "amount_365d":  # a sum, null when no catalog had an amount
                    seen = ~np.isnan(vals)
                    at = at[seen]
                    flat[at] = np.where(np.isnan(flat[at]), 0.0, flat[at])
                    np.add.at(flat, at, vals[seen])
                else:  # counts
                    np.add.at(flat, at, vals)
        return ents.dictionary, out

    def __call__(self, batches):
        import pyarrow as pa
        import pyarrow.compute as pc

        parts = [b for b in batches if b.num_rows]
        if not parts:
            return
        long = pa.Table.from_batches(parts)
        ents, out = self.values(long)
        carried = []
        if self.carry is not None:
            # the entity rows, in the order of ``ents`` (each entity's row once)
            mine = long.filter(pc.is_valid(long.column(ENTITY_ROW)))
            at = pc.index_in(ents, mine.column("uscc")).to_numpy(zero_copy_only=False)
            keep = np.flatnonzero(~np.isnan(at))
            ents, out, at = ents.take(pa.array(keep)), out[:, keep], pa.array(at[keep].astype(np.int64))
            carried = [mine.column(c).take(at).combine_chunks() for c in self.carry]
        for lo in range(0, len(ents), 20_000):
            hi = min(lo + 20_000, len(ents))
            arrays = [ents.slice(lo, hi - lo), *(c.slice(lo, hi - lo) for c in carried), *(pa.array(col[lo:hi], from_pandas=True) for col in out)]
            yield pa.RecordBatch.from_arrays(arrays, schema=self.schema)


ENTITY_ROW = "_entity"


def event_factors(ev: DataFrame, areas: list[str], codes: list[str], cutoff: dt.date, partitions: int,
                  entities: DataFrame | None = None) -> DataFrame:
    """Per-area and per-catalog factors, wide: aggregated long in Spark, pivoted per partition with numpy.

    The events are aggregated once per (entity, area, catalog); each partition (hash of the
    entity) rolls the catalogs up to their areas and pivots both into the fixed column list
    (:class:`WidePivot`). A Spark ``pivot`` over ~550 catalogs makes a plan of thousands of
    expressions whose analysis alone takes minutes.

    ``entities`` (``uscc`` and double columns, one row per entity): only these entities, each
    with its columns first, also with no event (counts 0). The entities' other factors go
    through the same pivot rather than a join: at ~1,300 columns, Spark's shuffle, join and
    null filling of the wide rows cost more than the pivot itself.
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import DoubleType, StringType, StructField, StructType

    ev = ev.where(F.col("event_date") <= F.lit(cutoff))
    within = {w: F.col("event_date") > F.lit(cutoff - dt.timedelta(days=w)) for w in AREA_WINDOWS}
    long = ev.groupBy("uscc", "area", "catalog").agg(
        F.count(F.lit(1)).cast("double").alias("n_all"),
        *[F.count(F.when(within[w], 1)).cast("double").alias(f"n_{w}d") for w in AREA_WINDOWS],
        _days(cutoff, F.max("event_date")).cast("double").alias("recency"),
        F.sum(F.when(within[365], F.col("amount"))).alias("amount_365d"),
    )
    carry = None
    if entities is not None:
        carry = [c for c in entities.columns if c != "uscc"]
        long = long.unionByName(entities.withColumn(ENTITY_ROW, F.lit(True)), allowMissingColumns=True)  # area and catalog null
    long = long.repartition(partitions, "uscc")
    pivot = WidePivot(areas, codes, carry)
    schema = StructType([StructField(f.name, StringType() if f.name == "uscc" else DoubleType()) for f in pivot.schema])
    return long.mapInArrow(pivot, schema)


@dataclass
class FactorSet:
    frame: DataFrame
    factors: list[Factor]

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.factors]


COUNT_PREFIXES = ("hist_inspections", "hist_penalties", "hist_abnormal", "hist_licences", "hist_annual_reports",
                  "hist_changes", "sh_count", "sh_persons")


EVENTS_PER_PARTITION = 2_000_000  # a wide pivot pays per task: few, large partitions


def event_sources(names: list[str], areas: list[str], codes: list[str]) -> tuple[list[str], list[str]]:
    """The subject areas and catalogs whose events the factors ``names`` are computed from."""
    by_col = {column_name(c): c for c in codes}
    need_areas, need_codes = set(), set()
    for n in names:
        for a in areas:
            if n.startswith(f"area_{a}_") and n[len(f"area_{a}_"):] in AREA_METRICS:
                need_areas.add(a)
        if n.startswith("cat_"):
            for m in CATALOG_METRICS:
                if n.endswith(f"_{m}") and n[4:-len(m) - 1] in by_col:
                    need_codes.add(by_col[n[4:-len(m) - 1]])
    return sorted(need_areas), sorted(need_codes)


def build(spark: SparkSession, tables: Tables, registry: Registry, cutoff: dt.date, ev: DataFrame | None = None,
          partitions: int | None = None, only: list[str] | None = None, entities: DataFrame | None = None) -> FactorSet:
    """All candidate factors of every entity registered on or before ``cutoff``.

    ``ev`` is :func:`events` (all dates); pass one persisted frame when building several cutoffs,
    with ``partitions`` for the pivot (default: one per two million events).

    ``only`` (factor names) computes just those factors, reading only the tables they come from;
    ``entities`` (a frame with a ``uscc`` column) keeps only those entities. Values are the same
    as in the full build: network factors still count every registered entity.
    """
    from pyspark.sql import functions as F

    from lakehouse.silver.standardise import area_plans

    wanted = None if only is None else set(only)

    def needed(names) -> bool:
        return wanted is None or bool(wanted & set(names))

    keep = None if entities is None else F.broadcast(entities.select("uscc").distinct())

    def subset(df: DataFrame) -> DataFrame:
        return df if keep is None else df.join(keep, "uscc", "left_semi")

    frame = subset(entity_factors(tables, cutoff))
    factors = list(ENTITY_FACTORS)
    if needed(f.name for f in SHAREHOLDER_FACTORS) and (sh := shareholder_factors(tables, cutoff)) is not None:
        frame = frame.join(subset(sh), "uscc", "left")
        factors += SHAREHOLDER_FACTORS
    hist_names = set()
    for h in history_factors(tables, cutoff):
        cols = {c if c != "_filed_due" else "hist_annual_report_missing" for c in h.columns if c != "uscc"}
        if needed(cols):
            frame = frame.join(subset(h), "uscc", "left")
            hist_names.update(c for c in h.columns if c != "uscc")
    if "_filed_due" in hist_names:
        frame = frame.withColumn("hist_annual_report_missing", F.when(F.coalesce(F.col("_filed_due"), F.lit(0)) == 1, 0).otherwise(1)).drop("_filed_due")
        hist_names = (hist_names - {"_filed_due"}) | {"hist_annual_report_missing"}
    factors += [f for f in HISTORY_FACTORS if f.name in hist_names]
    # the register, shareholder and history factors: doubles, counts 0 where nothing was found
    counts = [f.name for f in factors if f.name.startswith(COUNT_PREFIXES)]
    frame = frame.fillna(0, subset=counts) if counts else frame
    frame = frame.select("uscc", *[F.col(f.name).cast("double").alias(f.name) for f in factors])

    # every area and catalog, delivered or not: the candidate set is the same for every city
    plans = area_plans(registry)
    areas = sorted(plans)
    codes = sorted(c for a in areas for c in plans[a].catalogs)
    if wanted is not None:
        areas, codes = event_sources(sorted(wanted), areas, codes)
        if ev is None and (areas or codes):
            ev = events(tables, registry, set(areas), set(codes))
    elif ev is None:
        ev = events(tables, registry)
    if ev is not None and (areas or codes):
        ev = subset(ev)
        if partitions is None:
            partitions = spark.sparkContext.defaultParallelism if entities is not None else max(2, -(-ev.count() // EVENTS_PER_PARTITION))
        if wanted is None and entities is None:
            frame = event_factors(ev, areas, codes, cutoff, partitions, frame)  # the entities' factors so far pass through
        else:
            # a few columns for some entities (re-scoring): a join is cheaper here (measured 70 s against 75 s)
            wide = event_factors(ev, areas, codes, cutoff, partitions)
            frame = frame.join(wide, "uscc", "left").fillna(0, subset=[c for c in wide.columns if c.endswith(EVENT_COUNTS)])
        factors += area_factor_list(areas, AREA_ZH)
        factors += catalog_factor_list(registry, codes)
    if wanted is not None:
        missing = wanted - {f.name for f in factors}
        if missing:
            raise RegulakeError(f"unknown factor(s) {sorted(missing)}: not computed by this version of regulake "
                                "(or their source tables do not exist); re-train the model on the current factor set")
        factors = [f for f in factors if f.name in wanted]
    frame = frame.select("uscc", *[f.name for f in factors])
    return FactorSet(frame.withColumn("as_of", F.lit(cutoff)), factors)


AREA_ZH = {
    "registration": "登记注册", "shareholders_contributions": "股东出资", "annual_reports": "年度报告", "inspections": "检查",
    "penalties": "行政处罚", "abnormal_operations": "经营异常", "complaints": "投诉举报", "licences": "许可证件",
    "serious_violations": "严重违法失信", "tax": "税务", "social_insurance": "社会保险", "utilities": "水电气",
    "court_judgments": "司法判决", "finance_credit": "金融信用", "statistics": "统计", "environment": "生态环境",
    "safety": "安全生产", "transport": "交通运输", "housing_fund": "住房公积金", "employment": "劳动就业",
    "food_drug": "食品药品", "health": "卫生健康", "agriculture": "农业农村", "construction": "住房建设",
    "culture_tourism": "文化旅游", "education": "教育", "honours": "荣誉表彰", "intellectual_property": "知识产权",
    "property_land": "自然资源", "public_security": "公安", "trade_customs": "商务海关",
}


def factor_catalog_rows(factors: list[Factor]) -> list[dict]:
    return [{"factor": f.name, "description_zh": f.description_zh, "description_en": f.description_en, "family": f.family} for f in factors]


def dates(tables: Tables) -> set[dt.date]:
    """The ``as_of`` dates gold.factors holds (from the snapshot's file list, no scan)."""
    if not tables.exists(FACTORS):
        return set()
    return {dt.date.fromisoformat(v[:10]) for v in tables.snapshot(FACTORS).partition_values("as_of")}


def write(spark: SparkSession, tables: Tables, registry: Registry, cutoffs: list[dt.date]) -> list[tuple[dt.date, int | None, int, int]]:
    """Replace ``gold.factors`` as of each cutoff, and the factor catalog; [(cutoff, version, entities, factors)]."""
    from pyspark import StorageLevel

    ev = events(tables, registry)
    partitions = None
    if ev is not None:
        ev = ev.persist(StorageLevel.MEMORY_AND_DISK)
        partitions = max(2, -(-ev.count() // EVENTS_PER_PARTITION))
    out = []
    try:
        for cutoff in cutoffs:
            fs = build(spark, tables, registry, cutoff, ev, partitions)
            res = tables.write(FACTORS, fs.frame, mode="overwrite", partition_by=["as_of"], replace_where={"as_of": cutoff},
                               schema_mode="add_columns")
            n = tables.read(FACTORS, filters=[("as_of", "=", cutoff)], columns=["uscc"]).count()
            out.append((cutoff, res.version, n, len(fs.factors)))
        cat = spark.createDataFrame(factor_catalog_rows(fs.factors), "factor string, description_zh string, description_en string, family string")
        tables.write(FACTOR_CATALOG, cat, mode="overwrite", schema_mode="add_columns")
    finally:
        if ev is not None:
            ev.unpersist()
    return out

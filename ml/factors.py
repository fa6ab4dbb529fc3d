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
from collections.abc import Iterator
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
    Factor(
        "ent_industry_section",
        "行业门类（类别特征，A=1 … T=20 为类别编号）",
        "industry section, categorical (A=1 ... T=20 are labels, not an order)",
        "register",
    ),
    Factor(
        "ent_industry_division",
        "行业大类（类别特征，GB/T 4754 两位代码）",
        "industry division, categorical (2-digit GB/T 4754 code)",
        "register",
    ),
    Factor("ent_district", "所属区代码", "district code", "register"),
    Factor("ent_status", "截止日登记状态代码", "registration status code as of the cutoff", "register"),
    Factor("net_same_address", "同一住所登记的其他主体数", "other entities registered at the same address", "network"),
    Factor(
        "net_same_address_180d",
        "同一住所180天内登记的其他主体数",
        "other entities registered at the same address within 180 days",
        "network",
    ),
    Factor("net_same_legal_rep", "同一法定代表人的其他主体数", "other entities with the same legal representative", "network"),
    Factor("net_same_phone", "同一联系电话的其他主体数", "other entities with the same phone", "network"),
]


# factors whose values are labels, not quantities: the model treats them as categories
CATEGORICAL = ("ent_industry_section", "ent_industry_division")


def categorical_slots(names: list[str]) -> list[int]:
    """Positions of the categorical factors in a feature list (LightGBM's categorical_feature)."""
    return [i for i, n in enumerate(names) if n in CATEGORICAL]


def due_year(cutoff: dt.date) -> int:
    """The latest year whose annual report is due by ``cutoff`` (a year's report is due by 30 June of the next)."""
    return cutoff.year - 1 if cutoff >= dt.date(cutoff.year, 7, 1) else cutoff.year - 2


def entity_factors(tables: Tables, cutoff: dt.date) -> DataFrame:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from lakehouse.gold.entity_profile import status_as_of

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
        status_as_of(reg.columns, cutoff).alias("ent_status"),
        "address",
        "establishment_date",
        "legal_rep_id_hash",
        "legal_rep_phone_hash",
    )

    def others(key: str) -> Column:
        return F.when(F.col(key).isNull(), F.lit(0)).otherwise(F.count(F.lit(1)).over(Window.partitionBy(key)) - 1)

    est = F.col("establishment_date").cast("timestamp").cast("long")
    near = Window.partitionBy("address").orderBy(est).rangeBetween(-180 * 86400, 180 * 86400)
    out = base.select(
        *[c for c in base.columns if c.startswith("ent_")],
        "uscc",
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
        F.avg(F.when(F.col("contribution_method").isNull(), None).otherwise((F.col("contribution_method") != "1").cast("double"))).alias(
            "sh_noncash_share"
        ),
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
        out.append(
            insp.where(F.col("inspection_date") <= c)
            .groupBy("uscc")
            .agg(
                F.count(F.lit(1)).alias("hist_inspections"),
                F.count(F.when(found, 1)).alias("hist_inspections_found"),
                F.try_divide(F.count(F.when(found & random_, 1)), F.count(F.when(random_, 1))).alias("hist_random_found_share"),
            )
        )
    if (pen := _by_catalog(tables, "penalties", "SCJG-006")) is not None:
        out.append(
            pen.where(F.col("decision_date") <= c)
            .groupBy("uscc")
            .agg(
                F.count(F.lit(1)).alias("hist_penalties"),
                F.sum(F.col("fine_amount").cast("double")).alias("hist_fines_total"),
            )
        )
    if (abn := _by_catalog(tables, "abnormal_operations", "SCJG-007")) is not None:
        active = (F.col("listing_date") <= c) & (F.col("removal_date").isNull() | (F.col("removal_date") > c))
        out.append(abn.groupBy("uscc").agg(F.max(F.when(active, 1).otherwise(0)).alias("hist_abnormal_listed")))
    if (lic := _by_catalog(tables, "licences", "SCJG-009")) is not None:
        issued = F.col("issue_date") <= c
        out.append(
            lic.where(issued)
            .groupBy("uscc")
            .agg(
                F.count(F.when(F.col("expiry_date") <= c, 1)).alias("hist_licences_expired"),
                F.count(F.when(F.col("expiry_date") > c, 1)).alias("hist_licences_valid"),
            )
        )
    if (ar := _by_catalog(tables, "annual_reports", "SCJG-003")) is not None:
        # a year's report is due by 30 June of the next year
        filed = ar.where(F.col("report_date") <= c)
        out.append(
            filed.groupBy("uscc").agg(
                F.count(F.lit(1)).alias("hist_annual_reports"),
                F.max((F.col("report_year").cast("int") == due_year(cutoff)).cast("int")).alias("_filed_due"),
            )
        )
    if (ch := _by_catalog(tables, "registration", "SCJG-004")) is not None:
        out.append(
            ch.where((F.col("change_date") <= c) & (F.col("change_date") > F.lit(cutoff - dt.timedelta(days=365))))
            .groupBy("uscc")
            .agg(F.count(F.lit(1)).alias("hist_changes_365d"))
        )
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
        e = area_events(tables, registry, area, catalogs, with_catalog=True, only_catalogs=catalogs != plans[area].catalogs)
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
EPOCH = dt.date(1970, 1, 1)


class EventPivot:
    """The per-area and per-catalog factor columns of entities as of one or more cutoffs, from their events.

    Called on the Arrow batches of one Spark partition (hash of the entity). Each row is an event
    (``uscc``, ``catalog``, ``event_date``, ``amount``) or, with ``carry``, an entity row: ``catalog``
    null, ``event_date`` the cutoff it belongs to and ``carry`` the list of the entity's other
    factors as of that cutoff (doubles, in the order of ``carry``). For each cutoff, the events on
    or before it are counted per catalog and per subject area (``area_of``) with numpy and laid out
    in the fixed column list, so every cutoff comes from one shuffle of the events. An entity's
    counts with no record are 0, its other metrics null.

    A cutoff's rows: with ``carry``, the entities with an entity row for it, their carried values
    first (entities without one are left out); without, the entities with an event on or before it.
    """

    def __init__(self, areas: list[str], codes: list[str], area_of: dict[str, str], cutoffs: list[dt.date], carry: list[str] | None = None):
        import pyarrow as pa

        keys = [("area", a, m) for a in areas for m in AREA_METRICS] + [("catalog", c, m) for c in codes for m in CATALOG_METRICS]
        self.columns = [f"area_{k}_{m}" if kind == "area" else f"cat_{column_name(k)}_{m}" for kind, k, m in keys]
        self.counts = np.array([c.endswith(EVENT_COUNTS) for c in self.columns])
        self.areas, self.codes, self.cutoffs, self.carry = list(areas), list(codes), list(cutoffs), carry
        self.code_slot = {c: i for i, c in enumerate(codes)}
        self.area_slot = {c: areas.index(a) for c, a in area_of.items() if a in areas}
        self.schema = pa.schema([("uscc", pa.string())] + [(c, pa.float64()) for c in [*(carry or []), *self.columns]])

    def spark_schema(self, as_of: bool = False):
        """``schema`` as a Spark StructType (with ``as_of``: the rows of ``with_as_of``)."""
        from pyspark.sql.types import DateType, DoubleType, StringType, StructField, StructType

        return StructType(
            [StructField("uscc", StringType())]
            + [StructField(c, DoubleType()) for c in self.schema.names[1:]]
            + ([StructField("as_of", DateType())] if as_of else [])
        )

    def _prepare(self, rows) -> dict:
        """The partition's rows as numpy arrays, once for all cutoffs."""
        import pyarrow as pa
        import pyarrow.compute as pc

        ents = pc.dictionary_encode(rows.column("uscc").combine_chunks())
        cats = pc.dictionary_encode(rows.column("catalog").combine_chunks())
        names = cats.dictionary.to_pylist()
        index = pc.fill_null(cats.indices, len(names)).to_numpy()  # len(names): no catalog (an entity row)
        days = rows.column("event_date").combine_chunks().cast(pa.int32())
        return {
            "ents": ents.dictionary,
            "row": ents.indices.to_numpy(),
            "event": index < len(names),
            "catalog": np.array([self.code_slot.get(n, -1) for n in names] + [-1], dtype=np.int64)[index],
            "area": np.array([self.area_slot.get(n, -1) for n in names] + [-1], dtype=np.int64)[index],
            # a null date is never on or before a cutoff
            "day": pc.fill_null(days, np.iinfo(np.int32).max).to_numpy().astype(np.int64),
            "amount": rows.column("amount").to_numpy() if "amount" in rows.column_names else None,
        }

    def values(self, p: dict, cutoff: dt.date) -> np.ndarray:
        """Matrix of one row per column and one column per entity of the partition, as of ``cutoff``."""
        width, c = len(p["ents"]), (cutoff - EPOCH).days
        out = np.full((len(self.columns), width), np.nan)
        out[self.counts, :] = 0.0
        on_or_before = p["day"] <= c
        blocks = (
            ("area", len(self.areas), AREA_METRICS, 0),
            ("catalog", len(self.codes), CATALOG_METRICS, len(self.areas) * len(AREA_METRICS)),
        )
        for kind, slots, metrics, base in blocks:
            keep = on_or_before & (p[kind] >= 0)
            at, day, size = p[kind][keep] * width + p["row"][keep], p["day"][keep], slots * width
            for i, m in enumerate(metrics):
                if m == "n_all":
                    v = np.bincount(at, minlength=size).astype(float)
                elif m.startswith("n_"):  # n_<w>d: records over the last w days
                    v = np.bincount(at[day > c - int(m[2:-1])], minlength=size).astype(float)
                elif m == "recency":  # days since the latest record
                    latest = np.full(size, -1, dtype=np.int64)
                    np.maximum.at(latest, at, day)
                    v = np.where(latest >= 0, c - latest, np.nan)
                else:  # amount_365d: a sum, null when no record of the last 365 days had an amount
                    amount = p["amount"][keep]
                    sel = (day > c - 365) & ~np.isnan(amount)
                    seen = np.bincount(at[sel], minlength=size)
                    v = np.where(seen > 0, np.bincount(at[sel], weights=amount[sel], minlength=size), np.nan)
                out[base + np.arange(slots) * len(metrics) + i, :] = v.reshape(slots, width)
        return out

    def table(self, p: dict, rows, cutoff: dt.date):
        """The factor rows of ``cutoff`` (the columns of ``schema``)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        c = (cutoff - EPOCH).days
        if self.carry is not None:
            # the cutoff's entity rows, each entity's first
            mine = np.flatnonzero(~p["event"] & (p["day"] == c))
            ents, first = np.unique(p["row"][mine], return_index=True)
            mine = mine[first]
            lists = rows.column("carry").combine_chunks().take(pa.array(mine))
            flat = pc.list_flatten(lists).to_numpy(zero_copy_only=False).reshape(len(mine), len(self.carry))
            carried = [flat[:, j] for j in range(len(self.carry))]
        else:
            ents, carried = np.unique(p["row"][p["event"] & (p["day"] <= c)]), []
        values = self.values(p, cutoff)[:, ents] if len(ents) else np.empty((len(self.columns), 0))
        arrays = [p["ents"].take(pa.array(ents, pa.int64())), *(_doubles(col) for col in [*carried, *values])]
        return pa.Table.from_arrays(arrays, schema=self.schema)

    def tables(self, batches) -> Iterator:
        """(cutoff, its factor rows) of a partition's batches, for every cutoff with rows."""
        import pyarrow as pa

        parts = [b for b in batches if b.num_rows]
        if not parts:
            return
        rows = pa.Table.from_batches(parts)
        p = self._prepare(rows)
        for cutoff in self.cutoffs:
            t = self.table(p, rows, cutoff)
            if t.num_rows:
                yield cutoff, t

    def with_as_of(self, batches) -> Iterator:
        """``tables`` with the cutoff as column ``as_of`` (for task writes, partitioned by it)."""
        import pyarrow as pa

        for cutoff, t in self.tables(batches):
            yield t.append_column("as_of", pa.array([cutoff] * t.num_rows, pa.date32()))

    def __call__(self, batches):
        """``mapInArrow``: the rows of the only cutoff, in batches of 20,000."""
        if len(self.cutoffs) != 1:
            raise ValueError("a pivot for mapInArrow takes exactly one cutoff; write several with with_as_of")
        for _, t in self.tables(batches):
            yield from t.to_batches(max_chunksize=20_000)


def _doubles(values: np.ndarray):
    """A float64 Arrow array of ``values`` with NaN as null, on the numpy buffer (``pa.array(...,
    from_pandas=True)`` per column was a sixth of the pivot's time at ~1,300 columns)."""
    import pyarrow as pa

    values = np.ascontiguousarray(values, dtype=np.float64)
    missing = np.isnan(values)
    if not missing.any():
        return pa.Array.from_buffers(pa.float64(), len(values), [None, pa.py_buffer(values)])
    valid = pa.py_buffer(np.packbits(~missing, bitorder="little"))
    return pa.Array.from_buffers(pa.float64(), len(values), [valid, pa.py_buffer(values)], null_count=int(missing.sum()))


def layout(registry: Registry) -> tuple[list[str], list[str], dict[str, str]]:
    """(areas, catalog codes, catalog → area) of the factor columns: every area and catalog of the data
    catalog, delivered or not, so that the candidate set is the same for every city."""
    from lakehouse.silver.standardise import area_plans

    plans = area_plans(registry)
    area_of = {c: a for a in plans for c in plans[a].catalogs}
    return sorted(plans), sorted(area_of), area_of


def pivot_input(ev: DataFrame | None, entity_rows: DataFrame | None = None) -> DataFrame:
    """The rows an :class:`EventPivot` takes: events, and entity rows (``uscc``, ``event_date`` = the
    cutoff, ``carry``) when given (one of the two at least)."""
    from pyspark.sql import functions as F

    if ev is not None:
        ev = ev.select("uscc", "catalog", "event_date", F.col("amount").cast("double").alias("amount"))
    if entity_rows is None:
        return ev
    entity_rows = entity_rows.select(
        "uscc", F.lit(None).cast("string").alias("catalog"), "event_date", F.lit(None).cast("double").alias("amount"), "carry"
    )
    return entity_rows if ev is None else ev.withColumn("carry", F.lit(None).cast("array<double>")).unionByName(entity_rows)


def entity_rows(frame: DataFrame, carry: list[str], cutoff: dt.date) -> DataFrame:
    """An entity row per entity of ``frame`` (its ``carry`` columns packed in one list) as of ``cutoff``."""
    from pyspark.sql import functions as F

    return frame.select("uscc", F.lit(cutoff).alias("event_date"), F.array(*[F.col(c).cast("double") for c in carry]).alias("carry"))


def event_factors(
    ev: DataFrame,
    areas: list[str],
    codes: list[str],
    area_of: dict[str, str],
    cutoff: dt.date,
    partitions: int,
    frame: DataFrame | None = None,
) -> DataFrame:
    """Per-area and per-catalog factors as of ``cutoff``, wide: the events are shuffled by entity and
    pivoted per partition with numpy (:class:`EventPivot`). A Spark ``pivot`` over ~550 catalogs makes
    a plan of thousands of expressions whose analysis alone takes minutes.

    ``frame`` (``uscc`` and double columns, one row per entity): only these entities, each with its
    columns first, also with no event (counts 0). They go through the pivot rather than a join: at
    ~1,300 columns, Spark's shuffle, join and null filling of the wide rows cost more than the pivot.
    """
    from pyspark.sql import functions as F

    ev = ev.where(F.col("event_date") <= F.lit(cutoff))
    carry = None if frame is None else [c for c in frame.columns if c != "uscc"]
    rows = pivot_input(ev, None if frame is None else entity_rows(frame, carry, cutoff))
    pivot = EventPivot(areas, codes, area_of, [cutoff], carry)
    return rows.repartition(partitions, "uscc").mapInArrow(pivot, pivot.spark_schema())


@dataclass
class FactorSet:
    frame: DataFrame
    factors: list[Factor]

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.factors]


COUNT_PREFIXES = (
    "hist_inspections",
    "hist_penalties",
    "hist_abnormal",
    "hist_licences",
    "hist_annual_reports",
    "hist_changes",
    "sh_count",
    "sh_persons",
)


EVENTS_PER_PARTITION = 2_000_000  # a wide pivot pays per task: few, large partitions


def event_sources(names: list[str], areas: list[str], codes: list[str]) -> tuple[list[str], list[str]]:
    """The subject areas and catalogs whose events the factors ``names`` are computed from."""
    by_col = {column_name(c): c for c in codes}
    need_areas, need_codes = set(), set()
    for n in names:
        for a in areas:
            if n.startswith(f"area_{a}_") and n[len(f"area_{a}_") :] in AREA_METRICS:
                need_areas.add(a)
        if n.startswith("cat_"):
            for m in CATALOG_METRICS:
                if n.endswith(f"_{m}") and n[4 : -len(m) - 1] in by_col:
                    need_codes.add(by_col[n[4 : -len(m) - 1]])
    return sorted(need_areas), sorted(need_codes)


def carried_factors(
    tables: Tables, cutoff: dt.date, wanted: set[str] | None = None, keep: DataFrame | None = None
) -> tuple[DataFrame, list[Factor]]:
    """The register, shareholder and history factors as of ``cutoff``: one row per registered entity,
    doubles, counts 0 where nothing was found (``wanted``: only the tables those factors need; ``keep``:
    only the entities of that frame)."""
    from pyspark.sql import functions as F

    def needed(names) -> bool:
        return wanted is None or bool(wanted & set(names))

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
        # missing only when due: the entity existed by the end of the due year and filed no report for it
        due = F.col("ent_age_days") >= (cutoff - dt.date(due_year(cutoff), 12, 31)).days
        frame = frame.withColumn(
            "hist_annual_report_missing", F.when(due & (F.coalesce(F.col("_filed_due"), F.lit(0)) == 0), 1).otherwise(0)
        ).drop("_filed_due")
        hist_names = (hist_names - {"_filed_due"}) | {"hist_annual_report_missing"}
    factors += [f for f in HISTORY_FACTORS if f.name in hist_names]
    counts = [f.name for f in factors if f.name.startswith(COUNT_PREFIXES)]
    frame = frame.fillna(0, subset=counts) if counts else frame
    return frame.select("uscc", *[F.col(f.name).cast("double").alias(f.name) for f in factors]), factors


def event_partitions(tables: Tables, registry: Registry) -> int:
    """Pivot partitions for the events of every silver area: one per two million records (from the
    tables' file statistics, no scan)."""
    records = sum(
        f.num_records or 0 for a in layout(registry)[0] if tables.exists(f"silver.{a}") for f in tables.snapshot(f"silver.{a}").files
    )
    return max(2, -(-records // EVENTS_PER_PARTITION))


def build(
    spark: SparkSession,
    tables: Tables,
    registry: Registry,
    cutoff: dt.date,
    ev: DataFrame | None = None,
    partitions: int | None = None,
    only: list[str] | None = None,
    entities: DataFrame | None = None,
) -> FactorSet:
    """All candidate factors of every entity registered on or before ``cutoff``.

    ``ev`` is :func:`events` (all dates), with ``partitions`` for the pivot (default: one per two
    million records). :func:`write` computes several cutoffs from one shuffle of the events.

    ``only`` (factor names) computes just those factors, reading only the tables they come from;
    ``entities`` (a frame with a ``uscc`` column) keeps only those entities. Values are the same
    as in the full build: network factors still count every registered entity.
    """
    from pyspark.sql import functions as F

    wanted = None if only is None else set(only)
    keep = None if entities is None else F.broadcast(entities.select("uscc").distinct())
    frame, factors = carried_factors(tables, cutoff, wanted, keep)

    areas, codes, area_of = layout(registry)
    if wanted is not None:
        areas, codes = event_sources(sorted(wanted), areas, codes)
        if ev is None and (areas or codes):
            ev = events(tables, registry, set(areas), set(codes))
    elif ev is None:
        ev = events(tables, registry)
    if ev is not None and (areas or codes):
        if keep is not None:
            ev = ev.join(keep, "uscc", "left_semi")
        if partitions is None:
            partitions = spark.sparkContext.defaultParallelism if entities is not None else event_partitions(tables, registry)
        if wanted is None and entities is None:
            frame = event_factors(ev, areas, codes, area_of, cutoff, partitions, frame)  # the entities' factors so far pass through
        else:
            # a few columns for some entities (re-scoring): a join is cheaper here (measured 70 s against 75 s)
            wide = event_factors(ev, areas, codes, area_of, cutoff, partitions)
            frame = frame.join(wide, "uscc", "left").fillna(0, subset=[c for c in wide.columns if c.endswith(EVENT_COUNTS)])
        factors += area_factor_list(areas, AREA_ZH)
        factors += catalog_factor_list(registry, codes)
    if wanted is not None:
        missing = wanted - {f.name for f in factors}
        if missing:
            raise RegulakeError(
                f"unknown factor(s) {sorted(missing)}: not computed by this version of regulake "
                "(or their source tables do not exist); re-train the model on the current factor set"
            )
        factors = [f for f in factors if f.name in wanted]
    frame = frame.select("uscc", *[f.name for f in factors])
    return FactorSet(frame.withColumn("as_of", F.lit(cutoff)), factors)


AREA_ZH = {
    "registration": "登记注册",
    "shareholders_contributions": "股东出资",
    "annual_reports": "年度报告",
    "inspections": "检查",
    "penalties": "行政处罚",
    "abnormal_operations": "经营异常",
    "complaints": "投诉举报",
    "licences": "许可证件",
    "serious_violations": "严重违法失信",
    "tax": "税务",
    "social_insurance": "社会保险",
    "utilities": "水电气",
    "court_judgments": "司法判决",
    "finance_credit": "金融信用",
    "statistics": "统计",
    "environment": "生态环境",
    "safety": "安全生产",
    "transport": "交通运输",
    "housing_fund": "住房公积金",
    "employment": "劳动就业",
    "food_drug": "食品药品",
    "health": "卫生健康",
    "agriculture": "农业农村",
    "construction": "住房建设",
    "culture_tourism": "文化旅游",
    "education": "教育",
    "honours": "荣誉表彰",
    "intellectual_property": "知识产权",
    "property_land": "自然资源",
    "public_security": "公安",
    "trade_customs": "商务海关",
}


def factor_catalog_rows(factors: list[Factor]) -> list[dict]:
    return [{"factor": f.name, "description_zh": f.description_zh, "description_en": f.description_en, "family": f.family} for f in factors]


def dates(tables: Tables) -> set[dt.date]:
    """The ``as_of`` dates gold.factors holds (from the snapshot's file list, no scan)."""
    if not tables.exists(FACTORS):
        return set()
    return {dt.date.fromisoformat(v[:10]) for v in tables.snapshot(FACTORS).partition_values("as_of")}


@dataclass
class Written:
    version: int | None
    entities: dict[dt.date, int]  # rows written per cutoff
    factors: int


def write(spark: SparkSession, tables: Tables, registry: Registry, cutoffs: list[dt.date]) -> Written:
    """Replace ``gold.factors`` as of each cutoff (one commit), and the factor catalog.

    The events are read and shuffled by entity once; each pivot task computes every cutoff from its
    events and writes the rows itself (:mod:`lakehouse.tables.task_files`): at ~1,300 columns, Spark's
    conversion to rows and its Parquet writer cost several times the pivot. Aggregating in Spark per
    cutoff cost a scan and two shuffles each (16 min for four cutoffs at SF 1).
    """
    from pyspark.sql import functions as F

    cutoffs = sorted(cutoffs)
    if not cutoffs:
        return Written(None, {}, 0)
    areas, codes, area_of = layout(registry)
    carried, factors = None, []
    for cutoff in cutoffs:
        frame, factors = carried_factors(tables, cutoff)
        rows = entity_rows(frame, [f.name for f in factors], cutoff)
        carried = rows if carried is None else carried.unionByName(rows)
    carry = [f.name for f in factors]
    ev = events(tables, registry)
    rows = pivot_input(None if ev is None else ev.where(F.col("event_date") <= F.lit(cutoffs[-1])), carried)
    pivot = EventPivot(areas, codes, area_of, cutoffs, carry)
    staged = tables.stage_in_tasks(
        FACTORS,
        rows.repartition(event_partitions(tables, registry), "uscc"),
        pivot.with_as_of,
        pivot.spark_schema(as_of=True),
        partition_by=["as_of"],
    )
    res = tables.write(
        FACTORS, staged, mode="overwrite", partition_by=["as_of"], replace_where={"as_of": cutoffs}, schema_mode="add_columns"
    )
    factors += area_factor_list(areas, AREA_ZH) + catalog_factor_list(registry, codes)
    cat = spark.createDataFrame(factor_catalog_rows(factors), "factor string, description_zh string, description_en string, family string")
    tables.write(FACTOR_CATALOG, cat, mode="overwrite", schema_mode="add_columns")
    return Written(res.version, {c: staged.rows({"as_of": c.isoformat()}) for c in cutoffs}, len(factors))

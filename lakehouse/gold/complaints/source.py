"""The complaints to mine and the entities they are about, from silver, with periods.

A complaint's district is where it happened (``district_code`` of ``SCJG-008``), else the
entity's; its industry is the entity's GB/T 4754 section (``silver.registration``,
catalog ``SCJG-001``). Periods are labelled ``2025-07`` (month), ``2025-Q3`` (quarter) or
``2025`` (year).
"""

from __future__ import annotations

import csv
import datetime as dt
from functools import lru_cache
from typing import TYPE_CHECKING

from lakehouse.errors import RegulakeError

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

    from lakehouse.config.complaints import ComplaintsSettings
    from lakehouse.tables import Tables

REGISTER_CATALOG = "SCJG-001"
GROUP = ["period", "district_code", "industry_section"]


# -- periods ------------------------------------------------------------------------


def period_col(date: Column | str, grain: str) -> Column:
    from pyspark.sql import functions as F

    d = F.col(date) if isinstance(date, str) else date
    if grain == "month":
        return F.date_format(d, "yyyy-MM")
    if grain == "quarter":
        return F.concat(F.year(d).cast("string"), F.lit("-Q"), F.quarter(d).cast("string"))
    return F.year(d).cast("string")


def period_label(day: dt.date, grain: str) -> str:
    if grain == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if grain == "quarter":
        return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year:04d}"


def period_bounds(label: str, grain: str) -> tuple[dt.date, dt.date]:
    """First and last day of a period label."""
    year = int(label[:4])
    if grain == "month":
        m0 = m1 = int(label[5:7])
    elif grain == "quarter":
        q = int(label[-1])
        m0, m1 = 3 * q - 2, 3 * q
    else:
        m0, m1 = 1, 12
    start = dt.date(year, m0, 1)
    end = (dt.date(year + (m1 == 12), m1 % 12 + 1, 1)) - dt.timedelta(days=1)
    return start, end


def previous_period(label: str, grain: str) -> str:
    start, _ = period_bounds(label, grain)
    return period_label(start - dt.timedelta(days=1), grain)


def last_complete_day(as_of: dt.date, grain: str, include_partial: bool) -> dt.date:
    """The last day whose complaints count: ``as_of``, or the end of the last finished period."""
    if include_partial:
        return as_of
    start, end = period_bounds(period_label(as_of, grain), grain)
    return as_of if as_of == end else start - dt.timedelta(days=1)


# -- reference ------------------------------------------------------------------------


@lru_cache(maxsize=1)
def division_sections() -> dict[str, str]:
    """GB/T 4754-2017 division (2 digits) → section letter."""
    from catalog.loader import DATA_DIR

    with (DATA_DIR / "reference" / "gbt4754_2017.csv").open(encoding="utf-8") as fh:
        return {r["code"]: r["parent_code"] for r in csv.DictReader(fh) if r["level"] == "2"}


@lru_cache(maxsize=1)
def section_names() -> dict[str, str]:
    from catalog.loader import DATA_DIR

    with (DATA_DIR / "reference" / "gbt4754_2017.csv").open(encoding="utf-8") as fh:
        return {r["code"]: r["name"] for r in csv.DictReader(fh) if r["level"] == "1"}


@lru_cache(maxsize=1)
def district_names() -> dict[str, str]:
    from catalog.loader import DATA_DIR

    with (DATA_DIR / "reference" / "foshan_divisions.csv").open(encoding="utf-8") as fh:
        return {r["code"]: r["name"] for r in csv.DictReader(fh) if r["level"] == "district"}


def section_of(industry_code: Column) -> Column:
    """Section letter of a GB/T 4754 class code (by its division)."""
    from itertools import chain

    from pyspark.sql import functions as F

    mapping = F.create_map(*[F.lit(x) for x in chain.from_iterable(division_sections().items())])
    return mapping[F.substring(industry_code, 1, 2)]


# -- inputs ---------------------------------------------------------------------------


def entities(tables: Tables, as_of: dt.date) -> DataFrame:
    """Registered entities by ``as_of``: uscc, entity_name, district_code, industry_section, establishment_date."""
    from pyspark.sql import functions as F

    if not tables.exists("silver.registration"):
        raise RegulakeError("complaint mining needs silver.registration; run 'regulake run bronze' and 'regulake run silver' first")
    reg = tables.read(
        "silver.registration",
        filters=[("catalog", "=", REGISTER_CATALOG)],
        columns=["uscc", "entity_name", "district_code", "industry_code", "establishment_date"],
    )
    reg = reg.where(F.col("uscc").isNotNull() & (F.col("establishment_date") <= F.lit(as_of)))
    # one row per entity (silver keeps one per record key already; be safe)
    reg = reg.dropDuplicates(["uscc"])
    return reg.select(
        "uscc", "entity_name", "district_code", section_of(F.col("industry_code")).alias("industry_section"), "establishment_date"
    )


def complaints(tables: Tables, settings: ComplaintsSettings, last_day: dt.date, registered: DataFrame) -> DataFrame:
    """complaint_id, uscc, entity_name, received_date, period, district_code, industry_section, complaint_text."""
    from pyspark.sql import functions as F

    if not tables.exists("silver.complaints"):
        raise RegulakeError(
            "complaint mining needs silver.complaints (catalog SCJG-008); run 'regulake run bronze' and 'regulake run silver' first"
        )
    c = tables.read(
        "silver.complaints",
        filters=[("catalog", "=", settings.catalog)],
        columns=["complaint_id", "uscc", "entity_name", "received_date", "district_code", "complaint_text"],
    )
    c = c.where(F.col("complaint_id").isNotNull() & F.col("received_date").isNotNull() & (F.col("received_date") <= F.lit(last_day)))
    c = c.dropDuplicates(["complaint_id"])
    e = registered.select("uscc", F.col("entity_name").alias("_name"), F.col("district_code").alias("_district"), "industry_section")
    out = c.join(e, "uscc", "left")
    return out.select(
        "complaint_id",
        "uscc",
        F.coalesce("entity_name", "_name").alias("entity_name"),
        "received_date",
        period_col("received_date", settings.period).alias("period"),
        F.coalesce("district_code", "_district").alias("district_code"),
        "industry_section",
        "complaint_text",
    )

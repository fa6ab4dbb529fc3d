"""Table and column comments of the tables served to Trino, taken from the data standards.

A column's comment is, in order: the comment already in the Delta schema (field metadata
``comment``); the data standard of the catalog field of that name (the register catalog
first), as ``中文名 / English name: description``; for the entity profile's indicators, a
sentence built from the subject area's names; for masked and hashed personal data, what it
is derived from. Columns none of these cover get no comment.
"""

from __future__ import annotations

import re
from functools import lru_cache

TABLE_COMMENTS = {
    "gold.entity_profile": "一户一档 entity profile: one row per market entity and cutoff date (as_of), register facts and indicators per subject area",
    "gold.kpi": "关键指标 KPIs per cutoff date: the register, the credit picture and the pipeline's own quality",
}
_FIXED = {
    "as_of": "数据截止日期 / cutoff date the row is computed as of",
    "age_days": "成立天数 / days from the establishment date to the cutoff date",
    "metric": "指标 / metric name",
    "dimension": "维度 / dimension value the metric is broken down by (empty: total)",
    "value": "指标值 / metric value",
}
_INDICATORS = [
    (re.compile(r"^(?P<area>[a-z_]+)_count_all$"), "{zh}记录数（全部） / records of {en} up to the cutoff date"),
    (re.compile(r"^(?P<area>[a-z_]+)_count_365d$"), "{zh}记录数（近365天） / records of {en} in the 365 days up to the cutoff date"),
    (re.compile(r"^(?P<area>[a-z_]+)_days_since_last$"), "距最近一条{zh}记录天数 / days from the latest record of {en} to the cutoff date"),
    (
        re.compile(r"^(?P<area>[a-z_]+)_amount_365d$"),
        "{zh}金额合计（近365天） / sum of the amounts of {en} in the 365 days up to the cutoff date",
    ),
]
_PII = [
    (re.compile(r"^(?P<base>[a-z_]+)_hash$"), "（keyed hash）/ keyed HMAC hash of {en}, for joins only"),
    (re.compile(r"^(?P<base>[a-z_]+)_masked$"), "（masked）/ masked {en}, for display"),
]


@lru_cache(maxsize=1)
def _standards_by_field() -> dict[str, object]:
    from catalog import load_catalog

    reg = load_catalog()
    out: dict[str, object] = {}
    order = sorted(reg.catalogs.values(), key=lambda c: (c.code != "SCJG-001", c.code))
    for cat in order:
        for f in cat.fields:
            out.setdefault(f.name, reg.standards[f.standard])
    return out


@lru_cache(maxsize=1)
def _areas() -> dict[str, str]:
    from catalog.catalogs import SUBJECT_AREAS

    return dict(SUBJECT_AREAS)


def _standard_text(std) -> str:
    return f"{std.name_zh} / {std.name_en}: {std.description_en}"


def column_comment(column: str, existing: str | None = None) -> str | None:
    if existing:
        return existing
    if column in _FIXED:
        return _FIXED[column]
    try:
        standards = _standards_by_field()
    except Exception:  # the catalog is not readable here: no comments rather than no service
        standards = {}
    if column in standards:
        return _standard_text(standards[column])
    for pattern, template in _INDICATORS:
        m = pattern.match(column)
        if m and m["area"] in _areas():
            area = m["area"]
            return template.format(zh=_areas()[area], en=area.replace("_", " "))
    for pattern, template in _PII:
        m = pattern.match(column)
        if m and m["base"] in standards:
            std = standards[m["base"]]
            return std.name_zh + template.format(en=std.name_en)
    return None


def table_comment(table: str, description: str | None = None) -> str | None:
    """``table`` is ``layer.name``; the Delta table's own description wins."""
    return description or TABLE_COMMENTS.get(table)

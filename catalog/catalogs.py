"""Departments, code tables and data catalogs (数据目录), and the registry holding them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict

from catalog.standards import Standard

Frequency = Literal["realtime", "daily", "weekly", "monthly", "quarterly", "yearly"]
DeliveryFormat = Literal["csv_utf8", "csv_gbk", "jsonl", "xlsx"]

FREQUENCIES: tuple[str, ...] = Frequency.__args__  # type: ignore[attr-defined]
FORMATS: tuple[str, ...] = DeliveryFormat.__args__  # type: ignore[attr-defined]

SUBJECT_AREAS: dict[str, str] = {
    "registration": "登记注册",
    "shareholders_contributions": "股东及出资",
    "annual_reports": "年度报告",
    "licences": "行政许可",
    "inspections": "检查监管",
    "penalties": "行政处罚",
    "abnormal_operations": "经营异常名录",
    "serious_violations": "严重违法失信",
    "complaints": "投诉举报",
    "tax": "税务",
    "social_insurance": "社会保险",
    "housing_fund": "住房公积金",
    "utilities": "水电气",
    "court_judgments": "司法裁判与执行",
    "environment": "生态环境",
    "safety": "安全生产与消防",
    "food_drug": "食品药品",
    "product_quality": "产品质量与计量",
    "trade_customs": "海关与外贸",
    "property_land": "不动产与土地",
    "construction": "住房与建设",
    "transport": "交通运输",
    "employment": "劳动用工",
    "intellectual_property": "知识产权",
    "finance_credit": "金融与信用",
    "statistics": "统计",
    "honours": "表彰与红名单",
    "public_security": "公安管理",
    "agriculture": "农业农村",
    "culture_tourism": "文化旅游",
    "health": "卫生健康",
    "education": "教育",
}


class Department(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    name_zh: str
    name_en: str
    level: Literal["city", "district", "central", "utility", "court"]


class CodeEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    domain: str
    code: str
    name_zh: str
    name_en: str = ""
    parent: str = ""


class CatalogField(BaseModel):
    """One column of a catalog, bound to a data standard."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    catalog: str
    position: int
    name: str  # English column name used by the lakehouse
    source_name: str  # the column header as the department delivers it (often Chinese)
    standard: str  # standard id
    required: bool = True


class Catalog(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    name_zh: str
    name_en: str
    department: str
    subject_area: str
    frequency: Frequency
    format: DeliveryFormat
    key_fields: tuple[str, ...]
    est_records: int  # records held at scale factor 1 (the department's stated data volume)
    description_zh: str = ""
    description_en: str = ""
    fields: tuple[CatalogField, ...] = ()

    def field(self, name: str) -> CatalogField:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"catalog {self.code} has no field {name!r}")


@dataclass
class Registry:
    """The whole governance catalog, validated and cross-linked."""

    departments: dict[str, Department]
    standards: dict[str, Standard]
    code_tables: dict[str, list[CodeEntry]]
    catalogs: dict[str, Catalog]
    source: str = ""
    _by_subject: Optional[Counter] = field(default=None, repr=False)

    @property
    def field_count(self) -> int:
        return sum(len(c.fields) for c in self.catalogs.values())

    def catalogs_by_subject(self) -> Counter:
        if self._by_subject is None:
            self._by_subject = Counter(c.subject_area for c in self.catalogs.values())
        return self._by_subject

    def standard_of(self, catalog_code: str, field_name: str) -> Standard:
        return self.standards[self.catalogs[catalog_code].field(field_name).standard]

    def codes(self, domain: str) -> list[str]:
        return [e.code for e in self.code_tables[domain]]

    def summary(self) -> dict:
        return {
            "departments": len(self.departments),
            "catalogs": len(self.catalogs),
            "standards": len(self.standards),
            "fields": self.field_count,
            "code_tables": len(self.code_tables),
            "est_records_sf1": sum(c.est_records for c in self.catalogs.values()),
            "by_subject_area": dict(sorted(self.catalogs_by_subject().items(), key=lambda kv: (-kv[1], kv[0]))),
        }

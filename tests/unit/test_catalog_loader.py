"""The catalog files: counts, real national standards, validation on load, clear errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from catalog.errors import CatalogError
from catalog.loader import DATA_DIR, load_catalog
from catalog.standards import validate_value


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("REGULAKE_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "catalog-cache"))


def mini_catalog(root: Path) -> Path:
    """A catalog of one department, three standards and one catalog, to spoil in tests."""
    (root / "reference").mkdir(parents=True)
    for name in ("foshan_divisions.csv", "gbt4754_2017.csv"):
        shutil.copyfile(DATA_DIR / "reference" / name, root / "reference" / name)
    (root / "departments.csv").write_text("code,name_zh,name_en,level\nSCJG,佛山市市场监督管理局,Foshan AMR,city\n", encoding="utf-8")
    (root / "code_tables.csv").write_text(
        "domain,code,name_zh,name_en,parent\ncontribution_method,1,货币,cash,\ncontribution_method,2,实物,in kind,\n", encoding="utf-8"
    )
    header = "id,name_zh,name_en,department,data_type,length,scale,pattern,domain,validator,min_value,max_value,unit,pii_class,reference,description_zh,description_en\n"
    (root / "standards.csv").write_text(
        header
        + "core.uscc,统一社会信用代码,unified social credit code,core,string,18,,,,uscc,,,,none,GB 32100-2015,代码,code\n"
        + "core.contribution_method,出资方式,contribution method,core,code,1,,,contribution_method,code_table,,,,none,,方式,method\n"
        + "SCJG.0001,检查编号,inspection number,SCJG,string,24,,^SCJ\\d{8}$,,pattern,,,,none,,编号,number\n",
        encoding="utf-8",
    )
    (root / "catalogs.csv").write_text(
        "code,name_zh,name_en,department,subject_area,frequency,format,key_fields,est_records,description_zh,description_en\n"
        "SCJG-001,股东出资,contributions,SCJG,shareholders_contributions,daily,csv_utf8,uscc,1000,,\n",
        encoding="utf-8",
    )
    (root / "catalog_fields.csv").write_text(
        "catalog,position,name,source_name,standard,required\n"
        "SCJG-001,1,uscc,统一社会信用代码,core.uscc,true\n"
        "SCJG-001,2,contribution_method,出资方式,core.contribution_method,true\n"
        "SCJG-001,3,inspection_no,检查编号,SCJG.0001,false\n",
        encoding="utf-8",
    )
    return root


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_case_numbers():
    reg = load_catalog()
    s = reg.summary()
    assert s["departments"] == 96
    assert s["catalogs"] == 552
    assert s["standards"] >= 8000
    assert s["fields"] > s["catalogs"] * 10
    assert abs(s["est_records_sf1"] - 140_000_000) < 1_000_000
    for area in (
        "registration",
        "shareholders_contributions",
        "annual_reports",
        "licences",
        "inspections",
        "penalties",
        "abnormal_operations",
        "complaints",
        "tax",
        "social_insurance",
        "utilities",
        "court_judgments",
    ):
        assert s["by_subject_area"].get(area, 0) >= 1, area
    assert {c.format for c in reg.catalogs.values()} == {"csv_utf8", "csv_gbk", "jsonl", "xlsx"}
    for c in reg.catalogs.values():
        assert c.key_fields and all(k in {f.name for f in c.fields} for k in c.key_fields)


def test_second_process_loads_from_the_validated_cache(monkeypatch):
    """A fresh process reads the pickled registry instead of validating 20k rows again."""
    from catalog import loader

    loader._CACHE.clear()
    first = load_catalog()  # validates (or reads the cache) and leaves a fresh cache file
    loader._CACHE.clear()  # as a fresh process would see it

    def no_validation(*args, **kwargs):
        raise AssertionError("validated the files again although the cache is fresh")

    monkeypatch.setattr(loader, "_load", no_validation)
    again = load_catalog()
    assert again.summary() == first.summary()


def test_real_national_standards():
    reg = load_catalog()
    uscc = reg.standards["core.uscc"]
    ok, value, reason = validate_value(uscc, " 91350100M000100Y43 ")
    assert ok and value == "91350100M000100Y43" and reason == ""
    ok, _, reason = validate_value(uscc, "91350100M000100Y44")
    assert not ok and "校验位" in reason and "check digit" in reason
    ric = reg.standards["core.resident_id"]
    assert validate_value(ric, "11010519491231002X")[0]
    assert not validate_value(ric, "110105194912310021")[0]
    method = reg.standards["core.contribution_method"]
    names = {e.name_zh for e in reg.code_tables["contribution_method"]}
    assert {"货币", "实物", "知识产权", "土地使用权", "股权", "债权"} <= names
    assert validate_value(method, "3")[0] and not validate_value(method, "8")[0]
    assert len(reg.code_tables["foshan_district"]) == 5
    assert len(reg.code_tables["foshan_village"]) == 818
    assert len(reg.code_tables["gbt4754_class"]) == 1381
    assert validate_value(reg.standards["core.industry_code"], "3381")[0]
    assert validate_value(reg.standards["core.village_code"], reg.codes("foshan_village")[0])[0]
    assert not validate_value(reg.standards["core.district_code"], "440101")[0]  # Guangzhou is not Foshan
    gender = reg.code_tables["gender"]
    assert {e.code for e in gender} == {"0", "1", "2", "9"}


def test_values_are_normalised_before_checking():
    reg = load_catalog()
    date = reg.standards["core.date"]
    for raw in ("2024-05-01", "2024/05/01", "20240501", "2024年5月1日", " 2024.05.01 ", "２０２４-０５-０１"):
        ok, value, _ = validate_value(date, raw)
        assert ok and str(value) == "2024-05-01", raw
    assert validate_value(date, "2024-02-30")[0] is False
    amount = reg.standards["core.amount_yuan"]
    assert validate_value(amount, "12.345")[0] is False
    assert validate_value(amount, "12.34")[1] == 12.34
    ok, value, reason = validate_value(reg.standards["core.entity_name"], "   ")
    assert not ok and "value is missing" in reason
    assert validate_value(reg.standards["core.entity_name"], "", required=False) == (True, None, "")


def test_every_standard_explains_itself_in_both_languages():
    reg = load_catalog()
    for std in list(reg.standards.values())[::50]:
        text = std.explain()
        assert std.name_zh in text and std.name_en in text and "须" in text and "must" in text
        assert std.description_zh and std.description_en


def test_generator_matches_the_committed_files():
    import csv

    from catalog.generate import build
    from catalog.loader import FILES

    rows = build()
    for name in FILES:
        with (DATA_DIR / name).open(encoding="utf-8", newline="") as fh:
            on_disk = list(csv.reader(fh))[1:]
        assert on_disk == [[str(v) for v in r] for r in rows[name]], name


def test_mini_catalog_loads(tmp_path):
    reg = load_catalog(mini_catalog(tmp_path / "c"))
    assert list(reg.catalogs) == ["SCJG-001"]
    assert validate_value(reg.standards["SCJG.0001"], "SCJ12345678")[0]


@pytest.mark.parametrize(
    "file, old, new, expected",
    [
        (
            "catalog_fields.csv",
            "core.contribution_method,true",
            "core.no_such_thing,true",
            ["catalog_fields.csv: row 3", "field 'standard'", "unknown standard id 'core.no_such_thing'"],
        ),
        ("catalogs.csv", "SCJG-001,股东出资", "SCJG-001,股东出资\nSCJG-001,重复", None),
        ("standards.csv", r"^SCJ\d{8}$", r"^SCJ(\d{8}$", ["standards.csv: row 4", "field 'pattern'", "not a valid regular expression"]),
        (
            "standards.csv",
            "core,code,1,,,contribution_method",
            "core,code,1,,,no_table",
            ["standards.csv: row 3", "field 'domain'", "unknown code table 'no_table'"],
        ),
        ("catalogs.csv", ",est_records,", ",records,", ["catalogs.csv: row 1", "missing column(s) est_records"]),
        (
            "catalog_fields.csv",
            "SCJG-001,2,contribution_method,出资方式",
            "SCJG-001,2,contribution_method,",
            ["catalog_fields.csv: row 3", "field 'source_name': a value is required"],
        ),
        ("catalogs.csv", "daily,csv_utf8", "hourly,csv_utf8", ["catalogs.csv: row 2", "field 'frequency'"]),
        ("catalogs.csv", "csv_utf8,uscc", "csv_utf8,uscc;nope", ["catalogs.csv: row 2", "field 'key_fields'", "'nope' is not a field"]),
        (
            "departments.csv",
            "SCJG,佛山市市场监督管理局,Foshan AMR,city",
            "SCJG,佛山市市场监督管理局,Foshan AMR,city\nSCJG,again,again,city",
            ["departments.csv: row 3", "duplicate department code 'SCJG'"],
        ),
    ],
)
def test_malformed_catalog_names_file_row_and_field(tmp_path, file, old, new, expected):
    root = mini_catalog(tmp_path / "c")
    if expected is None:  # a duplicate catalog code: the catalog's row delivered twice
        text = (root / file).read_text(encoding="utf-8")
        (root / file).write_text(text + text.splitlines()[1] + "\n", encoding="utf-8")
        expected = ["catalogs.csv: row 3", "field 'code'", "duplicate catalog code 'SCJG-001'"]
    else:
        _edit(root / file, old, new)
    with pytest.raises(CatalogError) as err:
        load_catalog(root)
    message = str(err.value)
    for part in expected:
        assert part in message, message


def test_catalog_error_is_a_user_error():
    from lakehouse.errors import RegulakeError

    assert issubclass(CatalogError, RegulakeError)

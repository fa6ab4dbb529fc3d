"""The check-item catalogue: 44 forms, 2,128 items, generated deterministically from the seed files; bound to plan tasks;
the xlsx round trip; broken seeds refused with the file and row named."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest


def digest(cat) -> str:
    return hashlib.sha256(json.dumps([f.as_dict() for f in cat.forms.values()], ensure_ascii=False).encode()).hexdigest()


def test_44_forms_2128_items_deterministic():
    from catalog.inspection_forms import ANSWERS, VIOLATION_RESULTS, load_forms

    cat = load_forms()
    assert len(cat.forms) == 44 and cat.item_count == 2128
    items = list(cat.items())
    assert len({i.item_id for i in items}) == 2128
    assert all(
        i.answers == ANSWERS
        and i.legal_basis.startswith("《")
        and i.violation_result in VIOLATION_RESULTS
        and i.wording_zh.startswith(i.section_zh + "：")
        and i.item_id.startswith(i.form_id + "-")
        for i in items
    )
    assert {f.item_code for f in cat.forms.values()} == {f"{i:02d}" for i in range(1, 9)}
    assert digest(cat) == digest(load_forms())
    f = cat.forms["JCB-11"]
    assert (f.name_zh, len(f.items), f.items[0].item_id, f.items[-1].item_id) == (
        "餐饮服务环节监督检查表",
        50,
        "JCB-11-01-01",
        "JCB-11-09-02",
    )


def test_a_task_is_bound_to_its_form():
    from catalog.errors import CatalogError
    from catalog.inspection_forms import load_forms

    cat = load_forms()
    assert cat.form_for("03", "H").form_id == "JCB-11"  # catering
    assert cat.form_for("03", "C").form_id == "JCB-12"  # food production
    assert cat.form_for("03", "Z").form_id == "JCB-10"  # the item's default form
    assert cat.form_for("01", None).form_id == "JCB-01"
    with pytest.raises(CatalogError, match="no inspection form"):
        cat.form_for("99")


def test_xlsx_round_trip_and_refusals(tmp_path):
    from openpyxl import load_workbook

    from catalog.errors import CatalogError
    from catalog.inspection_forms import DATA_DIR, export_forms_xlsx, import_forms_xlsx, load_forms

    book = export_forms_xlsx(tmp_path / "forms.xlsx")
    wb = load_workbook(book, read_only=True)
    assert wb.sheetnames == ["forms", "checks", "items"] and sum(1 for _ in wb["items"].iter_rows()) == 2129
    target = tmp_path / "seed"
    import_forms_xlsx(book, target)
    for name in ("forms.csv", "checks.csv"):
        assert (target / name).read_bytes() == (DATA_DIR / name).read_bytes()
    assert digest(load_forms(target)) == digest(load_forms())

    # a broken seed: named by file, row and column; nothing replaced on import
    bad = tmp_path / "bad"
    shutil.copytree(DATA_DIR, bad)
    text = (
        (bad / "checks.csv").read_text(encoding="utf-8").replace("《企业信息公示暂行条例》第八条,6", "《企业信息公示暂行条例》第八条,9", 1)
    )
    (bad / "checks.csv").write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError, match=r"checks.csv row 2: violation_result '9'"):
        load_forms(bad)
    forms = (
        (bad / "forms.csv")
        .read_text(encoding="utf-8")
        .replace(
            "JCB-01,01,true,,企业年度报告公示信息检查表,annual-report disclosure check,50",
            "JCB-01,01,true,,企业年度报告公示信息检查表,annual-report disclosure check,60",
        )
    )
    (bad / "forms.csv").write_text(forms, encoding="utf-8")
    with pytest.raises(CatalogError, match=r"forms.csv row 2 \(JCB-01\): items 60 must be 1..54"):
        load_forms(bad)
    export_forms_xlsx(tmp_path / "ok.xlsx", target)
    wb = load_workbook(tmp_path / "ok.xlsx")
    wb["checks"]["E2"] = "1"
    wb.save(tmp_path / "edited.xlsx")
    before = (target / "checks.csv").read_bytes()
    with pytest.raises(CatalogError, match="violation_result '1'"):
        import_forms_xlsx(tmp_path / "edited.xlsx", target)
    assert (target / "checks.csv").read_bytes() == before


def test_cli_shows_the_catalogue():
    from typer.testing import CliRunner

    from lakehouse.cli import app

    r = CliRunner().invoke(app, ["catalog", "forms"], env={"COLUMNS": "200"})
    assert r.exit_code == 0 and "44 inspection forms, 2,128 check items" in r.output and "JCB-44" in r.output
    r = CliRunner().invoke(app, ["catalog", "forms", "JCB-11"], env={"COLUMNS": "200"})
    assert r.exit_code == 0 and "JCB-11-09-02" in r.output
    r = CliRunner().invoke(app, ["catalog", "forms", "JCB-99"])
    assert r.exit_code != 0 and "no inspection form 'JCB-99'" in str(r.exception)

"""The catalog's Excel round trip and the `regulake catalog` commands."""

from __future__ import annotations

import filecmp

import pytest
from typer.testing import CliRunner

from catalog.errors import CatalogError
from catalog.loader import DATA_DIR
from catalog.xlsx import SHEETS, export_xlsx, import_xlsx
from tests.unit.test_catalog_loader import mini_catalog


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("REGULAKE_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "catalog-cache"))


def test_full_catalog_round_trips_through_xlsx(tmp_path):
    book = export_xlsx(tmp_path / "catalog.xlsx")
    out = import_xlsx(book, tmp_path / "imported")
    for name in SHEETS:
        assert filecmp.cmp(DATA_DIR / name, out / name, shallow=False), name


def test_edited_workbook_with_a_mistake_is_refused_naming_sheet_row_and_field(tmp_path):
    from openpyxl import load_workbook

    src = mini_catalog(tmp_path / "mini")
    book = export_xlsx(tmp_path / "mini.xlsx", src)
    wb = load_workbook(book)
    ws = wb["catalog_fields"]
    assert ws.cell(row=3, column=5).value == "core.contribution_method"
    ws.cell(row=3, column=5).value = "core.typo"
    wb.save(book)
    target = tmp_path / "target"
    with pytest.raises(CatalogError) as err:
        import_xlsx(book, target)
    msg = str(err.value)
    assert "sheet 'catalog_fields'" in msg and "row 3" in msg and "field 'standard'" in msg and "core.typo" in msg
    assert not target.exists()  # nothing replaced


def test_import_of_a_missing_or_foreign_file_is_a_clear_error(tmp_path):
    with pytest.raises(CatalogError, match="not found"):
        import_xlsx(tmp_path / "nope.xlsx", tmp_path / "t")
    (tmp_path / "bad.xlsx").write_text("not a workbook")
    with pytest.raises(CatalogError, match="not a readable xlsx"):
        import_xlsx(tmp_path / "bad.xlsx", tmp_path / "t")


def test_cli_summary_validate_and_errors(tmp_path):
    from lakehouse.cli import app

    runner = CliRunner()
    r = runner.invoke(app, ["catalog", "summary"])
    assert r.exit_code == 0, r.output
    assert "552" in r.output and "96" in r.output and "inspections" in r.output
    r = runner.invoke(app, ["catalog", "show", "SCJG-002"])
    assert r.exit_code == 0 and "股东及出资信息" in r.output and "core.uscc" in r.output
    r = runner.invoke(app, ["catalog", "show", "NOPE-1"])
    assert isinstance(r.exception, CatalogError) and "no catalog 'NOPE-1'" in str(r.exception)
    r = runner.invoke(app, ["catalog", "validate"])
    assert r.exit_code == 0 and "valid" in r.output
    src = mini_catalog(tmp_path / "mini")
    (src / "catalogs.csv").write_text("code\n", encoding="utf-8")
    r = runner.invoke(app, ["catalog", "validate", "--data-dir", str(src)])
    assert isinstance(r.exception, CatalogError) and "missing column(s)" in str(r.exception)
    book = tmp_path / "m.xlsx"
    r = runner.invoke(app, ["catalog", "export-xlsx", str(book), "--data-dir", str(mini_catalog(tmp_path / "m2"))])
    assert r.exit_code == 0 and book.exists()
    r = runner.invoke(app, ["catalog", "import-xlsx", str(book), "--data-dir", str(tmp_path / "m3")])
    assert r.exit_code == 0 and (tmp_path / "m3" / "catalogs.csv").exists()

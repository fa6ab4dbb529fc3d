"""Export the catalog to the Excel workbook governance teams use, and import it back.

One sheet per catalog file, with the same columns; cells hold the files' text, so
``export_xlsx`` then ``import_xlsx`` gives back byte-identical files::

    >>> export_xlsx("catalog.xlsx")                      # doctest: +SKIP
    >>> import_xlsx("catalog.xlsx", "catalog/data")      # doctest: +SKIP
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from pathlib import Path

from catalog.errors import CatalogError
from catalog.loader import DATA_DIR, FILES, REFERENCE_FILES, load_catalog

SHEETS: dict[str, str] = {name: name.rsplit("/", 1)[-1].removesuffix(".csv") for name in list(FILES) + list(REFERENCE_FILES)}


def export_xlsx(path: str | Path, data_dir: str | Path | None = None) -> Path:
    """Write every catalog file as a sheet of one workbook (validating the files first)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    d = Path(data_dir) if data_dir else DATA_DIR
    load_catalog(d)  # never export a catalog that does not validate
    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for name, sheet in SHEETS.items():
        ws = wb.create_sheet(sheet)
        ws.freeze_panes = "A2"
        with (d / name).open(encoding="utf-8-sig", newline="") as fh:
            for i, row in enumerate(csv.reader(fh)):
                if i == 0:
                    from openpyxl.cell import WriteOnlyCell

                    cells = []
                    for v in row:
                        c = WriteOnlyCell(ws, value=v)
                        c.font = bold
                        cells.append(c)
                    ws.append(cells)
                else:
                    ws.append(row)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def _cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def import_xlsx(path: str | Path, data_dir: str | Path | None = None) -> Path:
    """Read a workbook (as exported, possibly edited), validate it and replace the files in
    ``data_dir``. Nothing is replaced when it does not validate; the error names the sheet's
    file, row and field."""
    from openpyxl import load_workbook

    src = Path(path)
    if not src.exists():
        raise CatalogError([f"{src}: workbook not found"])
    try:
        wb = load_workbook(src, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a file that is not xlsx
        raise CatalogError([f"{src}: not a readable xlsx workbook ({exc})"]) from None
    target = Path(data_dir) if data_dir else DATA_DIR
    missing = [s for s in SHEETS.values() if s not in wb.sheetnames]
    if missing:
        raise CatalogError([f"{src}: missing sheet(s) {', '.join(missing)}"])
    with tempfile.TemporaryDirectory(prefix="catalog-import-") as tmp:
        staged = Path(tmp)
        for name, sheet in SHEETS.items():
            out = staged / name
            out.parent.mkdir(parents=True, exist_ok=True)
            with out.open("w", encoding="utf-8", newline="") as fh:
                w = csv.writer(fh, lineterminator="\n")
                width = None
                for row in wb[sheet].iter_rows(values_only=True):
                    cells = [_cell_text(v) for v in row]
                    if width is None:  # the header fixes the width; editors may drop empty trailing cells
                        while cells and cells[-1] == "":
                            cells.pop()
                        width = len(cells)
                    elif len(cells) < width:
                        cells += [""] * (width - len(cells))
                    elif any(cells[width:]):
                        pass  # keep extra cells so the loader reports the row
                    else:
                        cells = cells[:width]
                    if any(cells):
                        w.writerow(cells)
        wb.close()
        try:
            load_catalog(staged)
        except CatalogError as exc:
            problems = exc.problems
            for name, sheet in SHEETS.items():
                problems = [p.replace(str(staged / name), f"{src} sheet '{sheet}'") for p in problems]
            raise CatalogError(problems) from None
        target.mkdir(parents=True, exist_ok=True)
        for name in SHEETS:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(staged / name, target / name)
    return target

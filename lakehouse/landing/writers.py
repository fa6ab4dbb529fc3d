"""Write a chunk of records in a catalog's delivery format, and a batch manifest.

Headers are the departments' source column names (often Chinese), as they deliver them.
Every writer returns the bytes it wrote so the caller can fingerprint them (and, for the
planted file faults, damage them after the manifest has recorded the intended file).
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pyarrow as pa

EXTENSIONS = {"csv_utf8": "csv", "csv_gbk": "csv", "jsonl": "jsonl", "xlsx": "xlsx"}
ENCODINGS = {"csv_utf8": "utf-8", "csv_gbk": "gbk", "jsonl": "utf-8", "xlsx": "xlsx"}


def render(fmt: str, header: list[str], columns: list[pa.Array]) -> bytes:
    """The file's bytes for one chunk."""
    table = pa.table(columns, names=header)
    if fmt in ("csv_utf8", "csv_gbk"):
        import pyarrow.csv as pacsv

        buf = io.BytesIO()
        pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=True, quoting_style="needed"))
        data = buf.getvalue()
        if fmt == "csv_gbk":
            data = data.decode("utf-8").encode("gbk")
        return data
    if fmt == "jsonl":
        import polars as pl

        buf = io.BytesIO()
        pl.from_arrow(table).write_ndjson(buf)
        return buf.getvalue()
    if fmt == "xlsx":
        return _xlsx(header, columns)
    raise ValueError(f"unknown delivery format {fmt!r}")


_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="data" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>"
    ),
}


def _column_letters(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _xlsx(header: list[str], columns: list[pa.Array]) -> bytes:
    """A minimal workbook of inline-string cells, built column-wise with pyarrow.

    openpyxl is ~50x slower per cell and stamps the current time into the file, which would
    break the simulator's same-seed-same-bytes promise; this writer is fast and deterministic.
    """
    import zipfile

    import pyarrow.compute as pc

    n = len(columns[0]) if columns else 0
    rownum = pa.array([str(i) for i in range(2, n + 2)], type=pa.string())
    cells_per_col = []
    for j, col in enumerate(columns):
        text = col.cast(pa.string())
        for a, b in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
            text = pc.replace_substring(text, a, b)
        ref = pc.binary_join_element_wise(pa.scalar(_column_letters(j)), rownum, "")
        cell = pc.binary_join_element_wise(
            pa.scalar('<c r="'), ref, pa.scalar('" t="inlineStr"><is><t xml:space="preserve">'), text, pa.scalar("</t></is></c>"), ""
        )
        cells_per_col.append(pc.fill_null(cell, ""))
    head = "".join(
        f'<c r="{_column_letters(j)}1" t="inlineStr"><is><t>{h.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")}</t></is></c>'
        for j, h in enumerate(header)
    )
    rows = (
        pc.binary_join_element_wise(pa.scalar('<row r="'), rownum, pa.scalar('">'), *cells_per_col, pa.scalar("</row>"), "")
        if n
        else pa.array([], pa.string())
    )
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        f'<row r="1">{head}</row>' + "".join(rows.to_pylist()) + "</sheetData></worksheet>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in list(_XLSX_PARTS.items()) + [("xl/worksheets/sheet1.xml", sheet)]:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, content)
    return buf.getvalue()


def write_file(path: Path, data: bytes) -> dict:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return {"name": path.name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def write_manifest(folder: Path, manifest: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "_manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def add_increment_file(folder: Path, cat, batch_date: str, fname: str, data: bytes, columns: list[str], rows: int) -> dict:
    """Write one file of an increment batch of catalog ``cat`` into ``folder`` and list it in the
    batch's manifest (created on the first file; a file of the same name is replaced). Returns the manifest."""
    meta = {"name": fname, "rows": rows}
    meta.update(write_file(folder / fname, data))
    path = folder / "_manifest.json"
    if path.exists():
        manifest = json.loads(path.read_text(encoding="utf-8"))
        manifest["files"] = [f for f in manifest.get("files", []) if f.get("name") != fname] + [meta]
        manifest["rows"] = sum(int(f.get("rows") or 0) for f in manifest["files"])
    else:
        manifest = {
            "catalog": cat.code,
            "catalog_name": cat.name_zh,
            "department": cat.department,
            "batch_date": batch_date,
            "kind": "increment",
            "format": cat.format,
            "encoding": ENCODINGS[cat.format],
            "columns": columns,
            "key_fields": list(cat.key_fields),
            "rows": rows,
            "files": [meta],
        }
    write_manifest(folder, manifest)
    return manifest


def read_file(path: Path, fmt: str) -> list[dict]:
    """Rows of a landing file as dicts of text (None for empty), for tests and evaluation;
    the lakehouse's bronze layer has its own readers."""
    if fmt in ("csv_utf8", "csv_gbk"):
        import csv

        text = path.read_bytes().decode(ENCODINGS[fmt])
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        return [{k: (v if v != "" else None) for k, v in r.items()} for r in rows]
    if fmt == "jsonl":
        out = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line))
        return out
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    ws = wb["data"]
    it = ws.iter_rows(values_only=True)
    header = list(next(it))
    rows = [dict(zip(header, r)) for r in it]
    wb.close()
    return rows

"""The PDF archive of a final record, in the form's layout, listed in ``audit.inspection_archives``.

Each page carries a diagonal watermark (authority, "电子存档", record id); the last page the
conclusion, the signatures — the inspectors' Ed25519 signatures with their public keys and the
handwritten images of inspectors and inspected party — the record's SHA-256 and the authority's
e-seal. The CJK font is embedded (subset). The bytes are reproducible (reportlab's invariant mode),
so re-rendering a record gives the same file and the same SHA-256.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from lakehouse.errors import RegulakeError

if TYPE_CHECKING:
    from catalog.inspection_forms import Form
    from lakehouse.config.inspections import InspectionSettings
    from lakehouse.tables import Tables
    from serving.inspections.store import RecordState

FONT = "regulake-cjk"
ARCHIVES = pa.schema(
    [
        ("record_id", pa.string()),
        ("task_id", pa.string()),
        ("plan_id", pa.string()),
        ("uscc", pa.string()),
        ("form_id", pa.string()),
        ("path", pa.string()),
        ("sha256", pa.string()),
        ("bytes", pa.int64()),
        ("pages", pa.int32()),
        ("record_sha256", pa.string()),
        ("corrects", pa.string()),
        ("archived_at", pa.timestamp("us")),
    ]
)
RESULT_NAMES = {
    "1": "未发现问题",
    "2": "发现问题已责令改正",
    "3": "发现问题待后续处理",
    "4": "通过登记的住所（经营场所）无法联系",
    "5": "不配合检查情节严重",
    "6": "未按规定公示应当公示的信息",
    "7": "公示信息隐瞒真实情况、弄虚作假",
}
ITEM_NAMES = {
    "01": "公示信息检查",
    "02": "登记事项检查",
    "03": "食品安全检查",
    "04": "产品质量检查",
    "05": "特种设备检查",
    "06": "计量检查",
    "07": "广告检查",
    "08": "价格检查",
}
MODE_NAMES = {"1": "双随机抽查", "2": "重点检查", "3": "投诉举报核查"}
FINDING_NAMES = {"inspected": "已现场检查", "unreachable": "通过登记的住所（经营场所）无法联系", "refused": "不配合检查"}


def _register_font(path: str) -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    p = Path(path)
    if not p.exists():
        raise RegulakeError(
            f"no CJK font at {p}: the PDF archive embeds one; run 'sh scripts/install_fonts.sh' "
            "(Debian fonts-wqy-microhei) or set serving.inspections.font_path"
        )
    kwargs = {"subfontIndex": 0} if p.suffix.lower() == ".ttc" else {}
    pdfmetrics.registerFont(TTFont(FONT, str(p), **kwargs))


@lru_cache(maxsize=8)
def seal_png(authority: str, font_path: str) -> bytes:
    """The authority's e-seal as a PNG: a red ring, a star, the authority's name and 检查专用章 (drawn, transparent)."""
    import math

    from PIL import Image, ImageDraw, ImageFont

    size = 400
    img = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    d = ImageDraw.Draw(img)
    red = (200, 16, 32, 255)
    d.ellipse((12, 12, size - 12, size - 12), outline=red, width=14)
    cx, cy, r, r2 = size / 2, size / 2 - 10, 62, 25
    pts = [
        (cx + (r if i % 2 == 0 else r2) * math.sin(i * math.pi / 5), cy - (r if i % 2 == 0 else r2) * math.cos(i * math.pi / 5))
        for i in range(10)
    ]
    d.polygon(pts, fill=red)
    # the name around the upper arc, one character at a time
    name = authority
    font = ImageFont.truetype(font_path, 40)
    span = math.radians(240)
    for i, ch in enumerate(name):
        a = -span / 2 + span * (i + 0.5) / len(name)
        glyph = Image.new("RGBA", (48, 48), (255, 255, 255, 0))
        ImageDraw.Draw(glyph).text((4, 0), ch, font=font, fill=red)
        glyph = glyph.rotate(-math.degrees(a), resample=Image.BICUBIC)
        x = cx + 145 * math.sin(a) - 24
        y = size / 2 - 145 * math.cos(a) - 24
        img.alpha_composite(glyph, (int(x), int(y)))
    small = ImageFont.truetype(font_path, 34)
    label = "检查专用章"
    w = d.textlength(label, font=small)
    d.text((cx - w / 2, cy + 85), label, font=small, fill=red)
    out = io.BytesIO()
    img.save(out, "PNG", optimize=False)
    return out.getvalue()


def render_pdf(state: RecordState, form: Form, settings: InspectionSettings, seal: bytes | None = None) -> tuple[bytes, int]:
    """The record as PDF bytes and its page count."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _register_font(settings.font_path)
    rec = state.record
    seal = (
        seal
        if seal is not None
        else (Path(settings.seal_image).read_bytes() if settings.seal_image else seal_png(settings.authority, settings.font_path))
    )
    body = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12, wordWrap="CJK")
    small = ParagraphStyle("small", parent=body, fontSize=7, leading=9)
    mono = ParagraphStyle("mono", parent=body, fontSize=6.5, leading=8, wordWrap="CJK")
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=22, alignment=1)
    sub = ParagraphStyle("sub", parent=body, fontSize=10, leading=14, alignment=1)

    def esc(s) -> str:
        return str(s if s is not None else "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    def watermark(canvas, doc):
        canvas.saveState()
        canvas.setFillColor(colors.Color(0.75, 0.1, 0.1, alpha=0.10))
        canvas.setFont(FONT, 22)
        canvas.translate(A4[0] / 2, A4[1] / 2)
        canvas.rotate(35)
        text = f"{settings.authority} 电子存档 {state.record_id}"
        for y in range(-450, 451, 150):
            canvas.drawCentredString(0, y, text)
        canvas.restoreState()
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.setFillColor(colors.grey)
        canvas.drawString(15 * mm, 10 * mm, f"{state.record_id} · SHA-256 {state.record_sha256}")
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, f"第 {doc.page} 页")
        canvas.restoreState()

    story = [
        Paragraph(esc(settings.authority), sub),
        Paragraph(esc(form.name_zh), title),
        Paragraph(f"现场检查记录（电子存档） 编号 {esc(state.record_id)}", sub),
        Spacer(1, 4 * mm),
    ]
    info = [
        ["检查对象", rec["entity_name"], "统一社会信用代码", rec["uscc"]],
        ["抽查计划", rec["plan_id"], "任务编号", rec["task_id"]],
        [
            "抽查事项",
            f"{rec['inspection_item']} {ITEM_NAMES.get(rec['inspection_item'], '')}",
            "检查方式",
            MODE_NAMES.get(rec["inspection_mode"], rec["inspection_mode"]),
        ],
        ["检查日期", rec["inspection_date"], "检查表", f"{form.form_id}（版本 {rec['form_version']}）"],
        ["检查人员", "、".join(rec["inspectors"]), "检查情况", FINDING_NAMES.get(rec["finding"], rec["finding"])],
    ]
    if rec.get("corrects"):
        info.append(["更正记录", f"本记录更正 {rec['corrects']}", "", ""])
    t = Table([[Paragraph(esc(c), body) for c in row] for row in info], colWidths=[22 * mm, 63 * mm, 30 * mm, 65 * mm])
    t.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
                ("BACKGROUND", (2, 0), (2, -1), colors.whitesmoke),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    story += [t, Spacer(1, 4 * mm)]
    answers = {a["item_id"]: a for a in rec["answers"]}
    names = {"conforms": "符合", "does_not_conform": "不符合", "not_applicable": "不适用"}
    rows = [[Paragraph(h, body) for h in ("序号", "检查内容", "结果", "依据")]]
    section = None
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    for it in form.items:
        if it.section_zh != section:
            section = it.section_zh
            rows.append([Paragraph(f"{it.section_no}. {esc(section)}", body), "", "", ""])
            style += [
                ("SPAN", (0, len(rows) - 1), (-1, len(rows) - 1)),
                ("BACKGROUND", (0, len(rows) - 1), (-1, len(rows) - 1), colors.whitesmoke),
            ]
        a = answers.get(it.item_id, {}).get("answer")
        rows.append(
            [
                Paragraph(it.item_id, small),
                Paragraph(esc(it.wording_zh), body),
                Paragraph(names.get(a, "—"), body),
                Paragraph(esc(it.legal_basis) if a == "does_not_conform" else "", small),
            ]
        )
        if a == "does_not_conform":
            style.append(("TEXTCOLOR", (2, len(rows) - 1), (2, len(rows) - 1), colors.red))
    items = Table(rows, colWidths=[24 * mm, 100 * mm, 16 * mm, 40 * mm], repeatRows=1)
    items.setStyle(TableStyle(style))
    story += [items, Spacer(1, 4 * mm)]
    result = rec["result"]
    story.append(
        Paragraph(
            f"检查结论：{result} {esc(RESULT_NAMES.get(result, ''))}"
            + (f"（不符合 {len(rec['nonconforming'])} 项：{esc('、'.join(rec['nonconforming']))}）" if rec["nonconforming"] else ""),
            ParagraphStyle("concl", parent=body, fontSize=11, leading=15),
        )
    )
    story.append(Spacer(1, 3 * mm))
    sig_rows = [[Paragraph(h, body) for h in ("签名人", "手写签名", "电子签名（Ed25519）")]]
    for insp in rec["inspectors"]:
        s = state.signatures.get(insp)
        img = Image(io.BytesIO(s["image_png"]), width=36 * mm, height=14 * mm, kind="proportional") if s else ""
        sig_rows.append(
            [
                Paragraph(f"检查人员 {esc(insp)}", body),
                img,
                Paragraph(f"公钥 {esc(s['public_key'])}<br/>签名 {esc(s['signature'])}", mono) if s else "",
            ]
        )
    if state.party is not None:
        img = Image(io.BytesIO(state.party["image_png"]), width=36 * mm, height=14 * mm, kind="proportional")
        sig_rows.append(
            [
                Paragraph(f"被检查单位（{esc(state.party.get('signer_role') or '')}）", body),
                img,
                Paragraph(f"手写签名 SHA-256 {esc(state.party['image_sha256'])}", mono),
            ]
        )
    sigs = Table(sig_rows, colWidths=[40 * mm, 40 * mm, 100 * mm])
    sigs.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.black), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    sealed = state.sealed_at or dt.datetime(1970, 1, 1)
    tail = [
        sigs,
        Spacer(1, 3 * mm),
        Paragraph(f"记录 SHA-256（规范化 JSON）：{state.record_sha256}", mono),
        Spacer(1, 2 * mm),
        Table(
            [
                [
                    Paragraph(
                        f"{esc(settings.authority)}<br/>{sealed.date().isoformat()}",
                        ParagraphStyle("auth", parent=body, alignment=2, fontSize=11, leading=16),
                    ),
                    Image(io.BytesIO(seal), width=38 * mm, height=38 * mm),
                ]
            ],
            colWidths=[130 * mm, 50 * mm],
        ),
    ]
    story.append(KeepTogether(tail))
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=f"{form.name_zh} {state.record_id}",
        author=settings.authority,
        subject=state.record_sha256,
        creator="regulake",
        invariant=1,
    )
    doc.build(story, onFirstPage=watermark, onLaterPages=watermark)
    return buf.getvalue(), doc.page


def archive_dir(settings: InspectionSettings, warehouse_root: str) -> Path:
    return Path(settings.archive_dir) if settings.archive_dir else Path(warehouse_root) / "_archive" / "inspections"


def archive_record(tables: Tables, settings: InspectionSettings, state: RecordState, form: Form) -> dict:
    """Render, store and list the record's PDF; returns the archive row. A file already there must have the same bytes."""
    from serving.inspections.store import append, now

    data, pages = render_pdf(state, form, settings)
    digest = hashlib.sha256(data).hexdigest()
    root = archive_dir(settings, tables.root)
    rel = Path(state.plan_id) / f"{state.record_id}.pdf"
    path = root / rel
    if path.exists():
        if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            raise RegulakeError(f"{path} exists with other content; an archived record is never overwritten")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".pdf.part")
        tmp.write_bytes(data)
        tmp.replace(path)
    row = {
        "record_id": state.record_id,
        "task_id": state.task_id,
        "plan_id": state.plan_id,
        "uscc": state.uscc,
        "form_id": form.form_id,
        "path": str(rel),
        "sha256": digest,
        "bytes": len(data),
        "pages": pages,
        "record_sha256": state.record_sha256,
        "corrects": state.record.get("corrects"),
        "archived_at": now(),
    }
    append(tables, settings.tables.archives, ARCHIVES, [row])
    return row


def archived(tables: Tables, settings: InspectionSettings, record_id: str) -> dict | None:
    name = settings.tables.archives
    if not tables.exists(name):
        return None
    rows = tables.read_arrow(name, filters=[("record_id", "=", record_id)]).to_pylist()
    return rows[0] if rows else None

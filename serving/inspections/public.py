"""Public disclosure of a finished task (一公开): its result page and a QR code pointing at it.

The page shows what the public tables show — plan, task, entity name and code (public business
registration data), inspection item, date, result and authority, and the record's hash — and
nothing personal: no inspectors, no signatures, no legal representative, no phone.
"""

from __future__ import annotations

import html
import io

from serving.inspections.archive import ITEM_NAMES, RESULT_NAMES

PUBLIC_FIELDS = ("plan_id", "task_id", "entity_name", "uscc", "inspection_item", "inspection_date", "result", "authority")


def public_result(state, corrected: int = 0) -> dict:
    rec = state.record
    out = {k: rec[k] for k in PUBLIC_FIELDS}
    out.update(
        {
            "inspection_item_name": ITEM_NAMES.get(rec["inspection_item"]),
            "result_name": RESULT_NAMES.get(rec["result"]),
            "record_id": state.record_id,
            "record_sha256": state.record_sha256,
            "published_at": state.sealed_at.isoformat() + "Z",
            "corrections": corrected,
        }
    )
    return out


def public_url(base_url: str, task_id: str, uscc: str) -> str:
    return f"{base_url.rstrip('/')}/v1/public/inspections/{task_id}/{uscc}/page"


def page_html(result: dict, qr_path: str) -> str:
    e = html.escape
    rows = [
        ("抽查计划", result["plan_id"]),
        ("任务编号", result["task_id"]),
        ("检查对象", result["entity_name"]),
        ("统一社会信用代码", result["uscc"]),
        ("抽查事项", f"{result['inspection_item']} {result['inspection_item_name'] or ''}"),
        ("检查日期", result["inspection_date"]),
        ("检查结果", f"{result['result']} {result['result_name'] or ''}"),
        ("检查机关", result["authority"]),
        ("记录摘要（SHA-256）", result["record_sha256"]),
        ("公示时间", result["published_at"]),
    ]
    body = "\n".join(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in rows)
    note = f"<p>本结果经 {result['corrections']} 次更正，显示最新记录。</p>" if result["corrections"] else ""
    return (
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>双随机抽查结果公示 {e(result["task_id"])}</title>'
        "<style>body{font-family:sans-serif;max-width:42em;margin:2em auto}th{text-align:left;padding-right:1em}</style></head>"
        f'<body><h1>双随机抽查结果公示</h1><table>{body}</table>{note}<p><img src="{e(qr_path)}" alt="二维码" width="160"></p>'
        "</body></html>"
    )


def qr_png(url: str) -> bytes:
    import qrcode

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=4)
    qr.add_data(url)
    qr.make(fit=True)
    out = io.BytesIO()
    qr.make_image(fill_color="black", back_color="white").save(out)
    return out.getvalue()

"""Inspectors' devices as HTTP clients of the records API, and the simulated season through them.

:func:`inspect_task` does what a drawn pair of inspectors does on site: open the task's form,
save a draft, submit the answers, sign the canonical record on each device (Ed25519) with a
handwritten image, and have the inspected party sign. :func:`simulate_season` plays a plan's
season through the API: outcomes from the simulator's answer key (the same seeded draw as
``simulator.inspections.outcomes``) become filled forms — every item conforms for result 1,
an item whose violation category is the result does not conform otherwise, unreachable (4) and
refused (5) are findings — so the demo and the tests exercise the real path end to end.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lakehouse.errors import RegulakeError
from serving.inspections.signing import public_key_b64, sign


@dataclass
class Inspector:
    inspector_id: str
    api_key: str
    device_key: Any  # an Ed25519PrivateKey (never leaves the device)

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key}

    @property
    def public_key(self) -> str:
        return public_key_b64(self.device_key)


def signature_png(name: str, width: int = 240, height: int = 80) -> bytes:
    """A handwritten-looking stroke image, deterministic per name (a stand-in for the device's signature pad)."""
    from PIL import Image, ImageDraw

    h = hashlib.sha256(name.encode("utf-8")).digest()
    img = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(img)
    pts = [(10 + i * (width - 20) / 15, height / 2 + (h[i] - 128) / 128 * height * 0.35) for i in range(16)]
    d.line(pts, fill=(20, 20, 90), width=3, joint="curve")
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _ok(resp, what: str) -> dict:
    if resp.status_code >= 400:
        try:
            detail = resp.json().get("detail")
        except Exception:  # noqa: BLE001
            detail = resp.text[:300]
        raise RegulakeError(f"{what}: HTTP {resp.status_code}: {detail}")
    return resp.json()


def answers_for(form: dict, result: str) -> tuple[str, dict[str, str]]:
    """(finding, answers) that give ``result`` on ``form``."""
    if result == "4":
        return "unreachable", {}
    if result == "5":
        return "refused", {}
    items = form["items"]
    answers = {it["item_id"]: ("not_applicable" if k % 7 == 6 else "conforms") for k, it in enumerate(items)}
    if result != "1":
        hit = next((it for it in items if it["violation_result"] == result), None) or items[0]
        answers[hit["item_id"]] = "does_not_conform"
    return "inspected", answers


def inspect_task(
    http,
    task_id: str,
    uscc: str,
    inspectors: dict[str, Inspector],
    result: str,
    inspection_date: dt.date,
    mobile: str | None = None,
    corrects: str | None = None,
) -> dict:
    """The on-site check of one task through the API; returns the sealing response (or the last one)."""
    resp = None
    for probe in inspectors.values():  # the form opens only for the task's drawn inspectors
        resp = http.get(f"/v1/inspections/tasks/{task_id}/{uscc}/form", headers=probe.headers)
        if resp.status_code != 403:
            break
    first = _ok(resp, f"form of {task_id}")
    drawn = first["task"]["inspectors"]
    missing = [i for i in drawn if i not in inspectors]
    if missing:
        raise RegulakeError(f"task {task_id}: no device credentials for drawn inspector(s) {missing}")
    a = inspectors[drawn[0]]
    finding, answers = answers_for(first["form"], result)
    if answers:
        half = dict(list(answers.items())[: len(answers) // 2])
        _ok(http.put(f"/v1/inspections/tasks/{task_id}/{uscc}/draft", headers=a.headers, json={"answers": half}), f"draft of {task_id}")
    rec = _ok(
        http.post(
            f"/v1/inspections/tasks/{task_id}/{uscc}/records",
            headers=a.headers,
            json={"inspection_date": inspection_date.isoformat(), "finding": finding, "answers": answers, "corrects": corrects},
        ),
        f"record of {task_id}",
    )
    message = rec["record_json"].encode("utf-8")
    out = rec
    for insp_id in drawn:
        i = inspectors[insp_id]
        out = _ok(
            http.post(
                f"/v1/inspections/records/{rec['record_id']}/signatures",
                headers=i.headers,
                json={"public_key": i.public_key, "signature": sign(i.device_key, message), "image_png": _b64(signature_png(insp_id))},
            ),
            f"signature of {insp_id}",
        )
    if finding == "inspected":
        out = _ok(
            http.post(
                f"/v1/inspections/records/{rec['record_id']}/party-signature",
                headers=a.headers,
                json={"signer_role": "legal_representative", "image_png": _b64(signature_png(rec["record"]["uscc"])), "mobile": mobile},
            ),
            f"party signature of {task_id}",
        )
    return {"record_id": rec["record_id"], **out}


def simulate_season(
    http, tables, plan_id: str, answer_key_root: str, inspectors: dict[str, Inspector], mobile: str | None = "13800138000"
) -> dict:
    """Every task of a drawn plan inspected through the API, outcomes from the answer key; returns counts."""
    import pandas as pd

    from lakehouse.config.plans import Plan
    from lakehouse.gold.plans import audit
    from simulator.inspections import outcomes

    pair = audit.revealed(audit.events(tables, plan_id))
    if not pair:
        raise RegulakeError(f"plan {plan_id} has not been drawn; run 'regulake plan draw {plan_id}' first")
    com, rev = pair
    plan = Plan.model_validate_json(com["plan_json"])
    truth_path = Path(answer_key_root) / "entities.parquet"
    if not truth_path.exists():
        raise RegulakeError(f"no answer key at {truth_path}: simulated inspections need the simulator's answer key")
    truth = pd.read_parquet(truth_path, columns=["uscc", "propensity", "shell"])
    tasks = audit.read_tasks(tables, plan_id, rev["tasks_version"])
    res = outcomes(tasks, truth, rev["seed"], plan.period.start, plan.period.end)
    sealed = problems = 0
    for r in res.itertuples():
        out = inspect_task(http, r.task_id, r.uscc, inspectors, r.inspection_result, r.inspection_date, mobile=mobile)
        sealed += out.get("status") == "sealed"
        problems += r.inspection_result != "1"
    return {"plan_id": plan_id, "tasks": len(tasks), "sealed": sealed, "problems": problems, "missing_in_answer_key": len(tasks) - len(res)}

"""Electronic inspection records: the API under uvicorn on loopback, hit with httpx; real Ed25519 device keys;
the archived PDF rendered with pdftoppm and read with pdftotext and pypdf; signed delivery links; the outbox.

No Spark: the drawn tasks are written with delta-rs (the plain protocol Spark writes); records, archives
and the outbox are written by the API through lakehouse.tables.Tables.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import shutil
import subprocess

import pytest

from tests.integration.test_api import LiveServer, make_uscc

PLAN = "P2026-INS"
KEYS = {
    "INSP-A": "insp-a-key-0123456789abcdef",
    "INSP-B": "insp-b-key-0123456789abcdef",
    "INSP-C": "insp-c-key-0123456789abcdef",
    "reader": "reader-key-0123456789abcdef",
}
SECRET = "delivery-link-secret-0123456789abcdefghij"
TASKS = [  # task_id (a plan's task id is shared by its entities: the key is task_id + uscc), item, section, inspectors
    ("SJ2026-100001", "03", "H", ["INSP-A", "INSP-B"]),
    ("SJ2026-100001", "01", "F", ["INSP-A", "INSP-B"]),
    ("SJ2026-100001", "05", "K", ["INSP-B", "INSP-C"]),
]
DATE = dt.date(2026, 3, 2)


def tasks_table():
    import pyarrow as pa

    rows = [
        {
            "plan_id": PLAN,
            "task_no": n,
            "task_id": tid,
            "uscc": make_uscc(n),
            "entity_name": f"佛山市测试餐饮有限公司{n}",
            "district_code": "440604",
            "town_code": "440604001",
            "industry_code": "6210",
            "industry_section": sec,
            "stratum": "x",
            "share": "random",
            "inspection_mode": "1",
            "inspection_item": item,
            "risk_class": "B",
            "probability": 0.2,
            "priority": 0.2,
            "signals": "",
            "inspectors": insp,
            "cross_district": False,
            "staffed_from": "440604",
        }
        for n, (tid, item, sec, insp) in enumerate(TASKS, start=1)
    ]
    return pa.Table.from_pylist(rows)


@pytest.fixture(scope="module")
def devices():
    from serving.inspections.client import Inspector
    from serving.inspections.signing import new_device_key

    return {i: Inspector(i, KEYS[i], new_device_key()) for i in ("INSP-A", "INSP-B", "INSP-C")}


@pytest.fixture(scope="module")
def world(tmp_path_factory, devices):
    from deltalake import write_deltalake

    from lakehouse.config.api import ApiKey, ApiSettings, RateLimitSettings, hash_api_key
    from lakehouse.config.inspections import DeliverySettings, InspectionSettings, InspectorDevice
    from lakehouse.tables import Tables

    root = tmp_path_factory.mktemp("insp_wh")
    tables = Tables(str(root))
    write_deltalake(tables.uri("gold.inspection_tasks"), tasks_table(), partition_by=["plan_id"])
    keys = [ApiKey(name=i, key_hash=hash_api_key(KEYS[i]), scopes=["inspection:write"]) for i in devices]
    keys.append(ApiKey(name="reader", key_hash=hash_api_key(KEYS["reader"]), scopes=["risk:read"]))
    api = ApiSettings(api_keys=keys, rate_limit=RateLimitSettings(per_key_per_second=100_000, per_ip_per_second=100_000, burst=100_000))
    insp = InspectionSettings(
        inspectors=[InspectorDevice(inspector_id=i, api_key=i, device_public_keys=[d.public_key]) for i, d in devices.items()],
        delivery=DeliverySettings(link_secret=SECRET, link_ttl_hours=2, base_url="http://regulake.example"),
    )
    return tables, api, insp


@pytest.fixture(scope="module")
def server(world):
    from serving.app import create_app

    tables, api, insp = world
    app = create_app(api, tables.root, start_reloader=False, inspections=insp)
    with LiveServer(app) as s:
        yield s


@pytest.fixture
def http(server):
    import httpx

    with httpx.Client(base_url=server.url, timeout=60) as c:
        yield c


def H(i: str) -> dict:  # noqa: N802
    return {"X-API-Key": KEYS[i]}


def versions(tables) -> dict:
    return {
        n: (tables.snapshot(n).version if tables.exists(n) else None)
        for n in ("audit.inspection_records", "audit.inspection_archives", "ops.inspection_drafts", "ops.sms_outbox")
    }


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def local(url: str, server) -> str:
    return url.replace("http://regulake.example", "")


# -- the whole path of one task ---------------------------------------------------------------


def test_form_draft_submit_sign_seal_archive_deliver_publish(http, server, world, devices, tmp_path):
    from serving.inspections.client import signature_png
    from serving.inspections.signing import sha256_hex, sign

    tables, _, insp = world
    tid, u = TASKS[0][0], make_uscc(1)
    A, B, C = devices["INSP-A"], devices["INSP-B"], devices["INSP-C"]

    # the form the task needs: catering (section H) → JCB-11, every item with its three answers
    r = http.get(f"/v1/inspections/tasks/{tid}/{u}/form", headers=H("INSP-A"))
    assert r.status_code == 200, r.text
    body = r.json()
    form = body["form"]
    assert form["form_id"] == "JCB-11" and len(form["items"]) == 50 and body["draft"] == {} and body["records"] == []
    assert all(it["answers"] == ["conforms", "does_not_conform", "not_applicable"] and it["legal_basis"] for it in form["items"])
    ids = [it["item_id"] for it in form["items"]]
    assert http.get(f"/v1/inspections/tasks/{tid}/{u}/form", headers=H("INSP-C")).status_code == 403  # not drawn for this task
    assert http.get(f"/v1/inspections/tasks/{tid}/{u}/form", headers=H("reader")).json()["reason"] == "forbidden"  # no scope
    assert http.get(f"/v1/inspections/tasks/{tid}/{u}/form").status_code == 401
    assert http.get(f"/v1/inspections/tasks/{tid}/{make_uscc(99)}/form", headers=H("INSP-A")).status_code == 404

    # drafts: any subset; an unknown item is refused and nothing is stored
    assert (
        http.put(f"/v1/inspections/tasks/{tid}/{u}/draft", headers=H("INSP-A"), json={"answers": {ids[0]: "conforms"}}).json()["missing"]
        == 49
    )
    before = versions(tables)
    r = http.put(f"/v1/inspections/tasks/{tid}/{u}/draft", headers=H("INSP-A"), json={"answers": {"JCB-01-01-01": "conforms"}})
    assert r.status_code == 422 and r.json()["reason"] == "unknown_item" and "JCB-01-01-01" in r.json()["detail"]
    r = http.put(f"/v1/inspections/tasks/{tid}/{u}/draft", headers=H("INSP-A"), json={"answers": {ids[0]: "maybe"}})
    assert r.status_code == 422
    assert versions(tables) == before
    assert http.get(f"/v1/inspections/tasks/{tid}/{u}/form", headers=H("INSP-B")).json()["draft"] == {ids[0]: "conforms"}

    # final submission: a missing answer, an unknown item, a future date → 4xx, nothing stored
    answers = {i: "conforms" for i in ids}
    answers[ids[3]] = "does_not_conform"  # 经营许可证件：是否按规定贮存、标示 → result 2
    answers[ids[6]] = "does_not_conform"  # 从业人员健康证明：是否符合…食品安全标准要求 → result 3 (the more serious)
    answers[ids[5]] = "not_applicable"
    partial = {k: v for k, v in answers.items() if k != ids[-1]}
    r = http.post(f"/v1/inspections/tasks/{tid}/{u}/records", headers=H("INSP-A"), json={"inspection_date": str(DATE), "answers": partial})
    assert r.status_code == 422 and r.json()["reason"] == "missing_answer" and ids[-1] in r.json()["detail"]
    r = http.post(
        f"/v1/inspections/tasks/{tid}/{u}/records",
        headers=H("INSP-A"),
        json={"inspection_date": str(DATE), "answers": answers | {"JCB-11-99-01": "conforms"}},
    )
    assert r.status_code == 422 and r.json()["reason"] == "unknown_item"
    r = http.post(
        f"/v1/inspections/tasks/{tid}/{u}/records", headers=H("INSP-A"), json={"inspection_date": "2099-01-01", "answers": answers}
    )
    assert r.status_code == 422 and r.json()["reason"] == "bad_date"
    r = http.post(f"/v1/inspections/tasks/{tid}/{u}/records", headers=H("INSP-C"), json={"inspection_date": str(DATE), "answers": answers})
    assert r.status_code == 403 and r.json()["reason"] == "not_drawn"
    assert versions(tables) == before

    r = http.post(f"/v1/inspections/tasks/{tid}/{u}/records", headers=H("INSP-A"), json={"inspection_date": str(DATE), "answers": answers})
    assert r.status_code == 201, r.text
    rec = r.json()
    rid = rec["record_id"]
    assert rid == f"{tid}-{u}-R1" and rec["status"] == "awaiting_signatures"
    assert rec["record"]["result"] == "3" and rec["record"]["nonconforming"] == [ids[3], ids[6]]
    assert sha256_hex(rec["record_json"].encode()) == rec["record_sha256"]
    message = rec["record_json"].encode("utf-8")

    # a resubmission is refused
    before = versions(tables)
    r = http.post(f"/v1/inspections/tasks/{tid}/{u}/records", headers=H("INSP-B"), json={"inspection_date": str(DATE), "answers": answers})
    assert r.status_code == 409 and r.json()["reason"] == "resubmission"

    # signatures: a third inspector, a signature over other bytes, an unenrolled device key, a broken image → refused
    sig_png = b64(signature_png("INSP-A"))
    r = http.post(
        f"/v1/inspections/records/{rid}/signatures",
        headers=H("INSP-C"),
        json={"public_key": C.public_key, "signature": sign(C.device_key, message), "image_png": sig_png},
    )
    assert r.status_code == 403 and r.json()["reason"] == "not_drawn"
    r = http.post(
        f"/v1/inspections/records/{rid}/signatures",
        headers=H("INSP-A"),
        json={
            "public_key": A.public_key,
            "signature": sign(A.device_key, message.replace(b'"result":"3"', b'"result":"1"')),
            "image_png": sig_png,
        },
    )
    assert r.status_code == 422 and r.json()["reason"] == "bad_signature"
    r = http.post(
        f"/v1/inspections/records/{rid}/signatures",
        headers=H("INSP-A"),
        json={"public_key": C.public_key, "signature": sign(C.device_key, message), "image_png": sig_png},
    )
    assert r.status_code == 422 and r.json()["reason"] == "unknown_device_key"
    r = http.post(
        f"/v1/inspections/records/{rid}/signatures",
        headers=H("INSP-A"),
        json={"public_key": A.public_key, "signature": sign(A.device_key, message), "image_png": b64(b"GIF89a not a png")},
    )
    assert r.status_code == 422 and r.json()["reason"] == "bad_image"
    r = http.post(
        f"/v1/inspections/records/{rid}/party-signature",
        headers=H("INSP-A"),
        json={"signer_role": "legal_representative", "image_png": sig_png},
    )
    assert r.status_code == 409 and r.json()["reason"] == "awaiting_inspectors"
    assert versions(tables) == before

    for who, dev in (("INSP-A", A), ("INSP-B", B)):
        r = http.post(
            f"/v1/inspections/records/{rid}/signatures",
            headers=H(who),
            json={"public_key": dev.public_key, "signature": sign(dev.device_key, message), "image_png": b64(signature_png(who))},
        )
        assert r.status_code == 201, r.text
    r = http.post(
        f"/v1/inspections/records/{rid}/signatures",
        headers=H("INSP-A"),
        json={"public_key": A.public_key, "signature": sign(A.device_key, message), "image_png": sig_png},
    )
    assert r.status_code == 409 and r.json()["reason"] == "signed_already"
    assert http.get(f"/v1/inspections/records/{rid}", headers=H("INSP-B")).json()["signed_by"] == ["INSP-A", "INSP-B"]

    # the party signs: sealed, archived, delivered
    r = http.post(
        f"/v1/inspections/records/{rid}/party-signature",
        headers=H("INSP-B"),
        json={"signer_role": "legal_representative", "image_png": b64(signature_png("party")), "mobile": "13912345678"},
    )
    assert r.status_code == 201, r.text
    sealed = r.json()
    assert sealed["status"] == "sealed" and sealed["record_sha256"] == rec["record_sha256"]
    assert http.get(f"/v1/inspections/records/{rid}", headers=H("INSP-A")).json()["status"] == "sealed"

    # immutable: no more signatures, no draft, no resubmission
    before = versions(tables)
    r = http.post(
        f"/v1/inspections/records/{rid}/party-signature",
        headers=H("INSP-B"),
        json={"signer_role": "staff", "image_png": b64(signature_png("x"))},
    )
    assert r.status_code == 409 and r.json()["reason"] == "sealed"
    r = http.post(f"/v1/inspections/tasks/{tid}/{u}/records", headers=H("INSP-A"), json={"inspection_date": str(DATE), "answers": answers})
    assert r.status_code == 409 and f"corrects='{rid}'" in r.json()["detail"]
    assert versions(tables) == before

    # the archive table lists the PDF with its SHA-256; the delivery link serves exactly those bytes
    rows = tables.read_arrow("audit.inspection_archives").to_pylist()
    assert len(rows) == 1 and rows[0]["record_id"] == rid and rows[0]["sha256"] == sealed["archive_sha256"]
    assert tables.properties("audit.inspection_archives").get("delta.logRetentionDuration", "").startswith("interval 365")
    r = http.get(local(sealed["delivery_url"], server))
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    pdf = r.content
    assert hashlib.sha256(pdf).hexdigest() == rows[0]["sha256"]
    check_pdf(pdf, tmp_path, rec, sealed, [A.public_key, B.public_key])

    # the SMS in the outbox carries the link; the number is masked everywhere but the outbox's recipient column
    out = tables.read_arrow("ops.sms_outbox").to_pylist()
    assert len(out) == 1 and out[0]["recipient"] == "13912345678" and out[0]["recipient_masked"] == "139****5678"
    assert sealed["delivery_url"] in out[0]["text"] and "佛山市测试餐饮有限公司1" in out[0]["text"] and out[0]["status"] == "queued"
    assert "13912345678" not in str(sealed)

    # the public result: no personal data, the QR code points at the page
    pub = http.get(f"/v1/public/inspections/{tid}/{u}").json()
    assert pub["result"] == "3" and pub["record_sha256"] == rec["record_sha256"] and pub["corrections"] == 0
    text = str(pub) + http.get(f"/v1/public/inspections/{tid}/{u}/page").text
    assert "INSP-A" not in text and "INSP-B" not in text and "13912345678" not in text and "signature" not in text
    assert "双随机抽查结果公示" in text
    qr = http.get(f"/v1/public/inspections/{tid}/{u}/qr.png")
    assert qr.status_code == 200 and qr.content.startswith(b"\x89PNG")
    check_qr(qr.content, f"http://regulake.example/v1/public/inspections/{tid}/{u}/page")
    assert http.get(f"/v1/public/inspections/{tid}/{make_uscc(3)}").status_code == 404

    # a correction is a new, linked record; the public result shows it
    answers2 = dict(answers)
    answers2[ids[6]] = "conforms"
    r = http.post(
        f"/v1/inspections/tasks/{tid}/{u}/records",
        headers=H("INSP-B"),
        json={"inspection_date": str(DATE), "answers": answers2, "corrects": "other"},
    )
    assert r.status_code == 422 and r.json()["reason"] == "bad_correction"
    r = http.post(
        f"/v1/inspections/tasks/{tid}/{u}/records",
        headers=H("INSP-B"),
        json={"inspection_date": str(DATE), "answers": answers2, "corrects": rid},
    )
    assert r.status_code == 201
    rec2 = r.json()
    assert rec2["record_id"] == f"{tid}-{u}-R2" and rec2["record"]["corrects"] == rid and rec2["record"]["result"] == "2"
    m2 = rec2["record_json"].encode()
    for who, dev in (("INSP-B", B), ("INSP-A", A)):
        assert (
            http.post(
                f"/v1/inspections/records/{rec2['record_id']}/signatures",
                headers=H(who),
                json={"public_key": dev.public_key, "signature": sign(dev.device_key, m2), "image_png": b64(signature_png(who))},
            ).status_code
            == 201
        )
    assert (
        http.post(
            f"/v1/inspections/records/{rec2['record_id']}/party-signature",
            headers=H("INSP-A"),
            json={"signer_role": "staff", "image_png": b64(signature_png("p2"))},
        ).json()["status"]
        == "sealed"
    )
    pub = http.get(f"/v1/public/inspections/{tid}/{u}").json()
    assert pub["record_id"] == rec2["record_id"] and pub["result"] == "2" and pub["corrections"] == 1
    # the first record is still there, unchanged
    first = http.get(f"/v1/inspections/records/{rid}", headers=H("INSP-A")).json()
    assert first["status"] == "sealed" and first["record_sha256"] == rec["record_sha256"]


def check_pdf(pdf: bytes, tmp_path, rec: dict, sealed: dict, public_keys: list[str]) -> None:
    """Rendered by poppler: the text is there (Chinese included), the seal is red on the last page, the font is embedded."""
    import io

    from PIL import Image
    from pypdf import PdfReader

    if not shutil.which("pdftoppm"):
        pytest.fail("pdftoppm is missing: run 'sh scripts/install_fonts.sh' (it installs poppler-utils) or apt-get install poppler-utils")
    path = tmp_path / "record.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout
    flat = "".join(text.split())
    assert "餐饮服务环节监督检查表" in flat and "佛山市测试餐饮有限公司1" in flat and rec["record"]["uscc"] in flat
    assert rec["record_sha256"] in flat and "电子存档" in flat and "不符合" in flat
    assert "检查结论：3" in flat
    assert all(f"公钥{k}" in flat for k in public_keys), "both inspectors' device keys and signatures are printed"
    shutil.copyfile(path, tmp_path.parent / "last-record.pdf")
    reader = PdfReader(io.BytesIO(pdf))
    pages = len(reader.pages)
    assert pages == sealed["pages"] >= 2
    for page in reader.pages:
        fonts = page["/Resources"]["/Font"]
        for f in fonts.values():
            f = f.get_object()
            if f.get("/Subtype") == "/Type0":
                desc = f["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
                assert "/FontFile2" in desc, "the CJK font is embedded"
    images = sum(len(p.images) for p in reader.pages)
    assert images >= 4, "seal, two inspectors' and the party's handwritten signatures"
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(path), str(tmp_path / "page")], check=True, capture_output=True)
    rendered = sorted(tmp_path.glob("page-*.png"))
    assert len(rendered) == pages
    import numpy as np

    last = np.asarray(Image.open(rendered[-1]).convert("RGB")).astype(int)
    red = int(((last[..., 0] > 150) & (last[..., 1] < 90) & (last[..., 2] < 90)).sum())
    assert red > 200, f"the red e-seal is on the last page ({red} red pixels)"
    first = np.asarray(Image.open(rendered[0]).convert("RGB")).astype(int)
    tint = int(((first[..., 0] > first[..., 1] + 10) & (first[..., 0] > 200) & (first[..., 1] > 150)).sum())
    assert tint > 100, "the watermark tints the first page"


def check_qr(png: bytes, url: str) -> None:
    """The QR code decodes to the page's URL (the qrcode package renders exactly what we asked; re-encode and compare)."""
    import io

    import qrcode
    from PIL import Image

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=4)
    qr.add_data(url)
    qr.make(fit=True)
    want = qr.make_image(fill_color="black", back_color="white")
    buf = io.BytesIO()
    want.save(buf)
    assert Image.open(io.BytesIO(png)).convert("1").tobytes() == Image.open(buf).convert("1").tobytes()


def test_links_tampered_or_expired_are_403(http, server, world, devices):
    from serving.inspections import delivery
    from serving.inspections.client import inspect_task

    tables, _, insp = world
    tid, u = TASKS[1][0], make_uscc(2)
    out = inspect_task(http, tid, u, devices, "6", DATE, mobile=None)
    assert out["status"] == "sealed" and out["record_sha256"]
    good = local(out["delivery_url"], server)
    assert http.get(good).status_code == 200
    path, query = good.split("?")
    params = dict(p.split("=") for p in query.split("&"))
    flipped = params["sig"][:-1] + ("0" if params["sig"][-1] != "0" else "1")
    for bad in (
        f"{path}?expires={params['expires']}&sig={flipped}",  # altered signature
        f"{path}?expires={int(params['expires']) + 3600}&sig={params['sig']}",  # extended expiry
        path.replace("-R1.pdf", "-R2.pdf") + "?" + query,  # another record
        f"{path}?expires={params['expires']}",  # no signature
        path,
    ):
        r = http.get(bad)
        assert r.status_code == 403 and r.headers["content-type"].startswith("application/json") and b"%PDF" not in r.content, bad
    # a PDF changed on disk is not served, even by a good link
    from serving.inspections.archive import archive_dir, archived

    pdf_path = archive_dir(insp, tables.root) / archived(tables, insp, out["record_id"])["path"]
    original = pdf_path.read_bytes()
    pdf_path.write_bytes(original.replace(b"%%EOF", b"%%EOF\n% tampered"))
    r = http.get(good)
    assert r.status_code == 503 and r.json()["reason"] == "integrity" and b"%PDF" not in r.content
    pdf_path.write_bytes(original)
    assert http.get(good).status_code == 200
    secret = SECRET.encode()
    old, _ = delivery.make_link(
        secret, insp, out["record_id"], now=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(hours=3)
    )
    r = http.get(local(old, server))
    assert r.status_code == 403 and "expired" in r.json()["detail"]
    # a link made for a new mobile number queues a second message
    r = http.post(f"/v1/inspections/records/{out['record_id']}/delivery", headers=H("INSP-A"), json={"mobile": "13700001111"})
    assert r.status_code == 201 and http.get(local(r.json()["delivery_url"], server)).status_code == 200

    # a real gateway adapter: the outbox is sent through it, each attempt recorded
    class Collecting:
        name = "collecting"

        def __init__(self):
            self.sent = []

        def send(self, recipient, text):
            if recipient.endswith("1111"):
                self.sent.append((recipient, text))
                return f"r{len(self.sent)}"
            raise ConnectionError("operator refused")

    gw = Collecting()
    res = delivery.dispatch(tables, insp, gw)
    assert res["sent"] == 1 and res["failed"] == 1 and gw.sent[0][0] == "13700001111"
    assert [m["recipient_masked"] for m in delivery.pending(tables, insp)] == ["139****5678"]  # the failed one is retried later


def test_unreachable_entity_sealed_by_both_inspectors(http, server, world, devices):
    from serving.inspections.client import inspect_task

    tables, _, _ = world
    tid, u = TASKS[2][0], make_uscc(3)
    r = http.post(
        f"/v1/inspections/tasks/{tid}/{u}/records",
        headers=H("INSP-B"),
        json={"inspection_date": str(DATE), "finding": "unreachable", "answers": {"JCB-28-01-01": "conforms"}},
    )
    assert r.status_code == 422 and r.json()["reason"] == "unexpected_answers"
    out = inspect_task(http, tid, u, devices, "4", DATE)
    assert out["status"] == "sealed"
    assert http.get(f"/v1/public/inspections/{tid}/{u}").json()["result"] == "4"


def test_settings_are_validated():
    from pydantic import ValidationError

    from lakehouse.config.inspections import DeliverySettings, InspectionSettings, InspectorDevice

    with pytest.raises(ValidationError, match="link_ttl_hours"):
        DeliverySettings(link_ttl_hours=0)
    with pytest.raises(ValidationError, match="unknown field"):
        DeliverySettings(sms_template="{url} {phone}")
    with pytest.raises(ValidationError, match="32 bytes"):
        InspectorDevice(inspector_id="x", api_key="x", device_public_keys=[b64(b"short")])
    with pytest.raises(ValidationError, match="Extra inputs"):
        InspectionSettings(delivery={"ttl": 3})


def test_device_key_cli_makes_an_enrollable_key(tmp_path):
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from typer.testing import CliRunner

    from lakehouse.cli import app
    from lakehouse.config.inspections import InspectorDevice
    from serving.inspections.signing import public_key_b64, sign, verify

    out = tmp_path / "device.pem"
    r = CliRunner().invoke(app, ["inspections", "device-key", str(out)])
    assert r.exit_code == 0, r.output
    pub = r.output.strip()
    InspectorDevice(inspector_id="x", api_key="x", device_public_keys=[pub])
    key = load_pem_private_key(out.read_bytes(), None)
    assert public_key_b64(key) == pub and verify(pub, sign(key, b"record"), b"record") and not verify(pub, sign(key, b"a"), b"b")
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    assert CliRunner().invoke(app, ["inspections", "device-key", str(out)]).exit_code != 0

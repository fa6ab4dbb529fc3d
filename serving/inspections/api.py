"""The inspection-record routes of the API (registered by ``serving.app.create_app``).

| endpoint | access | what |
|---|---|---|
| GET  /v1/inspections/tasks/{task_id}/{uscc}/form | inspection:write, a drawn inspector | the task, its form (check items), the latest draft, its records |
| PUT  /v1/inspections/tasks/{task_id}/{uscc}/draft | inspection:write, a drawn inspector | save answers so far (any subset of the form's items) |
| POST /v1/inspections/tasks/{task_id}/{uscc}/records | inspection:write, a drawn inspector | final submission: every item answered; returns the canonical record to sign |
| POST /v1/inspections/records/{record_id}/signatures | inspection:write, the record's inspector | the inspector's device signature (Ed25519) and handwritten image |
| POST /v1/inspections/records/{record_id}/party-signature | inspection:write, the record's inspector | the inspected party's handwritten signature (after both inspectors); seals, archives, delivers |
| GET  /v1/inspections/records/{record_id} | inspection:write | a record's state |
| POST /v1/inspections/records/{record_id}/delivery | inspection:write | a fresh delivery link (and SMS) for a sealed record |
| GET  /v1/inspections/documents/{record_id}.pdf?expires=&sig= | the signed link | the archived PDF; 403 for an expired or tampered link |
| GET  /v1/public/inspections/{task_id}/{uscc} (+ /page, /qr.png) | public | the task's public result, its page and QR code |

Every refusal is a 4xx with a ``reason`` and leaves nothing stored: the checks run before the
one append that records an accepted step.
"""
# no "from __future__ import annotations": FastAPI resolves the route annotations

import base64
import datetime as dt
import hashlib
import io
import logging
from typing import Annotated, Literal

from fastapi import FastAPI, Path, Query, Security
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import HTMLResponse, Response

from lakehouse.config.inspections import InspectionSettings
from serving.inspections import store
from serving.inspections.signing import canonical, sha256_hex, verify

log = logging.getLogger("regulake.inspections")
Answer = Literal["conforms", "does_not_conform", "not_applicable"]
ItemId = Annotated[str, Field(min_length=1, max_length=40)]
Id = Annotated[str, Path(max_length=80)]
CHINA = dt.timezone(dt.timedelta(hours=8))
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class DraftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answers: dict[ItemId, Answer] = Field(..., max_length=5000, description="item_id → conforms | does_not_conform | not_applicable.")


class RecordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    inspection_date: dt.date = Field(..., description="Day of the on-site check (not in the future, China time).")
    finding: Literal["inspected", "unreachable", "refused"] = Field(
        "inspected", description="inspected: every item answered; unreachable (result 4) / refused (result 5): no answers."
    )
    answers: dict[ItemId, Answer] = Field(default_factory=dict, max_length=5000)
    corrects: str | None = Field(None, max_length=80, description="The sealed record this one corrects (a correction is a new record).")


class SignatureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    public_key: str = Field(..., max_length=64, description="Base64 raw Ed25519 public key of the signing device (enrolled).")
    signature: str = Field(..., max_length=128, description="Base64 Ed25519 signature of the record's canonical JSON bytes.")
    image_png: str = Field(..., max_length=1_400_000, description="Base64 PNG of the handwritten signature (evidence).")


class PartySignatureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    signer_role: Literal["legal_representative", "person_in_charge", "staff"]
    image_png: str = Field(..., max_length=1_400_000, description="Base64 PNG of the handwritten signature.")
    mobile: str | None = Field(
        None, pattern=r"^1[3-9][0-9]{9}$", description="Mobile number the delivery SMS goes to (stored only in the outbox)."
    )


class DeliveryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mobile: str | None = Field(None, pattern=r"^1[3-9][0-9]{9}$")


def add_routes(app: FastAPI, settings: InspectionSettings, tables, require_write, ApiError, errors) -> None:  # noqa: N803
    """Register the routes; ``require_write`` is the app's dependency for scope inspection:write, ``errors`` its
    response documentation helper."""
    from catalog.inspection_forms import RESULT_PRIORITY, load_forms
    from serving.inspections import archive, delivery, public

    def errs(*codes: int) -> dict:
        out = errors(*[c for c in codes if c != 409])
        if 409 in codes:
            out[409] = {
                "model": errors(404)[404]["model"],
                "description": "Conflicts with the record's state (resubmission, sealed, signed already); `reason` names it.",
            }
        return out

    forms = load_forms()
    secret = delivery.link_secret(settings)
    T = settings.tables
    WriteKey = Annotated[object, Security(require_write)]
    app.state.inspections = settings

    def inspector_of(key) -> str:
        insp = settings.inspector_for_key(key.name)
        if insp is None:
            raise ApiError(
                403, f"the key '{key.name}' is not enrolled as an inspector (serving.inspections.inspectors)", "not_an_inspector"
            )
        return insp.inspector_id

    def drawn_task(task_id: str, uscc: str, inspector: str) -> dict:
        t = store.task(tables, T.tasks, task_id, uscc)
        if t is None:
            raise ApiError(404, f"no task '{task_id}' for entity {uscc} in {T.tasks}", "not_found")
        if inspector not in (t["inspectors"] or []):
            raise ApiError(
                403,
                f"inspector '{inspector}' is not one of the inspectors drawn for task {task_id}; only they submit and sign",
                "not_drawn",
            )
        return t

    def form_of(t: dict):
        return forms.form_for(t["inspection_item"], t.get("industry_section"))

    def check_items(form, answers: dict) -> None:
        ids = {i.item_id for i in form.items}
        unknown = sorted(set(answers) - ids)
        if unknown:
            raise ApiError(
                422,
                f"{len(unknown)} answer(s) name items that are not on form {form.form_id}: {', '.join(unknown[:10])}",
                "unknown_item",
                items=unknown[:50],
            )

    def png(text: str, what: str) -> bytes:
        try:
            raw = base64.b64decode(text, validate=True)
        except Exception:  # noqa: BLE001
            raise ApiError(422, f"{what} is not valid base64", "bad_image") from None
        if len(raw) > settings.image_max_bytes:
            raise ApiError(422, f"{what} is {len(raw):,} bytes; at most {settings.image_max_bytes:,}", "bad_image")
        if not raw.startswith(PNG_MAGIC):
            raise ApiError(422, f"{what} is not a PNG image", "bad_image")
        try:
            from PIL import Image

            with Image.open(io.BytesIO(raw)) as im:
                im.verify()
                w, h = im.size
        except Exception:  # noqa: BLE001
            raise ApiError(422, f"{what} is not a readable PNG image", "bad_image") from None
        if not (16 <= w <= 4000 and 8 <= h <= 4000):
            raise ApiError(422, f"{what} is {w}×{h} pixels; a signature image is 16..4000 × 8..4000", "bad_image")
        return raw

    def the_record(record_id: str) -> store.RecordState:
        st = store.record_state(tables, T.records, record_id)
        if st is None:
            raise ApiError(404, f"no inspection record '{record_id}'", "not_found")
        return st

    # -- inspectors ------------------------------------------------------------------------

    @app.get(
        "/v1/inspections/tasks/{task_id}/{uscc}/form",
        tags=["inspections"],
        responses=errs(401, 403, 404, 422, 429),
        summary="A drawn task's inspection form",
    )
    def get_form(task_id: Id, uscc: Id, key: WriteKey):
        """The task (no personal data), the form its inspection item needs with every check item, the caller's latest
        draft and the task's records."""
        inspector = inspector_of(key)
        t = drawn_task(task_id, uscc, inspector)
        form = form_of(t)
        draft = store.latest_draft(tables, T.drafts, task_id, uscc)
        import json

        return {
            "task": {
                k: t.get(k)
                for k in (
                    "plan_id",
                    "task_id",
                    "uscc",
                    "entity_name",
                    "district_code",
                    "industry_section",
                    "inspection_mode",
                    "inspection_item",
                    "inspectors",
                )
            },
            "form": form.as_dict(),
            "draft": json.loads(draft["answers_json"]) if draft else {},
            "records": [s.public_view() | {"record": None} for s in store.task_records(tables, T.records, task_id, uscc)],
        }

    @app.put(
        "/v1/inspections/tasks/{task_id}/{uscc}/draft",
        tags=["inspections"],
        responses=errs(400, 401, 403, 404, 409, 422, 429),
        summary="Save draft answers",
    )
    def put_draft(task_id: Id, uscc: Id, body: DraftIn, key: WriteKey):
        """Drafts never touch records: after a sealed record they prepare its correction."""
        inspector = inspector_of(key)
        with store.LOCK:
            t = drawn_task(task_id, uscc, inspector)
            form = form_of(t)
            check_items(form, body.answers)
            import json

            answers = dict(sorted(body.answers.items()))
            store.append(
                tables,
                T.drafts,
                store.DRAFTS,
                [
                    {
                        "task_id": task_id,
                        "uscc": uscc,
                        "inspector_id": inspector,
                        "answers_json": json.dumps(answers, ensure_ascii=False),
                        "at": store.now(),
                    }
                ],
                audit=False,
            )
        return {"task_id": task_id, "answered": len(answers), "items": len(form.items), "missing": len(form.items) - len(answers)}

    @app.post(
        "/v1/inspections/tasks/{task_id}/{uscc}/records",
        tags=["inspections"],
        status_code=201,
        responses=errs(400, 401, 403, 404, 409, 422, 429),
        summary="Final submission of a task's record",
    )
    def submit(task_id: Id, uscc: Id, body: RecordIn, key: WriteKey):
        """Every item of the form answered (finding `inspected`) or none (`unreachable`, `refused`). Returns the canonical
        record: both drawn inspectors sign its bytes (``record_json``) with their devices."""
        inspector = inspector_of(key)
        with store.LOCK:
            t = drawn_task(task_id, uscc, inspector)
            form = form_of(t)
            today = dt.datetime.now(CHINA).date()
            if body.inspection_date > today:
                raise ApiError(422, f"inspection_date {body.inspection_date} is in the future (today is {today}, China time)", "bad_date")
            check_items(form, body.answers)
            if body.finding == "inspected":
                missing = [i.item_id for i in form.items if i.item_id not in body.answers]
                if missing:
                    raise ApiError(
                        422,
                        f"{len(missing)} of the {len(form.items)} items of form {form.form_id} have no answer: "
                        f"{', '.join(missing[:10])}{' …' if len(missing) > 10 else ''}; save partial answers as a draft "
                        "(PUT …/draft)",
                        "missing_answer",
                        items=missing[:50],
                    )
            elif body.answers:
                raise ApiError(422, f"a record with finding '{body.finding}' carries no answers", "unexpected_answers")
            existing = store.task_records(tables, T.records, task_id, uscc)
            open_ = [s for s in existing if s.status != "sealed"]
            if open_:
                raise ApiError(
                    409,
                    f"record {open_[-1].record_id} of task {task_id} awaits signatures; sign it, it cannot be resubmitted",
                    "resubmission",
                    record_id=open_[-1].record_id,
                )
            current = store.latest_per_task(existing).get((task_id, uscc))
            if body.corrects is None and current is not None:
                raise ApiError(
                    409,
                    f"task {task_id} has the sealed record {current.record_id}; records are immutable — submit a "
                    f"correction with corrects='{current.record_id}'",
                    "resubmission",
                    record_id=current.record_id,
                )
            if body.corrects is not None and (current is None or body.corrects != current.record_id):
                raise ApiError(
                    422,
                    f"corrects='{body.corrects}' is not the current sealed record of task {task_id} "
                    f"({current.record_id if current else 'none'})",
                    "bad_correction",
                )
            answers = [{"item_id": i.item_id, "answer": body.answers[i.item_id]} for i in form.items if i.item_id in body.answers]
            failed = [i for i in form.items if body.answers.get(i.item_id) == "does_not_conform"]
            if body.finding == "unreachable":
                result = "4"
            elif body.finding == "refused":
                result = "5"
            elif failed:
                result = next(r for r in RESULT_PRIORITY if any(i.violation_result == r for i in failed))
            else:
                result = "1"
            from lakehouse.gold.plans.disclosure import _district_names
            from lakehouse.gold.plans.disclosure import authority_of as _authority

            at = store.now()
            record = {
                "schema": "regulake.inspection_record/1",
                "record_id": f"{task_id}-{uscc}-R{len(existing) + 1}",
                "task_id": task_id,
                "plan_id": t["plan_id"],
                "uscc": t["uscc"],
                "entity_name": t["entity_name"],
                "inspection_mode": t["inspection_mode"],
                "inspection_item": t["inspection_item"],
                "form_id": form.form_id,
                "form_version": form.version,
                "inspectors": sorted(t["inspectors"]),
                "authority": _authority(t.get("district_code"), _district_names()),
                "inspection_date": body.inspection_date.isoformat(),
                "finding": body.finding,
                "answers": answers,
                "nonconforming": [i.item_id for i in failed],
                "result": result,
                "corrects": body.corrects,
                "submitted_by": inspector,
                "submitted_at": at.isoformat(timespec="microseconds") + "Z",
            }
            text = canonical(record).decode("utf-8")
            digest = sha256_hex(text.encode("utf-8"))
            store.append(
                tables,
                T.records,
                store.RECORD_EVENTS,
                [
                    {
                        "record_id": record["record_id"],
                        "task_id": task_id,
                        "uscc": uscc,
                        "plan_id": t["plan_id"],
                        "event": "submitted",
                        "inspector_id": inspector,
                        "record_json": text,
                        "record_sha256": digest,
                        "corrects": body.corrects,
                        "result": result,
                        "at": at,
                    }
                ],
            )
        return {
            "record_id": record["record_id"],
            "status": "awaiting_signatures",
            "record_sha256": digest,
            "record_json": text,
            "record": record,
            "sign": "each drawn inspector signs the UTF-8 bytes of record_json with their device key",
        }

    @app.post(
        "/v1/inspections/records/{record_id}/signatures",
        tags=["inspections"],
        status_code=201,
        responses=errs(400, 401, 403, 404, 409, 422, 429),
        summary="An inspector's signature of a record",
    )
    def sign(record_id: Id, body: SignatureIn, key: WriteKey):
        inspector = inspector_of(key)
        enrolled = settings.inspector_for_key(key.name).device_public_keys
        with store.LOCK:
            st = the_record(record_id)
            if inspector not in st.record["inspectors"]:
                raise ApiError(
                    403,
                    f"inspector '{inspector}' is not one of the record's inspectors ({len(st.record['inspectors'])} drawn); "
                    "a third inspector cannot sign",
                    "not_drawn",
                )
            if st.status == "sealed":
                raise ApiError(409, f"record {record_id} is sealed and immutable", "sealed")
            if inspector in st.signatures:
                raise ApiError(409, f"inspector '{inspector}' has signed record {record_id} already", "signed_already")
            if body.public_key not in enrolled:
                raise ApiError(422, f"public_key is not a device key enrolled for inspector '{inspector}'", "unknown_device_key")
            if not verify(body.public_key, body.signature, st.record_json.encode("utf-8")):
                raise ApiError(
                    422,
                    f"the signature does not verify against record {record_id}'s canonical JSON "
                    f"(SHA-256 {st.record_sha256}) and the device key given",
                    "bad_signature",
                )
            image = png(body.image_png, "image_png")
            store.append(
                tables,
                T.records,
                store.RECORD_EVENTS,
                [
                    {
                        "record_id": record_id,
                        "task_id": st.task_id,
                        "uscc": st.uscc,
                        "plan_id": st.plan_id,
                        "event": "inspector_signed",
                        "inspector_id": inspector,
                        "record_sha256": st.record_sha256,
                        "signature": body.signature,
                        "public_key": body.public_key,
                        "image_png": image,
                        "image_sha256": hashlib.sha256(image).hexdigest(),
                        "at": store.now(),
                    }
                ],
            )
            st = the_record(record_id)
            out = {"record_id": record_id, "signed_by": sorted(st.signatures), "status": st.status}
            if len(st.signatures) == len(st.record["inspectors"]) and st.record["finding"] != "inspected":
                out.update(seal(st, None))  # nobody to countersign: unreachable or refused
        return out

    @app.post(
        "/v1/inspections/records/{record_id}/party-signature",
        tags=["inspections"],
        status_code=201,
        responses=errs(400, 401, 403, 404, 409, 422, 429),
        summary="The inspected party's signature; seals the record",
    )
    def party_sign(record_id: Id, body: PartySignatureIn, key: WriteKey):
        """After both inspectors signed: the party's handwritten signature. The record is then sealed (immutable),
        archived as PDF, and — with a mobile number — a delivery SMS is queued in the outbox."""
        inspector = inspector_of(key)
        with store.LOCK:
            st = the_record(record_id)
            if inspector not in st.record["inspectors"]:
                raise ApiError(403, f"inspector '{inspector}' is not one of the record's inspectors", "not_drawn")
            if st.status == "sealed":
                raise ApiError(409, f"record {record_id} is sealed and immutable", "sealed")
            if st.record["finding"] != "inspected":
                raise ApiError(409, f"record {record_id} has finding '{st.record['finding']}': there is no party signature", "no_party")
            unsigned = [i for i in st.record["inspectors"] if i not in st.signatures]
            if unsigned:
                raise ApiError(
                    409,
                    f"inspector(s) {', '.join(unsigned)} have not signed record {record_id} yet; the party signs after both inspectors",
                    "awaiting_inspectors",
                )
            image = png(body.image_png, "image_png")
            at = store.now()
            store.append(
                tables,
                T.records,
                store.RECORD_EVENTS,
                [
                    {
                        "record_id": record_id,
                        "task_id": st.task_id,
                        "uscc": st.uscc,
                        "plan_id": st.plan_id,
                        "event": "party_signed",
                        "inspector_id": inspector,
                        "record_sha256": st.record_sha256,
                        "image_png": image,
                        "image_sha256": hashlib.sha256(image).hexdigest(),
                        "signer_role": body.signer_role,
                        "at": at,
                    }
                ],
            )
            st = the_record(record_id)
            return {"record_id": record_id, **seal(st, body.mobile)}

    def seal(st: store.RecordState, mobile: str | None) -> dict:
        """Archive the PDF, then record 'sealed' (one commit); deliver the link."""
        at = store.now()
        st.sealed_at = at
        row = archive.archive_record(tables, settings, st, forms.forms[st.record["form_id"]])
        store.append(
            tables,
            T.records,
            store.RECORD_EVENTS,
            [
                {
                    "record_id": st.record_id,
                    "task_id": st.task_id,
                    "uscc": st.uscc,
                    "plan_id": st.plan_id,
                    "event": "sealed",
                    "record_sha256": st.record_sha256,
                    "corrects": st.record.get("corrects"),
                    "result": st.record["result"],
                    "at": at,
                }
            ],
        )
        url, expires_at = delivery.make_link(secret, settings, st.record_id)
        out = {
            "status": "sealed",
            "record_sha256": st.record_sha256,
            "archive_sha256": row["sha256"],
            "pages": row["pages"],
            "delivery_url": url,
            "delivery_expires": expires_at.isoformat() + "Z",
            "public_url": public.public_url(settings.delivery.base_url, st.task_id, st.uscc),
        }
        if mobile:
            out["sms"] = delivery.queue_sms(tables, settings, st.record, mobile, url, expires_at)
        return out

    @app.get(
        "/v1/inspections/records/{record_id}", tags=["inspections"], responses=errs(401, 403, 404, 422, 429), summary="A record's state"
    )
    def get_record(record_id: Id, key: WriteKey):
        inspector_of(key)
        return the_record(record_id).public_view()

    @app.post(
        "/v1/inspections/records/{record_id}/delivery",
        tags=["inspections"],
        status_code=201,
        responses=errs(400, 401, 403, 404, 409, 422, 429),
        summary="A fresh delivery link (and SMS) for a sealed record",
    )
    def redeliver(record_id: Id, body: DeliveryIn, key: WriteKey):
        inspector = inspector_of(key)
        st = the_record(record_id)
        if inspector not in st.record["inspectors"]:
            raise ApiError(403, f"inspector '{inspector}' is not one of the record's inspectors", "not_drawn")
        if st.status != "sealed":
            raise ApiError(409, f"record {record_id} is not sealed yet; only sealed records are delivered", "not_sealed")
        url, expires_at = delivery.make_link(secret, settings, record_id)
        out = {"record_id": record_id, "delivery_url": url, "delivery_expires": expires_at.isoformat() + "Z"}
        if body.mobile:
            out["sms"] = delivery.queue_sms(tables, settings, st.record, body.mobile, url, expires_at)
        return out

    # -- the inspected party: the delivery link --------------------------------------------

    @app.get(
        "/v1/inspections/documents/{record_id}.pdf",
        tags=["inspections"],
        responses={200: {"content": {"application/pdf": {}}, "description": "The archived PDF."}} | errs(403, 404, 422, 429, 503),
        summary="A record's archived PDF, by its signed, expiring link",
    )
    def document(record_id: Id, expires: Annotated[str | None, Query()] = None, sig: Annotated[str | None, Query()] = None):
        why = delivery.check_link(secret, record_id, expires, sig)
        if why:
            log.info("delivery link for %s refused: %s", record_id, why)
            raise ApiError(403, "this link is not valid: it has expired or was altered; ask the authority for a new one", "forbidden")
        row = archive.archived(tables, settings, record_id)
        if row is None:
            raise ApiError(404, f"record {record_id} has no archived PDF", "not_found")
        path = archive.archive_dir(settings, tables.root) / row["path"]
        data = path.read_bytes() if path.exists() else b""
        if hashlib.sha256(data).hexdigest() != row["sha256"]:
            raise ApiError(503, f"the archived PDF of {record_id} does not match its SHA-256 in {T.archives}; not served", "integrity")
        return Response(
            data,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'inline; filename="{record_id}.pdf"',
                "Cache-Control": "no-store",
                "X-Content-SHA256": row["sha256"],
            },
        )

    # -- public ----------------------------------------------------------------------------

    def public_of(task_id: str, uscc: str) -> dict:
        states = store.task_records(tables, T.records, task_id, uscc)
        current = store.latest_per_task(states).get((task_id, uscc))
        if current is None:
            raise ApiError(404, f"task '{task_id}' has no published result for entity {uscc}", "not_found")
        return public.public_result(current, corrected=sum(1 for s in states if s.sealed_at) - 1)

    @app.get(
        "/v1/public/inspections/{task_id}/{uscc}", tags=["public"], responses=errs(404, 422, 429), summary="A finished task's public result"
    )
    def public_json(task_id: Id, uscc: Id):
        return public_of(task_id, uscc)

    @app.get(
        "/v1/public/inspections/{task_id}/{uscc}/page",
        tags=["public"],
        responses={200: {"content": {"text/html": {}}}} | errs(404, 422, 429),
        summary="A finished task's public result page",
    )
    def public_page(task_id: Id, uscc: Id):
        return HTMLResponse(public.page_html(public_of(task_id, uscc), f"/v1/public/inspections/{task_id}/{uscc}/qr.png"))

    @app.get(
        "/v1/public/inspections/{task_id}/{uscc}/qr.png",
        tags=["public"],
        responses={200: {"content": {"image/png": {}}}} | errs(404, 422, 429),
        summary="QR code of the public result page",
    )
    def public_qr(task_id: Id, uscc: Id):
        public_of(task_id, uscc)
        return Response(public.qr_png(public.public_url(settings.delivery.base_url, task_id, uscc)), media_type="image/png")

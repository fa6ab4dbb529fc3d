"""Settings of the inspection records (``serving: inspections:`` in ``conf/*.yaml``)."""

from __future__ import annotations

import base64
import re

from pydantic import Field, field_validator, model_validator

from lakehouse.config.base import Section

_TABLE = re.compile(r"^(bronze|silver|gold|ml|audit|ops)\.[a-z][a-z0-9_]*$")


class InspectorDevice(Section):
    """An inspector of the inspector register, the API key they call with and their enrolled device keys."""

    inspector_id: str = Field(..., min_length=1, description="The inspector's id in gold.inspectors (as plan tasks list them).")
    api_key: str = Field(..., min_length=1, description="Name of their key in serving.api.api_keys (it needs scope inspection:write).")
    device_public_keys: list[str] = Field(..., min_length=1, description="Base64 of each enrolled device's raw 32-byte Ed25519 public key.")

    @field_validator("device_public_keys")
    @classmethod
    def _keys(cls, v: list[str]) -> list[str]:
        for k in v:
            try:
                raw = base64.b64decode(k, validate=True)
            except Exception:  # noqa: BLE001
                raise ValueError(f"{k!r} is not base64") from None
            if len(raw) != 32:
                raise ValueError(f"{k!r} is {len(raw)} bytes; an Ed25519 public key is 32 bytes (raw encoding)")
        return v


class DeliverySettings(Section):
    link_ttl_hours: float = Field(168.0, gt=0, le=24 * 90, description="How long a delivery link opens the PDF (hours, at most 90 days).")
    link_secret: str | None = Field(None, min_length=32, description="HMAC key of the links; prefer link_secret_env.")
    link_secret_env: str = Field("REGULAKE_LINK_SECRET", description="Environment variable holding the HMAC key (≥ 32 characters).")
    base_url: str = Field(
        "http://127.0.0.1:8000",
        pattern=r"^https?://[^\s/]+(/[^\s]*)?$",
        description="Public address of the API, for links in SMS texts and QR codes.",
    )
    sms_template: str = Field(
        "【{authority}】{entity_name}：贵单位{inspection_date}的现场检查记录（任务{task_id}）已电子送达，请于{expires}前查看、打印：{url}",
        description="SMS text; fields: authority, entity_name, inspection_date, task_id, record_id, expires, url.",
    )

    @field_validator("sms_template")
    @classmethod
    def _template(cls, v: str) -> str:
        fields = {"authority", "entity_name", "inspection_date", "task_id", "record_id", "expires", "url"}
        used = set(re.findall(r"{([^{}]*)}", v))
        if used - fields:
            raise ValueError(f"unknown field(s) {sorted(used - fields)}; allowed: {', '.join(sorted(fields))}")
        if "url" not in used:
            raise ValueError("the SMS text must carry {url}")
        return v


class InspectionTables(Section):
    tasks: str = Field("gold.inspection_tasks", description="Drawn plan tasks (with their inspectors).")
    records: str = Field("audit.inspection_records", description="Append-only record events: submitted, signed, sealed.")
    drafts: str = Field("ops.inspection_drafts", description="Draft answers (append-only; the latest per task and inspector counts).")
    archives: str = Field("audit.inspection_archives", description="The archived PDFs with their SHA-256.")
    outbox: str = Field("ops.sms_outbox", description="Outgoing SMS messages (the gateway adapter sends them).")
    landed: str = Field("audit.inspection_landings", description="Records delivered as SCJG-005 landing batches.")

    @field_validator("*")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _TABLE.match(v):
            raise ValueError("must be '<layer>.<name>' (e.g. audit.inspection_records)")
        return v


class InspectionSettings(Section):
    enabled: bool = Field(True, description="Serve the inspection-record endpoints.")
    authority: str = Field("佛山市市场监督管理局", min_length=2, description="Authority printed on the archive and its seal.")
    inspectors: list[InspectorDevice] = Field(default_factory=list, description="Inspectors allowed to submit and sign records.")
    archive_dir: str | None = Field(None, description="Folder of the PDF archive (default: <warehouse>/_archive/inspections).")
    seal_image: str | None = Field(None, description="PNG of the authority's e-seal (default: one drawn from `authority`).")
    font_path: str = Field("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", description="CJK font embedded in the PDFs (TTF/TTC).")
    image_max_bytes: int = Field(512 * 1024, ge=1024, description="Largest handwritten-signature PNG accepted.")
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    tables: InspectionTables = Field(default_factory=InspectionTables)

    @model_validator(mode="after")
    def _unique(self) -> InspectionSettings:
        ids = [i.inspector_id for i in self.inspectors]
        keys = [i.api_key for i in self.inspectors]
        if len(set(ids)) != len(ids) or len(set(keys)) != len(keys):
            raise ValueError("inspections.inspectors: inspector ids and api key names must be unique")
        return self

    def inspector_for_key(self, key_name: str) -> InspectorDevice | None:
        return next((i for i in self.inspectors if i.api_key == key_name), None)

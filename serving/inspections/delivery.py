"""Electronic delivery (电子送达): a signed, expiring link to a record's PDF and the SMS that carries it.

A link is ``<base_url>/v1/inspections/documents/<record_id>.pdf?expires=<unix seconds>&sig=<hex>``
with ``sig = HMAC-SHA256(secret, "<record_id>|<expires>")``; the API serves the PDF only when the
signature matches (compared in constant time) and the expiry has not passed — otherwise 403 and
nothing else. The expiry comes from ``serving.inspections.delivery.link_ttl_hours``.

There is no SMS gateway here: :func:`queue_sms` writes the message to the outbox table
(``ops.sms_outbox``); a deployment implements :class:`SmsGateway` for its operator's API and
runs :func:`dispatch`, which sends queued messages and records each attempt in the outbox.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import os
import secrets
import uuid
from typing import TYPE_CHECKING, Protocol

import pyarrow as pa

from lakehouse.errors import ConfigError

if TYPE_CHECKING:
    from lakehouse.config.inspections import InspectionSettings
    from lakehouse.tables import Tables

log = logging.getLogger("regulake.inspections")
OUTBOX = pa.schema(
    [
        ("message_id", pa.string()),
        ("record_id", pa.string()),
        ("task_id", pa.string()),
        ("recipient", pa.string()),
        ("recipient_masked", pa.string()),
        ("text", pa.string()),
        ("url_expires", pa.timestamp("us")),
        ("status", pa.string()),
        ("gateway", pa.string()),
        ("gateway_receipt", pa.string()),
        ("error", pa.string()),
        ("at", pa.timestamp("us")),
    ]
)


def link_secret(settings: InspectionSettings) -> bytes:
    """The HMAC key: ``delivery.link_secret``, else the environment variable ``delivery.link_secret_env``."""
    d = settings.delivery
    key = d.link_secret or os.environ.get(d.link_secret_env, "")
    if not key:
        log.warning(
            "no delivery link secret (serving.inspections.delivery.link_secret or $%s): links made now stop working when the API restarts",
            d.link_secret_env,
        )
        return secrets.token_bytes(32)
    if len(key) < 32:
        raise ConfigError(f"${d.link_secret_env} must be at least 32 characters (a long random secret)")
    return key.encode("utf-8")


def _mac(secret: bytes, record_id: str, expires: int) -> str:
    return hmac.new(secret, f"{record_id}|{expires}".encode(), hashlib.sha256).hexdigest()


def make_link(secret: bytes, settings: InspectionSettings, record_id: str, now: dt.datetime | None = None) -> tuple[str, dt.datetime]:
    now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    expires_at = now + dt.timedelta(hours=settings.delivery.link_ttl_hours)
    expires = int(expires_at.replace(tzinfo=dt.timezone.utc).timestamp())
    base = settings.delivery.base_url.rstrip("/")
    return (
        f"{base}/v1/inspections/documents/{record_id}.pdf?expires={expires}&sig={_mac(secret, record_id, expires)}",
        dt.datetime.fromtimestamp(expires, dt.timezone.utc).replace(tzinfo=None),
    )


def check_link(secret: bytes, record_id: str, expires: str | None, sig: str | None, now: float | None = None) -> str | None:
    """None when the link is good, else why it is refused (for the log; the client only sees 403)."""
    import time

    if not expires or not sig or not expires.isdigit() or len(expires) > 12 or len(sig) != 64:
        return "missing or malformed expires/sig"
    if not hmac.compare_digest(_mac(secret, record_id, int(expires)), sig.lower()):
        return "signature does not match"
    if int(expires) < (now if now is not None else time.time()):
        return "link expired"
    return None


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"


def sms_text(settings: InspectionSettings, record: dict, url: str, expires_at: dt.datetime) -> str:
    return settings.delivery.sms_template.format(
        authority=settings.authority,
        entity_name=record["entity_name"],
        inspection_date=record["inspection_date"],
        task_id=record["task_id"],
        record_id=record["record_id"],
        expires=(expires_at + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M"),
        url=url,
    )


def queue_sms(tables: Tables, settings: InspectionSettings, record: dict, phone: str, url: str, expires_at: dt.datetime) -> dict:
    """Append the outgoing message to the outbox (status queued); returns the row (without the number)."""
    from serving.inspections.store import append, now

    row = {
        "message_id": str(uuid.uuid4()),
        "record_id": record["record_id"],
        "task_id": record["task_id"],
        "recipient": phone,
        "recipient_masked": mask_phone(phone),
        "text": sms_text(settings, record, url, expires_at),
        "url_expires": expires_at,
        "status": "queued",
        "gateway": None,
        "gateway_receipt": None,
        "error": None,
        "at": now(),
    }
    append(tables, settings.tables.outbox, OUTBOX, [row], audit=False)
    return {k: v for k, v in row.items() if k != "recipient"}


class SmsGateway(Protocol):
    """What a real SMS operator's adapter implements; ``send`` returns the operator's receipt id or raises."""

    name: str

    def send(self, recipient: str, text: str) -> str: ...


class LogGateway:
    """A gateway that only logs (development): every message 'sent', receipt = its hash."""

    name = "log"

    def send(self, recipient: str, text: str) -> str:
        log.info("SMS to %s: %s", mask_phone(recipient), text)
        return hashlib.sha256(f"{recipient}|{text}".encode()).hexdigest()[:16]


def pending(tables: Tables, settings: InspectionSettings) -> list[dict]:
    name = settings.tables.outbox
    if not tables.exists(name):
        return []
    rows = tables.read_arrow(name).to_pylist()
    last: dict[str, dict] = {}
    for r in sorted(rows, key=lambda r: r["at"]):
        last[r["message_id"]] = r
    return [r for r in last.values() if r["status"] in ("queued", "failed")]


def dispatch(tables: Tables, settings: InspectionSettings, gateway: SmsGateway) -> dict[str, int]:
    """Send every queued (or failed) message once through ``gateway``; each attempt appends a row (sent / failed)."""
    from serving.inspections.store import append, now

    out = {"sent": 0, "failed": 0}
    rows = []
    for r in pending(tables, settings):
        try:
            receipt, status, error = gateway.send(r["recipient"], r["text"]), "sent", None
        except Exception as e:  # noqa: BLE001 - the operator's error is recorded, the next run retries
            receipt, status, error = None, "failed", str(e)[:500]
        out[status] += 1
        rows.append({**r, "status": status, "gateway": gateway.name, "gateway_receipt": receipt, "error": error, "at": now()})
    if rows:
        append(tables, settings.tables.outbox, OUTBOX, rows, audit=False)
    return out

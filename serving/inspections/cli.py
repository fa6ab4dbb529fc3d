"""``regulake inspections ...``: enrol a device key, deliver sealed records to landing, send the SMS outbox."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(help="Electronic inspection records: device keys, SCJG-005 delivery, the SMS outbox.", no_args_is_help=True)
EnvOpt = typer.Option(None, "--env", "-e", help="Configuration environment (conf/<env>.yaml); default REGULAKE_ENV or local.")


def _ctx(env):
    from lakehouse.config import load_config
    from lakehouse.tables import Tables

    cfg = load_config(env)
    return (
        cfg,
        cfg.serving.inspections,
        Tables(cfg.warehouse.root, None, cfg.tables, cfg.warehouse.storage_options, cfg.warehouse.audit_retention_days),
    )


@app.command("device-key")
def device_key(
    out: Path = typer.Argument(..., help="Where the device's private key goes (PEM, mode 0600; it stays on the device)."),
) -> None:
    """Make an Ed25519 device key; prints the public key to enrol under serving.inspections.inspectors[].device_public_keys."""
    import os

    from cryptography.hazmat.primitives import serialization

    from lakehouse.errors import RegulakeError
    from serving.inspections.signing import new_device_key, public_key_b64

    if out.exists():
        raise RegulakeError(f"{out} exists; a device key is never overwritten")
    key = new_device_key()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    typer.echo(public_key_b64(key))


@app.command("deliver")
def deliver_cmd(
    plan: Optional[str] = typer.Option(None, "--plan", help="Only this plan's records."),
    batch_date: Optional[str] = typer.Option(None, "--batch-date", help="YYYY-MM-DD (default: today, China time)."),
    env: Optional[str] = EnvOpt,
) -> None:
    """Deliver the sealed records not delivered yet as a SCJG-005 landing batch (then: regulake run bronze && regulake run silver)."""
    from lakehouse.errors import RegulakeError
    from serving.inspections.landing import deliver

    try:
        day = dt.date.fromisoformat(batch_date) if batch_date else None
    except ValueError:
        raise RegulakeError(f"--batch-date must be YYYY-MM-DD, got {batch_date!r}") from None
    cfg, insp, tables = _ctx(env)
    out = deliver(tables, insp, cfg.landing.root, day, plan)
    typer.echo(f"{out.rows} record(s), {out.problems} with problems, delivered as {out.path}" if out.rows else "nothing new to deliver")


@app.command("send-sms")
def send_sms(env: Optional[str] = EnvOpt) -> None:
    """Send the queued SMS messages through the log gateway (a deployment plugs its operator's SmsGateway in)."""
    from serving.inspections.delivery import LogGateway, dispatch

    _, insp, tables = _ctx(env)
    res = dispatch(tables, insp, LogGateway())
    typer.echo(f"sent {res['sent']}, failed {res['failed']}")

"""``regulake simulate-inspections PLAN --via-api``: the season through the real records API.

Every inspector drawn for the plan gets a fresh device key and API key (in memory, for this run
only); the API — the same app ``regulake serve api`` runs, with those inspectors enrolled — is
started on loopback; :func:`serving.inspections.client.simulate_season` fills, signs and seals
each task's form from the answer key over HTTP; the sealed records are then delivered as a
SCJG-005 landing batch (:func:`serving.inspections.landing.deliver`), ready for
``regulake run bronze`` and ``regulake run silver``.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import TYPE_CHECKING

from lakehouse.errors import RegulakeError

if TYPE_CHECKING:
    from lakehouse.config import RegulakeConfig
    from lakehouse.tables import Tables


class _Server:
    """uvicorn in a thread on 127.0.0.1, any free port."""

    def __init__(self, app):
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True, name="inspections-api")

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RegulakeError("the records API did not start on 127.0.0.1")
            time.sleep(0.02)
        return f"http://127.0.0.1:{self.server.servers[0].sockets[0].getsockname()[1]}"

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def simulate_via_api(cfg: RegulakeConfig, tables: Tables, plan_id: str, batch_date: dt.date | None = None) -> dict:
    import httpx

    from lakehouse.config.api import ApiKey, RateLimitSettings, hash_api_key, new_api_key
    from lakehouse.config.inspections import InspectorDevice
    from lakehouse.config.plans import Plan
    from lakehouse.gold.plans import audit
    from lakehouse.tables import Tables as _Tables
    from serving.app import create_app
    from serving.inspections.client import Inspector, simulate_season
    from serving.inspections.landing import deliver
    from serving.inspections.signing import new_device_key

    pair = audit.revealed(audit.events(tables, plan_id))
    if not pair:
        raise RegulakeError(f"plan {plan_id} has not been drawn; run 'regulake plan draw {plan_id}' first")
    com, rev = pair
    plan = Plan.model_validate_json(com["plan_json"])
    tasks = audit.read_tasks(tables, plan_id, rev["tasks_version"])
    ids = sorted({i for lst in tasks["inspectors"] for i in lst})
    devices = {i: Inspector(i, new_api_key(), new_device_key()) for i in ids}
    # model_copy, not a re-validation of a dump: the defaults of ApiSettings are not re-checked (see docs/inspections.md)
    base_api = cfg.serving.api
    keys = [k for k in base_api.api_keys if not k.name.startswith("simulated-")]
    keys += [ApiKey(name=f"simulated-{i}", key_hash=hash_api_key(d.api_key), scopes=["inspection:write"]) for i, d in devices.items()]
    api = base_api.model_copy(update={"api_keys": keys, "rate_limit": RateLimitSettings(enabled=False)})
    base = cfg.serving.inspections
    enrolled = [e for e in base.inspectors if e.inspector_id not in devices]
    enrolled += [InspectorDevice(inspector_id=i, api_key=f"simulated-{i}", device_public_keys=[d.public_key]) for i, d in devices.items()]
    insp = base.model_copy(update={"enabled": True, "inspectors": enrolled})
    app = create_app(api, cfg.warehouse.root, cfg.warehouse.storage_options, None, start_reloader=False, inspections=insp)
    with _Server(app) as url, httpx.Client(base_url=url, timeout=120) as http:
        season = simulate_season(http, tables, plan_id, cfg.landing.answer_key_root, devices)
    rs = _Tables(cfg.warehouse.root, None, cfg.tables, cfg.warehouse.storage_options, cfg.warehouse.audit_retention_days)
    out = deliver(rs, insp, cfg.landing.root, batch_date or plan.period.end + dt.timedelta(days=1), plan_id=plan_id)
    return {**season, "batch_date": out.batch_date, "path": out.path, "rows": out.rows, "landed_problems": out.problems}

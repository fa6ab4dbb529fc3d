"""The loop closes through the real path: records sealed through the API (uvicorn on loopback, real device keys) land as
a SCJG-005 landing batch, the real bronze and silver jobs ingest it like any department's delivery, a correction in a
later batch supersedes the first result, and the labels of the next training are the random share's results."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.integration.test_api import LiveServer, make_uscc

PLAN = "P2026-LOOP"
DATE = dt.date(2026, 2, 10)
CUTOFF = dt.date(2026, 1, 2)
#           item  section mode result
TASKS = [
    ("03", "H", "1", "1"),
    ("03", "F", "1", "3"),
    ("01", "F", "1", "6"),
    ("05", "K", "1", "4"),
    ("04", "C", "1", "1"),
    ("08", "F", "2", "2"),
    ("02", "L", "2", "1"),
]


@pytest.mark.slow
def test_sealed_records_land_in_bronze_and_silver_and_become_labels(spark, tables, tmp_path, test_config):
    import httpx
    import pyarrow as pa
    from deltalake import write_deltalake

    import jobs.bronze
    import jobs.silver
    from lakehouse.config.api import ApiKey, ApiSettings, RateLimitSettings, hash_api_key
    from lakehouse.config.inspections import DeliverySettings, InspectionSettings, InspectorDevice
    from lakehouse.tables import Tables
    from ml import labels
    from serving.app import create_app
    from serving.inspections.client import Inspector, inspect_task
    from serving.inspections.landing import deliver
    from serving.inspections.signing import new_device_key

    pairs = [["INSP-1", "INSP-2"], ["INSP-2", "INSP-3"]]
    rows = [
        {
            "plan_id": PLAN,
            "task_no": n,
            "task_id": "SJ2026-900001",
            "uscc": make_uscc(500 + n),
            "entity_name": f"佛山市闭环测试有限公司{n}",
            "district_code": "440605",
            "town_code": "440605001",
            "industry_code": "5111",
            "industry_section": sec,
            "stratum": "s",
            "share": "random" if mode == "1" else "targeted",
            "inspection_mode": mode,
            "inspection_item": item,
            "risk_class": "C",
            "probability": 0.3,
            "priority": 0.3,
            "signals": "",
            "inspectors": pairs[n % 2],
            "cross_district": False,
            "staffed_from": "440605",
        }
        for n, (item, sec, mode, _) in enumerate(TASKS, start=1)
    ]
    write_deltalake(tables.uri("gold.inspection_tasks"), pa.Table.from_pylist(rows), partition_by=["plan_id"])

    devices = {i: Inspector(i, f"{i.lower()}-key-0123456789abcdef", new_device_key()) for i in ("INSP-1", "INSP-2", "INSP-3")}
    api = ApiSettings(
        api_keys=[ApiKey(name=i, key_hash=hash_api_key(d.api_key), scopes=["inspection:write"]) for i, d in devices.items()],
        rate_limit=RateLimitSettings(per_key_per_second=100_000, per_ip_per_second=100_000, burst=100_000),
    )
    insp = InspectionSettings(
        inspectors=[InspectorDevice(inspector_id=i, api_key=i, device_public_keys=[d.public_key]) for i, d in devices.items()],
        delivery=DeliverySettings(link_secret="l" * 40),
    )
    landing = tmp_path / "landing"
    cfg = test_config.model_copy(
        update={
            "warehouse": test_config.warehouse.model_copy(update={"root": tables.root}),
            "landing": test_config.landing.model_copy(update={"root": str(landing)}),
        }
    )
    rs = Tables(tables.root)  # the API's view: delta-rs, no Spark

    with (
        LiveServer(create_app(api, tables.root, start_reloader=False, inspections=insp)) as server,
        httpx.Client(base_url=server.url, timeout=60) as http,
    ):
        sealed = {
            r["uscc"]: inspect_task(http, r["task_id"], r["uscc"], devices, res, DATE, mobile="13800138000")
            for r, (_, _, _, res) in zip(rows, TASKS)
        }
        assert all(s["status"] == "sealed" for s in sealed.values())

        first = deliver(rs, insp, str(landing), dt.date(2026, 2, 11))
        assert first.rows == len(TASKS) and first.problems == 4
        assert deliver(rs, insp, str(landing), dt.date(2026, 2, 11)).rows == 0  # each record lands once
        manifest = json.loads((first.path.parent / "_manifest.json").read_text(encoding="utf-8"))
        assert manifest["catalog"] == "SCJG-005" and manifest["rows"] == len(TASKS)

        bronze = jobs.bronze.run(cfg, spark)
        assert sum(r.records for r in bronze) == len(TASKS) and all(r.rejected_files == 0 for r in bronze)
        jobs.silver.run(cfg, spark)
        silver = {r["uscc"]: r for r in tables.read("silver.inspections").where("catalog = 'SCJG-005'").collect()}
        assert {t: r["inspection_result"] for t, r in silver.items()} == {r["uscc"]: res for r, (*_, res) in zip(rows, TASKS)}
        assert all(r["inspection_date"] == DATE and r["authority"].endswith("市场监督管理局") for r in silver.values())

        # a correction: the first task's record corrected (a problem found after all), delivered in the next batch
        t1, u1 = rows[0]["task_id"], rows[0]["uscc"]
        corrected = inspect_task(http, t1, u1, devices, "2", DATE, corrects=sealed[u1]["record_id"])
        assert corrected["status"] == "sealed" and corrected["record_id"] == f"{t1}-{u1}-R2"
    second = deliver(rs, insp, str(landing), dt.date(2026, 2, 12))
    assert second.rows == 1
    jobs.bronze.run(cfg, spark)
    jobs.silver.run(cfg, spark)
    now = tables.read("silver.inspections").where(f"catalog = 'SCJG-005' and uscc = '{u1}'").collect()
    assert [r["inspection_result"] for r in now] == ["2"]

    # the next training's labels: the random share (mode 1) only, a problem found = 1; unreachable (4) is a problem
    got = {r["uscc"]: r["label"] for r in labels.build(tables, CUTOFF, 365, "random").collect()}
    want = {r["uscc"]: int(res != "1") for r, (_, _, mode, res) in zip(rows, TASKS) if mode == "1"}
    want[rows[0]["uscc"]] = 1
    assert got == want

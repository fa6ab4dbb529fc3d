"""The API picks up new gold versions and a moved champion alias without a restart."""

from __future__ import annotations

import time

import pytest

from tests.integration.test_api import (
    D1,
    D2,
    KEYS,
    LiveServer,
    api_settings,
    assert_no_personal_data,
    catalog_table,
    make_uscc,
    mlflow_config,
    plans_table,
    public_plan_tables,
    register_champion,
    scores_table,
    write_table,
)


def wait_for(fetch, predicate, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if predicate(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    import httpx

    from ml.tracking import Tracker
    from serving.app import create_app

    root = tmp_path_factory.mktemp("api_reload_wh")
    write_table(root, "gold.risk_scores", scores_table(50, D1), partition_by=["score_date"])
    cfg = mlflow_config(tmp_path_factory, "api_reload_mlflow")
    tracker = Tracker(cfg)
    register_champion(tracker, 1)
    app = create_app(api_settings(reload_interval_s=0.2), str(root), mlflow_cfg=cfg)
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=10, headers={"X-API-Key": KEYS["scorer"]}) as c:
        yield root, tracker, c


def test_reload_on_new_gold_versions_and_champion(setup):
    root, tracker, c = setup
    code = make_uscc(10)
    risk = lambda: c.get(f"/v1/entities/{code}/risk").json()  # noqa: E731

    first = risk()
    assert first["as_of"] == D1.isoformat() and first["table_version"] == 0
    r = c.get("/v1/plans/P2026Q1-001")
    assert r.status_code == 404 and "not published" in r.json()["detail"] and "gold.plan_disclosure" in r.json()["detail"]
    r = c.get("/v1/hotwords")
    assert r.status_code == 503 and "gold.complaint_hot_words" in r.json()["detail"]
    assert str(root) not in r.text and str(root) not in c.get("/readyz").text  # no server paths in public answers

    # a new score date lands: served without restart
    write_table(root, "gold.risk_scores", scores_table(60, D2, model_version="1", shift=0.05), partition_by=["score_date"], mode="append")
    got = wait_for(risk, lambda b: b.get("as_of") == D2.isoformat())
    assert got["as_of"] == D2.isoformat() and got["table_version"] == 1 and got["probability"] == pytest.approx(0.15)
    assert c.get(f"/v1/entities/{make_uscc(55)}/risk").status_code == 200  # entity only in the new date

    # the same date re-scored (partition replaced): the new values are served
    write_table(
        root,
        "gold.risk_scores",
        scores_table(60, D2, model_version="2", shift=0.2),
        partition_by=["score_date"],
        mode="overwrite",
        predicate=f"score_date = '{D2.isoformat()}'",
    )
    got = wait_for(risk, lambda b: b.get("table_version") == 2)
    assert got["table_version"] == 2 and got["model_version"] == "2" and got["probability"] == pytest.approx(0.30)

    # the champion alias moves: POST /v1/score uses the new version
    values = {"factors": {"ent_age_days": 100.0, "sh_noncash_share": 0.8, "hist_inspections_found": 2.0}}
    before = c.post("/v1/score", json=values).json()
    assert before["model_version"] == "1" and before["reasons"][0]["description_zh"]  # factor name when no catalog yet
    version = register_champion(tracker, 7)
    after = wait_for(lambda: c.post("/v1/score", json=values).json(), lambda b: b.get("model_version") == version)
    assert after["model_version"] == version and after["probability"] != pytest.approx(before["probability"])

    # tables that appear later are served too
    write_table(root, "gold.plan_disclosure", plans_table())
    write_table(root, "gold.factor_catalog", catalog_table())
    r = wait_for(lambda: c.get("/v1/plans/P2026Q1-001"), lambda r: r.status_code == 200)
    assert r.status_code == 200 and r.json()["task_count"] == 4
    # the published two-table layout (lakehouse.gold.plans.disclosure) takes over once it exists
    plans, results = public_plan_tables()
    write_table(root, "gold.public_inspection_results", results)
    write_table(root, "gold.public_inspection_plans", plans)
    r = wait_for(lambda: c.get("/v1/plans/P2026-07"), lambda r: r.status_code == 200)
    assert r.status_code == 200, r.text
    b = r.json()
    assert b["plan_name"] == "2026年7月双随机抽查" and b["planned_tasks"] == 2 and b["task_count"] == 2 and b["seed_hash"] == "ab" * 32
    assert [t["task_id"] for t in b["tasks"]] == ["P2026-07-0", "P2026-07-1"] and b["tasks"][0]["inspection_result"] == "1"
    assert b["inspectors_per_task"] == 2 and b["table_version"] == "0+0"
    assert_no_personal_data(b)
    m = wait_for(lambda: c.get("/v1/model").json(), lambda b: b["factors"][0].get("description_zh") == "成立天数")
    assert m["factors"][0]["description_zh"] == "成立天数"

    from prometheus_client.parser import text_string_to_metric_families

    loaded = {
        x.labels["source"]: x.value
        for fam in text_string_to_metric_families(c.get("/metrics").text)
        for x in fam.samples
        if x.name == "regulake_api_reloads_total" and x.labels["outcome"] == "loaded"
    }
    assert loaded["risk_scores"] == 3 and loaded["champion"] == 2

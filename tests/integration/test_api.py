"""The scoring API under uvicorn on loopback, hit with httpx; schemathesis against its OpenAPI document.

Real components throughout: Delta tables written with delta-rs in a temporary warehouse, a
SQLite MLflow store with a registered LightGBM model under the alias 'champion'. No Spark.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import numpy as np
import pytest

FACTORS = ["ent_age_days", "sh_noncash_share", "hist_inspections_found"]
CATALOG = {
    "ent_age_days": ("成立天数", "days since establishment", "register"),
    "sh_noncash_share": ("非货币出资股东占比", "share of shareholders contributing other than cash", "shareholders"),
    "hist_inspections_found": ("既往检查发现问题次数", "inspections that found a problem before the cutoff", "history"),
}
D1, D2 = dt.date(2026, 1, 2), dt.date(2026, 1, 3)
N = 300

KEYS = {
    "reader": "reader-key-0123456789abcdef",
    "scorer": "scorer-key-0123456789abcdef",
    "limited": "limited-key-0123456789abcdef",
    "ops": "ops-key-0123456789abcdef",
}


def make_uscc(i: int) -> str:
    from stdnum.cn.uscc import calc_check_digit

    base = f"91440604MA{i:07d}"
    return base + calc_check_digit(base)


def bad_check_digit(code: str) -> str:
    return code[:-1] + ("0" if code[-1] != "0" else "1")


def scores_table(n: int, score_date: dt.date, model_version: str = "1", shift: float = 0.0, start: int = 0):
    import pyarrow as pa

    reason_t = pa.list_(
        pa.struct([("factor", pa.string()), ("description_zh", pa.string()), ("value", pa.float64()), ("contribution", pa.float64())])
    )
    ids = range(start, start + n)
    p = [round((i % 100) / 100 + shift, 6) % 1 for i in ids]
    reasons = [
        [
            {"factor": "sh_noncash_share", "description_zh": CATALOG["sh_noncash_share"][0], "value": (i % 10) / 10, "contribution": 0.5},
            {
                "factor": "ent_age_days",
                "description_zh": CATALOG["ent_age_days"][0],
                "value": None if i % 7 == 0 else float(i),
                "contribution": 0.1,
            },
        ]
        if i % 5
        else []
        for i in ids
    ]
    return pa.table(
        {
            "score_date": pa.array([score_date] * n, pa.date32()),
            "uscc": pa.array([make_uscc(i) for i in ids]),
            "probability": pa.array(p, pa.float64()),
            "risk_class": pa.array(["ABCD"[min(int(x * 4), 3)] for x in p]),
            "raw_score": pa.array([float(np.log(x / (1 - x))) if 0 < x < 1 else 0.0 for x in p]),
            "base_value": pa.array([-1.5] * n),
            "reasons": pa.array(reasons, reason_t),
            "model_name": pa.array(["regulake-risk"] * n),
            "model_version": pa.array([model_version] * n),
        }
    )


def catalog_table():
    import pyarrow as pa

    return pa.table(
        {
            "factor": list(CATALOG),
            "description_zh": [v[0] for v in CATALOG.values()],
            "description_en": [v[1] for v in CATALOG.values()],
            "family": [v[2] for v in CATALOG.values()],
        }
    )


def plans_table():
    import pyarrow as pa

    rows = []
    for plan, name in (("P2026Q1-001", "2026年第一季度双随机抽查计划"), ("P2026Q1-002", "食品安全专项抽查")):
        for t in range(4):
            rows.append(
                {
                    "plan_id": plan,
                    "plan_name": name,
                    "period": "2026Q1",
                    "task_id": f"{plan}-T{t}",
                    "uscc": make_uscc(t),
                    "entity_name": f"佛山市测试贸易有限公司{t}",
                    "district_code": "440604",
                    "item_name": "营业执照检查",
                    "draw_date": dt.date(2026, 1, 5),
                    "result": None if t % 2 else "未发现问题",
                    "inspector_names": "张三,李四",
                    "legal_rep_name": "王五",
                    "legal_rep_id_number": "440604198001011234",
                    "contact_phone": "13800138000",
                    "inspector_id": "INSP-7",
                    "secret_note": "internal",
                }
            )
    return pa.Table.from_pylist(rows)


def public_plan_tables():
    """The layout of lakehouse.gold.plans.disclosure: one row per plan, one row per task."""
    import pyarrow as pa

    plans = pa.Table.from_pylist(
        [
            {
                "plan_id": "P2026-07",
                "plan_name": "2026年7月双随机抽查",
                "authority": "佛山市市场监督管理局",
                "period_start": dt.date(2026, 7, 1),
                "period_end": dt.date(2026, 7, 31),
                "items": ["SJ-01"],
                "item_names": ["营业执照检查"],
                "tasks": 2,
                "inspectors_per_task": 2,
                "rule_version": "1",
                "seed_hash": "ab" * 32,
                "seed": "12345",
                "drawn_at": dt.datetime(2026, 6, 20, 9, 0),
                "results_reported": 1,
                "problems_found": 0,
                "inspector_ids": "INSP-7",
            }
        ]
    )
    results = pa.Table.from_pylist(
        [
            {
                "plan_id": "P2026-07",
                "task_id": f"P2026-07-{i}",
                "uscc": make_uscc(i),
                "entity_name": f"佛山市测试贸易有限公司{i}",
                "district_code": "440604",
                "inspection_item": "SJ-01",
                "inspection_date": dt.date(2026, 7, 9) if i == 0 else None,
                "inspection_result": "1" if i == 0 else None,
                "legal_rep_name": "王五",
            }
            for i in (1, 0)
        ]
    )
    return plans, results


PERSONAL_VALUES = ("张三", "王五", "440604198001011234", "13800138000", "INSP-7", "internal")


def hotwords_table():
    import pyarrow as pa

    rows = []
    for period, prev in (("2025Q4", "2025Q3"), ("2026Q1", "2025Q4")):
        for scope, dist, ind in (("city", None, None), ("district", "440604", None), ("district_industry", "440604", "F")):
            for rank, word in enumerate(["预付卡", "退费", "虚假宣传", "过期", "噪音", "装修", "押金"], 1):
                rows.append(
                    {
                        "period": period,
                        "previous_period": prev,
                        "scope": scope,
                        "district_code": dist,
                        "industry_section": ind,
                        "rank": rank,
                        "word": word + ("" if period == "2026Q1" else "旧"),
                        "count": 100 - rank,
                        "previous_count": 10,
                        "share": 0.01,
                        "previous_share": 0.001,
                        "ratio": 10.0 - rank,
                        "is_new": False,
                        "kind": "phrase" if word == "虚假宣传" else "word",
                        "keyness": 500.0 / rank,
                        "complainant_phone": "13800138000",
                    }
                )
    return pa.Table.from_pylist(rows)


def write_table(root, name: str, table, **kw) -> None:
    from deltalake import write_deltalake

    layer, short = name.split(".")
    write_deltalake(str(root / layer / short), table, **kw)


# -- MLflow --------------------------------------------------------------------------------


def mlflow_config(tmp_path_factory, name: str):
    """A fresh SQLite MLflow store. Creating one runs MLflow's ~50 schema migrations (seconds), so the migrated
    empty database is made once per test session and copied."""
    import shutil

    from lakehouse.config import MlflowConfig

    template = tmp_path_factory.getbasetemp() / "mlflow-template" / "mlflow.db"
    if not template.exists():
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

        template.parent.mkdir(parents=True, exist_ok=True)
        SqlAlchemyStore(f"sqlite:///{template}", str(template.parent / "unused-artifacts"))
    tmp = tmp_path_factory.mktemp(name)
    shutil.copy(template, tmp / "mlflow.db")
    return MlflowConfig(
        tracking_uri=f"sqlite:///{tmp / 'mlflow.db'}",
        artifact_location=str(tmp / "artifacts"),
        experiment="api-test",
        model_name="regulake-risk",
    )


def train_booster(seed: int):
    import lightgbm as lgb
    import pandas as pd

    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "ent_age_days": rng.uniform(0, 3000, 400),
            "sh_noncash_share": rng.uniform(0, 1, 400),
            "hist_inspections_found": rng.integers(0, 5, 400).astype(float),
        }
    )
    logit = 2.5 * X["sh_noncash_share"] - X["ent_age_days"] / 1500 + 0.6 * X["hist_inspections_found"] - 1
    y = (rng.uniform(0, 1, 400) < 1 / (1 + np.exp(-logit))).astype(int)
    booster = lgb.train(
        {"objective": "binary", "num_leaves": 4, "verbose": -1, "seed": seed, "min_data_in_leaf": 5},
        lgb.Dataset(X[FACTORS], y),
        num_boost_round=15 + seed,
    )
    return booster, X


def register_champion(tracker, seed: int) -> str:
    from ml import metrics

    booster, X = train_booster(seed)
    rng = np.random.default_rng(seed + 100)
    p = booster.predict(X[FACTORS].to_numpy(float))
    y = (rng.uniform(0, 1, len(p)) < p).astype(int)
    version = tracker.log_model(booster, FACTORS, X, {"auc": 0.7}, metrics.public(metrics.evaluate(y, p, 0.1)))
    tracker.client.set_registered_model_alias(tracker.cfg.model_name, "champion", version)
    return version


# -- the server ----------------------------------------------------------------------------


class LiveServer:
    """uvicorn in a thread on 127.0.0.1 with an ephemeral port."""

    def __init__(self, app):
        import uvicorn

        self.app = app
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def api_settings(**kw):
    from lakehouse.config.api import ApiKey, ApiSettings, RateLimitSettings, hash_api_key

    keys = [
        ApiKey(name="reader", key_hash=hash_api_key(KEYS["reader"]), scopes=["risk:read"]),
        ApiKey(name="scorer", key_hash=hash_api_key(KEYS["scorer"]), scopes=["risk:read", "risk:score"]),
        ApiKey(name="limited", key_hash=hash_api_key(KEYS["limited"]), scopes=["risk:read"], rate_limit_per_second=0.5, burst=2),
        ApiKey(name="ops", key_hash=hash_api_key(KEYS["ops"]), scopes=["metrics:read"]),
    ]
    base = dict(
        api_keys=keys,
        rate_limit=RateLimitSettings(per_key_per_second=100_000, per_ip_per_second=100_000, burst=100_000),
        reload_interval_s=0.3,
        hotwords_top=5,
    )
    base.update(kw)
    return ApiSettings(**base)


def assert_no_personal_data(payload) -> None:
    from lakehouse.config.api import is_personal_field

    def walk(x):
        if isinstance(x, dict):
            for k, v in x.items():
                assert not is_personal_field(k), f"personal field {k} served"
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(payload)
    text = json.dumps(payload, ensure_ascii=False)
    for v in PERSONAL_VALUES:
        assert v not in text, f"personal value {v} served"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("api_wh")
    write_table(root, "gold.risk_scores", scores_table(N, D1, shift=0.003), partition_by=["score_date"])
    write_table(root, "gold.risk_scores", scores_table(N, D2), partition_by=["score_date"], mode="append")
    write_table(root, "gold.factor_catalog", catalog_table())
    write_table(root, "gold.plan_disclosure", plans_table())
    write_table(root, "gold.complaint_hot_words", hotwords_table(), partition_by=["period"])
    return root


@pytest.fixture(scope="module")
def champion(tmp_path_factory):
    from ml.tracking import Tracker

    cfg = mlflow_config(tmp_path_factory, "api_mlflow")
    tracker = Tracker(cfg)
    register_champion(tracker, 1)
    return cfg, tracker


@pytest.fixture(scope="module")
def api(warehouse, champion):
    from serving.app import create_app

    app = create_app(api_settings(), str(warehouse), mlflow_cfg=champion[0], class_thresholds=[0.1, 0.2, 0.4], reasons=2)
    with LiveServer(app) as server:
        yield server


@pytest.fixture
def client(api):
    import httpx

    with httpx.Client(base_url=api.url, timeout=10) as c:
        yield c


def h(name: str) -> dict[str, str]:
    return {"X-API-Key": KEYS[name]}


# -- tests ------------------------------------------------------------------------------------


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200
    src = r.json()["sources"]
    assert src["risk_scores"]["score_date"] == D2.isoformat() and src["risk_scores"]["entities"] == N
    assert src["champion"]["version"] == "1" and src["champion"]["factors"] == 3
    assert src["plans"]["loaded"] and src["hotwords"]["period"] == "2026Q1"


def test_entity_risk_serves_the_latest_score_date(client):
    code = make_uscc(42)
    r = client.get(f"/v1/entities/{code}/risk", headers=h("reader"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["uscc"] == code and body["as_of"] == D2.isoformat()
    assert body["probability"] == pytest.approx(0.42) and body["risk_class"] == "B"
    assert body["model_name"] == "regulake-risk" and body["model_version"] == "1" and body["table_version"] == 1
    assert body["base_value"] == -1.5
    assert body["reasons"] == [
        {"factor": "sh_noncash_share", "description_zh": "非货币出资股东占比", "value": 0.2, "contribution": 0.5},
        {"factor": "ent_age_days", "description_zh": "成立天数", "value": None, "contribution": 0.1},  # 42 % 7 == 0: missing
    ]
    assert client.get(f"/v1/entities/{make_uscc(5)}/risk", headers=h("reader")).json()["reasons"] == []
    # lower case is normalised
    assert client.get(f"/v1/entities/{code.lower()}/risk", headers=h("reader")).json()["uscc"] == code


def test_keys_and_scopes(client):
    code = make_uscc(1)
    r = client.get(f"/v1/entities/{code}/risk")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "ApiKey" and "X-API-Key" in r.json()["detail"]
    assert client.get(f"/v1/entities/{code}/risk", headers={"X-API-Key": "nope"}).status_code == 401
    assert client.get(f"/v1/entities/{code}/risk", headers=h("ops")).status_code == 403
    r = client.post("/v1/score", json={"factors": {}}, headers=h("reader"))
    assert r.status_code == 403 and "risk:score" in r.json()["detail"]
    # public endpoints need no key
    assert client.get("/v1/hotwords").status_code == 200
    assert client.get("/v1/plans/P2026Q1-001").status_code == 200


def test_invalid_uscc_names_the_reason(client):
    code = make_uscc(7)
    r = client.get(f"/v1/entities/{bad_check_digit(code)}/risk", headers=h("reader"))
    assert r.status_code == 422 and r.json()["reason"] == "check digit" and f"expected '{code[-1]}'" in r.json()["detail"]
    for bad in ("123", "91440604MA000000I1", "ABCDEFGH" + "0" * 10, code + "0"):
        r = client.get(f"/v1/entities/{bad}/risk", headers=h("reader"))
        assert r.status_code == 422 and r.json()["reason"] == "format", (bad, r.text)
    r = client.get(f"/v1/entities/{make_uscc(N + 5)}/risk", headers=h("reader"))
    assert r.status_code == 404 and r.json()["reason"] == "not_found"


def test_batch(client):
    codes = [make_uscc(3), bad_check_digit(make_uscc(4)), "x", make_uscc(N + 1), make_uscc(299)]
    r = client.post("/v1/risk:batch", json={"uscc": codes}, headers=h("reader"))
    assert r.status_code == 200, r.text
    b = r.json()
    assert b["as_of"] == D2.isoformat() and b["requested"] == 5 and b["found"] == 2
    assert [x["status"] for x in b["results"]] == ["ok", "invalid", "invalid", "not_found", "ok"]
    assert [x.get("reason") for x in b["results"][1:3]] == ["check digit", "format"]
    assert b["results"][4]["risk"]["probability"] == pytest.approx(0.99)
    big = [make_uscc(i % N) for i in range(1000)]
    r = client.post("/v1/risk:batch", json={"uscc": big}, headers=h("reader"))
    assert r.status_code == 200 and r.json()["found"] == 1000
    r = client.post("/v1/risk:batch", json={"uscc": big + [make_uscc(1)]}, headers=h("reader"))
    assert r.status_code == 422 and r.json()["reason"] == "invalid_request"
    assert client.post("/v1/risk:batch", json={"uscc": []}, headers=h("reader")).status_code == 422


def test_score_with_the_champion(client, champion):
    from ml.scoring import risk_class

    _, tracker = champion
    booster = tracker.champion().booster
    values = {"ent_age_days": 90.0, "sh_noncash_share": 0.9, "hist_inspections_found": 3.0}
    r = client.post("/v1/score", json={"factors": values}, headers=h("scorer"))
    assert r.status_code == 200, r.text
    b = r.json()
    contrib = booster.predict(np.array([[values[f] for f in FACTORS]]), pred_contrib=True)[0]
    p = 1 / (1 + np.exp(-contrib.sum()))
    assert b["probability"] == pytest.approx(p) and b["raw_score"] == pytest.approx(contrib.sum())
    assert b["base_value"] == pytest.approx(contrib[-1]) and b["risk_class"] == risk_class(np.array([p]), [0.1, 0.2, 0.4])[0]
    assert b["model_version"] == "1" and b["missing"] == []
    assert 1 <= len(b["reasons"]) <= 2 and all(x["contribution"] > 0 for x in b["reasons"])
    top = FACTORS[int(np.argmax(contrib[:-1]))]
    assert b["reasons"][0]["factor"] == top and b["reasons"][0]["description_zh"] == CATALOG[top][0]
    # missing factors are scored as missing values and listed
    r = client.post("/v1/score", json={"factors": {"sh_noncash_share": 0.1, "ent_age_days": None}}, headers=h("scorer"))
    assert r.status_code == 200 and r.json()["missing"] == ["ent_age_days", "hist_inspections_found"]
    # unknown names and non-numbers are refused
    r = client.post("/v1/score", json={"factors": {"legal_rep_age": 40}}, headers=h("scorer"))
    assert r.status_code == 422 and r.json()["reason"] == "unknown_factor" and "ent_age_days" in r.json()["detail"]
    r = client.post("/v1/score", content=b'{"factors": {"ent_age_days": NaN}}', headers={**h("scorer"), "content-type": "application/json"})
    assert r.status_code == 422
    assert client.post("/v1/score", json={"factors": {"ent_age_days": "many"}}, headers=h("scorer")).status_code == 422
    m = client.get("/v1/model", headers=h("scorer")).json()
    assert [f["factor"] for f in m["factors"]] == FACTORS and m["factors"][0]["description_zh"] == "成立天数"
    # the honest held-out figures registered with the version, each beside its baseline
    hm = m["metrics"]
    assert hm["auc_low"] < hm["auc"] < hm["auc_high"] and hm["always_0_accuracy"] == pytest.approx(1 - hm["base_rate"])
    assert hm["at_k"]["k"] == 40 and hm["at_k"]["hit_rate_low"] <= hm["at_k"]["hit_rate"] <= hm["at_k"]["hit_rate_high"]


def test_plan_public_view_without_personal_data(client):
    r = client.get("/v1/plans/P2026Q1-001")
    assert r.status_code == 200, r.text
    b = r.json()
    assert b["plan_id"] == "P2026Q1-001" and b["plan_name"] == "2026年第一季度双随机抽查计划" and b["period"] == "2026Q1"
    assert b["task_count"] == 4 and [t["task_id"] for t in b["tasks"]] == [f"P2026Q1-001-T{i}" for i in range(4)]
    assert b["tasks"][0]["entity_name"] == "佛山市测试贸易有限公司0" and b["tasks"][0]["result"] == "未发现问题"
    assert "secret_note" not in b["tasks"][0]
    assert_no_personal_data(b)
    r = client.get("/v1/plans/nope")
    assert r.status_code == 404 and "nope" in r.json()["detail"]


def test_hotwords_latest_period(client):
    b = client.get("/v1/hotwords").json()
    assert b["period"] == "2026Q1" and b["previous_period"] == "2025Q4" and b["scope"] == "city"
    assert [w["word"] for w in b["words"]] == ["预付卡", "退费", "虚假宣传", "过期", "噪音"]  # top 5 (hotwords_top)
    assert_no_personal_data(b)
    b = client.get("/v1/hotwords", params={"district_code": "440604", "industry_section": "F", "limit": 2}).json()
    assert b["scope"] == "district_industry" and len(b["words"]) == 2 and b["words"][0]["rank"] == 1
    assert client.get("/v1/hotwords", params={"district_code": "440699"}).json()["words"] == []
    assert client.get("/v1/hotwords", params={"limit": 6}).status_code == 422


def test_rate_limit(client):
    code = make_uscc(9)
    statuses = [client.get(f"/v1/entities/{code}/risk", headers=h("limited")).status_code for _ in range(4)]
    assert statuses[:2] == [200, 200] and statuses[-1] == 429
    r = client.get(f"/v1/entities/{code}/risk", headers=h("limited"))
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1 and r.json()["reason"] == "rate_limited"


def test_rate_limiter_per_address():
    from serving.api.ratelimit import RateLimiter

    rl = RateLimiter(10, 3)
    assert [rl.take("i:1.2.3.4", 1, 3) == 0 for _ in range(4)] == [True, True, True, False]
    assert rl.take("i:5.6.7.8", 1, 3) == 0  # another address has its own bucket
    assert 0 < rl.take("i:1.2.3.4", 1, 3) <= 1


def test_a_flood_of_new_addresses_does_not_lift_the_limit_of_others():
    from serving.api.ratelimit import RateLimiter

    rl = RateLimiter(0.001, 2)  # buckets refill slowly: none is idle during the test
    rl.MAX_BUCKETS = 50
    assert [rl.take("i:victim") == 0 for _ in range(3)] == [True, True, False]
    flood = [rl.take(f"i:10.0.{i // 250}.{i % 250}") == 0 for i in range(500)]
    assert sum(flood) == 49 + 2  # 49 get a bucket of their own; the rest share one of burst 2
    assert rl.take("i:victim") > 0  # still limited: its bucket was neither dropped nor refilled


def test_metrics_and_openapi(client):
    client.get(f"/v1/entities/{make_uscc(1)}/risk", headers=h("reader"))
    from prometheus_client.parser import text_string_to_metric_families

    samples = {
        (x.name, tuple(sorted(x.labels.items()))): x.value
        for fam in text_string_to_metric_families(client.get("/metrics").text)
        for x in fam.samples
    }
    route = "/v1/entities/{uscc}/risk"
    assert samples[("regulake_api_requests_total", (("method", "GET"), ("route", route), ("status", "200")))] >= 1
    assert samples[("regulake_api_source_version", (("source", "risk_scores"),))] == 1
    assert samples[("regulake_api_scored_entities", ())] == 300
    assert (
        samples[("regulake_api_request_duration_seconds_bucket", (("le", "+Inf"), ("route", route)))]
        == samples[("regulake_api_request_duration_seconds_count", (("route", route),))]
        >= 1
    )
    spec = client.get("/openapi.json").json()
    assert {"/v1/entities/{uscc}/risk", "/v1/risk:batch", "/v1/score", "/v1/plans/{plan_id}", "/v1/hotwords"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-Key"
    assert "security" not in spec["paths"]["/v1/hotwords"]["get"]
    assert client.get("/docs").status_code == 200


def test_settings_refuse_personal_fields_and_bad_hashes():
    from pydantic import ValidationError

    from lakehouse.config.api import ApiKey, ApiSettings

    with pytest.raises(ValidationError, match="personal data"):
        ApiSettings(plan_fields=["plan_id", "legal_rep_name"])
    with pytest.raises(ValidationError, match="personal data"):
        ApiSettings(hotword_fields=["word", "inspector_id"])
    with pytest.raises(ValidationError, match="regulake serve api-key"):
        ApiKey(name="x", key_hash="plain-text-key")


# -- schemathesis -----------------------------------------------------------------------------

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck  # noqa: E402
from hypothesis import settings as hsettings  # noqa: E402


@pytest.fixture(scope="module")
def api_schema(api):
    return schemathesis.openapi.from_url(f"{api.url}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@hsettings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_openapi_conformance(case, api):
    """No server errors; responses match the documented status codes, content types and schemas.

    positive_data_acceptance is left out: a string the schema allows is not a valid USCC unless its check digit is
    right, which the API answers with a documented 422."""
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    case.call_and_validate(base_url=api.url, headers=h("scorer"), excluded_checks=[positive_data_acceptance])


def test_configuration_and_cli_wiring(tmp_path):
    from typer.testing import CliRunner

    from lakehouse.cli import app
    from lakehouse.config import load_config
    from lakehouse.config.api import ApiKey
    from lakehouse.errors import ConfigError
    from tests.conftest import REPO

    cfg = load_config(
        "test",
        conf_dir=REPO / "conf",
        overrides={"serving.api.port": 9001, "serving.api.tables.hotwords": "gold.x"},
        environ={"REGULAKE__SERVING__API__RELOAD_INTERVAL_S": "5"},
    )
    assert (cfg.serving.api.port, cfg.serving.api.tables.hotwords, cfg.serving.api.reload_interval_s) == (9001, "gold.x", 5)
    with pytest.raises(ConfigError, match="serving.api.prot"):
        load_config("test", conf_dir=REPO / "conf", overrides={"serving.api.prot": 1}, environ={})

    out = CliRunner().invoke(app, ["serve", "api-key", "--name", "app", "--scope", "risk:read", "--scope", "risk:score"])
    assert out.exit_code == 0, out.output
    key = out.output.split("): ", 1)[1].split()[0]
    entry = out.output.split("key_hash: ", 1)[1].split()[0]
    assert ApiKey(name="app", key_hash=entry).key_hash == entry
    from lakehouse.config.api import hash_api_key

    assert hash_api_key(key) == entry
    assert CliRunner().invoke(app, ["serve", "api", "--help"]).exit_code == 0

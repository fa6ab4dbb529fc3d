"""The dashboard's login, JSON endpoints and offline docs under uvicorn on loopback, hit with httpx.

Real components: Delta tables written with delta-rs in a temporary warehouse (the tables the
panels read, with personal columns beside them), the scoring API's app with the dashboard
mounted, a real server in a thread. No Spark. The browser test is test_dashboard_browser.py.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time

import httpx
import pytest

KEY, KEY_RISK = "dash-key-0123456789abcdef", "risk-key-0123456789abcdef"
DISTRICTS = ["440604", "440605", "440606", "440607", "440608"]
N = 240
AS_OF = dt.date(2026, 1, 3)


def make_uscc(i: int) -> str:
    from stdnum.cn.uscc import calc_check_digit

    base = f"91{DISTRICTS[i % 5]}MA{i:07d}"
    return base + calc_check_digit(base)


def raw_id(i: int) -> str:
    return f"44060{i % 10}19800101{i:04d}"


def raw_phone(i: int) -> str:
    return f"139{i:08d}"


def write(root, name, tbl, partition_by=None, mode="overwrite"):
    from deltalake import write_deltalake

    from lakehouse.tables.names import TableName, table_uri

    write_deltalake(table_uri(str(root), TableName.parse(name)), tbl, mode=mode, partition_by=partition_by)


def profile_table():
    import pyarrow as pa

    rows = [
        {
            "uscc": make_uscc(i),
            "entity_name": f"佛山市测试{i}贸易有限公司",
            "enterprise_type": "1100",
            "registration_status": "1" if i % 9 else "3",
            "establishment_date": dt.date(2024, 1 + i % 12, 1 + i % 27),
            "deregistration_date": None if i % 9 else dt.date(2025, 1 + i % 12, 3),
            "industry_code": ["5191", "3381", "7224", "6110"][i % 4],
            "district_code": DISTRICTS[i % 5],
            "town_code": DISTRICTS[i % 5] + ["100", "101"][i % 2],
            "legal_rep_id_hash": f"{i:064x}",
            "legal_rep_id": raw_id(i),
            "legal_rep_phone": raw_phone(i),
            "legal_rep_phone_masked": raw_phone(i)[:3] + "****",
            "abnormal_operations_count_365d": int(i % 7 == 0),
            "abnormal_operations_count_all": int(i % 7 == 0),
            "as_of": AS_OF,
        }
        for i in range(N)
    ]
    return pa.Table.from_pylist(rows)


def scores_table(day: dt.date, shift: int = 0):
    import pyarrow as pa

    reason_t = pa.list_(
        pa.struct([("factor", pa.string()), ("description_zh", pa.string()), ("value", pa.float64()), ("contribution", pa.float64())])
    )
    p = [((i * 37 + shift) % 100) / 100 for i in range(N)]
    return pa.table(
        {
            "score_date": pa.array([day] * N, pa.date32()),
            "uscc": [make_uscc(i) for i in range(N)],
            "probability": p,
            "risk_class": ["ABCD"[min(int(x * 4), 3)] for x in p],
            "raw_score": [0.0] * N,
            "base_value": [-1.0] * N,
            "reasons": pa.array(
                [
                    [{"factor": "sh_unpaid_share", "description_zh": "未实缴出资比例", "value": 0.5, "contribution": 0.3}] if i % 2 else []
                    for i in range(N)
                ],
                reason_t,
            ),
            "model_name": ["regulake-risk"] * N,
            "model_version": ["1"] * N,
        }
    )


def tasks_table():
    import pyarrow as pa

    rows = [
        {
            "plan_id": "P1",
            "task_no": i,
            "task_id": f"T{i}",
            "uscc": make_uscc(i),
            "entity_name": f"佛山市测试{i}贸易有限公司",
            "district_code": DISTRICTS[i % 5],
            "industry_section": "F",
            "share": "targeted" if i < 40 else "random",
            "risk_class": "D" if i < 40 else "A",
            "inspectors": ["ZF001", "ZF002"],
        }
        for i in range(100)
    ]
    return pa.Table.from_pylist(rows)


def results_table():
    import pyarrow as pa

    # targeted: 30 of 40 found (75%); random: 6 of 50 reported found (12%); 10 random tasks not reported
    rows = []
    for i in range(100):
        if i < 40:
            res = "2" if i < 30 else "1"
        elif i < 90:
            res = "2" if i < 46 else "1"
        else:
            res = None
        rows.append(
            {
                "plan_id": "P1",
                "task_id": f"T{i}",
                "uscc": make_uscc(i),
                "district_code": DISTRICTS[i % 5],
                "inspection_date": dt.date(2026, 2, 1) if res else None,
                "inspection_result": res,
            }
        )
    return pa.Table.from_pylist(rows)


def small_tables(root):
    import pyarrow as pa

    write(root, "gold.entity_profile", profile_table(), ["as_of"])
    write(root, "gold.risk_scores", scores_table(dt.date(2026, 1, 2)), ["score_date"])
    write(root, "gold.risk_scores", scores_table(AS_OF, shift=11), ["score_date"], mode="append")
    write(
        root,
        "gold.kpi",
        pa.table({"as_of": [AS_OF], "metric": ["entities"], "dimension": pa.array([None], pa.string()), "value": [float(N)]}),
        ["as_of"],
    )
    write(root, "gold.inspection_tasks", tasks_table())
    write(root, "gold.public_inspection_results", results_table())
    write(
        root,
        "gold.public_inspection_plans",
        pa.table({"plan_id": ["P1"], "plan_name": ["测试抽查计划"], "tasks": pa.array([100], pa.int32())}),
    )
    write(
        root,
        "gold.complaint_hot_words",
        pa.Table.from_pylist(
            [
                {
                    "period": "2025-Q4",
                    "scope": "city",
                    "district_code": None,
                    "industry_section": None,
                    "rank": r + 1,
                    "word": w,
                    "count": 50 - r,
                    "complaints": 40 - r,
                    "keyness": 100.0 - r,
                }
                for r, w in enumerate(["假冒伪劣", "网购", "拒绝退换"])
            ]
            + [
                {
                    "period": "2025-Q4",
                    "scope": "district",
                    "district_code": "440605",
                    "industry_section": None,
                    "rank": 1,
                    "word": "多收",
                    "count": 9,
                    "complaints": 9,
                    "keyness": 50.0,
                }
            ]
        ),
    )
    write(
        root,
        "gold.complaint_hotspots",
        pa.Table.from_pylist(
            [
                {
                    "period": p,
                    "district_code": d,
                    "district_name": "区",
                    "industry_section": "F",
                    "industry_name": "批发和零售业",
                    "complaints": c,
                    "entities": 100,
                    "rate": c / 1.0,
                    "ratio": 2.0,
                    "z": 3.0,
                    "hotspot": True,
                    "rank": 1,
                }
                for p, d, c in (("2025-Q3", "440605", 10), ("2025-Q4", "440605", 20), ("2025-Q4", "440606", 5))
            ]
        ),
    )
    write(
        root,
        "silver.quality",
        pa.Table.from_pylist(
            [
                {"ingest_batch": 1, "subject_area": "registration", "catalog": "SCJG-001", "metric": m, "rule": None, "count": n}
                for m, n in (("rows_in", 100), ("rows_rejected", 4), ("rows_out", 96))
            ]
        ),
    )
    write(
        root,
        "bronze.landing_files",
        pa.Table.from_pylist(
            [
                {
                    "ingest_batch": 1,
                    "catalog": "SCJG-001",
                    "department": "SCJG",
                    "batch_date": dt.date(2026, 1, d),
                    "manifest_rows": 50,
                    "status": "ingest",
                }
                for d in (1, 2)
            ]
            + [
                {
                    "ingest_batch": 1,
                    "catalog": "SCJG-007",
                    "department": "SCJG",
                    "batch_date": dt.date(2025, 12, 20),
                    "manifest_rows": 7,
                    "status": "ingest",
                }
            ]
        ),
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    from lakehouse.config.api import ApiKey, ApiSettings, hash_api_key
    from serving.app import create_app
    from serving.dashboard.state import DashboardState

    root = tmp_path_factory.mktemp("dash") / "warehouse"
    small_tables(root)
    settings = ApiSettings(
        api_keys=[
            ApiKey(name="supervisor", key_hash=hash_api_key(KEY), scopes=["dashboard:read"]),
            ApiKey(name="scorer", key_hash=hash_api_key(KEY_RISK), scopes=["risk:read"]),
        ],
        rate_limit={"enabled": False},
    )
    dash = DashboardState(str(root), reload_interval_s=3600)
    app = create_app(settings, str(root), start_reloader=False, dashboard=dash)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    srv = uvicorn.Server(config)
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    deadline = time.time() + 30
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    port = srv.servers[0].sockets[0].getsockname()[1]
    yield {"base": f"http://127.0.0.1:{port}", "root": root, "dash": dash}
    srv.should_exit = True
    th.join(timeout=10)


def login(base: str, key: str = KEY) -> httpx.Client:
    c = httpx.Client(base_url=base, follow_redirects=False, timeout=30)
    r = c.get("/dashboard/login")
    token = re.search(r'name="csrf" value="([^"]+)"', r.text).group(1)
    r = c.post("/dashboard/login", data={"api_key": key, "csrf": token}, headers={"Origin": base})
    assert r.status_code == 303, r.text
    return c


def test_login_sets_only_an_httponly_samesite_session_cookie(server):
    base = server["base"]
    with httpx.Client(base_url=base, follow_redirects=False) as c:
        r = c.get("/dashboard")
        assert r.status_code == 303 and r.headers["location"].startswith("/dashboard/login")
        r = c.get("/dashboard/login")
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        token = re.search(r'name="csrf" value="([^"]+)"', r.text).group(1)

        def attempt(key, csrf, origin):
            r = c.post("/dashboard/login", data={"api_key": key, "csrf": csrf}, headers={"Origin": origin})
            m = re.search(r'name="csrf" value="([^"]+)"', r.text)
            return r, (m.group(1) if m else None)  # a refused login renders a fresh form (a new token and cookie)

        # cross-site, forged-token, unknown-key and wrong-scope logins are refused
        r, token = attempt(KEY, token, "http://evil.example")
        assert r.status_code == 403
        r, token = attempt(KEY, "forged", base)
        assert r.status_code == 403
        r, token = attempt("nope", token, base)
        assert r.status_code == 401
        r, token = attempt(KEY_RISK, token, base)
        assert r.status_code == 403 and "dashboard:read" in r.text
        r, _ = attempt(KEY, token, base)
        assert r.status_code == 303 and r.headers["location"] == "/dashboard"
        cookies = [v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("regulake_session=")]
        assert len(cookies) == 1
        low = cookies[0].lower()
        assert "httponly" in low and "samesite=strict" in low and "path=/" in low
        assert KEY not in cookies[0] and "max-age" not in low  # a session cookie, not the key, not persistent
        page = c.get("/dashboard")
        assert page.status_code == 200 and "echarts.min.js" in page.text and "cdn" not in page.text.lower()
        assert c.get("/dashboard/api/meta").status_code == 200


def test_json_needs_a_session_or_a_dashboard_key(server):
    base = server["base"]
    with httpx.Client(base_url=base) as c:
        assert c.get("/dashboard/api/panels/risk").status_code == 401
        assert c.get("/dashboard/api/panels/risk", headers={"X-API-Key": KEY_RISK}).status_code == 401
        assert c.get("/dashboard/api/panels/risk", headers={"X-API-Key": KEY}).status_code == 200
        assert c.get("/dashboard/api/panels/nope", headers={"X-API-Key": KEY}).status_code == 404
        r = c.get("/dashboard/api/panels/risk", params={"district": "44060'; drop"}, headers={"X-API-Key": KEY})
        assert r.status_code == 422 and r.json()["reason"] == "invalid_filter"
        assert "access-control-allow-origin" not in r.headers


def test_logout_needs_the_sessions_csrf_token(server):
    base = server["base"]
    c = login(base)
    page = c.get("/dashboard").text
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    assert c.post("/dashboard/logout", headers={"Origin": base}).status_code == 403
    assert c.post("/dashboard/logout", data={"csrf": csrf}, headers={"Origin": "http://evil.example"}).status_code == 403
    assert c.get("/dashboard/api/meta").status_code == 200  # still logged in
    assert c.post("/dashboard/logout", data={"csrf": csrf}, headers={"Origin": base}).status_code == 303
    assert c.get("/dashboard/api/meta").status_code == 401


def _gold(root, name):
    import polars as pl
    from deltalake import DeltaTable

    from lakehouse.tables.names import TableName, table_uri

    return pl.from_arrow(DeltaTable(table_uri(str(root), TableName.parse(name))).to_pyarrow_table())


def test_figures_match_the_gold_tables_under_filters(server):
    import polars as pl

    c = login(server["base"])
    prof = _gold(server["root"], "gold.entity_profile")
    scores = _gold(server["root"], "gold.risk_scores").filter(pl.col("score_date") == AS_OF)
    for district in (None, "440605"):
        q = {"district": district} if district else {}
        ov = c.get("/dashboard/api/panels/overview", params=q).json()
        p = prof.filter(pl.col("district_code") == district) if district else prof
        assert ov["entities"] == p.height
        assert ov["abnormal_listed_365d"] == p.filter(pl.col("abnormal_operations_count_365d") > 0).height
        assert {s["table"]: s["version"] for s in ov["sources"]}["gold.entity_profile"] == 0
        rk = c.get("/dashboard/api/panels/risk", params=q).json()
        s = scores.filter(pl.col("uscc").is_in(p.get_column("uscc").to_list()))
        assert rk["class_counts"] == {k: s.filter(pl.col("risk_class") == k).height for k in "ABCD"}
        assert rk["top_entities"][0]["probability"] == s.get_column("probability").max()
        assert rk["previous_score_date"] == "2026-01-02"
    # industry filter: section F = division 51 (5191)
    ov = c.get("/dashboard/api/panels/overview", params={"industry": "F"}).json()
    assert ov["entities"] == prof.filter(pl.col("industry_code").str.starts_with("51")).height
    # period filter on the registered-per-month series
    ov = c.get("/dashboard/api/panels/overview", params={"from": "2024-03", "to": "2024-04"}).json()
    assert [m["month"] for m in ov["registered_per_month"]] == ["2024-03", "2024-04"]
    assert sum(m["count"] for m in ov["registered_per_month"]) == prof.filter(pl.col("establishment_date").dt.month().is_in([3, 4])).height
    assert ov["deregistered_per_month"] == []  # none deregistered in 2024
    # deregistrations per month: the profile's deregistration_date, by month, in the period
    ov = c.get("/dashboard/api/panels/overview", params={"from": "2025-01", "to": "2025-06", "district": DISTRICTS[0]}).json()
    dereg = prof.filter(
        (pl.col("district_code") == DISTRICTS[0]) & pl.col("deregistration_date").is_between(dt.date(2025, 1, 1), dt.date(2025, 6, 30))
    )
    want = dereg.group_by(pl.col("deregistration_date").dt.strftime("%Y-%m").alias("month")).len().sort("month")
    assert ov["deregistered_per_month"] == [{"month": m, "count": n} for m, n in want.iter_rows()] and dereg.height > 0
    # without a period: the two years up to the latest month of either series
    ov = c.get("/dashboard/api/panels/overview").json()
    assert sum(m["count"] for m in ov["deregistered_per_month"]) == prof.filter(pl.col("registration_status") == "3").height


def test_plans_hit_rates_with_wilson_intervals(server):
    c = login(server["base"])
    d = c.get("/dashboard/api/panels/plans").json()
    assert d["plans"] == [{"plan_id": "P1", "plan_name": "测试抽查计划", "tasks": 100, "done": 90, "violations": 36}]
    t, r = d["shares"]["targeted"], d["shares"]["random"]
    assert (t["done"], t["violations"], r["done"], r["violations"]) == (40, 30, 50, 6)
    assert t["hit_rate"] == pytest.approx(0.75) and r["hit_rate"] == pytest.approx(0.12)
    # Wilson 95% interval of 30/40: 0.5980 .. 0.8581
    assert t["ci_low"] == pytest.approx(0.5980, abs=1e-3) and t["ci_high"] == pytest.approx(0.8581, abs=1e-3)
    assert d["law_abiding_spared"] == pytest.approx(40 * (0.75 - 0.12), abs=0.1)
    d5 = c.get("/dashboard/api/panels/plans", params={"district": "440604"}).json()
    assert d5["plans"][0]["tasks"] == 20


def test_missing_tables_say_no_data_yet_with_the_table_name(server):
    c = login(server["base"])
    d = c.get("/dashboard/api/panels/clusters").json()
    assert d["sources"][0]["table"] == "gold.registration_alerts" and d["sources"][0]["version"] is None
    assert "does not exist yet" in d["sources"][0]["missing"] and "alerts" not in d


def test_governance_per_department_and_catalog(server):
    c = login(server["base"])
    d = c.get("/dashboard/api/panels/governance").json()
    cat = {r["catalog"]: r for r in d["catalogs"]}
    assert cat["SCJG-001"]["delivered"] == 100 and cat["SCJG-001"]["rejected"] == 4 and cat["SCJG-001"]["pass_rate"] == pytest.approx(0.96)
    assert cat["SCJG-001"]["late"] is False and cat["SCJG-001"]["days_since"] == 0
    assert cat["SCJG-007"]["days_since"] == 13 and cat["SCJG-007"]["late"] is (cat["SCJG-007"]["frequency"] in ("daily", "weekly"))


def test_no_personal_values_in_any_payload(server):
    c = login(server["base"])
    raw = {v for i in range(N) for v in (raw_id(i), raw_phone(i), f"{i:064x}")}
    bodies = [c.get("/dashboard/api/meta").text]
    for name in ("overview", "risk", "plans", "complaints", "clusters", "governance"):
        for q in ({}, {"district": "440605"}, {"industry": "F"}):
            r = c.get(f"/dashboard/api/panels/{name}", params=q)
            assert r.status_code == 200
            bodies.append(r.text)
    text = "\n".join(bodies)
    leaked = [v for v in raw if v in text]
    assert not leaked, leaked[:5]
    assert "legal_rep" not in text and "inspectors" not in text and "ZF001" not in text


def test_a_new_table_version_reloads_the_panels(server):
    import polars as pl

    c = login(server["base"])
    before = c.get("/dashboard/api/panels/risk").json()
    write(server["root"], "gold.risk_scores", scores_table(dt.date(2026, 1, 4), shift=53), ["score_date"], mode="append")
    assert server["dash"].refresh() is True
    after = c.get("/dashboard/api/panels/risk").json()
    assert after["generation"] == before["generation"] + 1
    assert after["score_date"] == "2026-01-04" and after["previous_score_date"] == "2026-01-03"
    src = {s["table"]: s["version"] for s in after["sources"]}
    assert src["gold.risk_scores"] == 2
    new = _gold(server["root"], "gold.risk_scores").filter(pl.col("score_date") == dt.date(2026, 1, 4))
    assert after["class_counts"] == {k: new.filter(pl.col("risk_class") == k).height for k in "ABCD"}
    assert server["dash"].refresh() is False  # nothing moved: nothing reloaded


def test_docs_and_redoc_are_self_hosted(server):
    with httpx.Client(base_url=server["base"]) as c:
        for path in ("/docs", "/redoc"):
            r = c.get(path)
            assert r.status_code == 200
            srcs = re.findall(r'(?:src|href)="([^"]+)"', r.text)
            assert srcs and all(s.startswith("/") for s in srcs), srcs
            for s in srcs:
                if s.startswith("/assets/"):
                    assert c.get(s).status_code == 200, s
        assert c.get("/assets/npm/echarts/LICENSE").status_code == 200
        assert c.get("/openapi.json").status_code == 200


def test_data_docs_links_point_at_local_assets(tmp_path):
    from serving.assets import node_modules
    from serving.assets.datadocs import REWRITES, rewrite

    html = "".join(f'<script src="{u}"></script>' for u in REWRITES) + '<img src="https://great-expectations-web-assets.s3/x.png?d=1">'
    out = rewrite(html)
    assert "https://" not in out
    for target in REWRITES.values():
        assert (node_modules() / target[len("/assets/npm/") :]).is_file(), target

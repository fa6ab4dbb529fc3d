"""Plans against a real (tiny) warehouse: commit–reveal audit, verify, tamper detection, disclosure,
the closed loop's landing batch and the effectiveness report."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import numpy as np
import pandas as pd
import pytest

AS_OF = dt.date(2026, 1, 2)
N = 300


def _profile_rows(n=N, seed=5):
    rng = np.random.default_rng(seed)
    districts = ["440604", "440605", "440606"]
    rows, truth = [], []
    for i in range(n):
        d = districts[i % 3]
        uscc = f"91{d}{i:010d}"
        status = "3" if i % 29 == 0 else "1"
        section_code = ["5111", "6210", "3381", "7212"][int(rng.integers(4))]
        days = int(rng.integers(1, 300)) if i % 11 == 0 else None
        rows.append(
            (
                uscc,
                f"佛山市测试企业{i}有限公司",
                "1100",
                status,
                dt.date(2018, 1, 1) + dt.timedelta(days=i),
                section_code,
                d,
                f"{d}{int(rng.integers(1, 4)):03d}",
                "张*",
                "abc" * 20,
                days,
                AS_OF,
            )
        )
        truth.append((uscc, float(rng.beta(1.2, 5)), bool(rng.random() < 0.03)))
    return rows, pd.DataFrame(truth, columns=["uscc", "propensity", "shell"])


PROFILE_SCHEMA = (
    "uscc string, entity_name string, enterprise_type string, registration_status string, establishment_date date, "
    "industry_code string, district_code string, town_code string, legal_rep_name_masked string, legal_rep_id_hash string, "
    "inspections_days_since_last int, as_of date"
)


SCORES_SCHEMA = [
    ("score_date", "date32"),
    ("uscc", "string"),
    ("probability", "float64"),
    ("risk_class", "string"),
    ("raw_score", "float64"),
    ("base_value", "float64"),
    ("reasons", "reasons"),
    ("model_name", "string"),
    ("model_version", "string"),
]
INSPECTIONS_SCHEMA = [
    ("catalog", "string"),
    ("task_id", "string"),
    ("uscc", "string"),
    ("inspection_mode", "string"),
    ("inspection_item", "string"),
    ("inspection_date", "date32"),
    ("inspection_result", "string"),
    ("authority", "string"),
    ("update_time", "timestamp"),
]


def _arrow_type(t):
    import pyarrow as pa

    return {
        "string": pa.string(),
        "boolean": pa.bool_(),
        "date32": pa.date32(),
        "float64": pa.float64(),
        "int32": pa.int32(),
        "timestamp": pa.timestamp("us"),
        "reasons": pa.list_(
            pa.struct([("factor", pa.string()), ("description_zh", pa.string()), ("value", pa.float64()), ("contribution", pa.float64())])
        ),
    }[t]


def _write(tables, name, rows, schema, partition_by):
    import pyarrow as pa
    from deltalake import write_deltalake

    if isinstance(schema, str):
        schema = [(f.split(" ")[0], {"date": "date32", "int": "int32"}.get(f.split(" ")[1], f.split(" ")[1])) for f in schema.split(", ")]
    arrow_schema = pa.schema([(n, _arrow_type(t)) for n, t in schema])
    table = pa.Table.from_pylist([dict(zip([n for n, _ in schema], r)) for r in rows], schema=arrow_schema)
    write_deltalake(tables.uri(name), table, partition_by=partition_by, mode="append")


@pytest.fixture(scope="module")
def warehouse(spark, tmp_path_factory, test_config):
    """One tiny warehouse for the module (the plans in it have different ids)."""
    from lakehouse.tables import Tables

    return Tables(str(tmp_path_factory.mktemp("plans") / "warehouse"), spark, test_config.tables), tmp_path_factory.mktemp("plans-files")


@pytest.fixture(scope="module")
def world(spark, warehouse):
    from lakehouse.config.plans import InspectorSimulation, PlansSettings, Randomness

    tables, tmp_path = warehouse

    rows, truth = _profile_rows()
    # the inputs are written with delta-rs directly (quicker than Spark jobs; the same plain protocol)
    _write(tables, "gold.entity_profile", rows, PROFILE_SCHEMA, ["as_of"])
    # scores: a noisy view of the truth, as a model would give
    rng = np.random.default_rng(1)
    prob = np.clip(truth["propensity"].to_numpy() + rng.normal(0, 0.03, len(truth)), 0.001, 0.999)
    cls = np.array(["A", "B", "C", "D"])[np.searchsorted([0.1, 0.2, 0.4], prob, side="right")]
    scores = [(AS_OF, u, float(p), c, 0.0, 0.0, [], "regulake-risk", "1") for u, p, c in zip(truth["uscc"], prob, cls)]
    _write(tables, "gold.risk_scores", scores, SCORES_SCHEMA, ["score_date"])
    # one entity under investigation (latest result 3), one fine
    insp = [
        ("SCJG-005", "SJ2025-000001", truth["uscc"][1], "1", "01", dt.date(2025, 3, 1), "3", "x", dt.datetime(2025, 3, 1)),
        ("SCJG-005", "SJ2025-000001", truth["uscc"][2], "1", "01", dt.date(2025, 3, 1), "1", "x", dt.datetime(2025, 3, 1)),
    ]
    _write(tables, "silver.inspections", insp, INSPECTIONS_SCHEMA, None)
    # risk signals beside the model: complaint hotspots by quarter, registration clusters by date
    u = truth["uscc"]
    _write(
        tables,
        "gold.hotspot_entities",
        [("2025-Q3", u[4]), ("2025-Q4", u[5]), ("2025-Q4", u[6]), ("2026-Q2", u[7])],
        "period string, uscc string",
        ["period"],
    )
    _write(
        tables,
        "gold.registration_clusters",
        [
            (dt.date(2025, 12, 1), "c1", u[6], True),
            (dt.date(2025, 12, 1), "c1", u[8], True),
            (dt.date(2025, 12, 1), "c2", u[9], False),
            (dt.date(2026, 3, 1), "c3", u[10], True),
        ],
        "as_of date, cluster_id string, uscc string, alert boolean",
        ["as_of"],
    )
    key = tmp_path / "answer_key"
    key.mkdir()
    truth.to_parquet(key / "entities.parquet")
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "t1.yaml").write_text(
        "id: t1\nname: 测试计划\nperiod: {start: 2026-01-05, end: 2026-03-31}\n"
        "items: [{code: '01'}, {code: '03', industry_sections: [F, H]}]\nsize: {total: 60}\nworkload_cap: 30\n",
        encoding="utf-8",
    )
    settings = PlansSettings(
        plans_dir=str(plans),
        reports_root=str(tmp_path / "reports"),
        inspectors=InspectorSimulation(per_1000_entities=50, min_per_district=6),
        randomness=Randomness(source="local", delay_seconds=0, secrets_dir=str(tmp_path / "secrets")),
    )
    return settings, key, truth


def test_draw_verify_tamper_disclose_close_the_loop_and_report(spark, warehouse, world, tmp_path, test_config):
    from lakehouse.config.plans import get_plan
    from lakehouse.errors import RegulakeError
    from lakehouse.gold.plans import audit, disclosure
    from lakehouse.gold.plans.report import write_report
    from lakehouse.gold.plans.workflow import draw_plan, verify_plan
    from lakehouse.landing.writers import read_file
    from simulator.inspections import simulate_inspections

    tables = warehouse[0]
    settings, key, truth = world
    plan = get_plan(settings, "t1")
    out = draw_plan(spark, tables, settings, plan, operator="tester", publish=False)  # published below, with results
    assert out.tasks == 60 and out.summary["targeted"] == 21
    assert hashlib.sha256(out.seed.encode()).hexdigest() == out.seed_hash
    assert set(out.input_versions) == {
        "gold.entity_profile",
        "gold.risk_scores",
        "silver.inspections",
        "gold.inspectors",
        "gold.hotspot_entities",
        "gold.registration_clusters",
    }

    # the signals in the frozen register: the newest complaint period and cluster date up to the register's date, alerts only
    frozen = audit.read_register(tables, "t1").set_index("uscc")
    u = truth["uscc"]
    assert set(frozen.index[frozen.hotspot]) == {u[5], u[6]} and set(frozen.index[frozen.cluster_alert]) == {u[6], u[8]}
    assert out.summary["signals"]["registration_cluster"]["weight"] == 0.3
    flagged = audit.read_tasks(tables, "t1").set_index("uscc")
    for uscc in {u[5], u[6], u[8]} & set(flagged.index):
        t = flagged.loc[uscc]
        want = 1 - (1 - t.probability) * (0.8 if uscc in (u[5], u[6]) else 1) * (0.7 if uscc in (u[6], u[8]) else 1)
        assert t.priority == pytest.approx(want) and t.signals

    # the audit trail: the commitment (share hash) in an earlier commit than the tasks, seed and share revealed after them
    from lakehouse.gold.plans import commitment as cm

    hist = {h["version"]: h for h in tables.history(audit.DRAWS)}
    evts = audit.events(tables, "t1")
    assert [e["event"] for e in evts] == ["committed", "revealed"]
    com, rev = evts
    assert com["seed"] is None and com["commitment_hash"] == out.commitment_hash == rev["commitment_hash"] and rev["seed"] == out.seed
    assert (
        json.loads(rev["shares_json"]) and cm.share_hash("t1", "operator", json.loads(rev["shares_json"])["operator"]) == com["seed_hash"]
    )
    assert com["operator"] == "tester" and com["rule_version"] and com["input_versions"] == rev["input_versions"]
    first = audit.read_rows(tables, audit.DRAWS, version=min(hist))
    assert first[0]["event"] == "committed" and first[0]["seed"] is None
    ledger = audit.ledger(tables, "t1")
    assert [e["event"] for e in ledger] == ["committed", "drawn"] and ledger[1]["seed"] == out.seed
    for name in (audit.DRAWS, audit.REGISTERS, audit.TASKS, "gold.inspectors", cm.LEDGER):
        props = tables.properties(name)
        assert "365 days" in props.get("delta.logRetentionDuration", "") and "365 days" in props.get(
            "delta.deletedFileRetentionDuration", ""
        )

    tasks = audit.read_tasks(tables, "t1")
    excluded = {truth["uscc"][1]} | {u for i, u in enumerate(truth["uscc"]) if i % 29 == 0}
    assert not excluded & set(tasks["uscc"])
    assert all(len(set(i)) == 2 for i in tasks["inspectors"])

    # drawn with publish=False: the public results do not list the tasks yet, which verify names
    v = verify_plan(spark, tables, "t1")
    assert not v.ok and {c.name: c.status for c in v.checks}["public tasks"] == "mismatch"
    disclosure.publish(spark, tables, "t1")
    v = verify_plan(spark, tables, "t1")
    assert v.ok, [c for c in v.checks if c.status != "ok"]
    assert {c.name: c.status for c in v.checks}["inputs"] == "ok"

    # a plan is drawn once
    with pytest.raises(RegulakeError, match="drawn already"):
        draw_plan(spark, tables, settings, plan)

    # tampering: one inspector swapped in the published tasks is detected
    from pyspark.sql import functions as F

    inspector_ids = {i for lst in tasks["inspectors"] for i in lst}
    victim = int(tasks["task_no"].iloc[0])
    other = next(i for i in sorted(inspector_ids) if i not in tasks["inspectors"].iloc[0])
    changed = (
        tables.read(audit.TASKS).where(F.col("task_no") == victim).withColumn("inspectors", F.array(F.lit(other), F.col("inspectors")[1]))
    )
    tables.merge(audit.TASKS, changed, keys=["plan_id", "task_no"])
    v2 = verify_plan(spark, tables, "t1")
    checks = {c.name: c for c in v2.checks}
    assert not v2.ok and checks["tasks now"].status == "mismatch" and f"task {victim}: inspectors" in checks["tasks now"].detail
    assert checks["tasks as written"].status == "ok" and checks["draw"].status == "ok"

    # the closed loop: results as a SCJG-005 landing batch, as the department delivers them
    landing = tmp_path / "landing"
    season = simulate_inspections(tables, "t1", str(landing), str(key))
    assert season.rows == 60 and season.batch_date == dt.date(2026, 4, 1)
    manifest = json.loads((season.path.parent / "_manifest.json").read_text(encoding="utf-8"))
    assert manifest["catalog"] == "SCJG-005" and manifest["files"][0]["sha256"] == hashlib.sha256(season.path.read_bytes()).hexdigest()
    rows = read_file(season.path, "csv_utf8")
    assert len(rows) == 60 and {r["检查方式"] for r in rows} == {"1", "2"}
    assert all(r["任务编号"] == tasks["task_id"].iloc[0] for r in rows)
    assert simulate_inspections(tables, "t1", str(landing), str(key)).path == season.path  # idempotent

    # … which silver would standardise into silver.inspections (stand-in for bronze + silver here)
    fields = {
        "任务编号": "task_id",
        "统一社会信用代码": "uscc",
        "检查方式": "inspection_mode",
        "抽查事项": "inspection_item",
        "检查日期": "inspection_date",
        "检查结果": "inspection_result",
        "检查机关": "authority",
        "更新时间": "update_time",
    }
    delivered = [{fields[k]: v for k, v in r.items() if k in fields} for r in rows]
    _write(
        tables,
        "silver.inspections",
        [
            (
                "SCJG-005",
                r["task_id"],
                r["uscc"],
                r["inspection_mode"],
                r["inspection_item"],
                dt.date.fromisoformat(r["inspection_date"]),
                r["inspection_result"],
                r["authority"],
                dt.datetime.fromisoformat(r["update_time"]),
            )
            for r in delivered
        ],
        INSPECTIONS_SCHEMA,
        None,
    )
    pub = disclosure.publish(spark, tables, "t1")
    assert pub["results_reported"] == 60 and pub["problems_found"] == sum(r["inspection_result"] != "1" for r in delivered)

    # public disclosure: plans and tasks, no personal data, no inspectors, no risk
    public = pd.DataFrame(audit.read_rows(tables, disclosure.PUBLIC_RESULTS))
    assert len(public) == 60 and set(public["plan_id"]) == {"t1"} and public["inspection_result"].notna().all()
    assert not [c for c in public.columns if any(f in c for f in disclosure.FORBIDDEN)]
    assert not inspector_ids & set(public.astype(str).to_numpy().ravel())
    plans_row = audit.read_rows(tables, disclosure.PUBLIC_PLANS, filters=[("plan_id", "=", "t1")])[0]
    assert plans_row["seed"] == out.seed and plans_row["seed_hash"] == com["seed_hash"] and plans_row["results_reported"] == 60
    assert plans_row["status"] == "drawn" and plans_row["commitment_hash"] == out.commitment_hash
    assert plans_row["committed_at"] <= plans_row["reveal_after"] <= plans_row["drawn_at"] and "local" in plans_row["randomness_source"]
    assert plans_row["public_value"].startswith("none") and plans_row["cross_district_tasks"] == int(public["cross_district"].sum())

    # anyone: the standalone verifier over the published tables (and the auditor's copy with --full)
    from lakehouse.gold.plans import verifier

    assert verifier.main(["t1", "--tables", tables.root]) == 0
    full = verifier.verify_folder(tables.root, "t1", full=True)
    assert {c.name: c.status for c in full.checks}["draw"] == "ok" and {c.name: c.status for c in full.checks}["tasks now"] == "mismatch"
    api = disclosure.read_public(tables.root, disclosure.PUBLIC_RESULTS, "t1")
    assert len(api) == 60 and "inspectors" not in api[0]

    # … and the next training uses them: the plan's score date becomes a training cutoff, labelled by the random share
    from ml.training import labelled_rows, training_cutoffs

    _write(
        tables,
        "gold.factors",
        [(AS_OF, u, float(i)) for i, u in enumerate(truth["uscc"])],
        "as_of date, uscc string, ent_x float64",
        ["as_of"],
    )
    assert training_cutoffs(tables, test_config) == sorted(test_config.risk.train_cutoffs) + [AS_OF]
    assert training_cutoffs(
        tables, test_config.model_copy(update={"risk": test_config.risk.model_copy(update={"closed_loop": False})})
    ) == sorted(test_config.risk.train_cutoffs)
    got = labelled_rows(tables, test_config, [AS_OF]).toPandas().set_index("uscc")
    random_results = {r["uscc"]: int(r["inspection_result"] != "1") for r in delivered if r["inspection_mode"] == "1"}
    assert len(got) == len(random_results) == 39 and got["label"].to_dict() == random_results  # targeted results are not labels

    # the effectiveness report
    rep = write_report(tables, "t1", str(tmp_path / "reports"), str(key))
    o = rep["plan"]["observed"]
    assert o["targeted_inspected"] == 21 and o["random_inspected"] == 39
    e = rep["plan"]["expected"]
    assert e["targeted_hit_rate"] > e["random_plan_hit_rate"]
    assert 0 < e["oracle_ratio"] <= 1.0 + 1e-9
    assert (tmp_path / "reports" / "t1" / "effectiveness.html").exists()
    # the staffing margin: capacity of the inspector register against the plan's assignments
    st = rep["staffing"]
    assert (
        st["assignments"] == 2 * rep["plan"]["tasks"]
        and st["capacity"] > 0
        and st["margin"] == pytest.approx(st["capacity"] / st["assignments"] - 1)
    )
    assert "Staffing margin" in (tmp_path / "reports" / "t1" / "effectiveness.html").read_text(encoding="utf-8")
    assert rep["charts"] and all(open(p, "rb").read(8) == b"\x89PNG\r\n\x1a\n" for p in rep["charts"])


def test_infeasible_plan_fails_with_explanation_and_is_recorded(spark, warehouse, world):
    from lakehouse.config.plans import Plan
    from lakehouse.gold.plans import audit
    from lakehouse.gold.plans.assign import InfeasiblePlanError
    from lakehouse.gold.plans.workflow import draw_plan

    tables = warehouse[0]
    settings, _, _ = world
    plan = Plan.model_validate(
        {
            "id": "t2",
            "name": "x",
            "period": {"start": "2026-01-05", "end": "2026-02-01"},
            "items": [{"code": "01"}],
            "size": {"total": 150},
            "workload_cap": 10,
        }
    )
    with pytest.raises(InfeasiblePlanError, match=r"the whole city, item 01: .* workload cap 10"):
        draw_plan(spark, tables, settings, plan)
    evts = audit.events(tables, "t2")
    assert [e["event"] for e in evts] == ["committed", "failed"] and "cannot be staffed" in evts[1]["message"]
    assert [e["event"] for e in audit.ledger(tables, "t2")] == ["committed", "failed"]
    from lakehouse.gold.plans import disclosure

    row = audit.read_rows(tables, disclosure.PUBLIC_PLANS, filters=[("plan_id", "=", "t2")])[0]
    assert row["status"] == "failed" and row["tasks"] == 0


def _test_chain(genesis: int):
    """A drand-style chain with a test key pair (quicknet's scheme: G1 signatures); not the League's key."""
    from py_ecc.bls.hash_to_curve import hash_to_G1
    from py_ecc.bls.point_compression import compress_G1, compress_G2
    from py_ecc.optimized_bls12_381 import G2, multiply

    from lakehouse.gold.plans.randomness import DST_G1

    sk = int.from_bytes(hashlib.sha256(b"regulake spark test beacon").digest(), "big") % (2**250)
    pk = compress_G2(multiply(G2, sk))
    info = {
        "hash": "cd" * 32,
        "public_key": pk[0].to_bytes(48, "big").hex() + pk[1].to_bytes(48, "big").hex(),
        "period": 1,
        "genesis_time": genesis,
        "schemeID": "bls-unchained-g1-rfc9380",
        "beaconID": "test",
    }

    def sign(round_: int) -> dict:
        msg = hashlib.sha256(round_.to_bytes(8, "big")).digest()
        sig = compress_G1(multiply(hash_to_G1(msg, DST_G1, hashlib.sha256), sk)).to_bytes(48, "big").hex()
        return {"round": round_, "signature": sig, "randomness": hashlib.sha256(bytes.fromhex(sig)).hexdigest()}

    return info, sign


def test_two_phases_with_a_beacon_two_parties_refusals_and_an_abandoned_commitment(spark, warehouse, world):
    """Issue 29 against a warehouse: commit, a draw before T refused, a second party's share, a wrong share and a
    forged beacon round refused, an unreachable beacon waited for, the draw after T, verify; a replaced commitment
    is public as abandoned."""
    import time

    from lakehouse.config.plans import Plan, Randomness
    from lakehouse.errors import RegulakeError
    from lakehouse.gold.plans import audit, disclosure, verifier
    from lakehouse.gold.plans import commitment as cm
    from lakehouse.gold.plans.randomness import InvalidPublicValue, ValueNotYet, utc
    from lakehouse.gold.plans.workflow import DrawTooEarly, commit_plan, commit_share, draw_committed, verify_plan

    tables = warehouse[0]
    settings, _, _ = world
    info, sign = _test_chain(int(time.time()) - 1000)
    rs = Randomness(
        source="drand",
        drand_chain="custom",
        drand_info=info,
        drand_urls=["https://relay.test"],
        delay_seconds=20,  # T: long enough for the commits before it on a loaded machine (the test sleeps until T)
        parties=["discipline"],
        min_parties=2,
        secrets_dir=settings.randomness.secrets_dir,
    )
    plan = Plan.model_validate(
        {
            "id": "t3",
            "name": "两阶段",
            "period": {"start": "2026-01-05", "end": "2026-02-01"},
            "items": [{"code": "01"}],
            "size": {"total": 20},
            "randomness": rs.model_dump(),
        }
    )
    c = commit_plan(spark, tables, settings, plan, operator="tester")
    assert c.target["kind"] == "drand" and utc(c.target["due"]) > c.reveal_after
    row = audit.read_rows(tables, disclosure.PUBLIC_PLANS, filters=[("plan_id", "=", "t3")])[0]
    assert row["status"] == "committed" and row["tasks"] == 0 and f"drand round {c.target['round']}" in row["randomness_target"]
    with pytest.raises(DrawTooEarly, match="allowed only after T"):
        draw_committed(spark, tables, settings, "t3")
    share = cm.new_share()
    commit_share(spark, tables, settings, "t3", "discipline", cm.share_hash("t3", "discipline", share))
    with pytest.raises(RegulakeError, match="not among the parties"):
        commit_share(spark, tables, settings, "t3", "stranger", "ab" * 32)
    time.sleep(max(0.0, (utc(c.target["due"]) - audit.now()).total_seconds()) + 0.5)
    with pytest.raises(RegulakeError, match="share given for party 'discipline' does not match"):
        draw_committed(
            spark, tables, settings, "t3", shares={"discipline": cm.new_share()}, fetch=lambda u, t: sign(int(u.rsplit("/", 1)[1]))
        )
    with pytest.raises(InvalidPublicValue):
        draw_committed(
            spark,
            tables,
            settings,
            "t3",
            shares={"discipline": share},
            fetch=lambda u, t: {**sign(c.target["round"]), "signature": sign(1)["signature"]},
        )

    def down(url, timeout):
        raise OSError("network unreachable")

    with pytest.raises(ValueNotYet, match="network unreachable"):
        draw_committed(spark, tables, settings, "t3", shares={"discipline": share}, fetch=down)
    with pytest.raises(RegulakeError, match="commit-share|T .* has passed"):
        commit_share(spark, tables, settings, "t3", "discipline", "ab" * 32)
    assert [e["event"] for e in audit.ledger(tables, "t3")] == ["committed", "share_committed"]  # refusals changed nothing
    out = draw_committed(spark, tables, settings, "t3", shares={"discipline": share}, fetch=lambda u, t: sign(int(u.rsplit("/", 1)[1])))
    assert out.public_value["round"] == c.target["round"] and out.tasks == 20
    v = verify_plan(spark, tables, "t3")
    assert v.ok, v.checks
    st = {x.name: x for x in v.checks}
    assert (
        "2 share(s) (discipline, operator)" in st["shares"].detail
        and "published in the ledger's Delta commit" in st["commitment before T"].detail
    )
    assert verifier.verify_folder(tables.root, "t3").ok
    row = audit.read_rows(tables, disclosure.PUBLIC_PLANS, filters=[("plan_id", "=", "t3")])[0]
    assert row["status"] == "drawn" and row["public_value"].startswith(f"round {c.target['round']}")

    # a commitment replaced before its draw: public as abandoned
    plan4 = Plan.model_validate({**plan.model_dump(mode="json"), "id": "t4", "randomness": {**rs.model_dump(), "delay_seconds": 3600}})
    commit_plan(spark, tables, settings, plan4)
    with pytest.raises(RegulakeError, match="open commitment"):
        commit_plan(spark, tables, settings, plan4)
    commit_plan(spark, tables, settings, plan4, replace=True, reason="register corrected")
    assert [(e["attempt"], e["event"]) for e in audit.ledger(tables, "t4")] == [(1, "committed"), (1, "abandoned"), (2, "committed")]
    row = audit.read_rows(tables, disclosure.PUBLIC_PLANS, filters=[("plan_id", "=", "t4")])[0]
    assert row["status"] == "committed" and row["attempt"] == 2 and row["abandoned_attempts"] == 1
    assert not verify_plan(spark, tables, "t4").ok


def test_the_plan_job_commits_and_draws_a_zero_delay_local_plan_in_one_run(spark, warehouse, world, test_config):
    """What 'regulake demo' runs (jobs/plan.py): local mode, delay 0 — committed, drawn, verified, reported; a plan
    with a delay is committed and left waiting, saying why."""
    from jobs import plan as plan_job
    from lakehouse.gold.plans import audit, verifier

    tables, tmp_path = warehouse
    settings, key, _ = world
    folder = tmp_path / "job-plans"
    folder.mkdir()
    base = "name: 作业\nperiod: {start: 2026-01-05, end: 2026-03-31}\nitems: [{code: '01'}]\nsize: {total: 15}\n"
    (folder / "t5.yaml").write_text("id: t5\n" + base + "randomness: {source: local, delay_seconds: 0}\n", encoding="utf-8")
    (folder / "t6.yaml").write_text("id: t6\n" + base + "randomness: {source: local, delay_seconds: 3600}\n", encoding="utf-8")
    plans = settings.model_copy(update={"plans_dir": str(folder)})
    cfg = test_config.model_copy(
        update={
            "plans": plans,
            "warehouse": test_config.warehouse.model_copy(update={"root": tables.root}),
            "landing": test_config.landing.model_copy(update={"answer_key_root": str(key)}),
        }
    )
    said = []
    done = plan_job.run(cfg, spark, progress=said.append)
    assert done == ["t5"]
    assert [e["event"] for e in audit.ledger(tables, "t5")] == ["committed", "drawn"]
    assert verifier.verify_folder(tables.root, "t5").ok
    assert [e["event"] for e in audit.ledger(tables, "t6")] == ["committed"]
    assert any("t6: committed, not drawn yet" in m and "allowed only after T" in m for m in said)
    assert plan_job.run(cfg, spark, progress=said.append) == ["t5"] and any("t5: drawn already" in m for m in said)


def test_the_cli_commits_draws_waits_and_verifies(spark, warehouse, world, monkeypatch):
    """`regulake plan commit | draw | verify | list | show` wired to the warehouse (the shared Spark session)."""
    from pathlib import Path

    from typer.testing import CliRunner

    from lakehouse.gold.plans.cli import plan_app

    tables, tmp_path = warehouse
    folder = tmp_path / "cli-plans"
    folder.mkdir()
    base = "name: 命令行\nperiod: {start: 2026-01-05, end: 2026-03-31}\nitems: [{code: '01'}]\nsize: {total: 12}\n"
    (folder / "t7.yaml").write_text("id: t7\n" + base + "randomness: {source: local, delay_seconds: 0}\n", encoding="utf-8")
    (folder / "t8.yaml").write_text("id: t8\n" + base + "randomness: {source: local, delay_seconds: 3600}\n", encoding="utf-8")
    env = {
        "REGULAKE__WAREHOUSE__ROOT": tables.root,
        "REGULAKE__PLANS__PLANS_DIR": str(folder),
        "REGULAKE__RUNS__ROOT": str(tmp_path / "runs"),
        "REGULAKE__PLANS__RANDOMNESS__SECRETS_DIR": str(tmp_path / "cli-secrets"),
        "REGULAKE_CONF_DIR": str(Path(__file__).resolve().parents[2] / "conf"),
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    run = CliRunner()
    for pid in ("t7", "t8"):
        out = run.invoke(plan_app, ["commit", pid, "--env", "test"], terminal_width=250)
        assert out.exit_code == 0, (out.output, out.exception)
        assert "committed" in out.output and "keep it secret" in out.output
    out = run.invoke(plan_app, ["draw", "t8", "--env", "test"], terminal_width=250)
    assert out.exit_code == 3 and "waiting" in out.output and "allowed only after T" in out.output
    out = run.invoke(plan_app, ["draw", "t7", "--env", "test"], terminal_width=250)
    assert out.exit_code == 0, (out.output, out.exception)
    assert "t7 drawn" in out.output and "(none: local mode)" in out.output
    out = run.invoke(plan_app, ["verify", "t7", "--env", "test"], terminal_width=250)
    assert out.exit_code == 0 and "verified" in out.output, out.output
    out = run.invoke(plan_app, ["verify", "t8", "--env", "test"], terminal_width=250)
    assert out.exit_code == 1 and "has no published draw" in out.output
    out = run.invoke(plan_app, ["list", "--env", "test"], terminal_width=250)
    assert out.exit_code == 0 and "drawn" in out.output and "committed" in out.output, out.output
    out = run.invoke(plan_app, ["show", "t7", "--env", "test"], terminal_width=250)
    assert out.exit_code == 0 and "public status: drawn" in out.output, out.output

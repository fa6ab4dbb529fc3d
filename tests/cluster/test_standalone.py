"""The pipeline and distributed LightGBM on a real Spark standalone cluster (a master and two workers).

A tiny simulated city goes through bronze and silver by ``python -m lakehouse.cli run …`` and
through gold by ``spark-submit … lakehouse/submit.py run gold``, every driver connected to the
cluster; the tables must equal those of a local-mode run on the same landing files, up to the
columns that record when a run happened. Then a driver on the cluster trains LightGBM in one
barrier stage across the two executors and scores with it; AUC and probabilities must match
local mode.
"""
from __future__ import annotations

import collections
import importlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.cluster.standalone import HOST, spark_home

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
# registration (CSV UTF-8, required by gold), annual reports (JSON lines), inspections,
# penalties (CSV GBK), serious violations (XLSX): every reader, five subject areas
CATALOGS = ["SCJG-001", "SCJG-003", "SCJG-005", "SCJG-006", "SCJG-010"]
JOBS = ["bronze", "silver", "gold"]
# Columns that record when a run happened, not what it computed.
VOLATILE = {
    "bronze.landing_files": {"planned_at"},
    "bronze.ingest_batches": {"started_at", "completed_at"},
    "bronze.records": {"ingested_at"},
    "bronze.rejects": {"ingested_at"},
}
JOB_TIMEOUT = 600


def _env(**settings: str) -> dict[str, str]:
    """The environment of a driver: the test configuration plus ``settings``; nothing of ours leaks in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REGULAKE", "PYSPARK_GATEWAY", "SPARK_", "PYSPARK_"))}
    env.update(
        REGULAKE_ENV="test",
        REGULAKE_CONF_DIR=str(REPO / "conf"),
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        PYSPARK_PYTHON=PYTHON,          # the executors' Python: the venv's
        PYSPARK_DRIVER_PYTHON=PYTHON,
        SPARK_LOCAL_IP=HOST,
    )
    env.update(settings)
    return env


def _paths(root: Path, city: dict[str, Path]) -> dict[str, str]:
    """Configuration overrides (as REGULAKE__ variables) putting every output of a run under ``root``."""
    return {
        "REGULAKE__WAREHOUSE__ROOT": str(root / "warehouse"),
        "REGULAKE__RUNS__ROOT": str(root / "runs"),
        "REGULAKE__SILVER__DATA_DOCS_ROOT": str(root / "quality"),
        "REGULAKE__SPARK__LOCAL_DIR": str(root / "spark-local"),
        "REGULAKE__LANDING__ROOT": str(city["landing"]),
        "REGULAKE__LANDING__ANSWER_KEY_ROOT": str(city["answer_key"]),
    }


def _run(cmd: list[str], env: dict[str, str], cwd: Path, log: Path, timeout: float = JOB_TIMEOUT) -> float:
    """Run a driver in its own process group; fail with the end of its output. Returns seconds taken."""
    started = time.monotonic()
    cwd.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the driver and its JVM
            proc.wait()
            code = None
    if code != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:])
        what = f"did not finish within {timeout:.0f} s" if code is None else f"exited with status {code}"
        pytest.fail(f"{' '.join(cmd)} {what}; its output ({log}) ends:\n{tail}", pytrace=False)
    return time.monotonic() - started


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("city")
    landing, key = root / "landing", root / "answer_key"
    cmd = [PYTHON, "-m", "lakehouse.cli", "simulate", "--scale", "0.0005", "--days", "1", "--seed", "42",
           "--out-dir", str(landing), "--answer-key-dir", str(key)]
    for code in CATALOGS:
        cmd += ["--catalog", code]
    _run(cmd, _env(), root, root / "simulate.log", timeout=300)
    return {"landing": landing, "answer_key": key}


@pytest.fixture(scope="module")
def local_run(spark, city, tmp_path_factory) -> Path:
    """The reference: the same jobs in local mode (this process's local[2] session)."""
    from lakehouse.config import load_config

    root = tmp_path_factory.mktemp("local-run")
    environ = _env(**_paths(root, city))
    cfg = load_config("test", conf_dir=REPO / "conf", environ={k: v for k, v in environ.items() if k.startswith("REGULAKE__")})
    assert spark.sparkContext.master.startswith("local")
    for job in JOBS:
        importlib.import_module(f"jobs.{job}").run(cfg, spark)
    return root


@pytest.fixture(scope="module")
def cluster_run(cluster, city, tmp_path_factory) -> dict:
    """bronze and silver through the CLI, gold through spark-submit; every driver on the cluster."""
    root = tmp_path_factory.mktemp("cluster-run")
    cwd = root / "driver-cwd"   # not the repository: nothing may depend on the driver's folder
    env = _env(**_paths(root, city), REGULAKE__SPARK__EXECUTOR_MEMORY="1g")
    seconds = {}
    for job in ("bronze", "silver"):
        seconds[job] = _run(
            [PYTHON, "-m", "lakehouse.cli", "run", job],
            dict(env, REGULAKE__SPARK__MASTER=cluster.master_url, REGULAKE__SPARK__APP_NAME=f"regulake-cluster-{job}"),
            cwd, root / f"{job}.log",
        )
    # The master only on spark-submit's command line: conf/test.yaml says local[2], and --master must win.
    import lakehouse.submit

    seconds["gold"] = _run(
        [str(spark_home() / "bin" / "spark-submit"), "--master", cluster.master_url, "--name", "regulake-cluster-gold",
         "--conf", f"spark.pyspark.python={PYTHON}", lakehouse.submit.__file__, "run", "gold"],
        env, cwd, root / "gold.log",
    )
    return {"root": root, "seconds": seconds}


# -- the pipeline ------------------------------------------------------------------------------


def test_each_job_ran_as_an_application_on_both_workers(cluster, cluster_run):
    apps = {a["name"]: a for a in cluster.completed_apps()}
    for job in JOBS:
        app = apps.get(f"regulake-cluster-{job}")
        assert app, f"{job} never registered with the master ({sorted(apps)}): it ran in local mode"
        assert app["state"] == "FINISHED" and app["cores"] == 2, app
        stderr = [d / "stderr" for d in cluster.executor_dirs(app["id"])]
        assert len(stderr) == 2, f"{job}: expected one executor per worker, found {stderr}"
        for log in stderr:
            assert "Finished task" in log.read_text(errors="replace"), f"{job}: executor {log.parent} ran no task"
    records = [json.loads(p.read_text()) for p in sorted((cluster_run["root"] / "runs").glob("*.json"))]
    assert sorted(r["job"] for r in records) == sorted(JOBS)
    assert all(r["status"] == "succeeded" for r in records), records


def _rows(table, skip: set[str]) -> collections.Counter:
    cols = [c for c in table.column_names if c not in skip]
    return collections.Counter(repr(_normalise(row)) for row in table.select(cols).to_pylist())


def _normalise(value):
    """Order-free maps (Arrow gives them as lists of pairs), NaN equal to itself."""
    if isinstance(value, dict):
        return tuple((k, _normalise(v)) for k, v in value.items())
    if isinstance(value, list):
        if value and all(isinstance(v, tuple) and len(v) == 2 for v in value):
            return tuple(sorted(((k, _normalise(v)) for k, v in value), key=repr))
        return tuple(_normalise(v) for v in value)
    if isinstance(value, float) and value != value:
        return "NaN"
    return value


def test_cluster_tables_equal_local_tables(local_run, cluster_run):
    from deltalake import DeltaTable

    from lakehouse.tables import Tables

    local, remote = Tables(str(local_run / "warehouse")), Tables(str(cluster_run["root"] / "warehouse"))
    names = local.list()
    assert remote.list() == names
    assert {"bronze.records", "silver.registration", "silver.penalties", "silver.serious_violations",
            "gold.entity_profile", "gold.kpi"} <= set(names)
    differ = []
    for name in names:
        a, b = DeltaTable(local.uri(name)).to_pyarrow_table(), DeltaTable(remote.uri(name)).to_pyarrow_table()
        assert a.schema == b.schema, f"{name}: schemas differ\n{a.schema}\n{b.schema}"
        skip = VOLATILE.get(name, set())
        for col in skip:
            assert b.column(col).null_count == 0, f"{name}.{col} is not filled on the cluster"
        ra, rb = _rows(a, skip), _rows(b, skip)
        if ra != rb:
            differ.append(f"{name}: {a.num_rows} rows local, {b.num_rows} on the cluster; "
                          f"only local: {list((ra - rb).elements())[:2]}; only cluster: {list((rb - ra).elements())[:2]}")
    assert not differ, "\n".join(differ)
    assert DeltaTable(remote.uri("gold.entity_profile")).to_pyarrow_table().num_rows > 100


# -- distributed LightGBM ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster_lightgbm(cluster, tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("lightgbm")
    env = _env(REGULAKE__SPARK__MASTER=cluster.master_url, REGULAKE__SPARK__APP_NAME="regulake-cluster-lightgbm",
               REGULAKE__SPARK__EXECUTOR_MEMORY="1g", REGULAKE__RUNS__ROOT=str(root / "runs"),
               REGULAKE__SPARK__LOCAL_DIR=str(root / "spark-local"))
    out = root / "result.json"
    _run([PYTHON, str(Path(__file__).with_name("lightgbm_driver.py")), str(out)], env, root / "cwd", root / "driver.log")
    result = json.loads(out.read_text())
    app = {a["id"]: a for a in cluster.completed_apps()}.get(result["app_id"])
    result["executor_logs"] = [(d / "stderr").read_text(errors="replace") for d in cluster.executor_dirs(result["app_id"])]
    result["app"] = app
    return result


def test_barrier_training_on_two_executors_matches_local_mode(spark, cluster, cluster_lightgbm):
    from sklearn.metrics import roc_auc_score

    from lakehouse.ml.classifier import LightGBMClassificationModel, LightGBMClassifier
    from tests.cluster.lightgbm_driver import PARAMS, data

    res = cluster_lightgbm
    assert res["master"] == cluster.master_url
    assert res["python"] == [PYTHON, PYTHON], "the executors did not run the venv's Python"
    assert len(res["executors"]) == 2, res["executors"]
    info = res["training_info"]
    assert info["engine"] == "spark" and info["tasks"] == 2 and info["attempts"] == 1, info
    assert len(info["rows_per_task"]) == 2 and sum(info["rows_per_task"]) == 4800 and min(info["rows_per_task"]) > 0, info
    # one rank on each executor: both joined the barrier's global syncs
    assert len(res["executor_logs"]) == 2
    for log in res["executor_logs"]:
        assert "finished global sync successfully" in log, "an executor ran no barrier task"
    model = LightGBMClassificationModel.from_string(res["model"])
    assert model.booster.num_trees() == PARAMS["numIterations"]

    train, test = data(spark)
    local = LightGBMClassifier(engine="local", numThreads=2, **PARAMS).fit(train)
    labels = {r["row"]: r["label"] for r in test.select("row", "label").collect()}

    def auc(probability: dict[int, float]) -> float:
        rows = sorted(probability)
        return roc_auc_score([labels[r] for r in rows], [probability[r] for r in rows])

    def scores(m) -> dict[int, float]:
        return {r["row"]: float(r["probability"][1]) for r in m.transform(test).select("row", "probability").collect()}

    cluster_scores = {int(k): v for k, v in res["probability"].items()}
    assert set(cluster_scores) == set(labels)
    a_local, a_cluster = auc(scores(local)), auc(cluster_scores)
    assert a_local > 0.8
    assert abs(a_local - a_cluster) < 0.005, (a_local, a_cluster)
    # scoring: the cluster's transform gives the probabilities local mode gives with the same model
    here = scores(model)
    diff = max(abs(here[r] - cluster_scores[r]) for r in labels)
    assert diff < 1e-12, diff
    assert np.isclose(a_cluster, auc(here))

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
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cluster.standalone import HOST, SHORT_LIVED_JVM, spark_home

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
# registration (CSV UTF-8, required by gold), annual reports (JSON lines), penalties (CSV GBK),
# serious violations (XLSX): every reader, four subject areas
CATALOGS = ["SCJG-001", "SCJG-003", "SCJG-006", "SCJG-010"]
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
        PYSPARK_PYTHON=PYTHON,  # the executors' Python: the venv's
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
        # a tiny city's batches would otherwise run in the driver: make the executors do the work
        "REGULAKE__SILVER__DRIVER_MAX_ROWS": "0",
        "REGULAKE__BRONZE__DRIVER_WRITE_MAX_MB": "0",
    }


def _run(cmd: list[str], env: dict[str, str], cwd: Path, log: Path, timeout: float = JOB_TIMEOUT) -> float:
    """Run a driver in its own process group; fail with the end of its output. Returns seconds taken."""
    started = time.monotonic()
    cwd.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the driver and its JVM
            proc.wait()
            code = None
    _end_group(proc.pid)
    if code != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:])
        what = f"did not finish within {timeout:.0f} s" if code is None else f"exited with status {code}"
        pytest.fail(f"{' '.join(cmd)} {what}; its output ({log}) ends:\n{tail}", pytrace=False)
    return time.monotonic() - started


def _end_group(pgid: int, grace: float = 10.0) -> None:
    """A driver's JVM leaves with its Python; whatever of its process group has not after ``grace`` is killed."""
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("city")
    landing, key = root / "landing", root / "answer_key"
    cmd = [
        PYTHON,
        "-m",
        "lakehouse.cli",
        "simulate",
        "--scale",
        "0.0005",
        "--days",
        "1",
        "--seed",
        "42",
        "--out-dir",
        str(landing),
        "--answer-key-dir",
        str(key),
    ]
    for code in CATALOGS:
        cmd += ["--catalog", code]
    _run(cmd, _env(), root, root / "simulate.log", timeout=300)
    return {"landing": landing, "answer_key": key}


def _jobs(root: Path, city: dict[str, Path], master: str | None) -> dict[str, float]:
    """bronze, silver and gold by ``python -m lakehouse.cli run``; with a master, gold by spark-submit."""
    cwd = root / "driver-cwd"  # not the repository: nothing may depend on the driver's folder
    env = _env(**_paths(root, city), REGULAKE__SPARK__EXECUTOR_MEMORY="1g", JAVA_TOOL_OPTIONS=SHORT_LIVED_JVM)
    seconds = {}
    for job in JOBS if master is None else ["bronze", "silver"]:
        job_env = dict(env, REGULAKE__SPARK__MASTER=master, REGULAKE__SPARK__APP_NAME=f"regulake-cluster-{job}") if master else env
        seconds[job] = _run([PYTHON, "-m", "lakehouse.cli", "run", job], job_env, cwd, root / f"{job}.log")
    if master:
        # The master only on spark-submit's command line: conf/test.yaml says local[2], and --master must win.
        import lakehouse.submit
        from lakehouse.config import load_config
        from lakehouse.spark import delta_jars

        jars = ",".join(delta_jars(load_config("test", environ={}))[0])  # on the driver's classpath: --jars
        seconds["gold"] = _run(
            [
                str(spark_home() / "bin" / "spark-submit"),
                "--master",
                master,
                "--name",
                "regulake-cluster-gold",
                "--jars",
                jars,
                "--conf",
                f"spark.pyspark.python={PYTHON}",
                lakehouse.submit.__file__,
                "run",
                "gold",
            ],
            env,
            cwd,
            root / "gold.log",
        )
    return seconds


@pytest.fixture(scope="module")
def local_run(city, tmp_path_factory):
    """The reference: the same commands in local mode (conf/test.yaml's local[2]).

    It runs in a thread beside the cluster run: each keeps about one of the two cores busy.
    """
    from concurrent.futures import ThreadPoolExecutor

    root = tmp_path_factory.mktemp("local-run")
    pool = ThreadPoolExecutor(1, thread_name_prefix="local-run")
    future = pool.submit(_jobs, root, city, None)
    try:
        yield {"root": root, "future": future}
    finally:
        pool.shutdown(wait=True)


@pytest.fixture(scope="module")
def cluster_run(local_run, cluster, city, tmp_path_factory) -> dict:
    """bronze and silver through the CLI, gold through spark-submit; every driver on the cluster.

    Asks for ``local_run`` first, so the reference run is already under way while the cluster starts.
    """
    root = tmp_path_factory.mktemp("cluster-run")
    return {"root": root, "seconds": _jobs(root, city, cluster.master_url)}


# -- the pipeline ------------------------------------------------------------------------------


def test_each_job_ran_as_an_application_on_both_workers(cluster_run, cluster):
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

    local_seconds = local_run["future"].result(timeout=3 * JOB_TIMEOUT)
    local, remote = Tables(str(local_run["root"] / "warehouse")), Tables(str(cluster_run["root"] / "warehouse"))
    names = local.list()
    assert remote.list() == names
    assert {
        "bronze.records",
        "silver.registration",
        "silver.penalties",
        "silver.serious_violations",
        "gold.entity_profile",
        "gold.kpi",
    } <= set(names)
    differ = []
    for name in names:
        a, b = DeltaTable(local.uri(name)).to_pyarrow_table(), DeltaTable(remote.uri(name)).to_pyarrow_table()
        assert a.schema == b.schema, f"{name}: schemas differ\n{a.schema}\n{b.schema}"
        skip = VOLATILE.get(name, set())
        for col in skip:
            assert b.column(col).null_count == 0, f"{name}.{col} is not filled on the cluster"
        ra, rb = _rows(a, skip), _rows(b, skip)
        if ra != rb:
            differ.append(
                f"{name}: {a.num_rows} rows local, {b.num_rows} on the cluster; "
                f"only local: {list((ra - rb).elements())[:2]}; only cluster: {list((rb - ra).elements())[:2]}"
            )
    assert not differ, "\n".join(differ)
    print(f"\nseconds per job: local {local_seconds}, cluster {cluster_run['seconds']}")
    assert DeltaTable(remote.uri("gold.entity_profile")).to_pyarrow_table().num_rows > 100


# -- distributed LightGBM ------------------------------------------------------------------------


def _lightgbm_on_cluster(cluster, root: Path) -> dict:
    env = _env(
        REGULAKE__SPARK__MASTER=cluster.master_url,
        REGULAKE__SPARK__APP_NAME="regulake-cluster-lightgbm",
        REGULAKE__SPARK__EXECUTOR_MEMORY="1g",
        REGULAKE__RUNS__ROOT=str(root / "runs"),
        REGULAKE__SPARK__LOCAL_DIR=str(root / "spark-local"),
        JAVA_TOOL_OPTIONS=SHORT_LIVED_JVM,
    )
    out = root / "result.json"
    _run([PYTHON, str(Path(__file__).with_name("lightgbm_driver.py")), str(out)], env, root / "cwd", root / "driver.log")
    result = json.loads(out.read_text())
    result["executor_logs"] = [(d / "stderr").read_text(errors="replace") for d in cluster.executor_dirs(result["app_id"])]
    return result


@pytest.fixture(scope="module")
def cluster_lightgbm(cluster, tmp_path_factory):
    """The cluster driver's result, computed in a thread while this process trains in local mode."""
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(1, thread_name_prefix="lightgbm-driver")
    future = pool.submit(_lightgbm_on_cluster, cluster, tmp_path_factory.mktemp("lightgbm"))
    try:
        yield future
    finally:
        pool.shutdown(wait=True)


def test_barrier_training_on_two_executors_matches_local_mode(cluster_lightgbm, cluster, spark):
    from sklearn.metrics import roc_auc_score

    from ml.estimator.classifier import LightGBMClassificationModel, LightGBMClassifier
    from tests.cluster.lightgbm_driver import PARAMS, data

    # local mode, in this process, while the cluster's driver works
    train, test = data(spark)
    local = LightGBMClassifier(engine="local", numThreads=2, **PARAMS).fit(train)
    labels = {r["row"]: r["label"] for r in test.select("row", "label").collect()}

    def auc(probability: dict[int, float]) -> float:
        rows = sorted(probability)
        return roc_auc_score([labels[r] for r in rows], [probability[r] for r in rows])

    def scores(m) -> dict[int, float]:
        return {r["row"]: float(r["probability"][1]) for r in m.transform(test).select("row", "probability").collect()}

    a_local = auc(scores(local))
    assert a_local > 0.8

    res = cluster_lightgbm.result(timeout=JOB_TIMEOUT)
    assert res["master"] == cluster.master_url
    assert res["python"] == [PYTHON, PYTHON], "the executors did not run the venv's Python"
    assert len(res["executors"]) == 2, res["executors"]
    info = res["training_info"]
    assert info["engine"] == "spark" and info["tasks"] == 2 and info["attempts"] == 1, info
    assert len(info["rows_per_task"]) == 2 and sum(info["rows_per_task"]) == 4800 and min(info["rows_per_task"]) > 0, info
    # one rank on each executor: both executors joined the barrier's global syncs
    assert len(res["executor_logs"]) == 2
    for log in res["executor_logs"]:
        assert "finished global sync successfully" in log, "an executor ran no barrier task"
    model = LightGBMClassificationModel.from_string(res["model"])
    assert model.booster.num_trees() == PARAMS["numIterations"]

    cluster_scores = {int(k): v for k, v in res["probability"].items()}
    assert set(cluster_scores) == set(labels)
    a_cluster = auc(cluster_scores)
    assert abs(a_local - a_cluster) < 0.005, (a_local, a_cluster)
    # scoring: the cluster's transform gives the probabilities local mode gives with the same model
    here = scores(model)
    diff = max(abs(here[r] - cluster_scores[r]) for r in labels)
    assert diff < 1e-12, diff

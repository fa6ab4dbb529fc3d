"""The regulake command: expected errors print one clear line, no traceback."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run(*args, env=None, cwd=REPO):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("REGULAKE")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "lakehouse.cli", *args], capture_output=True, text=True, cwd=cwd, env=full_env, timeout=120
    )


def test_config_show_prints_effective_config():
    out = run("config", "show", "--env", "test")
    assert out.returncode == 0, out.stderr
    assert '"master": "local[2]"' in out.stdout


def test_bad_config_is_one_clear_error_without_traceback():
    out = run("config", "show", env={"REGULAKE__SPARK__MASTR": "x"})
    assert out.returncode == 2
    assert "unknown key 'spark.mastr'" in out.stderr and "REGULAKE__SPARK__MASTR" in out.stderr
    assert "Traceback" not in out.stderr


def test_missing_table_is_one_clear_error(tmp_path):
    out = run("table", "history", "silver.nothing", env={"REGULAKE__WAREHOUSE__ROOT": str(tmp_path)})
    assert out.returncode == 2
    assert "silver.nothing does not exist" in out.stderr and "Traceback" not in out.stderr


def test_bad_table_name_is_one_clear_error(tmp_path):
    out = run("table", "history", "registration", env={"REGULAKE__WAREHOUSE__ROOT": str(tmp_path)})
    assert out.returncode == 2 and "must be '<layer>.<name>'" in out.stderr


def test_rescore_without_a_full_scoring_is_one_clear_error(tmp_path):
    out = run(
        "run",
        "rescore",
        "--env",
        "test",
        env={"REGULAKE__WAREHOUSE__ROOT": str(tmp_path / "wh"), "REGULAKE__RUNS__ROOT": str(tmp_path / "runs")},
    )
    assert out.returncode == 2, out.stderr[-2000:]
    assert "gold.risk_scores does not exist" in out.stderr and "'regulake run score'" in out.stderr and "Traceback" not in out.stderr


def test_optimize_a_whole_layer(tmp_path):
    import pyarrow as pa
    from deltalake import DeltaTable, write_deltalake

    for name in ("a", "b"):
        for i in range(3):
            write_deltalake(str(tmp_path / "silver" / name), pa.table({"id": [i, i + 10]}), mode="append")
    write_deltalake(str(tmp_path / "gold" / "c"), pa.table({"id": [1]}), mode="append")
    out = run("table", "optimize", "silver", env={"REGULAKE__WAREHOUSE__ROOT": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    assert "silver.a: 3 files compacted into 1" in out.stdout and "silver.b: 3 files compacted into 1" in out.stdout
    assert "gold.c" not in out.stdout
    assert len(DeltaTable(str(tmp_path / "silver" / "a")).file_uris()) == 1
    assert sorted(DeltaTable(str(tmp_path / "silver" / "a")).to_pyarrow_table()["id"].to_pylist()) == [0, 1, 2, 10, 11, 12]
    out = run("table", "optimize", "bronze", env={"REGULAKE__WAREHOUSE__ROOT": str(tmp_path)})
    assert out.returncode == 2 and "no tables in layer 'bronze'" in out.stderr

"""The regulake command: expected errors print one clear line, no traceback."""
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run(*args, env=None, cwd=REPO):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("REGULAKE")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "lakehouse.cli", *args], capture_output=True, text=True, cwd=cwd, env=full_env, timeout=120)


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

"""Two processes race to commit to one table, one through delta-spark and one through delta-rs:
every commit lands once, versions without gaps, none lost."""

import json
import subprocess
import sys
from pathlib import Path

import deltalake
import pyarrow as pa
import pytest

REPO = Path(__file__).resolve().parents[2]
N = 15


@pytest.mark.slow
def test_delta_spark_and_delta_rs_processes_race_and_every_commit_lands(tmp_path, test_config):
    from lakehouse.tables import Tables

    warehouse = tmp_path / "warehouse"
    Tables(str(warehouse), None, test_config.tables).write(
        "bronze.race", pa.table({"worker": pa.array([], pa.string()), "seq": pa.array([], pa.int64())})
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.spark.commit_worker", str(warehouse), w, engine, str(N)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w, engine in (("s", "spark"), ("r", "rs"))
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (_out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-3000:]
    versions = [v for out, _ in outs for v in json.loads(out.strip().splitlines()[-1])]
    # each commit got its own version, 1..2N after the empty version 0: no gaps, no repeats
    assert sorted(versions) == list(range(1, 2 * N + 1))
    dt = deltalake.DeltaTable(str(warehouse / "bronze" / "race"))
    assert dt.version() == 2 * N
    table = dt.to_pyarrow_table()
    pairs = sorted(zip(table.column("worker").to_pylist(), table.column("seq").to_pylist()))
    assert pairs == sorted((w, i * 10 + j) for w in "sr" for i in range(N) for j in range(3))
    engines = {h.get("engineInfo", "delta-rs").split("/")[0] for h in dt.history() if h["version"] > 0}
    assert any("Spark" in e for e in engines) and len(engines) == 2

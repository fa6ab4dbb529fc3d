"""A Delta writer killed (SIGKILL) after some of its files are written leaves the table as it was."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .helpers import data_files_on_disk, frame

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_kill_during_a_delta_write(tables, spark, tmp_path):
    tables.write("silver.crash", frame(spark, 12), partition_by=["district"])
    root = tables.uri("silver.crash")
    committed = data_files_on_disk(root)
    gate = tmp_path / "gate"
    gate.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.spark.crash_writer", tables.root, str(gate)],
        cwd=REPO,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.time() + 240
        while not ((gate / "started").exists() and data_files_on_disk(root) - committed):
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            assert time.time() < deadline, "the writer never wrote a file"
            time.sleep(0.5)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the Python driver, its workers and its JVM
        proc.wait(timeout=60)
    # files of the dead writer are on disk but no version references them
    orphans = data_files_on_disk(root) - committed
    assert orphans, "the killed writer should have left uncommitted files"
    assert tables.version("silver.crash") == 0
    assert tables.read("silver.crash").count() == 12
    assert {f.path for f in tables.snapshot("silver.crash").files} == committed
    # re-running the batch is safe, and VACUUM removes the dead writer's files
    tables.write("silver.crash", frame(spark, 30, start=1000, tag="crash"), app_id="crash", app_version=1)
    assert tables.write("silver.crash", frame(spark, 30, start=1000, tag="crash"), app_id="crash", app_version=1).skipped
    tables.vacuum("silver.crash", retention_hours=0, force=True)
    assert data_files_on_disk(root) == {f.path for f in tables.snapshot("silver.crash").files}
    assert tables.read("silver.crash").count() == 42

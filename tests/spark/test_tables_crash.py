"""A writer killed (SIGKILL) between writing files and committing leaves the table as it was."""
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
def test_kill_between_write_and_commit(tables, spark, tmp_path):
    tables.write("silver.crash", frame(spark, 12), partition_by=["district"])
    root = tables.uri("silver.crash")
    committed = data_files_on_disk(root)
    marker = tmp_path / "marker"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.spark.crash_writer", tables.root, str(marker)],
        cwd=REPO, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.time() + 240
        while not marker.exists():
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            assert time.time() < deadline, "writer never reached the commit"
            time.sleep(0.5)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the Python driver and its JVM
        proc.wait(timeout=60)
    # files of the dead writer are on disk but no snapshot references them
    orphans = data_files_on_disk(root) - committed
    assert orphans, "the killed writer should have left uncommitted files"
    assert tables.version("silver.crash") == 0
    assert tables.read("silver.crash").count() == 12
    assert {f.path for f in tables.snapshot("silver.crash").files} == committed
    # re-running the batch is safe, and vacuum removes the dead writer's files
    tables.write("silver.crash", frame(spark, 30, start=1000, tag="crash"), app_id="crash", app_version=1)
    tables.vacuum("silver.crash", retention_hours=0, force=True, staging_retention_hours=0)
    assert data_files_on_disk(root) == {f.path for f in tables.snapshot("silver.crash").files}
    assert tables.read("silver.crash").count() == 42

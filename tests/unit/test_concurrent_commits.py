"""Two processes race to commit to one table: every commit lands once, none is lost."""
import json
import subprocess
import sys
from pathlib import Path

import deltalake

REPO = Path(__file__).resolve().parents[2]
N = 40


def test_two_processes_blind_appends_all_land(tmp_path):
    root = tmp_path / "race"
    root.mkdir()
    procs = [
        subprocess.Popen([sys.executable, "-m", "tests.unit.commit_worker", str(root), w, str(N)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for w in ("a", "b")
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
    versions = [v for out, _ in outs for v in json.loads(out)]
    # each commit got its own version, versions 0..2N-1, no gaps, no repeats
    assert sorted(versions) == list(range(2 * N))
    dt = deltalake.DeltaTable(str(root))
    assert dt.version() == 2 * N - 1
    table = dt.to_pyarrow_table()
    assert table.num_rows == 2 * N * 3
    pairs = set(zip(table.column("worker").to_pylist(), table.column("seq").to_pylist()))
    assert pairs == {(w, i * 10 + j) for w in "ab" for i in range(N) for j in range(3)}
    commit_ids = [h["regulake.commitId"] for h in dt.history()]
    assert len(commit_ids) == len(set(commit_ids)) == 2 * N

"""Benchmark of the city simulator: records/s and peak memory against the goal.

Goal (issue 3): SF 0.1 (~14M records) in <= 3 minutes on 2 cores, peak memory <= 4 GB.
At another scale the time goal is prorated (records scale linearly with SF).

    python bench/simulate.py                 # SF 0.1
    python bench/simulate.py --scale 0.01 --workers 2
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _result import emit  # noqa: E402  (bench/ is on sys.path when a benchmark runs)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GOAL_SF, GOAL_SECONDS, GOAL_BYTES = 0.1, 180.0, 4 * 1024**3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=0.1)
    ap.add_argument("--days", type=int, default=1)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None, help="Keep the output here (default: a temporary folder, removed).")
    args = ap.parse_args()

    from simulator.simulate import simulate

    root = args.out or Path(tempfile.mkdtemp(prefix="regulake-bench-"))
    try:
        t0 = time.perf_counter()
        run = simulate(args.scale, args.days, args.seed, root / "landing", root / "answer_key", workers=args.workers, overwrite=True)
        secs = time.perf_counter() - t0
    finally:
        if args.out is None:
            shutil.rmtree(root, ignore_errors=True)
    # ru_maxrss is in KiB on Linux; children = worker processes (the largest one)
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) * 1024
    rate = run["records"] / secs
    goal_rate = 14_000_000 * (GOAL_SF / 0.1) / GOAL_SECONDS
    print(
        f"simulate SF {args.scale} days {args.days} workers {args.workers}: {run['entities']:,} entities, "
        f"{run['records']:,} records, {run['files']:,} files in {secs:.1f}s"
    )
    print(f"records/s: {rate:,.0f}  (goal {goal_rate:,.0f}/s = 14M in 180 s)  ratio {rate / goal_rate:.2f}x")
    print(f"peak RSS: {peak / 1024**2:,.0f} MiB  (goal <= 4096 MiB)  ratio {GOAL_BYTES / peak:.2f}x headroom")
    projected = run["records"] / rate * (GOAL_SF / args.scale)
    print(f"projected SF 0.1 time at this rate: {projected:.0f}s (goal 180 s)")
    emit(
        "simulate",
        f"SF {args.scale}: {run['records']:,} records in {secs:.1f} s ({rate:,.0f}/s), peak {peak / 1024**2:,.0f} MiB",
        rate / goal_rate,
        "≥ 1 (14M records in ≤ 180 s, ≤ 4 GiB)",
        rate >= goal_rate and peak <= GOAL_BYTES,
    )


if __name__ == "__main__":
    main()

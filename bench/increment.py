"""A day's increment through every layer, on a warehouse a scale run has built (bench/scale.py).

    .venv/bin/python bench/scale.py --scale 0.1 --root /tmp/sf01      # once: the city and its pipeline
    .venv/bin/python bench/increment.py --root /tmp/sf01              # the next day: bronze → score

The simulator is deterministic, so simulating one more day with the same scale and seed
reproduces every earlier file byte for byte and adds the next day's deliveries; only those are
copied into the landing zone. Then ``regulake increment`` runs, in one process and one Spark
session as a daily schedule would, with wall time and peak memory (bench/scale.py) and each
job's time from its run record: bronze, silver, and rescore (the champion's factors and scores
for the entities the day's deliveries touched; the others are carried over, see
ml/rescoring.py). ``--full`` runs bronze, silver, gold, factors and score instead,
each in its own process: the full recomputation of the profile and every entity's factors and
scores. Goal (issue 9): ≤ 3
minutes at SF 1 (≈ 180k records).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import scale  # noqa: E402
from _result import emit  # noqa: E402  (bench/ is on sys.path when a benchmark runs)

from simulator.increment import deliver_new_days  # noqa: E402

STAGES = ["bronze", "silver", "rescore"]
FULL_STAGES = ["bronze", "silver", "gold", "factors", "score"]
GOAL_SECONDS = 180


def job_seconds(runs: Path, job: str, since: float) -> float | None:
    """Seconds of the newest run record of ``job`` started after ``since`` (epoch seconds)."""
    import datetime as dt

    for rec in sorted(runs.glob(f"*-{job}.json"), reverse=True):
        d = json.loads(rec.read_text())
        if dt.datetime.fromisoformat(d["started_at"]).timestamp() >= since:
            return d["seconds"]
    return None


def table(out: dict) -> str:
    lines = [
        f"| increment stage (SF {out['scale']:g}, day {out['day']}, {out['records']:,} records) | time | peak memory |",
        "|---|---:|---:|",
    ]
    for r in out["stages"]:
        lines += [f"| {r['stage']}{'' if r['rc'] == 0 else ' (failed)'} | {r['seconds']:.0f} s | {r['peak_mb'] / 1024:.1f} GB |"]
        lines += [f"| · job {name} | {s:.0f} s | |" for name, s in r.get("jobs", {}).items()]
    lines.append(f"| **total** | **{out['seconds']:.0f} s** | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", type=Path, required=True, help="The folder of a finished bench/scale.py run.")
    ap.add_argument("--full", action="store_true", help="Recompute gold, every factor and every score instead of re-scoring.")
    args = ap.parse_args(argv)
    stages = FULL_STAGES if args.full else STAGES
    root = args.root.resolve()
    run = json.loads((root / "scale.json").read_text())
    sf, seed, days = run["scale"], run["seed"], run["days"] + 1
    env = scale.environment(root, None)
    cli = [sys.executable, "-m", "lakehouse.cli"]

    work = Path(tempfile.mkdtemp(prefix="regulake-increment-"))
    try:
        t0 = time.perf_counter()
        sim = scale.run_stage(
            "simulate next day",
            cli
            + [
                "simulate",
                "--scale",
                f"{sf:g}",
                "--days",
                str(days),
                "--seed",
                str(seed),
                "--workers",
                "2",
                "--out-dir",
                str(work / "landing"),
                "--answer-key-dir",
                str(work / "key"),
            ],
            env,
            work / "simulate.log",
        )
        if sim["rc"]:
            raise SystemExit(f"simulating day {days} failed:\n{sim['error_tail']}")
        folders = deliver_new_days(work / "landing", root / "landing")
        if not folders:
            raise SystemExit(f"no new deliveries for day {days} (is {root / 'landing'} already at day {days}?)")
        # the answer key of the longer simulation (the same city, one day older)
        shutil.copytree(work / "key", root / "answer_key", dirs_exist_ok=True)
        print(f"day {days}: {len(folders)} delivery folders copied in {time.perf_counter() - t0:.0f} s", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    run["days"] = days  # the next run adds the day after
    (root / "scale.json").write_text(json.dumps(run, indent=2))

    results = []
    if args.full:
        for name in stages:
            r = scale.run_stage(name, cli + ["run", name], env, root / "logs" / f"increment-{days}-{name}.log")
            results.append(r)
            print(f"  {name}: {r['seconds']:.0f} s, peak {r['peak_mb']} MB, rc {r['rc']}", flush=True)
            if r["rc"]:
                print(r["error_tail"], file=sys.stderr)
                break
    else:  # what a daily schedule runs: one command, one Spark session
        started = time.time()
        r = scale.run_stage("regulake increment", cli + ["increment"], env, root / "logs" / f"increment-{days}.log")
        if r["rc"]:
            print(r["error_tail"], file=sys.stderr)
        jobs = [job_seconds(root / "runs", name, started) for name in stages]
        r["jobs"] = {name: s for name, s in zip(stages, jobs) if s is not None}
        results.append(r)
        print(f"  regulake increment: {r['seconds']:.0f} s, peak {r['peak_mb']} MB, rc {r['rc']}; jobs {r['jobs']}", flush=True)
    records = 0
    for rec in sorted((root / "runs").glob("*-bronze.json"))[-1:]:
        records = json.loads(rec.read_text())["rows_in"]
    total = sum(r["seconds"] for r in results)
    print(
        f"increment of day {days} at SF {sf:g}: {records:,} records through {', '.join(stages)} in {total:.0f} s (goal ≤ {GOAL_SECONDS} s at SF 1)"
    )
    out = {"scale": sf, "day": days, "records": records, "stages": results, "seconds": total}
    print(table(out))
    ok = all(r["rc"] == 0 for r in results)
    emit(
        "increment",
        f"day {days} at SF {sf:g}: {records:,} records, {' → '.join(stages)} in {total:.0f} s",
        total / GOAL_SECONDS,
        "≤ 180 s at SF 1 (ratio: time ÷ 180 s; met only when measured at SF 1 or more)",
        ok and sf >= 1 and total <= GOAL_SECONDS,
    )
    (root / f"increment-{days}.json").write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()

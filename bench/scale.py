"""Scale run: simulate a city at a scale factor and run every stage through the CLI, each in its
own process, recording wall time and peak memory per stage: the proportional set size (PSS) summed over
the whole process tree (the CLI's Python, the Spark JVM, the PySpark workers), sampled twice a
second.

    .venv/bin/python bench/scale.py --scale 0.1 --root /tmp/sf01            # everything
    .venv/bin/python bench/scale.py --scale 0.1 --root /tmp/sf01 --from factors   # resume

Writes ``<root>/scale.json`` and prints a markdown table (``regulake bench --scale`` puts it in
bench/RESULTS.md). Stages that fail stop the run; their error tail is kept in the JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
PLAN = "demo-2026q1"


def stages(scale: float, days: int, seed: int) -> list[tuple[str, list[str]]]:
    cli = [sys.executable, "-m", "lakehouse.cli"]
    return [
        ("simulate", cli + ["simulate", "--scale", str(scale), "--days", str(days), "--seed", str(seed), "--workers", "2", "--overwrite"]),
        ("bronze", cli + ["run", "bronze"]),
        ("silver", cli + ["run", "silver"]),
        ("gold", cli + ["run", "gold"]),
        ("complaints", cli + ["run", "complaints"]),
        ("clusters", cli + ["run", "clusters"]),
        ("factors", cli + ["run", "factors"]),
        ("train", cli + ["run", "train"]),
        ("score", cli + ["run", "score"]),
        ("plan", cli + ["plan", "draw", PLAN, "--seed", f"scale-{seed}"]),
        ("report", cli + ["plan", "report", PLAN]),
    ]


def environment(root: Path, driver_memory: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "REGULAKE__WAREHOUSE__ROOT": str(root / "warehouse"),
            "REGULAKE__LANDING__ROOT": str(root / "landing"),
            "REGULAKE__LANDING__ANSWER_KEY_ROOT": str(root / "answer_key"),
            "REGULAKE__RUNS__ROOT": str(root / "runs"),
            "REGULAKE__SILVER__DATA_DOCS_ROOT": str(root / "quality"),
            "REGULAKE__SILVER__DATA_DOCS_CATALOGS": "[]",
            "REGULAKE__RISK__MLFLOW__TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}",
            "REGULAKE__RISK__MLFLOW__ARTIFACT_LOCATION": str(root / "artifacts"),
            "REGULAKE__RISK__REPORTS_ROOT": str(root / "reports"),
            "REGULAKE__PLANS__REPORTS_ROOT": str(root / "reports" / "plans"),
            "REGULAKE__COMPLAINTS__WORDCLOUD__ROOT": str(root / "reports" / "wordclouds"),
        }
    )
    if driver_memory:
        env["REGULAKE__SPARK__DRIVER_MEMORY"] = driver_memory
    return env


def pss_bytes(proc: psutil.Process) -> int:
    """A process's proportional set size (forked PySpark workers share pages: summing RSS would count
    them twice), from /proc/<pid>/smaps_rollup; RSS where that is missing. psutil's memory_full_info
    parses the whole smaps file, which for the Spark JVM cost a third of a core at two samples a second."""
    try:
        with open(f"/proc/{proc.pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return proc.memory_info().rss


class PeakRss:
    """Samples the summed memory (PSS, else RSS) of a process and its descendants every ``interval`` s."""

    def __init__(self, pid: int, interval: float = 0.5):
        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                root = psutil.Process(self.pid)
                total = 0
                for p in [root] + root.children(recursive=True):
                    try:
                        total += pss_bytes(p)
                    except psutil.Error:
                        pass
                self.peak = max(self.peak, total)
            except psutil.Error:
                pass
            self._stop.wait(self.interval)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def run_stage(name: str, argv: list[str], env: dict[str, str], log: Path) -> dict:
    start = time.perf_counter()
    with open(log, "w") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        sampler = PeakRss(proc.pid)
        rc = proc.wait()
        peak = sampler.stop()
    seconds = time.perf_counter() - start
    result = {"stage": name, "seconds": round(seconds, 1), "peak_mb": round(peak / 2**20), "rc": rc, "log": str(log)}
    if rc:
        result["error_tail"] = log.read_text(errors="replace")[-3000:]
    return result


def table(results: list[dict], scale: float) -> str:
    lines = [f"| stage (SF {scale}) | time | peak memory (process tree) |", "|---|---:|---:|"]
    for r in results:
        status = "" if r["rc"] == 0 else " (failed)"
        lines.append(f"| {r['stage']}{status} | {r['seconds'] / 60:.1f} min ({r['seconds']:.0f} s) | {r['peak_mb'] / 1024:.1f} GB |")
    after_sim = sum(r["seconds"] for r in results if r["stage"] != "simulate")
    lines.append(f"| **after simulation** | **{after_sim / 60:.1f} min** | max {max(r['peak_mb'] for r in results) / 1024:.1f} GB |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, required=True)
    ap.add_argument("--days", type=int, default=1)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--root", type=Path, required=True, help="Folder for landing, warehouse, runs, MLflow of this run.")
    ap.add_argument("--driver-memory", default=None, help="Spark driver memory (default: the config's).")
    ap.add_argument("--from", dest="start", default=None, help="Resume from this stage (keeps earlier results).")
    ap.add_argument("--only", nargs="*", default=None, help="Run only these stages.")
    args = ap.parse_args(argv)
    root = args.root.resolve()
    (root / "logs").mkdir(parents=True, exist_ok=True)
    out = root / "scale.json"
    earlier = json.loads(out.read_text())["stages"] if (args.start or args.only) and out.exists() else []
    for r in earlier:  # records of an earlier version of this script (RSS sums)
        r.setdefault("peak_mb", r.pop("peak_rss_mb", 0))
    plan = stages(args.scale, args.days, args.seed)
    names = [n for n, _ in plan]
    if args.start and args.start not in names:
        raise SystemExit(f"--from {args.start}: not a stage; stages are {', '.join(names)}")
    todo = plan[names.index(args.start) :] if args.start else plan
    if args.only:
        todo = [(n, a) for n, a in plan if n in args.only]
    results = [r for r in earlier if r["stage"] not in {n for n, _ in todo}]
    env = environment(root, args.driver_memory)
    for name, cmd in todo:
        print(f"[{time.strftime('%H:%M:%S')}] {name} …", flush=True)
        r = run_stage(name, cmd, env, root / "logs" / f"{name}.log")
        results.append(r)
        results.sort(key=lambda x: names.index(x["stage"]) if x["stage"] in names else len(names))
        print(f"[{time.strftime('%H:%M:%S')}] {name}: {r['seconds']:.0f} s, peak {r['peak_mb']} MB, rc {r['rc']}", flush=True)
        out.write_text(json.dumps({"scale": args.scale, "days": args.days, "seed": args.seed, "stages": results}, indent=2))
        if r["rc"]:
            print(r["error_tail"], file=sys.stderr)
            break
    print(table(results, args.scale))
    return results


if __name__ == "__main__":
    main()

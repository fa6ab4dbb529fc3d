"""Run every benchmark at a scale factor and write their ratios and figures to bench/RESULTS.md.

    regulake bench --scale 0.1                       # all benchmarks, sized from SF 0.1
    regulake bench --scale 0.1 --pipeline            # … and the whole pipeline at SF 0.1 (bench/scale.py),
                                                     # then a day's increment on it (bench/increment.py)
    regulake bench --scale 0.01 --only simulate bronze_ingest

Each benchmark runs in its own process (a fresh JVM) and prints one ``BENCH_RESULT`` line
(bench/_result.py); its full output goes to ``<logs>/<name>.log``. Sizes follow the scale
factor (``SIZES``): at SF 0.1 they are the sizes the README's figures were measured at.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PREFIX = "BENCH_RESULT "

# name → arguments at scale factor sf (at SF 0.1: the configurations measured in the README)
SIZES = {
    "simulate": lambda sf: ["--scale", f"{sf:g}", "--workers", "2"],
    "delta_write": lambda sf: ["--rows", str(max(50_000, int(50_000_000 * sf))), "--repeats", "3"],
    "bronze_ingest": lambda sf: ["--scale", f"{max(sf / 10, 0.0005):g}"],
    "silver_validation": lambda sf: ["--scale", f"{max(sf * 2, 0.002):g}", "--repeats", "3"],
    "silver_daily": lambda sf: ["--scale", f"{max(sf / 10, 0.002):g}", "--repeats", "3"],
    "segmentation": lambda sf: ["--texts", str(max(2_000, int(2_000_000 * sf))), "--repeat", "3"],
    "lightgbm_distributed": lambda sf: ["--rows", str(max(20_000, int(10_000_000 * sf))), "--repeat", "1"],
    "trino_endpoint": lambda sf: ["--rows", str(max(2_000, int(2_000_000 * sf))), "--repeat", "5"],
    "api_lookup": lambda sf: ["--entities", str(max(10_000, int(9_000_000 * sf)))],
    "effectiveness": lambda sf: ["--scale", f"{max(sf, 0.002):g}", "--seeds", "1", "2"],
}


def command(name: str, sf: float) -> list[str]:
    return [sys.executable, str(BENCH / f"{name}.py"), *SIZES[name](sf)]


def parse(output: str) -> dict | None:
    for line in reversed(output.splitlines()):
        if line.startswith(PREFIX):
            return json.loads(line[len(PREFIX) :])
    return None


def run_one(name: str, sf: float, logs: Path, timeout: int) -> dict:
    cmd = command(name, sf)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
        out, rc = proc.stdout + proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as exc:
        out, rc = f"{exc.stdout or ''}{exc.stderr or ''}\ntimed out after {timeout} s", -1
    seconds = time.perf_counter() - start
    (logs / f"{name}.log").write_text(out if isinstance(out, str) else out.decode(errors="replace"), encoding="utf-8")
    shown = " ".join(["python", f"bench/{name}.py", *SIZES[name](sf)])
    row = parse(out) if rc == 0 else None
    if row is None:
        tail = " ".join(str(out).strip().splitlines()[-1:])[:200]
        row = {"bench": name, "figure": f"failed (exit {rc}): {tail}", "ratio": None, "goal": "", "met": False}
    return {**row, "command": shown, "seconds": round(seconds, 1)}


def markdown(sf: float, rows: list[dict], pipeline: str | None) -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    lines = [
        "# Benchmark results",
        "",
        f"Written by `regulake bench --scale {sf:g}` on {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC: "
        f"{os.cpu_count()} cores, {mem:.0f} GB, {platform.python_implementation()} {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f} at the end. Ratios compare against a baseline run in the same process, "
        "so they hold on a noisy machine better than the absolute times.",
        "",
        "| benchmark | command | figure | ratio | goal | met |",
        "|---|---|---|---:|---|---|",
    ]
    for r in rows:
        ratio = "—" if r.get("ratio") is None else f"{r['ratio']:.2f}"
        met = {True: "yes", False: "**no**", None: "—"}[r.get("met")]
        lines.append(f"| {r['bench']} | `{r['command']}` | {r['figure']} | {ratio} | {r.get('goal', '')} | {met} |")
    if pipeline:
        lines += ["", f"## The pipeline at SF {sf:g} (`python bench/scale.py --scale {sf:g}`)", "", pipeline]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=0.1)
    ap.add_argument("--only", nargs="*", default=None, help=f"Some of: {', '.join(SIZES)}.")
    ap.add_argument("--pipeline", action="store_true", help="Also run every stage at this scale (bench/scale.py).")
    ap.add_argument("--pipeline-root", type=Path, default=None, help="Folder for the pipeline run (default: a temporary folder).")
    ap.add_argument("--out", type=Path, default=BENCH / "RESULTS.md")
    ap.add_argument("--logs", type=Path, default=None, help="Where each benchmark's output goes (default: <out dir>/logs).")
    ap.add_argument("--timeout", type=int, default=3600, help="Seconds per benchmark.")
    args = ap.parse_args(argv)
    names = args.only or list(SIZES)
    unknown = [n for n in names if n not in SIZES]
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {unknown}; choose from {', '.join(SIZES)}")
    logs = args.logs or args.out.parent / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in names:
        print(f"[{time.strftime('%H:%M:%S')}] {name} {' '.join(SIZES[name](args.scale))} …", flush=True)
        row = run_one(name, args.scale, logs, args.timeout)
        rows.append(row)
        ratio = "—" if row["ratio"] is None else f"{row['ratio']:.2f}"
        print(f"    {row['figure']}  ratio {ratio}  goal {row['goal']}  ({row['seconds']:.0f} s)", flush=True)
        args.out.write_text(markdown(args.scale, rows, None), encoding="utf-8")
    pipeline = None
    if args.pipeline:
        import tempfile

        sys.path.insert(0, str(BENCH))
        import scale

        root = args.pipeline_root or Path(tempfile.mkdtemp(prefix="regulake-scale-"))
        stages = scale.main(["--scale", f"{args.scale:g}", "--root", str(root)])
        pipeline = scale.table(stages, args.scale)
        if all(r["rc"] == 0 for r in stages):
            import increment

            inc = increment.main(["--root", str(root)])
            pipeline += "\n\n" + increment.table(inc)
    args.out.write_text(markdown(args.scale, rows, pipeline), encoding="utf-8")
    print(f"results in {args.out}")
    return rows


if __name__ == "__main__":
    main()

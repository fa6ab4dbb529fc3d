"""Old code against new on the same data, stage by stage: two checkouts of the repository (``git
worktree add``), one simulated city, each stage run by each tree's own ``bench/scale.py`` (its own
process, its own warehouse), old and new one after the other, the order alternating from stage to
stage so that a load on the machine falls on both; then a day's increment through each tree's
``bench/increment.py``.

    git worktree add /tmp/old fa17fa0 && git worktree add /tmp/new d1cf1e2
    .venv/bin/python bench/compare_trees.py --old /tmp/old --new /tmp/new --scale 0.1 --root /tmp/cmp

The city is simulated once, by the old tree, and copied to the new tree's folder (the landing
files are only read). Prints a markdown table: per stage the old and new wall time and peak memory
(``bench/scale.py``'s process-tree PSS) and the ratio new ÷ old; writes ``<root>/compare.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

STAGES = ["bronze", "silver", "gold", "factors", "train", "score"]


def run(tree: Path, script: str, args: list[str]) -> int:
    cmd = [sys.executable, str(tree / "bench" / script), *args]
    print(f"[{time.strftime('%H:%M:%S')}] {tree.name}: {' '.join(cmd[1:])}", flush=True)
    env = {**os.environ, "PYTHONPATH": str(tree)}  # the tree's own packages, not an installed checkout's
    return subprocess.call(cmd, cwd=tree, env=env, stdout=subprocess.DEVNULL)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--old", type=Path, required=True, help="checkout of the old code")
    ap.add_argument("--new", type=Path, required=True, help="checkout of the new code")
    ap.add_argument("--scale", type=float, required=True)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--root", type=Path, required=True)
    ap.add_argument("--driver-memory", default="6g")
    ap.add_argument("--stages", nargs="*", default=STAGES)
    ap.add_argument("--no-increment", action="store_true")
    args = ap.parse_args(argv)
    trees = {"old": args.old.resolve(), "new": args.new.resolve()}
    roots = {k: args.root.resolve() / k for k in trees}
    common = ["--scale", f"{args.scale:g}", "--seed", str(args.seed), "--driver-memory", args.driver_memory]
    if not (roots["old"] / "landing").exists():
        if run(trees["old"], "scale.py", [*common, "--root", str(roots["old"]), "--only", "simulate"]):
            raise SystemExit("simulation failed; see the old root's logs/simulate.log")
        for sub in ("landing", "answer_key"):
            shutil.copytree(roots["old"] / sub, roots["new"] / sub, dirs_exist_ok=True)
        shutil.copy(roots["old"] / "scale.json", roots["new"] / "scale.json")
    for i, name in enumerate(args.stages):
        order = ["old", "new"] if i % 2 == 0 else ["new", "old"]
        for k in order:
            if run(trees[k], "scale.py", [*common, "--root", str(roots[k]), "--only", name]):
                raise SystemExit(f"{k}: stage {name} failed; see {roots[k] / 'logs' / (name + '.log')}")
    # every stage both trees have run, in this invocation or an earlier one (``--stages`` resumes)
    runs = {k: {r["stage"]: r for r in json.loads((roots[k] / "scale.json").read_text())["stages"]} for k in trees}
    rows = [{"stage": n, **{k: runs[k][n] for k in trees}} for n in STAGES if all(n in runs[k] for k in trees)]
    if not args.no_increment:
        for k in ["new", "old"] if len(args.stages) % 2 else ["old", "new"]:
            if run(trees[k], "increment.py", ["--root", str(roots[k])]):
                raise SystemExit(f"{k}: the increment failed; see {roots[k] / 'logs'}")
        inc = {}
        for k in trees:
            found = sorted(roots[k].glob("increment-*.json"))
            r = json.loads(found[-1].read_text())["stages"][0]
            inc[k] = {"seconds": r["seconds"], "peak_mb": r["peak_mb"]}
        rows.append({"stage": "increment (regulake increment)", "first": "old" if len(args.stages) % 2 == 0 else "new", **inc})
    lines = [
        f"| stage (SF {args.scale:g}) | old | new | new ÷ old | old peak | new peak |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        o, n = r["old"], r["new"]
        lines.append(
            f"| {r['stage']} | {o['seconds']:.0f} s | {n['seconds']:.0f} s | **{n['seconds'] / o['seconds']:.2f}** | "
            f"{o['peak_mb'] / 1024:.1f} GB | {n['peak_mb'] / 1024:.1f} GB |"
        )
    out = {"old": str(trees["old"]), "new": str(trees["new"]), "scale": args.scale, "rows": rows, "table": "\n".join(lines)}
    (args.root / "compare.json").write_text(json.dumps(out, indent=2))
    print(out["table"])
    return out


if __name__ == "__main__":
    main()

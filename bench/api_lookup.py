"""Benchmark: GET /v1/entities/{uscc}/risk at 16 connections. Goal: ≥ 3,000 req/s and p99 ≤ 20 ms.

Builds gold.risk_scores with --entities entities (default 900k, the full city) and three reasons
each in a temporary warehouse (delta-rs, no Spark), starts the API in its own process (uvicorn,
uvloop + httptools when installed, no access log) and drives it with wrk (Debian's `wrk`) over
random known codes with an API key; /healthz is measured the same way as the baseline (the
ratio shows what the lookup, the key check, the rate limiter and the JSON cost on top of the
framework). Without wrk a bounded asyncio/httpx loop is used instead (client-bound: its
figures are a floor, not the server's limit).

    .venv/bin/python bench/api_lookup.py [--entities 900000] [--seconds 12] [--connections 16] [--workers 1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _result import emit  # noqa: E402  (bench/ is on sys.path when a benchmark runs)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

KEY = "bench-key-0123456789abcdef0123456789"
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
PREFIX = "91440604MA"


def usccs(n: int) -> list[str]:
    import numpy as np

    pre = sum(ALPHABET.index(c) * w for c, w in zip(PREFIX, WEIGHTS))
    ids = np.arange(n)
    total = np.full(n, pre)
    for pos in range(7):  # seven decimal digits, most significant first
        total += (ids // 10 ** (6 - pos)) % 10 * WEIGHTS[10 + pos]
    checks = (31 - total) % 31
    return [f"{PREFIX}{i:07d}{ALPHABET[c]}" for i, c in zip(ids.tolist(), checks.tolist())]


def make_scores(root: Path, n: int) -> list[str]:
    import numpy as np
    import pyarrow as pa
    from deltalake import write_deltalake

    rng = np.random.default_rng(42)
    codes = usccs(n)
    factors = [f"factor_{i:02d}" for i in range(12)]
    descs = [f"风险因子说明{i:02d}" for i in range(12)]
    k = 3
    fidx = rng.integers(0, 12, n * k)
    reasons_flat = pa.StructArray.from_arrays(
        [
            pa.array(factors).take(pa.array(fidx)),
            pa.array(descs).take(pa.array(fidx)),
            pa.array(rng.uniform(0, 100, n * k)),
            pa.array(rng.uniform(0, 1, n * k)),
        ],
        names=["factor", "description_zh", "value", "contribution"],
    )
    reasons = pa.ListArray.from_arrays(pa.array(np.arange(0, n * k + 1, k, dtype=np.int32)), reasons_flat)
    p = rng.beta(1.2, 6, n)
    raw = np.log(p / (1 - p))
    write_deltalake(
        str(root / "gold" / "risk_scores"),
        pa.table(
            {
                "score_date": pa.array([dt.date(2026, 1, 3)] * n, pa.date32()),
                "uscc": pa.array(codes),
                "probability": pa.array(p),
                "risk_class": pa.array(np.array(list("ABCD"))[np.searchsorted([0.1, 0.2, 0.4], p, "right")]),
                "raw_score": pa.array(raw),
                "base_value": pa.array(np.full(n, -1.6)),
                "reasons": reasons,
                "model_name": pa.array(["regulake-risk"] * n),
                "model_version": pa.array(["3"] * n),
            }
        ),
        partition_by=["score_date"],
    )
    return codes


def _app():
    from lakehouse.config.api import ApiKey, ApiSettings, RateLimitSettings, hash_api_key
    from serving.app import create_app

    settings = ApiSettings(
        api_keys=[ApiKey(name="bench", key_hash=hash_api_key(KEY), scopes=["risk:read"])],
        rate_limit=RateLimitSettings(per_key_per_second=1e6, per_ip_per_second=1e6, burst=1_000_000),
    )
    return create_app(settings, os.environ["BENCH_WAREHOUSE"])


def serve(root: str, port: int, workers: int) -> None:
    import importlib.util

    import uvicorn

    os.environ["BENCH_WAREHOUSE"] = root
    kw = dict(host="127.0.0.1", port=port, access_log=False, log_level="warning")
    if importlib.util.find_spec("uvloop"):
        kw["loop"] = "uvloop"
    if importlib.util.find_spec("httptools"):
        kw["http"] = "httptools"
    if workers > 1:
        uvicorn.run("bench.api_lookup:_app", factory=True, workers=workers, **kw)
    else:
        uvicorn.run(_app(), **kw)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of the server process and its workers."""
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid] + [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()]
    total = 0.0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            pass
    return total


def rss_mb(pid: int) -> float:
    total = 0.0
    pids = [pid] + [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v


def run_wrk(url: str, paths: list[str] | None, seconds: int, connections: int, threads: int, workdir: Path) -> dict:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if paths:
        script = workdir / "lookup.lua"
        body = ",\n".join(f'"{p}"' for p in paths)
        script.write_text(
            f"local paths = {{\n{body}\n}}\nlocal n = #paths\nlocal i = math.random(n)\n"
            f'local headers = {{["X-API-Key"] = "{KEY}"}}\n'
            'request = function()\n  i = i % n + 1\n  return wrk.format("GET", paths[i], headers)\nend\n'
        )
        cmd += ["-s", str(script)]
    out = subprocess.run(cmd + [url if paths else url + "/healthz"], capture_output=True, text=True, check=True).stdout
    res = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "raw": out}
    for q in ("50", "75", "90", "99"):
        res[f"p{q}"] = _ms(re.search(rf"^\s+{q}%\s+(\S+)", out, re.M).group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: (.*)", out)
    res["socket_errors"] = m.group(1) if m else "none"
    res["requests"] = int(re.search(r"(\d+) requests in", out).group(1))
    return res


def run_loop(url: str, paths: list[str] | None, seconds: int, connections: int) -> dict:
    """Bounded asyncio/httpx load loop: `connections` workers, each one request at a time, for `seconds`."""
    import asyncio

    import httpx

    async def main():
        lat: list[float] = []
        bad = 0
        stop = time.perf_counter() + seconds
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        async with httpx.AsyncClient(base_url=url, limits=limits, headers={"X-API-Key": KEY}) as c:

            async def worker(w):
                nonlocal bad
                i = w * 7919
                while time.perf_counter() < stop:
                    i += 1
                    t = time.perf_counter()
                    r = await c.get(paths[i % len(paths)] if paths else "/healthz")
                    lat.append(time.perf_counter() - t)
                    bad += r.status_code != 200

            t0 = time.perf_counter()
            await asyncio.gather(*[worker(w) for w in range(connections)])
            el = time.perf_counter() - t0
        lat.sort()
        q = lambda f: lat[min(len(lat) - 1, int(f * len(lat)))] * 1000  # noqa: E731
        return {
            "rps": len(lat) / el,
            "p50": q(0.5),
            "p75": q(0.75),
            "p90": q(0.9),
            "p99": q(0.99),
            "non2xx": bad,
            "requests": len(lat),
            "socket_errors": "none",
        }

    return asyncio.run(main())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entities", type=int, default=900_000)
    ap.add_argument("--seconds", type=int, default=12, help="Seconds of the lookup run (the /healthz baseline runs half as long).")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument(
        "--threads", type=int, default=1, help="wrk threads (one is enough for 16 connections and leaves a core to the server)."
    )
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes.")
    ap.add_argument("--loader", choices=["auto", "wrk", "loop"], default="auto")
    ap.add_argument("--serve", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.workers)
        return

    loader = args.loader
    if loader == "auto":
        loader = "wrk" if shutil.which("wrk") else "loop"
    work = Path(tempfile.mkdtemp(prefix="api-bench-"))
    proc = None
    try:
        t = time.perf_counter()
        codes = make_scores(work, args.entities)
        print(f"gold.risk_scores: {args.entities:,} entities x 3 reasons written in {time.perf_counter() - t:.1f} s")
        port = free_port()
        t = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(work), "--port", str(port), "--workers", str(args.workers)],
            cwd=str(Path(__file__).resolve().parent.parent),
        )
        import httpx

        url = f"http://127.0.0.1:{port}"
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.perf_counter() - t > 300:
                raise SystemExit("the API did not become ready")
            time.sleep(0.2)
        print(
            f"API ready in {time.perf_counter() - t:.1f} s (process start, imports, snapshot load and index); "
            f"RSS {rss_mb(proc.pid):.0f} MB with {args.workers} worker(s)"
        )
        rnd = random.Random(1)
        sample = [f"/v1/entities/{c}/risk" for c in rnd.sample(codes, min(20_000, len(codes)))]
        r = httpx.get(url + sample[0], headers={"X-API-Key": KEY})
        assert r.status_code == 200 and r.json()["uscc"] == sample[0].split("/")[3], r.text
        print(
            f"load generator: {loader}"
            + (f" ({args.threads} thread(s))" if loader == "wrk" else "")
            + f", {args.connections} connections; load average before: {os.getloadavg()[0]:.2f}"
        )

        def run(paths, seconds):
            if loader == "wrk":
                return run_wrk(url, paths, seconds, args.connections, args.threads, work)
            return run_loop(url, paths, seconds, args.connections)

        run(sample, 2)  # warm-up
        c0 = cpu_seconds(proc.pid)
        base = run(None, max(3, args.seconds // 2))
        c1 = cpu_seconds(proc.pid)
        look = run(sample, args.seconds)
        c2 = cpu_seconds(proc.pid)
        base["cpu_us"] = (c1 - c0) / max(base["requests"], 1) * 1e6
        look["cpu_us"] = (c2 - c1) / max(look["requests"], 1) * 1e6
        print()
        print(
            f"| endpoint ({args.connections} connections) | req/s | p50 ms | p90 ms | p99 ms | requests | non-2xx | socket errors | server CPU µs/req |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for name, res in (("GET /healthz (baseline)", base), ("GET /v1/entities/{uscc}/risk", look)):
            print(
                f"| {name} | {res['rps']:,.0f} | {res['p50']:.2f} | {res['p90']:.2f} | {res['p99']:.2f} | {res['requests']:,} | "
                f"{res['non2xx']} | {res['socket_errors']} | {res['cpu_us']:.0f} |"
            )
        print()
        ok_rps, ok_p99 = look["rps"] >= 3000, look["p99"] <= 20
        print(
            f"lookup / baseline throughput ratio: {look['rps'] / base['rps']:.2f}; server CPU per lookup {look['cpu_us']:.0f} µs "
            f"(≈ {1e6 / max(look['cpu_us'], 1):,.0f} lookups/s per fully available core)"
        )
        print(
            f"goal >= 3,000 req/s: {look['rps']:,.0f} -> {'met' if ok_rps else 'NOT met'}; "
            f"goal p99 <= 20 ms: {look['p99']:.2f} ms -> {'met' if ok_p99 else 'NOT met'}"
        )
        print(f"load average after: {os.getloadavg()[0]:.2f}; RSS after: {rss_mb(proc.pid):.0f} MB")
        emit(
            "api_lookup",
            f"{args.entities:,} entities, {args.connections} connections, {args.workers} worker(s): {look['rps']:,.0f} req/s, "
            f"p99 {look['p99']:.1f} ms ({look['rps'] / base['rps']:.2f} of /healthz)",
            look["rps"] / 3000,
            "≥ 3,000 req/s and p99 ≤ 20 ms (ratio: req/s ÷ 3,000)",
            ok_rps and ok_p99,
        )
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

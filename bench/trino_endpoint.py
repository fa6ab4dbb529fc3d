"""Benchmark: the real Trino 476 (single node, trino Python client over HTTP) vs DuckDB reading the
same Delta snapshot directly, five typical gold queries; plus Trino's start-up time and resident memory.

Both read the same Delta table (written here with delta-rs): Trino through its Delta Lake connector
(file metastore, local file system), DuckDB over delta-rs' pyarrow dataset in this process. One run:
each query once to warm up, then ``--repeat`` times; the figure is the ratio of the medians.
No goal: a JVM server answering over HTTP is not expected to match an in-process engine on small
data; the figures are reported in docs/trino.md.

    .venv/bin/python bench/trino_endpoint.py [--rows 200000] [--repeat 5] [--heap 2G]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _result import emit  # noqa: E402  (bench/ is on sys.path when a benchmark runs)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

QUERIES = {
    "count by district": "SELECT district_code, count(*) AS n FROM entity_profile GROUP BY 1 ORDER BY 1",
    "capital by type": "SELECT enterprise_type, sum(registered_capital) AS cap, avg(penalties_count_365d) AS p FROM entity_profile GROUP BY 1 ORDER BY 1",
    "top penalised": "SELECT uscc, entity_name, penalties_count_all FROM entity_profile ORDER BY penalties_count_all DESC, uscc LIMIT 100",
    "filter one district": "SELECT uscc, establishment_date FROM entity_profile WHERE district_code = '440604' AND penalties_count_365d > 2",
    "recent by month": "SELECT date_trunc('month', establishment_date) AS m, count(*) FROM entity_profile WHERE establishment_date >= DATE '2024-01-01' GROUP BY 1 ORDER BY 1",
}


def make_table(root: Path, n: int) -> None:
    import decimal

    import numpy as np
    import pyarrow as pa
    from deltalake import write_deltalake

    rng = np.random.default_rng(42)
    districts = np.array(["440604", "440605", "440606", "440607", "440608"])
    days = rng.integers(0, 3650, n)
    base = np.datetime64("2016-01-01")
    write_deltalake(
        str(root / "gold" / "entity_profile"),
        pa.table(
            {
                "uscc": pa.array([f"91440604MA{i:08d}" for i in range(n)]),
                "entity_name": pa.array([f"佛山市企业{i}" for i in range(n)]),
                "enterprise_type": pa.array(rng.choice(["1100", "1200", "2100", "4000", "9100"], n)),
                "registered_capital": pa.array([decimal.Decimal(int(v)) / 100 for v in rng.integers(0, 10**10, n)], pa.decimal128(18, 2)),
                "district_code": pa.array(rng.choice(districts, n)),
                "establishment_date": pa.array((base + days).astype("datetime64[D]")),
                "penalties_count_all": pa.array(rng.poisson(1.0, n), pa.int64()),
                "penalties_count_365d": pa.array(rng.poisson(0.5, n), pa.int64()),
                "as_of": pa.array([dt.date(2026, 1, 3)] * n),
            }
        ),
        partition_by=["as_of"],
    )


def rss_mb(pid: int) -> float:
    import psutil

    return psutil.Process(pid).memory_info().rss / 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--heap", default="2G")
    args = ap.parse_args()

    import duckdb
    from deltalake import DeltaTable

    from lakehouse.config.serving import TrinoSettings, TrinoUser
    from lakehouse.tables import Tables
    from serving.trino.launcher import TrinoServer
    from serving.trino.sync import sync

    root = Path(tempfile.mkdtemp(prefix="bench_trino_"))
    make_table(root, args.rows)
    settings = TrinoSettings(
        port=0, users=[TrinoUser(name="bench")], tables=[], heap=args.heap, state_dir=str(root / "_state"), write_comments=False
    )
    server = TrinoServer(settings, str(root))
    t0 = time.perf_counter()
    server.start()
    started = time.perf_counter() - t0
    try:
        t1 = time.perf_counter()
        sync(server.connect(), settings, str(root), Tables(str(root)))
        registered = time.perf_counter() - t1
        rss_idle = rss_mb(server.proc.pid)
        cur = server.connect(user="bench", schema="gold").cursor()

        con = duckdb.connect()
        con.register("entity_profile", DeltaTable(str(root / "gold" / "entity_profile")).to_pyarrow_dataset())

        def direct(sql):
            return con.sql(sql).fetchall()

        def trino(sql):
            cur.execute(sql)
            return cur.fetchall()

        print(f"Trino {args.heap} heap: started in {started:.1f} s, registered in {registered:.2f} s, RSS {rss_idle:.0f} MB idle")
        print(f"{args.rows} rows, median of {args.repeat}")
        print(f"{'query':22s} {'rows':>6s} {'duckdb ms':>10s} {'trino ms':>10s} {'ratio':>7s}")
        ratios = []
        for name, sql in QUERIES.items():
            res = {}
            for label, fn in (("duckdb", direct), ("trino", trino)):
                fn(sql)  # warm
                times = []
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    rows = fn(sql)
                    times.append(time.perf_counter() - t)
                res[label] = (statistics.median(times), len(rows))
            assert res["duckdb"][1] == res["trino"][1], name
            ratio = res["trino"][0] / res["duckdb"][0]
            ratios.append(ratio)
            print(f"{name:22s} {res['duckdb'][1]:6d} {res['duckdb'][0] * 1000:10.1f} {res['trino'][0] * 1000:10.1f} {ratio:7.2f}")
        rss_after = rss_mb(server.proc.pid)
        g = statistics.geometric_mean(ratios)
        print(f"geometric mean ratio {g:.2f} (range {min(ratios):.2f}-{max(ratios):.2f}); RSS after the queries {rss_after:.0f} MB")
        emit(
            "trino_endpoint",
            f"{len(ratios)} gold queries on {args.rows:,} rows, real Trino 476 vs DuckDB directly, ratio of medians "
            f"(range {min(ratios):.2f}–{max(ratios):.2f}); start-up {started:.1f} s, RSS {rss_idle:.0f}→{rss_after:.0f} MB",
            g,
            "reported (no goal)",
            None,
            startup_s=round(started, 1),
            rss_mb=round(rss_after),
        )
    finally:
        server.stop()


if __name__ == "__main__":
    main()

"""Benchmark: the embedded Trino endpoint (trino Python client over HTTP) vs DuckDB directly, five gold queries.

Both read the same Delta snapshot (delta-rs → pyarrow dataset, scanned by DuckDB); the endpoint
adds HTTP, Trino → DuckDB translation, JSON pages and the client's decoding. Goal: ≤ 1.5×.

    .venv/bin/python bench/trino_endpoint.py [--rows 200000] [--repeat 5]
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
    write_deltalake(str(root / "gold" / "entity_profile"), pa.table({
        "uscc": pa.array([f"91440604MA{i:08d}" for i in range(n)]),
        "entity_name": pa.array([f"佛山市企业{i}" for i in range(n)]),
        "enterprise_type": pa.array(rng.choice(["1100", "1200", "2100", "4000", "9100"], n)),
        "registered_capital": pa.array([decimal.Decimal(int(v)) / 100 for v in rng.integers(0, 10**10, n)], pa.decimal128(18, 2)),
        "district_code": pa.array(rng.choice(districts, n)),
        "establishment_date": pa.array((base + days).astype("datetime64[D]")),
        "penalties_count_all": pa.array(rng.poisson(1.0, n), pa.int64()),
        "penalties_count_365d": pa.array(rng.poisson(0.5, n), pa.int64()),
        "as_of": pa.array([dt.date(2026, 1, 3)] * n),
    }), partition_by=["as_of"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    import duckdb
    import trino
    from deltalake import DeltaTable

    from lakehouse.serving.settings import TrinoSettings, TrinoUser
    from lakehouse.serving.trino.server import TrinoEndpoint
    from lakehouse.serving.trino.sql import parse

    root = Path(tempfile.mkdtemp(prefix="bench_trino_"))
    make_table(root, args.rows)
    ep = TrinoEndpoint(TrinoSettings(users=[TrinoUser(name="bench")]), str(root))
    host, port = ep.start("127.0.0.1", 0)
    cur = trino.dbapi.connect(host=host, port=port, user="bench", catalog="regulake", schema="gold").cursor()

    con = duckdb.connect()
    con.register("entity_profile", DeltaTable(str(root / "gold" / "entity_profile")).to_pyarrow_dataset())

    def direct(sql):
        import sqlglot

        return con.sql(sqlglot.transpile(sql, read="trino", write="duckdb")[0]).fetchall()

    def endpoint(sql):
        cur.execute(sql)
        return cur.fetchall()

    print(f"{args.rows} rows, best of {args.repeat}")
    print(f"{'query':22s} {'rows':>6s} {'duckdb ms':>10s} {'endpoint ms':>12s} {'ratio':>6s}")
    ratios = []
    for name, sql in QUERIES.items():
        parse(sql)
        res = {}
        for label, fn in (("duckdb", direct), ("endpoint", endpoint)):
            fn(sql)  # warm
            times = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                rows = fn(sql)
                times.append(time.perf_counter() - t)
            res[label] = (min(times), len(rows))
        ratio = res["endpoint"][0] / res["duckdb"][0]
        ratios.append(ratio)
        print(f"{name:22s} {res['duckdb'][1]:6d} {res['duckdb'][0] * 1000:10.1f} {res['endpoint'][0] * 1000:12.1f} {ratio:6.2f}")
    print(f"geometric mean ratio {statistics.geometric_mean(ratios):.2f} (goal <= 1.5)")
    g = statistics.geometric_mean(ratios)
    emit("trino_endpoint", f"{len(ratios)} gold queries on {args.rows:,} rows, endpoint vs DuckDB directly (range {min(ratios):.2f}–{max(ratios):.2f})",
         g, "≤ 1.5× (geometric mean)", g <= 1.5)
    ep.stop()


if __name__ == "__main__":
    main()

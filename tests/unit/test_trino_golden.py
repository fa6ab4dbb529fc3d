"""The golden set: Trino-dialect queries and the results Trino defines, run through the endpoint's engine."""
from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path

import pytest
import yaml

from lakehouse.serving.trino.engine import Engine, Session, encode_batch, result_columns
from lakehouse.serving.trino.errors import TrinoError
from lakehouse.serving.trino.metadata import WarehouseCatalog

GOLDEN = yaml.safe_load((Path(__file__).resolve().parents[1] / "golden" / "trino" / "queries.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    import pyarrow as pa
    from deltalake import write_deltalake

    root = tmp_path_factory.mktemp("golden")
    xs = list(range(1, 11))
    write_deltalake(str(root / "gold" / "t"), pa.table({
        "x": pa.array(xs, pa.int64()),
        "d": pa.array([decimal.Decimal(x) * decimal.Decimal("1.25") for x in xs], pa.decimal128(10, 2)),
        "s": pa.array([f"v{x}" for x in xs]),
        "dt": pa.array([dt.date(2024, 1, x) for x in xs]),
    }))
    return Engine(WarehouseCatalog(str(root), "regulake", ["gold"]))


def run(engine, sql):
    plan = engine.plan(sql, Session(user="t", catalog="regulake", schema="gold"))
    cur, rel = engine.open(plan)
    try:
        columns, encoders = result_columns(rel)
        rows = []
        for batch in rel.fetch_arrow_reader(1000):
            rows += encode_batch(batch, encoders)
        return [c["type"] for c in columns], rows
    finally:
        cur.close()


@pytest.mark.parametrize("case", GOLDEN, ids=[c["sql"][:60] for c in GOLDEN])
def test_golden(engine, case):
    if "error" in case:
        with pytest.raises(Exception) as info:
            run(engine, case["sql"])
        err = info.value
        if not isinstance(err, TrinoError):
            from lakehouse.serving.trino.engine import map_duckdb_error

            err = map_duckdb_error(err)
        assert err.name == case["error"], err.message
        return
    types, rows = run(engine, case["sql"])
    if "types" in case:
        assert types == case["types"]
    assert rows == case["rows"]


def test_golden_set_size():
    assert 30 <= len(GOLDEN) <= 60

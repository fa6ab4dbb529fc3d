"""The golden set: each query's result on the real Trino equals the one recorded from it.

Record again with  REGULAKE_RECORD_GOLDEN=1 python -m pytest tests/integration/test_trino_golden.py
(it rewrites tests/golden/trino/queries.yaml with what this Trino answers).
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

GOLDEN_FILE = Path(__file__).resolve().parents[1] / "golden" / "trino" / "queries.yaml"
RECORD = os.environ.get("REGULAKE_RECORD_GOLDEN") == "1"


def plain(value):
    """A result value in its YAML form: decimals, dates and times as strings."""
    if isinstance(value, (Decimal, dt.date, dt.datetime, dt.time)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return value.hex()
    return value


def run(cur, sql: str) -> dict:
    from trino.exceptions import TrinoQueryError

    try:
        cur.execute(sql)
        rows = cur.fetchall()
    except TrinoQueryError as e:
        return {"error": e.error_name}
    return {"types": [d[1] for d in cur.description], "rows": plain(rows)}


def test_golden_set(trino_cursor):
    text = GOLDEN_FILE.read_text(encoding="utf-8")
    cases = yaml.safe_load(text)
    assert 40 <= len(cases) <= 80
    got = [{"sql": c["sql"], **run(trino_cursor, c["sql"])} for c in cases]
    if RECORD:
        header = "".join(line + "\n" for line in text.splitlines() if line.startswith("#"))
        GOLDEN_FILE.write_text(
            header + yaml.safe_dump(got, allow_unicode=True, sort_keys=False, width=200, default_flow_style=None), encoding="utf-8"
        )
        pytest.skip(f"recorded {len(got)} results into {GOLDEN_FILE}")
    missing = [c["sql"] for c in cases if "rows" not in c and "error" not in c]
    assert not missing, f"not recorded yet (REGULAKE_RECORD_GOLDEN=1): {missing}"
    for case, result in zip(cases, got):
        assert in_order(result, case["sql"]) == in_order(case, case["sql"]), case["sql"]


def in_order(result: dict, sql: str) -> dict:
    """Without ORDER BY, SQL promises no row order (Trino's splits finish in any order): compare such rows as a multiset."""
    if "rows" not in result or "order by" in sql.lower():
        return result
    return {**result, "rows": sorted(result["rows"], key=repr)}

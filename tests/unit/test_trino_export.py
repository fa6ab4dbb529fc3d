"""regulake trino export: catalog properties per metastore and register_table calls with comments."""
from __future__ import annotations

import pytest


@pytest.fixture
def warehouse(tmp_path):
    import pyarrow as pa
    from deltalake import write_deltalake

    write_deltalake(str(tmp_path / "gold" / "entity_profile"), pa.table({"uscc": ["a"], "penalties_count_all": [1], "as_of": ["2026-01-03"]}))
    return tmp_path


@pytest.mark.parametrize("metastore,expect", [("thrift", "hive.metastore.uri=thrift://hms:9083"),
                                              ("glue", "hive.metastore.glue.region=cn-north-1"),
                                              ("file", "hive.metastore.catalog.dir=file://")])
def test_export(warehouse, tmp_path, metastore, expect):
    from lakehouse.serving.export import export
    from lakehouse.serving.settings import TrinoClusterSettings, TrinoSettings

    settings = TrinoSettings(cluster=TrinoClusterSettings(metastore=metastore, metastore_uri="thrift://hms:9083", glue_region="cn-north-1"))
    res = export(settings, str(warehouse), tmp_path / "out")
    props = res.properties_file.read_text()
    assert "connector.name=delta_lake" in props and f"hive.metastore={metastore}" in props and expect in props
    assert "delta.register-table-procedure.enabled=true" in props
    sql = res.sql_file.read_text()
    assert res.tables == ["gold.entity_profile"]
    assert (f"CALL \"regulake\".system.register_table(schema_name => 'gold', table_name => 'entity_profile', "
            f"table_location => 'file://{warehouse}/gold/entity_profile');") in sql
    assert "COMMENT ON TABLE \"regulake\".\"gold\".\"entity_profile\" IS '一户一档" in sql
    assert "COMMENT ON COLUMN \"regulake\".\"gold\".\"entity_profile\".\"uscc\" IS '统一社会信用代码 / unified social credit code" in sql


def test_settings_validation():
    from pydantic import ValidationError

    from lakehouse.serving.settings import TrinoSettings, TrinoUser, hash_password, verify_password

    assert TrinoSettings().schemas == ["gold"]
    with pytest.raises(ValidationError):
        TrinoSettings(schemas=["bronze"])
    with pytest.raises(ValidationError):
        TrinoSettings(unknown=1)
    with pytest.raises(ValidationError):
        TrinoUser(name="a", password_hash="plain")
    h = hash_password("pw", 1000)
    assert verify_password("pw", h) and not verify_password("no", h)

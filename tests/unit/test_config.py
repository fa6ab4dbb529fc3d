"""Configuration: layering, environment overrides and clear errors."""

from pathlib import Path

import pytest
import yaml

from lakehouse.config import load_config
from lakehouse.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def write_conf(tmp_path, base: str, local: str = "") -> Path:
    (tmp_path / "base.yaml").write_text(base, encoding="utf-8")
    (tmp_path / "local.yaml").write_text(local, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("env", ["local", "test", "cluster.example"])
def test_shipped_environments_load(env):
    cfg = load_config(env, conf_dir=REPO / "conf", environ={})
    assert cfg.env == env
    assert cfg.warehouse.audit_retention_days >= 365


def test_env_file_overrides_base_and_paths_become_absolute(tmp_path):
    conf = write_conf(tmp_path, "spark:\n  shuffle_partitions: 8\nwarehouse:\n  root: ./wh\n", "spark:\n  shuffle_partitions: 3\n")
    cfg = load_config("local", conf_dir=conf, environ={})
    assert cfg.spark.shuffle_partitions == 3
    assert Path(cfg.warehouse.root).is_absolute() and cfg.warehouse.root.endswith("/wh")


def test_a_relative_sqlite_tracking_store_becomes_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    conf = write_conf(tmp_path, "risk:\n  mlflow:\n    tracking_uri: sqlite:///./mlruns/mlflow.db\n")
    assert load_config("local", conf_dir=conf, environ={}).risk.mlflow.tracking_uri == f"sqlite:///{tmp_path}/mlruns/mlflow.db"
    (tmp_path / "s").mkdir()
    server = write_conf(tmp_path / "s", "risk:\n  mlflow:\n    tracking_uri: http://mlflow:5000\n")
    assert load_config("local", conf_dir=server, environ={}).risk.mlflow.tracking_uri == "http://mlflow:5000"


def test_environment_variables_override_files(tmp_path):
    conf = write_conf(tmp_path, "spark:\n  master: local[*]\n")
    cfg = load_config(
        "local", conf_dir=conf, environ={"REGULAKE__SPARK__MASTER": "spark://h:7077", "REGULAKE__SPARK__SHUFFLE_PARTITIONS": "64"}
    )
    assert cfg.spark.master == "spark://h:7077"
    assert cfg.spark.shuffle_partitions == 64


def test_object_store_root_passes_through(tmp_path):
    conf = write_conf(tmp_path, "warehouse:\n  root: s3://bucket/wh\n")
    assert load_config("local", conf_dir=conf, environ={}).warehouse.root == "s3://bucket/wh"


def test_unknown_key_names_file_key_and_allowed_keys(tmp_path):
    conf = write_conf(tmp_path, "spark:\n  master: local[2]\n", "spark:\n  mastr: local[2]\n")
    with pytest.raises(ConfigError) as err:
        load_config("local", conf_dir=conf, environ={})
    msg = str(err.value)
    assert "local.yaml" in msg and "spark.mastr" in msg and "master" in msg and "shuffle_partitions" in msg


def test_bad_value_names_key_and_rule(tmp_path):
    conf = write_conf(tmp_path, "spark:\n  master: localhost\n")
    with pytest.raises(ConfigError) as err:
        load_config("local", conf_dir=conf, environ={})
    assert "spark.master" in str(err.value) and "spark://HOST:PORT" in str(err.value) and "base.yaml" in str(err.value)


def test_bad_value_from_environment_names_the_variable(tmp_path):
    conf = write_conf(tmp_path, "")
    with pytest.raises(ConfigError) as err:
        load_config("local", conf_dir=conf, environ={"REGULAKE__SPARK__SHUFFLE_PARTITIONS": "zero"})
    assert "REGULAKE__SPARK__SHUFFLE_PARTITIONS" in str(err.value)


def test_unknown_environment_lists_choices(tmp_path):
    conf = write_conf(tmp_path, "")
    with pytest.raises(ConfigError) as err:
        load_config("prod", conf_dir=conf, environ={})
    assert "prod" in str(err.value) and "local" in str(err.value)


def test_invalid_yaml_is_reported(tmp_path):
    conf = write_conf(tmp_path, "spark: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config("local", conf_dir=conf, environ={})


def test_the_demo_hmac_key_is_refused_outside_local_and_test(tmp_path):
    import shutil

    for name in ("base.yaml", "local.yaml", "test.yaml", "cluster.example.yaml"):
        shutil.copy(REPO / "conf" / name, tmp_path / name)
    demo = yaml.safe_load((REPO / "conf" / "local.yaml").read_text(encoding="utf-8"))["privacy"]["hmac_key"]
    assert load_config("local", conf_dir=tmp_path, environ={}).privacy.hmac_key == demo  # fine on a laptop
    for environ in ({"REGULAKE_HMAC_KEY": demo}, {"REGULAKE__PRIVACY__HMAC_KEY": demo}):
        with pytest.raises(
            ConfigError, match=r"environment 'cluster.example' uses the demo HMAC key of conf/local.yaml.*REGULAKE_HMAC_KEY"
        ):
            load_config("cluster.example", conf_dir=tmp_path, environ=environ)
    cfg = load_config("cluster.example", conf_dir=tmp_path, environ={"REGULAKE_HMAC_KEY": "a-secret-of-this-deployment-only"})
    assert cfg.env == "cluster.example"


def test_the_default_api_settings_pass_their_own_validation():
    from lakehouse.config.api import ApiSettings

    # pydantic does not validate defaults: a default the validators refuse would only show up when copied
    default = ApiSettings()
    assert set(ApiSettings.model_validate(default.model_dump()).plan_fields) == set(default.plan_fields)


def test_inspection_records_refuse_several_api_workers(tmp_path):
    conf = write_conf(tmp_path, "serving:\n  api:\n    workers: 4\n")
    with pytest.raises(ConfigError, match="serving.api.workers is 4.*one in-process lock"):
        load_config("local", conf_dir=conf, environ={})
    conf = write_conf(tmp_path, "serving:\n  api:\n    workers: 4\n  inspections:\n    enabled: false\n")
    assert load_config("local", conf_dir=conf, environ={}).serving.api.workers == 4

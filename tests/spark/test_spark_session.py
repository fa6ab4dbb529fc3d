"""The one session factory: settings from configuration, loopback, timestamps that carry stats."""
from lakehouse.spark import java_version, spark_conf


def test_session_has_small_machine_settings(spark, test_config):
    conf = spark.sparkContext.getConf()
    assert spark.conf.get("spark.sql.shuffle.partitions") == str(test_config.spark.shuffle_partitions)
    assert conf.get("spark.driver.host") == "127.0.0.1"
    assert conf.get("spark.ui.enabled") == "false"
    assert spark.conf.get("spark.sql.parquet.outputTimestampType") == "TIMESTAMP_MICROS"
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    assert java_version() >= 17


def test_cluster_settings_come_from_configuration():
    from lakehouse.config import load_config

    cfg = load_config("cluster.example", environ={})
    conf = spark_conf(cfg)
    assert conf["spark.master"].startswith("spark://")
    assert "spark.driver.host" not in conf
    assert conf["spark.executor.memory"] == "16g" and conf["spark.executor.cores"] == "4"

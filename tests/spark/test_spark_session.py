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
    assert "spark.sql.sources.parallelPartitionDiscovery.threshold" not in conf  # object stores keep Spark's listing job


def test_results_collected_by_the_driver_may_use_its_memory():
    """Training collects ~1 GB of labelled rows at SF 1: over Spark's 1 GB default, within the driver's memory."""
    from lakehouse.config import load_config

    cfg = load_config(environ={"REGULAKE__SPARK__DRIVER_MEMORY": "8g"})
    assert spark_conf(cfg)["spark.driver.maxResultSize"] == "8g"
    cfg = load_config(environ={"REGULAKE__SPARK__DRIVER_MEMORY": "8g", "REGULAKE__SPARK__CONF": '{"spark.driver.maxResultSize": "2g"}'})
    assert spark_conf(cfg)["spark.driver.maxResultSize"] == "2g"  # an explicit setting wins


def test_local_reads_list_their_files_in_the_driver(spark, tmp_path):
    """A read names every Delta file; beyond 32 paths Spark would start a listing job (~2 s per table here)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    paths = []
    for i in range(40):
        pq.write_table(pa.table({"x": [i]}), tmp_path / f"part-{i}.parquet")
        paths.append(str(tmp_path / f"part-{i}.parquet"))
    sc = spark.sparkContext
    key = "spark.sql.sources.parallelPartitionDiscovery.threshold"
    default = spark.conf.get(key)
    try:
        jobs = {}
        for name, threshold in [("driver", default), ("spark", "32")]:
            spark.conf.set(key, threshold)
            sc.setJobGroup(f"listing-{name}", "listing")
            spark.read.schema("x long").parquet(*paths)
            jobs[name] = sc.statusTracker().getJobIdsForGroup(f"listing-{name}")
    finally:
        spark.conf.set(key, default)
        sc.setJobGroup(None, None)
    assert int(default) >= 1000
    assert jobs["driver"] == [] and jobs["spark"]

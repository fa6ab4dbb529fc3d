"""The one Spark session factory. Jobs and tests never build their own session.

Example::

    >>> from lakehouse.config import load_config
    >>> from lakehouse.spark import get_spark
    >>> spark = get_spark(load_config("local"))   # doctest: +SKIP
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from lakehouse.errors import RegulakeError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakehouse.config import RegulakeConfig

MIN_JAVA = 17
LOCAL_LISTING_THRESHOLD = 1_000_000
SCALA_BINARY = "2.13"
# Where `make install` (scripts/fetch_jvm.sh) puts the jars of jvm/spark/pom.xml.
DEFAULT_JARS_DIR = Path(__file__).resolve().parent.parent / ".jvm" / "spark-jars"
DELTA_JAR = re.compile(r"^delta-spark_(?:(?P<spark>\d+\.\d+)_)?(?P<scala>\d+\.\d+)-(?P<version>[\w.\-]+)\.jar$")

# Settings every regulake session needs, whatever the conf says.
REQUIRED_CONF = {
    # Timestamps as INT64 micros so per-file min/max stats exist (INT96 has none).
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    # Delta's log, not a _SUCCESS marker, says which files a write committed.
    "spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs": "false",
    "spark.hadoop.mapreduce.fileoutputcommitter.algorithm.version": "2",
}

# Delta Lake's own Spark integration: SQL (MERGE INTO, OPTIMIZE, DESCRIBE HISTORY, RESTORE, VACUUM) and
# the catalog that knows Delta tables.
DELTA_CONF = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
}


def java_version() -> int | None:
    """Major version of the ``java`` on PATH (or under JAVA_HOME), None when absent."""
    java = os.path.join(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else shutil.which("java")
    if not java or not os.path.exists(java):
        return None
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not m:
        return None
    major = int(m.group(1))
    return int(m.group(2)) if major == 1 and m.group(2) else major


def check_java() -> None:
    v = java_version()
    if v is None or v < MIN_JAVA:
        found = "no java found" if v is None else f"found Java {v}"
        raise RegulakeError(
            f"Spark 4 needs Java {MIN_JAVA} or newer ({found}). Install it, e.g. "
            "'apt-get install openjdk-17-jre-headless' on Debian/Ubuntu or 'brew install openjdk@17' on macOS, "
            "then set JAVA_HOME or put java on PATH."
        )


def jars_dir(cfg: RegulakeConfig) -> Path:
    """The folder of the session's JVM jars: ``spark.jars_dir``, else ``REGULAKE_JARS_DIR``, else ``.jvm/spark-jars``."""
    configured = cfg.spark.jars_dir or os.environ.get("REGULAKE_JARS_DIR")
    return Path(configured).expanduser().resolve() if configured else DEFAULT_JARS_DIR


def delta_jars(cfg: RegulakeConfig) -> tuple[list[str], str]:
    """The jar files to put on ``spark.jars`` and the Delta Lake version they carry.

    Fails with one message when the folder is missing or its delta-spark jar was built for
    another Spark or Scala version than the PySpark installed.
    """
    import pyspark

    folder = jars_dir(cfg)
    fix = "run 'make install' (it fetches jvm/spark/pom.xml with Maven) or set spark.jars_dir"
    jars = sorted(str(p) for p in folder.glob("*.jar")) if folder.is_dir() else []
    found = [m for m in (DELTA_JAR.match(Path(j).name) for j in jars) if m]
    if not found:
        raise RegulakeError(f"no Delta Lake jar (delta-spark_*.jar) in {folder}; {fix}")
    if len(found) > 1:
        raise RegulakeError(f"{folder} holds {len(found)} delta-spark jars ({', '.join(m.string for m in found)}); keep one: {fix}")
    m = found[0]
    spark_minor = ".".join(pyspark.__version__.split(".")[:2])
    built_for = m["spark"] or "the newest Spark of its release"
    if m["scala"] != SCALA_BINARY or (m["spark"] is not None and m["spark"] != spark_minor) or m["spark"] is None:
        raise RegulakeError(
            f"{folder}/{m.string} is Delta Lake {m['version']} for Spark {built_for} / Scala {m['scala']}, but this PySpark "
            f"is {pyspark.__version__} (Scala {SCALA_BINARY}): the jar must be delta-spark_{spark_minor}_{SCALA_BINARY}; {fix}"
        )
    return jars, m["version"]


def delta_version(spark: SparkSession) -> str:
    """The Delta Lake version the running session loaded (``io.delta.VERSION``, from its JVM)."""
    try:
        return str(spark.sparkContext._jvm.io.delta.package.VERSION())
    except Exception as exc:  # noqa: BLE001 - py4j wraps the JVM's error
        raise RegulakeError(f"this Spark session has no Delta Lake classes ({exc}); start it with lakehouse.spark.get_spark") from exc


def spark_conf(cfg: RegulakeConfig) -> dict[str, str]:
    """All Spark settings for a config, as strings (also used for spark-submit)."""
    s = cfg.spark
    conf: dict[str, str] = {
        "spark.app.name": s.app_name,
        "spark.master": s.master,
        "spark.driver.memory": s.driver_memory,
        "spark.sql.shuffle.partitions": str(s.shuffle_partitions),
        "spark.ui.enabled": str(s.ui_enabled).lower(),
        "spark.ui.showConsoleProgress": str(s.show_progress).lower(),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        # A barrier task waiting for a peer that died fails after this, not after a year (the default).
        "spark.barrier.sync.timeout": "120s",
        # Training collects its labelled rows (rows x ~1,300 factors: ~1 GB at SF 1, over Spark's 1 GB
        # default); the driver's memory is the real bound.
        "spark.driver.maxResultSize": s.driver_memory,
        # Rows are handed to Python workers (mapInArrow) in batches of maxRecordsPerBatch (10,000). Under
        # a byte limit Spark measures the batch after every row, and for a list column that costs time
        # in the batch's length: the factor pivot's input moved ~100k rows/s per core. Int.MaxValue turns
        # the measuring off.
        "spark.sql.execution.arrow.maxBytesPerBatch": str(2**31 - 1),
    }
    if s.master.startswith("local"):
        # Delta rebuilds a table's state from its log in this many tasks (default 50: on one machine
        # a 50-task stage for every new snapshot of every table was most of a small write's time).
        conf["spark.databricks.delta.snapshotPartitions"] = "2"
        conf["spark.sql.sources.parallelPartitionDiscovery.parallelism"] = "8"
        # Reads name each Delta file: on a local disk the driver lists thousands in milliseconds, where
        # Spark's parallel listing job (beyond 32 paths) spent ~2 s per table (object stores keep the job).
        conf["spark.sql.sources.parallelPartitionDiscovery.threshold"] = str(LOCAL_LISTING_THRESHOLD)
    if s.executor_memory:
        conf["spark.executor.memory"] = s.executor_memory
    if s.local_dir:
        conf["spark.local.dir"] = s.local_dir
    if s.bind_loopback:
        conf["spark.driver.host"] = "127.0.0.1"
        conf["spark.driver.bindAddress"] = "127.0.0.1"
    conf.update({k: str(v) for k, v in s.conf.items()})
    conf.update(REQUIRED_CONF)
    jars, _ = delta_jars(cfg)
    extra = [j for j in conf.get("spark.jars", "").split(",") if j.strip()]  # e.g. hadoop-aws for s3a, from spark.conf
    conf["spark.jars"] = ",".join(jars + [j for j in extra if j not in jars])
    conf.update(DELTA_CONF)
    return conf


def submitted_conf() -> dict[str, str]:
    """Settings spark-submit gave the driver JVM (``--master``, ``--conf``, spark-defaults.conf).

    Empty unless this process was started by spark-submit, which hands a Python application an
    already running JVM through ``PYSPARK_GATEWAY_PORT``. Without this, the builder would
    replace spark-submit's ``--master`` by the configuration's, and a job submitted to a cluster
    would silently run in local mode.
    """
    if not os.environ.get("PYSPARK_GATEWAY_PORT"):
        return {}
    from pyspark import SparkConf, SparkContext

    SparkContext._ensure_initialized()  # connect to spark-submit's JVM: SparkConf() then reads its system properties
    return dict(SparkConf().getAll())


def get_spark(cfg: RegulakeConfig) -> SparkSession:
    """Return the process's Spark session, creating it from ``cfg`` on first use."""
    check_java()
    if cfg.spark.bind_loopback:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # Executors' Python must be the driver's (the venv), also on a standalone cluster on this host.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)

    from pyspark.sql import SparkSession

    submitted = submitted_conf()
    builder = SparkSession.builder
    for key, value in spark_conf(cfg).items():
        if key in submitted and key not in REQUIRED_CONF:
            continue  # spark-submit's --master/--conf win over the configuration
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(cfg.spark.log_level)
    if submitted:
        try:
            delta_version(spark)  # through py4j's class loading, which sees what --jars added
        except RegulakeError:
            raise RegulakeError(
                "spark-submit started the driver without Delta Lake's jars on its classpath; pass them with "
                "--jars (regulake spark-settings prints the line: --jars " + spark_conf(cfg)["spark.jars"] + ")"
            ) from None
    return spark

"""Runs in its own process: a Delta write whose first task writes its file and whose second hangs, until killed."""

import sys

from lakehouse.config import load_config
from lakehouse.spark import get_spark
from lakehouse.tables import Tables
from tests.spark.helpers import frame


def main(warehouse: str, gate: str) -> None:
    cfg = load_config("test", overrides={"warehouse.root": warehouse}, environ={})
    spark = get_spark(cfg)
    tables = Tables.from_config(cfg, spark)
    from pyspark.sql import functions as F

    def hang_in_second(pid, name):
        import os
        import time

        if pid == 1:
            open(os.path.join(gate, "started"), "w").close()
            time.sleep(600)
        return name

    df = frame(spark, 30, start=1000, tag="crash").repartition(2, "id")
    df = df.withColumn("name", F.udf(hang_in_second, "string")(F.spark_partition_id(), F.col("name")))
    tables.write("silver.crash", df, partition_by=["district"])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

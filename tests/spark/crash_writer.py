"""Runs in its own process: writes a batch with Spark, then hangs before the commit until killed."""
import sys
import time
from pathlib import Path

from lakehouse.config import load_config
from lakehouse.spark import get_spark
from lakehouse.tables import Tables

from tests.spark.helpers import frame


def main(warehouse: str, marker: str) -> None:
    cfg = load_config("test", overrides={"warehouse.root": warehouse}, environ={})
    spark = get_spark(cfg)
    tables = Tables.from_config(cfg, spark)

    def hang():
        Path(marker).write_text("files written")
        time.sleep(600)

    tables.write("silver.crash", frame(spark, 30, start=1000, tag="crash"), partition_by=["district"], before_commit=hang)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

"""A committer process for the race test: N blind appends of 3 rows each, through delta-spark or delta-rs."""

import json
import sys

from lakehouse.config import load_config
from lakehouse.tables import Tables


def main(warehouse: str, worker: str, engine: str, n: int) -> None:
    import pyarrow as pa

    cfg = load_config("test", overrides={"warehouse.root": warehouse}, environ={})
    spark = None
    if engine == "spark":
        from lakehouse.spark import get_spark

        spark = get_spark(cfg)
    tables = Tables.from_config(cfg, spark)
    versions = []
    for i in range(n):
        data = pa.table({"worker": [worker] * 3, "seq": pa.array([i * 10 + j for j in range(3)], pa.int64())})
        df = spark.createDataFrame(data.to_pandas()) if spark is not None else data
        versions.append(tables.write("bronze.race", df).version)
    print(json.dumps(versions))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))

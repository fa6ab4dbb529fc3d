"""Small helpers shared by the Spark tests."""

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

SCHEMA = "id long, name string, district string, amount decimal(12,2), ts timestamp, day date"
DISTRICTS = ["440604", "440605", "440606"]


def rows(n: int, start: int = 0, tag: str = "v1"):
    return [
        (
            i,
            f"{tag}-企业{i}",
            DISTRICTS[i % 3],
            Decimal(f"{i}.50"),
            dt.datetime(2024, 1, 1, 8, 0, 0) + dt.timedelta(hours=i),
            dt.date(2024, 1, 1) + dt.timedelta(days=i % 5),
        )
        for i in range(start, start + n)
    ]


def frame(spark, n: int, start: int = 0, tag: str = "v1"):
    return spark.createDataFrame(rows(n, start, tag), SCHEMA)


def log_actions(table_root: str, version: int) -> list[dict]:
    text = (Path(table_root) / "_delta_log" / f"{version:020d}.json").read_text()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def data_files_on_disk(table_root: str) -> set[str]:
    root = Path(table_root)
    return {
        str(p.relative_to(root))
        for p in root.rglob("*.parquet")
        if not any(part.startswith((".", "_")) for part in p.relative_to(root).parts)
    }


def normalise(value):
    """Spark and Arrow values agree after this: naive UTC datetimes; structs and maps as sorted pairs."""
    from pyspark.sql import Row

    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    if isinstance(value, Row):
        value = value.asDict()
    if isinstance(value, dict):
        return sorted(((k, normalise(v)) for k, v in value.items()), key=repr)
    if isinstance(value, list):
        if value and all(isinstance(v, tuple) and len(v) == 2 and not isinstance(v, Row) for v in value):
            return sorted(((k, normalise(v)) for k, v in value), key=repr)  # an Arrow map
        return [normalise(v) for v in value]
    return value


def sorted_rows(records):
    return sorted((tuple(normalise(v) for v in r) for r in records), key=repr)


def gated(df, gate_dir: str, column: str = "name"):
    """``df`` whose tasks stop at ``column`` until ``<gate_dir>/go`` exists, after writing ``<gate_dir>/started``.

    Lets a test commit something else while a Delta write or merge is between reading its
    snapshot and committing (a real race, not a hook).
    """
    from pyspark.sql import functions as F

    def wait(value):
        import os
        import time

        open(os.path.join(gate_dir, "started"), "w").close()
        deadline = time.time() + 120
        while not os.path.exists(os.path.join(gate_dir, "go")) and time.time() < deadline:
            time.sleep(0.05)
        return value

    return df.withColumn(column, F.udf(wait, "string")(F.col(column)))


def run_gated(gate_dir, during, action):
    """Run ``action()`` in a thread; once its tasks reached the gate run ``during()``, open the gate,
    and return what ``action`` returned or raise what it raised."""
    import os
    import threading
    import time

    out: dict = {}

    def target():
        try:
            out["value"] = action()
        except BaseException as exc:  # handed to the caller
            out["error"] = exc

    t = threading.Thread(target=target)
    t.start()
    deadline = time.time() + 120
    while not os.path.exists(os.path.join(gate_dir, "started")):
        assert t.is_alive() and time.time() < deadline, out.get("error") or "the gated action never reached its tasks"
        time.sleep(0.05)
    try:
        during()
    finally:
        open(os.path.join(gate_dir, "go"), "w").close()
        t.join(timeout=300)
    if "error" in out:
        raise out["error"]
    return out.get("value")

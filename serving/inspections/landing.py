"""Final records as a landing batch of catalog SCJG-005 (双随机抽查检查结果信息).

The market-supervision department's delivery, made from the sealed records: one CSV (UTF-8, the
catalog's source column names) and a ``_manifest.json`` in ``<landing>/SCJG/SCJG-005/<batch date>/``,
so ``regulake run bronze`` / ``silver`` ingest it like any department's delivery and the next
training sees the results as labels (the random share, mode 1, as before). A task's correction
lands in a later batch with a later update time and supersedes the earlier result in silver.
Each record lands once: ``audit.inspection_landings`` lists what was delivered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from lakehouse.errors import RegulakeError
from serving.inspections import store

if TYPE_CHECKING:
    from lakehouse.config.inspections import InspectionSettings
    from lakehouse.tables import Tables

CATALOG = "SCJG-005"
CHINA = dt.timezone(dt.timedelta(hours=8))
LANDED = pa.schema(
    [
        ("record_id", pa.string()),
        ("task_id", pa.string()),
        ("batch_date", pa.date32()),
        ("path", pa.string()),
        ("file_sha256", pa.string()),
        ("at", pa.timestamp("us")),
    ]
)


@dataclass
class Delivery:
    batch_date: dt.date
    path: Path | None
    rows: int
    problems: int


def deliver(
    tables: Tables, settings: InspectionSettings, landing_root: str, batch_date: dt.date | None = None, plan_id: str | None = None
) -> Delivery:
    """Write every sealed record not delivered yet (the latest of each task) as a new SCJG-005 file."""
    from catalog import load_catalog
    from lakehouse.landing.writers import add_increment_file, render

    batch = batch_date or dt.datetime.now(CHINA).date()
    name = settings.tables.landed
    done = set() if not tables.exists(name) else set(tables.read_arrow(name, columns=["record_id"]).column("record_id").to_pylist())
    new = [s for s in store.sealed_records(tables, settings.tables.records, plan_id) if s.record_id not in done]
    latest = list(store.latest_per_task(new).values())
    if not latest:
        return Delivery(batch, None, 0, 0)
    latest.sort(key=lambda s: (s.record["plan_id"], s.task_id, s.uscc))
    cat = load_catalog().catalogs[CATALOG]
    values = {
        "task_id": [s.task_id for s in latest],
        "uscc": [s.record["uscc"] for s in latest],
        "entity_name": [s.record["entity_name"] for s in latest],
        "inspection_mode": [s.record["inspection_mode"] for s in latest],
        "inspection_item": [s.record["inspection_item"] for s in latest],
        "inspection_date": [s.record["inspection_date"] for s in latest],
        "inspection_result": [s.record["result"] for s in latest],
        "authority": [s.record["authority"] for s in latest],
        "update_time": [s.sealed_at.replace(tzinfo=dt.timezone.utc).astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S") for s in latest],
    }
    missing = [f.name for f in cat.fields if f.name not in values]
    if missing:
        raise RegulakeError(
            f"catalog {CATALOG} has fields {missing} that the record delivery does not fill; update serving/inspections/landing.py"
        )
    header = [f.source_name for f in cat.fields]
    data = render(cat.format, header, [pa.array(values[f.name], pa.string()) for f in cat.fields])
    folder = Path(landing_root) / cat.department / CATALOG / batch.isoformat()
    n = 1
    while (folder / f"records-{n:04d}.csv").exists():
        n += 1
    fname = f"records-{n:04d}.csv"
    add_increment_file(folder, cat, batch.isoformat(), fname, data, header, len(latest))
    digest = hashlib.sha256(data).hexdigest()
    at = store.now()
    # every sealed record of the batch counts as delivered (superseded ones too: their correction stands for them)
    store.append(
        tables,
        name,
        LANDED,
        [
            {
                "record_id": s.record_id,
                "task_id": s.task_id,
                "batch_date": batch,
                "path": str(folder / fname),
                "file_sha256": digest,
                "at": at,
            }
            for s in new
        ],
    )
    return Delivery(batch, folder / fname, len(latest), sum(1 for s in latest if s.record["result"] != "1"))

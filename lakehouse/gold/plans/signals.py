"""Risk signals beside the model that raise an entity's priority for the targeted share.

Two signals come from the analyses of issue 7:

``complaint_hotspot``     the entity had complaints in the newest complaint period (up to the
                          register's date) of a district × industry pair whose complaint rate is
                          well above its baseline (``gold.hotspot_entities``);
``registration_cluster``  the entity belongs to a registration cluster that raised an alert
                          (``gold.registration_clusters`` rows with ``alert``, newest ``as_of`` up
                          to the register's date).

The draw combines them with the model's probability as independent evidence (noisy-or):
``priority = 1 − (1 − p) · Π (1 − weight_s)`` over the signals the entity has, with the weights
of the plan (``signals:``; defaults in the ``plans:`` section). A weight of 0 turns a signal off.
Both tables are read at the versions recorded for the draw, so ``plan verify`` sees the same
signals.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from lakehouse.tables import Tables

HOTSPOT_ENTITIES = "gold.hotspot_entities"
CLUSTER_MEMBERS = "gold.registration_clusters"
TABLES = (HOTSPOT_ENTITIES, CLUSTER_MEMBERS)
SIGNALS = ("complaint_hotspot", "registration_cluster")
COLUMN = {"complaint_hotspot": "hotspot", "registration_cluster": "cluster_alert"}


def period_start(label: str) -> dt.date:
    """First day of a complaint period label: '2025', '2025-Q3' or '2025-07'."""
    year = int(label[:4])
    if "-Q" in label:
        return dt.date(year, 3 * int(label[-1]) - 2, 1)
    if len(label) == 7:
        return dt.date(year, int(label[5:7]), 1)
    return dt.date(year, 1, 1)


def newest_period(tables: Tables, version: int, as_of: dt.date) -> str | None:
    """The newest complaint period of gold.hotspot_entities that started on or before ``as_of``."""
    periods = [p for p in tables.snapshot(HOTSPOT_ENTITIES, version).partition_values("period") if period_start(p) <= as_of]
    return max(periods, key=period_start) if periods else None


def newest_cluster_date(tables: Tables, version: int, as_of: dt.date) -> dt.date | None:
    dates = [dt.date.fromisoformat(d[:10]) for d in tables.snapshot(CLUSTER_MEMBERS, version).partition_values("as_of")]
    dates = [d for d in dates if d <= as_of]
    return max(dates) if dates else None


def read_signals(tables: Tables, versions: dict[str, int], as_of: dt.date) -> tuple[pd.DataFrame, dict]:
    """(uscc, hotspot, cluster_alert) of every entity with a signal, and where they came from."""
    from pyspark.sql import functions as F

    frames, sources = [], {}
    if HOTSPOT_ENTITIES in versions:
        period = newest_period(tables, versions[HOTSPOT_ENTITIES], as_of)
        if period:
            hs = tables.read(
                HOTSPOT_ENTITIES, version=versions[HOTSPOT_ENTITIES], columns=["uscc", "period"], filters=[("period", "=", period)]
            )
            frames.append(hs.where(F.col("uscc").isNotNull()).select("uscc").distinct().toPandas().assign(hotspot=True))
            sources["complaint_hotspot"] = {"table": HOTSPOT_ENTITIES, "period": period}
    if CLUSTER_MEMBERS in versions:
        day = newest_cluster_date(tables, versions[CLUSTER_MEMBERS], as_of)
        if day:
            cl = tables.read(
                CLUSTER_MEMBERS, version=versions[CLUSTER_MEMBERS], columns=["uscc", "alert", "as_of"], filters=[("as_of", "=", day)]
            )
            frames.append(
                cl.where(F.col("alert") & F.col("uscc").isNotNull()).select("uscc").distinct().toPandas().assign(cluster_alert=True)
            )
            sources["registration_cluster"] = {"table": CLUSTER_MEMBERS, "as_of": day.isoformat()}
    out = pd.DataFrame({"uscc": pd.Series([], dtype=object)})
    for f in frames:
        out = out.merge(f, on="uscc", how="outer")
    for c in COLUMN.values():
        out[c] = out[c].eq(True) if c in out else False
    return out[["uscc", *COLUMN.values()]], sources


def with_signals(register: pd.DataFrame, signals: pd.DataFrame) -> pd.DataFrame:
    """The register with boolean ``hotspot`` and ``cluster_alert`` (False where no signal)."""
    reg = register.drop(columns=[c for c in COLUMN.values() if c in register.columns])
    reg = reg.merge(signals, on="uscc", how="left")
    for c in COLUMN.values():
        reg[c] = reg[c].eq(True)
    return reg


def priority(probability, flags: dict[str, pd.Series], weights: dict[str, float]):
    """Noisy-or of the probability and the weighted signals (NaN where the probability is missing)."""
    import numpy as np

    keep = np.ones(len(probability))
    for signal, weight in weights.items():
        if weight:
            keep = keep * np.where(np.asarray(flags[signal], dtype=bool), 1.0 - weight, 1.0)
    return 1.0 - (1.0 - np.asarray(probability, dtype=float)) * keep


def labels(flags: dict[str, pd.Series], weights: dict[str, float]) -> list[str | None]:
    """Comma-joined names of the signals (with a non-zero weight) each entity has; None without."""
    import numpy as np

    on = [s for s in SIGNALS if weights.get(s)]
    cols = [np.asarray(flags[s], dtype=bool) for s in on]
    n = len(cols[0]) if cols else len(next(iter(flags.values()), []))
    out = []
    for i in range(n):
        names = [s for s, c in zip(on, cols) if c[i]]
        out.append(",".join(names) if names else None)
    return out

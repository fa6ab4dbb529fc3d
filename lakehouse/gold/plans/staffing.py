"""Staffing the configured plans: how many inspectors each district needs, and the margin a drawn plan has.

The simulated inspector register (:func:`lakehouse.gold.plans.registers.simulate_inspectors`) is sized
from the plans it must staff, not from the register size alone: a dry run of each configured plan's
entity selection (:func:`lakehouse.gold.plans.draw.select_entities`, a few fixed seeds of its own, never the
plan's) gives the tasks per district and inspection item; a district then gets enough inspectors,
and enough qualified for each item, to give every task ``inspectors_per_task`` of them within the
workload cap, with ``HEADROOM`` for the draw's randomness and for recusals (home town, declared
conflicts). The targeted share is the top of the ranking, so it falls where the risk is, whatever
the seed; the random share is stratified, so its counts move little between seeds.

:func:`margin` is the staffing margin of a drawn plan, shown in its report: per district the
assignments needed (tasks × inspectors per task) against the inspectors' capacity (active
inspectors × workload cap).
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from lakehouse.config.plans import Plan

HEADROOM = 1.3
DRY_SEEDS = ("staffing-dry-run-1", "staffing-dry-run-2", "staffing-dry-run-3")


def need(
    register: pd.DataFrame, plans: list[Plan], seeds: tuple[str, ...] = DRY_SEEDS, headroom: float = HEADROOM
) -> dict[tuple[str, str], int]:
    """Inspectors needed per (district, item) — and per (district, "*") in all — for the most demanding plan."""
    from lakehouse.errors import RegulakeError
    from lakehouse.gold.plans.draw import select_entities

    out: dict[tuple[str, str], int] = defaultdict(int)
    for plan in plans:
        k, cap = plan.inspectors_per_task, plan.workload_cap
        for seed in seeds:
            try:
                tasks = select_entities(plan, register, seed).tasks
            except RegulakeError:
                continue  # a plan this register cannot fill fails at its own draw, with its own message
            for (d, item), n in tasks.groupby(["district_code", "inspection_item"]).size().items():
                out[(str(d), str(item))] = max(out[(str(d), str(item))], math.ceil(headroom * n * k / cap))
            for d, n in tasks.groupby("district_code").size().items():
                out[(str(d), "*")] = max(out[(str(d), "*")], math.ceil(headroom * n * k / cap))
    return dict(out)


def margin(tasks: pd.DataFrame, inspectors: pd.DataFrame, k: int, cap: int) -> dict:
    """Staffing margin of a drawn plan: per district and for the city, capacity ÷ assignments − 1."""
    active = inspectors[inspectors["active"].astype(bool)] if len(inspectors) else inspectors
    have = active.groupby("district_code").size() if len(active) else pd.Series(dtype=int)
    rows = []
    for d, g in tasks.groupby("district_code", sort=True):
        needed, capacity = int(len(g)) * k, int(have.get(d, 0)) * cap
        rows.append(
            {
                "district_code": str(d),
                "tasks": int(len(g)),
                "assignments": needed,
                "inspectors": int(have.get(d, 0)),
                "capacity": capacity,
                "margin": capacity / needed - 1 if needed else None,
            }
        )
    needed, capacity = int(len(tasks)) * k, int(len(active)) * cap
    return {
        "districts": rows,
        "assignments": needed,
        "capacity": capacity,
        "inspectors": int(len(active)),
        "margin": capacity / needed - 1 if needed else None,
        "min_district_margin": min((r["margin"] for r in rows if r["margin"] is not None), default=None),
        "cross_district": int(tasks["cross_district"].sum()) if "cross_district" in tasks else None,
    }

"""Inspector assignment: random among qualified, non-recused inspectors of the task's district —
falling back, in a recorded order, to the neighbouring districts and then the city register —
``k`` per task, balanced workload, capped. Pure and deterministic (draw keys, see draw.py).

Tasks are served scarcest first (fewest qualified inspectors for their district and item),
then in draw-key order, and each takes the ``k`` non-recused inspectors with the lowest load;
among equally loaded inspectors the order is a fresh random permutation at every load level
(draw key of ``inspector|load``), so every qualified inspector is equally likely to be next
and loads stay within one task of each other wherever the qualifications allow. One heap per
(district, item) keeps this O(log n) per pick at full scale. With fallback (``plans.fallback``, on by
default), a task its district cannot staff takes the least-loaded eligible inspectors of the next
pool in its order (its neighbours, then every inspector of the city) and is marked cross-district;
a plan fails only when the whole city cannot staff a task, before any assignment with every item
the city lacks inspectors for, or, when staffing runs out mid-way, with the task and why.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lakehouse.errors import RegulakeError

if TYPE_CHECKING:
    from lakehouse.config.plans import Fallback, RecusalRules

INSPECTOR_COLUMNS = ["inspector_id", "district_code", "department", "qualifications", "conflicts", "home_town_code", "active"]


class InfeasiblePlanError(RegulakeError):
    """The plan cannot be staffed: some stratum lacks qualified, non-conflicted inspectors."""

    def __init__(self, message: str, problems: list[dict]):
        super().__init__(message)
        self.problems = problems


def _list(v) -> list[str]:
    if v is None:
        return []
    if isinstance(v, float):
        return []
    return [str(x) for x in list(v)]


def normalise_inspectors(df: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in INSPECTOR_COLUMNS if c not in df.columns]
    if missing:
        raise RegulakeError(f"the inspector register lacks column(s) {missing}")
    out = pd.DataFrame(
        {
            "inspector_id": df["inspector_id"].astype(str).tolist(),
            "district_code": df["district_code"].astype(str).tolist(),
            "department": [None if v is None else str(v) for v in df["department"]],
            "qualifications": [sorted(set(_list(v))) for v in df["qualifications"]],
            "conflicts": [sorted(set(_list(v))) for v in df["conflicts"]],
            "home_town_code": [None if v is None or (isinstance(v, float)) else str(v) for v in df["home_town_code"]],
            "active": [bool(v) for v in df["active"]],
        }
    )
    if out["inspector_id"].duplicated().any():
        raise RegulakeError("the inspector register holds an inspector id twice")
    return out.sort_values("inspector_id", kind="stable").reset_index(drop=True)


def recused(insp: dict, uscc: str, town: str | None, recusal: RecusalRules) -> bool:
    if recusal.declared_conflicts and uscc in insp["conflicts"]:
        return True
    if recusal.home_town and town is not None and insp["home_town_code"] == town:
        return True
    return False


CITY = "*"  # the city-level pool: every active inspector of the city


def staffing_order(district: str, fallback: Fallback | None) -> list[str]:
    """Where a task of ``district`` looks for inspectors, in order: its district, its neighbours, the city."""
    order = [district]
    if fallback is not None and fallback.enabled:
        for n in fallback.neighbours.get(district, []):
            if n not in order:
                order.append(n)
        if fallback.city:
            order.append(CITY)
    return order


def _where(order: list[str]) -> str:
    return ", ".join("the city register" if d == CITY else d for d in order)


def check_feasibility(tasks: pd.DataFrame, inspectors: pd.DataFrame, k: int, cap: int, fallback: Fallback | None = None) -> list[dict]:
    """Necessary conditions, every failing stratum.

    Without fallback: per (district, item) and per district. With fallback: per (district, item) over the
    district and its fallback pools, and per item and in total over the whole city when the city register
    is the last resort.
    """
    problems = []
    active = inspectors[inspectors["active"]]
    by_district = {d: g for d, g in active.groupby("district_code")}
    use_fallback = fallback is not None and fallback.enabled
    city = use_fallback and fallback.city
    for (district, item), g in tasks.groupby(["district_code", "inspection_item"], sort=True):
        order = staffing_order(district, fallback)
        if CITY in order:
            pools = [active]
        else:
            pools = [by_district[d] for d in order if d in by_district]
        qualified = int(sum(sum(item in q for q in p["qualifications"]) for p in pools))
        if qualified < k:
            if city:
                continue  # reported once for the whole city below
            where = "" if len(order) == 1 else f" in {_where(order)}"
            problems.append(
                {
                    "district_code": district,
                    "inspection_item": item,
                    "tasks": int(len(g)),
                    "qualified": qualified,
                    "reason": f"{qualified} qualified inspector(s){where}, {k} needed per task",
                }
            )
        elif not use_fallback and len(g) * k > qualified * cap:
            problems.append(
                {
                    "district_code": district,
                    "inspection_item": item,
                    "tasks": int(len(g)),
                    "qualified": qualified,
                    "reason": f"{len(g)} tasks × {k} inspectors = {len(g) * k} assignments but {qualified} qualified "
                    f"inspectors × workload cap {cap} = {qualified * cap}",
                }
            )
    if city:
        for item, g in tasks.groupby("inspection_item", sort=True):
            qualified = int(sum(item in q for q in active["qualifications"]))
            if qualified < k:
                problems.append(
                    {
                        "district_code": CITY,
                        "inspection_item": item,
                        "tasks": int(len(g)),
                        "qualified": qualified,
                        "reason": f"{qualified} qualified inspector(s), {k} needed per task",
                    }
                )
            elif len(g) * k > qualified * cap:
                problems.append(
                    {
                        "district_code": CITY,
                        "inspection_item": item,
                        "tasks": int(len(g)),
                        "qualified": qualified,
                        "reason": f"{len(g)} tasks × {k} inspectors = {len(g) * k} assignments but {qualified} qualified "
                        f"inspectors × workload cap {cap} = {qualified * cap}",
                    }
                )
        n = len(active)
        if len(tasks) * k > n * cap:
            problems.append(
                {
                    "district_code": CITY,
                    "inspection_item": "*",
                    "tasks": int(len(tasks)),
                    "qualified": n,
                    "reason": f"{len(tasks)} tasks × {k} inspectors = {len(tasks) * k} assignments but {n} inspectors × "
                    f"workload cap {cap} = {n * cap}",
                }
            )
    elif not use_fallback:
        for district, g in tasks.groupby("district_code", sort=True):
            pool = by_district.get(district)
            n = 0 if pool is None else len(pool)
            if n and len(g) * k > n * cap:
                problems.append(
                    {
                        "district_code": district,
                        "inspection_item": "*",
                        "tasks": int(len(g)),
                        "qualified": n,
                        "reason": f"{len(g)} tasks × {k} inspectors = {len(g) * k} assignments but {n} inspectors × "
                        f"workload cap {cap} = {n * cap}",
                    }
                )
    return problems


def _explain(problems: list[dict]) -> str:
    lines = [
        (
            f"the whole city, item {p['inspection_item']}"
            if p["district_code"] == CITY
            else f"district {p['district_code']}, item {p['inspection_item']}"
        )
        + f": {p['reason']}"
        for p in problems
    ]
    return (
        "the plan cannot be staffed:\n  "
        + "\n  ".join(lines)
        + "\nadd qualified inspectors to those districts, raise the workload cap, or shrink the plan"
    )


@dataclass
class Staffing:
    inspectors: list[list[str]]  # per task (tasks' row order), sorted ids
    loads: dict[str, int]  # every active inspector's number of tasks
    staffed_from: list[str]  # per task: the districts its inspectors came from, in fallback order
    cross_district: list[bool]  # per task: any inspector from outside the task's district


def assign_inspectors(
    tasks: pd.DataFrame,
    inspectors: pd.DataFrame,
    k: int,
    cap: int,
    recusal: RecusalRules,
    material: bytes,
    fallback: Fallback | None = None,
) -> Staffing:
    """Inspectors per task: its district first, then (``fallback``) the neighbouring districts in their recorded
    order, then the city register; fails only when not even the last pool can staff a task."""
    from lakehouse.gold.plans.keys import draw_keys

    if k < 2:
        raise RegulakeError("double-random inspection needs at least 2 inspectors per task")
    insp = normalise_inspectors(inspectors)
    loads: dict[str, int] = {i: 0 for i, a in zip(insp["inspector_id"], insp["active"]) if a}
    if len(tasks) == 0:
        return Staffing([], loads, [], [])
    problems = check_feasibility(tasks, insp, k, cap, fallback)
    if problems:
        raise InfeasiblePlanError(_explain(problems), problems)

    use_city = fallback is not None and fallback.enabled and fallback.city
    active = insp[insp["active"]]
    records = {
        r["inspector_id"]: {"conflicts": set(r["conflicts"]), "home_town_code": r["home_town_code"], "district_code": r["district_code"]}
        for r in active.to_dict("records")
    }
    pools_of: dict[str, list[tuple[str, str]]] = defaultdict(list)
    heaps: dict[tuple[str, str], list] = defaultdict(list)
    for r in active.itertuples():
        for q in r.qualifications:
            pools_of[r.inspector_id].append((r.district_code, q))
            if use_city:
                pools_of[r.inspector_id].append((CITY, q))
    level_keys = draw_keys(material, "assign-level", [f"{i}|0" for i in records])
    for i, key in zip(records, level_keys.tolist()):
        for pool in pools_of[i]:
            heaps[pool].append((0, key, i))
    for h in heaps.values():
        heapq.heapify(h)

    ids = tasks["uscc"].astype(str).tolist()
    order_keys = draw_keys(material, "assign-order", ids)
    scarcity = np.array([len(heaps.get((d, i), ())) for d, i in zip(tasks["district_code"], tasks["inspection_item"])])
    okeys = order_keys.tolist()
    order = sorted(range(len(ids)), key=lambda t: (int(scarcity[t]), okeys[t], ids[t]))
    out: list[list[str] | None] = [None] * len(tasks)
    origins: list[str] = [""] * len(tasks)
    cross: list[bool] = [False] * len(tasks)
    districts = tasks["district_code"].tolist()
    items = tasks["inspection_item"].tolist()
    towns = tasks["town_code"].tolist()
    orders: dict[str, list[str]] = {}
    for t in order:
        uscc, district, item, town = ids[t], districts[t], items[t], towns[t]
        tiers = orders.setdefault(district, staffing_order(district, fallback))
        chosen: list[str] = []
        for tier in tiers:
            heap = heaps.get((tier, item), [])
            set_aside = []
            while len(chosen) < k and heap:
                entry = heapq.heappop(heap)
                load, _, c = entry
                if load != loads[c] or load >= cap:
                    continue  # stale (the inspector's load moved on) or full: never needed again here
                if c in chosen or recused(records[c], uscc, town, recusal):
                    set_aside.append(entry)
                    continue
                chosen.append(c)
            for entry in set_aside:
                heapq.heappush(heap, entry)
            if len(chosen) == k:
                break
        if len(chosen) < k:
            qualified = [c for c, pools in pools_of.items() if any((d, item) in pools for d in tiers)]
            rec = sum(recused(records[c], uscc, town, recusal) for c in qualified)
            full = sum(loads[c] >= cap for c in qualified if not recused(records[c], uscc, town, recusal))
            where = "" if len(tiers) == 1 else f" in {_where(tiers)}"
            problem = {
                "district_code": CITY if CITY in tiers else district,
                "inspection_item": item,
                "tasks": 1,
                "qualified": len(qualified),
                "tried": tiers,
                "reason": f"task for {uscc}: {len(qualified)} qualified{where}, {rec} recused, {full} at the workload cap {cap}; {k} needed",
            }
            raise InfeasiblePlanError(_explain([problem]), [problem])
        for c in chosen:
            loads[c] += 1
            if loads[c] < cap:
                key = int(draw_keys(material, "assign-level", [f"{c}|{loads[c]}"])[0])
                for pool in pools_of[c]:
                    heapq.heappush(heaps[pool], (loads[c], key, c))
        out[t] = sorted(chosen)
        homes = list(dict.fromkeys(records[c]["district_code"] for c in chosen))
        origins[t] = ",".join(homes)
        cross[t] = any(h != district for h in homes)
    return Staffing(out, loads, origins, cross)  # type: ignore[arg-type]

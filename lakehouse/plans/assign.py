"""Inspector assignment: random among qualified, non-recused inspectors of the task's district,
``k`` per task, balanced workload, capped. Pure and deterministic (draw keys, see draw.py).

Tasks are served scarcest first (fewest qualified inspectors for their district and item),
then in draw-key order, and each takes the ``k`` non-recused inspectors with the lowest load;
among equally loaded inspectors the order is a fresh random permutation at every load level
(draw key of ``inspector|load``), so every qualified inspector is equally likely to be next
and loads stay within one task of each other wherever the qualifications allow. One heap per
(district, item) keeps this O(log n) per pick at full scale. A plan that cannot be staffed fails before any assignment with
every district and item that lacks inspectors, or, when staffing runs out mid-way, with the
task that could not be staffed and why.
"""
from __future__ import annotations

import heapq
from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lakehouse.errors import RegulakeError

if TYPE_CHECKING:
    from lakehouse.plans.settings import RecusalRules

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
    out = pd.DataFrame({
        "inspector_id": df["inspector_id"].astype(str).tolist(),
        "district_code": df["district_code"].astype(str).tolist(),
        "department": [None if v is None else str(v) for v in df["department"]],
        "qualifications": [sorted(set(_list(v))) for v in df["qualifications"]],
        "conflicts": [sorted(set(_list(v))) for v in df["conflicts"]],
        "home_town_code": [None if v is None or (isinstance(v, float)) else str(v) for v in df["home_town_code"]],
        "active": [bool(v) for v in df["active"]],
    })
    if out["inspector_id"].duplicated().any():
        raise RegulakeError("the inspector register holds an inspector id twice")
    return out.sort_values("inspector_id", kind="stable").reset_index(drop=True)


def recused(insp: dict, uscc: str, town: str | None, recusal: RecusalRules) -> bool:
    if recusal.declared_conflicts and uscc in insp["conflicts"]:
        return True
    if recusal.home_town and town is not None and insp["home_town_code"] == town:
        return True
    return False


def check_feasibility(tasks: pd.DataFrame, inspectors: pd.DataFrame, k: int, cap: int) -> list[dict]:
    """Necessary conditions per (district, item) and per district; every failing stratum."""
    problems = []
    active = inspectors[inspectors["active"]]
    by_district = {d: g for d, g in active.groupby("district_code")}
    for (district, item), g in tasks.groupby(["district_code", "inspection_item"], sort=True):
        pool = by_district.get(district)
        qualified = 0 if pool is None else int(sum(item in q for q in pool["qualifications"]))
        if qualified < k:
            problems.append({"district_code": district, "inspection_item": item, "tasks": int(len(g)), "qualified": qualified,
                             "reason": f"{qualified} qualified inspector(s), {k} needed per task"})
        elif len(g) * k > qualified * cap:
            problems.append({"district_code": district, "inspection_item": item, "tasks": int(len(g)), "qualified": qualified,
                             "reason": f"{len(g)} tasks × {k} inspectors = {len(g) * k} assignments but {qualified} qualified "
                                       f"inspectors × workload cap {cap} = {qualified * cap}"})
    for district, g in tasks.groupby("district_code", sort=True):
        pool = by_district.get(district)
        n = 0 if pool is None else len(pool)
        if n and len(g) * k > n * cap:
            problems.append({"district_code": district, "inspection_item": "*", "tasks": int(len(g)), "qualified": n,
                             "reason": f"{len(g)} tasks × {k} inspectors = {len(g) * k} assignments but {n} inspectors × "
                                       f"workload cap {cap} = {n * cap}"})
    return problems


def _explain(problems: list[dict]) -> str:
    lines = [f"district {p['district_code']}, item {p['inspection_item']}: {p['reason']}" for p in problems]
    return ("the plan cannot be staffed:\n  " + "\n  ".join(lines) +
            "\nadd qualified inspectors to those districts, raise the workload cap, or shrink the plan")


def assign_inspectors(tasks: pd.DataFrame, inspectors: pd.DataFrame, k: int, cap: int, recusal: RecusalRules,
                      material: bytes) -> tuple[list[list[str]], dict[str, int]]:
    """Inspector ids (sorted) per task, in the tasks' row order, and the load of every active inspector."""
    from lakehouse.plans.draw import draw_keys

    if k < 2:
        raise RegulakeError("double-random inspection needs at least 2 inspectors per task")
    insp = normalise_inspectors(inspectors)
    loads: dict[str, int] = {i: 0 for i, a in zip(insp["inspector_id"], insp["active"]) if a}
    if len(tasks) == 0:
        return [], loads
    problems = check_feasibility(tasks, insp, k, cap)
    if problems:
        raise InfeasiblePlanError(_explain(problems), problems)

    active = insp[insp["active"]]
    records = {r["inspector_id"]: {"conflicts": set(r["conflicts"]), "home_town_code": r["home_town_code"]}
               for r in active.to_dict("records")}
    pools_of: dict[str, list[tuple[str, str]]] = defaultdict(list)
    heaps: dict[tuple[str, str], list] = defaultdict(list)
    for r in active.itertuples():
        for q in r.qualifications:
            pools_of[r.inspector_id].append((r.district_code, q))
    level_keys = draw_keys(material, "assign-level", [f"{i}|0" for i in records])
    for (i, key) in zip(records, level_keys.tolist()):
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
    districts = tasks["district_code"].tolist()
    items = tasks["inspection_item"].tolist()
    towns = tasks["town_code"].tolist()
    for t in order:
        uscc, district, item, town = ids[t], districts[t], items[t], towns[t]
        heap = heaps.get((district, item), [])
        chosen: list[str] = []
        set_aside = []
        n_recused = 0
        while len(chosen) < k and heap:
            entry = heapq.heappop(heap)
            load, _, c = entry
            if load != loads[c] or load >= cap:
                continue  # stale (the inspector's load moved on) or full: never needed again here
            if recused(records[c], uscc, town, recusal):
                set_aside.append(entry)
                n_recused += 1
                continue
            chosen.append(c)
        for entry in set_aside:
            heapq.heappush(heap, entry)
        if len(chosen) < k:
            qualified = [c for c, pools in pools_of.items() if (district, item) in pools]
            rec = sum(recused(records[c], uscc, town, recusal) for c in qualified)
            full = sum(loads[c] >= cap for c in qualified if not recused(records[c], uscc, town, recusal))
            problem = {"district_code": district, "inspection_item": item, "tasks": 1, "qualified": len(qualified),
                       "reason": f"task for {uscc}: {len(qualified)} qualified, {rec} recused, {full} at the workload cap {cap}; {k} needed"}
            raise InfeasiblePlanError(_explain([problem]), [problem])
        for c in chosen:
            loads[c] += 1
            if loads[c] < cap:
                key = int(draw_keys(material, "assign-level", [f"{c}|{loads[c]}"])[0])
                for pool in pools_of[c]:
                    heapq.heappush(heaps[pool], (loads[c], key, c))
        out[t] = sorted(chosen)
    return out, loads  # type: ignore[return-value]

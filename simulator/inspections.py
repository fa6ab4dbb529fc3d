"""The closed loop, simulated: a drawn plan's inspections come back as a landing batch.

``regulake simulate-inspections PLAN_ID`` plays the plan's season: every task is inspected
on a day of the plan period, and the outcome is drawn from the answer key's true violation
propensity (the simulator's ``entities.parquet``) — shells cannot be reached (result 4),
other violations get the simulator's mix of results. The results are delivered exactly as
the market-supervision department delivers catalog ``SCJG-005`` (双随机抽查检查结果信息):
a CSV (UTF-8, source column names) with a ``_manifest.json`` in
``<landing>/SCJG/SCJG-005/<batch date>/``, so the next ``regulake run bronze`` / ``silver``
ingest them like any delivery and the next training sees them as labels (mode 1 for the
random share — the unbiased labels training uses — and 2 for the targeted share).

Deterministic: outcomes are seeded by the plan's revealed seed; re-running writes the same
bytes (and refuses to overwrite a different file).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from lakehouse.errors import RegulakeError
from lakehouse.gold.plans import audit
from lakehouse.gold.plans.disclosure import authority_of as _authority

if TYPE_CHECKING:
    from lakehouse.tables import Tables

CATALOG = "SCJG-005"
PROBLEM_RESULTS = ["2", "3", "5", "6", "7"]
PROBLEM_WEIGHTS = [0.55, 0.15, 0.05, 0.15, 0.1]


@dataclass
class SeasonResult:
    plan_id: str
    batch_date: dt.date
    path: Path
    rows: int
    problems: int
    missing_in_answer_key: int


def outcomes(tasks: pd.DataFrame, truth: pd.DataFrame, seed: str, period_start: dt.date, period_end: dt.date) -> pd.DataFrame:
    """Inspection date and result of every task (pure, seeded). ``truth``: uscc, propensity, shell."""
    t = tasks.merge(truth[["uscc", "propensity", "shell"]], on="uscc", how="inner").sort_values("task_no", kind="stable")
    rng = np.random.Generator(np.random.PCG64(int.from_bytes(hashlib.sha256(f"outcomes|{seed}".encode()).digest()[:16], "big")))
    n = len(t)
    found = rng.random(n) < t["propensity"].to_numpy(dtype=float)
    kinds = rng.choice(PROBLEM_RESULTS, n, p=PROBLEM_WEIGHTS)
    result = np.where(found, np.where(t["shell"].to_numpy(dtype=bool), "4", kinds), "1")
    span = (period_end - period_start).days
    days = rng.integers(0, span + 1, n)
    out = t.assign(inspection_result=result, inspection_date=[period_start + dt.timedelta(days=int(d)) for d in days])
    return out.reset_index(drop=True)


def simulate_inspections(
    tables: Tables, plan_id: str, landing_root: str, answer_key_root: str, batch_date: dt.date | None = None
) -> SeasonResult:
    """Write the plan's results as a new SCJG-005 landing batch; returns what was written."""
    from catalog import load_catalog
    from lakehouse.config.plans import Plan
    from lakehouse.gold.plans.disclosure import _district_names
    from lakehouse.landing.writers import add_increment_file, render

    pair = audit.revealed(audit.events(tables, plan_id))
    if not pair:
        raise RegulakeError(f"plan {plan_id} has not been drawn; run 'regulake plan draw {plan_id}' first")
    com, rev = pair
    plan = Plan.model_validate_json(com["plan_json"])
    truth_path = Path(answer_key_root) / "entities.parquet"
    if not truth_path.exists():
        raise RegulakeError(
            f"no answer key at {truth_path}: simulated inspections need the simulator's answer key "
            "(landing.answer_key_root); in a real deployment the department delivers SCJG-005 itself"
        )
    truth = pd.read_parquet(truth_path, columns=["uscc", "propensity", "shell"])
    tasks = audit.read_tasks(tables, plan_id, rev["tasks_version"])
    res = outcomes(tasks, truth, rev["seed"], plan.period.start, plan.period.end)
    batch = batch_date or plan.period.end + dt.timedelta(days=1)

    registry = load_catalog()
    cat = registry.catalogs[CATALOG]
    names = _district_names()
    fields = {f.name: f.source_name for f in cat.fields}
    update = [f"{d.isoformat()} 18:00:00" for d in res["inspection_date"]]
    values = {
        "task_id": res["task_id"].astype(str).tolist(),
        "uscc": res["uscc"].astype(str).tolist(),
        "entity_name": res["entity_name"].astype(str).tolist(),
        "inspection_mode": res["inspection_mode"].astype(str).tolist(),
        "inspection_item": res["inspection_item"].astype(str).tolist(),
        "inspection_date": [d.isoformat() for d in res["inspection_date"]],
        "inspection_result": res["inspection_result"].tolist(),
        "authority": [_authority(d, names) for d in res["district_code"]],
        "update_time": update,
    }
    missing = [f.name for f in cat.fields if f.name not in values]
    if missing:
        raise RegulakeError(
            f"catalog {CATALOG} has fields {missing} that simulate-inspections does not fill; update simulator/inspections.py"
        )
    header = [fields[f.name] for f in cat.fields]
    data = render(cat.format, header, [pa.array(values[f.name], pa.string()) for f in cat.fields])
    folder = Path(landing_root) / cat.department / CATALOG / batch.isoformat()
    fname = f"plan-{plan_id}.{'csv' if cat.format.startswith('csv') else cat.format}"
    path = folder / fname
    if path.exists():
        if hashlib.sha256(path.read_bytes()).hexdigest() == hashlib.sha256(data).hexdigest():
            return SeasonResult(plan_id, batch, path, len(res), int((res["inspection_result"] != "1").sum()), len(tasks) - len(res))
        raise RegulakeError(f"{path} exists with other content; results of plan {plan_id} were delivered already")
    add_increment_file(folder, cat, batch.isoformat(), fname, data, header, len(res))
    return SeasonResult(plan_id, batch, path, len(res), int((res["inspection_result"] != "1").sum()), len(tasks) - len(res))

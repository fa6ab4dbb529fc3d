"""The simulated inspector register staffs the configured plans at any scale and seed (issue 25 part 6)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lakehouse.config.plans import PlansSettings, load_plans
from lakehouse.gold.plans import staffing
from lakehouse.gold.plans.draw import draw
from lakehouse.gold.plans.registers import simulate_inspectors

REPO_PLANS = str(__import__("pathlib").Path(__file__).resolve().parents[2] / "conf" / "plans")


def city_register(scale: float, seed: int) -> pd.DataFrame:
    """The entity register of a simulated city, scored by a noisy model of its planted signal."""
    from simulator.entities import build_city

    c = build_city(scale, seed)
    h = c.n_history
    t = {
        k: c.text[k].to_numpy(zero_copy_only=False)[:h]
        for k in ("uscc", "name", "etype", "industry", "district_code", "town_code", "status", "establishment")
    }
    rng = np.random.default_rng(seed)
    p = 1 / (1 + np.exp(-(c["observable_logit"][:h] + rng.normal(0, 0.8, h))))
    return pd.DataFrame(
        {
            "uscc": t["uscc"],
            "entity_name": t["name"],
            "enterprise_type": t["etype"],
            "registration_status": t["status"],
            "establishment_date": t["establishment"],
            "industry_code": [s for s in t["industry"]],
            "district_code": t["district_code"],
            "town_code": t["town_code"],
            "days_since_inspection": np.where(rng.random(h) < 0.06, rng.integers(1, 700, h), np.nan),
            "under_investigation": rng.random(h) < 0.01,
            "probability": p,
            "risk_class": pd.Series(p).map(lambda v: "ABCD"[int(np.searchsorted([0.1, 0.2, 0.4], v, side="right"))]),
        }
    )


@pytest.mark.parametrize("scale,seed", [(0.002, 1), (0.02, 2), (0.02, 7), (0.03, 3)])
def test_the_demo_plan_is_staffed_at_any_scale_and_seed(scale, seed):
    settings = PlansSettings(plans_dir=REPO_PLANS)
    plans = [p.resolved(settings) for p in load_plans(settings).values()]
    assert plans and any(p.id == "demo-2026q1" for p in plans)
    reg = city_register(scale, seed)
    need = staffing.need(reg, plans)
    insp = simulate_inspectors(reg, settings.inspectors, max(p.inspectors_per_task for p in plans), need)
    for plan in plans:
        for s in (f"real-draw-{seed}", "another"):
            res = draw(plan, reg, insp, s)  # raises InfeasiblePlanError when it cannot be staffed
            assert res.tasks["inspectors"].map(len).eq(plan.inspectors_per_task).all()
            m = staffing.margin(res.tasks, insp, plan.inspectors_per_task, plan.workload_cap)
            assert m["margin"] > 0 and m["assignments"] == len(res.tasks) * plan.inspectors_per_task
            assert m["min_district_margin"] is not None and m["min_district_margin"] > -0.05


def test_sizing_by_register_size_alone_falls_short_where_risk_concentrates():
    """The smallest district holds the riskiest entities: the targeted share lands there. Sized by entities
    alone (4 per 1,000) it borrows hundreds of tasks' inspectors from its neighbours; sized by the plan, it
    staffs its own."""
    settings = PlansSettings(plans_dir=REPO_PLANS)
    plan = load_plans(settings)["demo-2026q1"].resolved(settings)
    reg = city_register(0.02, 2)
    small = reg["district_code"].value_counts().idxmin()
    reg.loc[reg["district_code"] == small, "probability"] = 0.95
    k, cap = plan.inspectors_per_task, plan.workload_cap
    plain = simulate_inspectors(reg, settings.inspectors, k)
    sized = simulate_inspectors(reg, settings.inspectors, k, staffing.need(reg, [plan]))
    a, b = draw(plan, reg, plain, "another").tasks, draw(plan, reg, sized, "another").tasks
    ma, mb = staffing.margin(a, plain, k, cap), staffing.margin(b, sized, k, cap)
    assert ma["min_district_margin"] < 0 <= mb["min_district_margin"]
    assert mb["cross_district"] < 0.1 * ma["cross_district"]

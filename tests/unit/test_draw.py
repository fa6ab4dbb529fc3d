"""The pure draw (no Spark): determinism, seeds, quotas, recusal, staffing — with hypothesis."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lakehouse.config.plans import InspectorSimulation, Plan, PlansSettings, RecusalRules
from lakehouse.gold.plans.assign import InfeasiblePlanError, assign_inspectors
from lakehouse.gold.plans.draw import (
    DrawError,
    allocate,
    draw,
    draw_keys,
    key_material,
    register_hash,
    select_entities,
    stratum_labels,
    tasks_hash,
    with_derived,
)
from lakehouse.gold.plans.registers import simulate_inspectors

DISTRICTS = ["440604", "440605", "440606"]
SECTIONS = ["C", "F", "H", "L"]


def make_register(n: int, seed: int = 0, scored: float = 1.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d = rng.choice(DISTRICTS, n)
    p = rng.beta(1, 4, n)
    p[rng.random(n) > scored] = np.nan
    return pd.DataFrame(
        {
            "uscc": [f"9144060{i:011d}" for i in rng.permutation(n)],
            "entity_name": [f"企业{i}" for i in range(n)],
            "enterprise_type": rng.choice(["1100", "9100"], n),
            "registration_status": np.where(rng.random(n) < 0.05, "3", "1"),
            "establishment_date": [str(dt.date(2015, 1, 1) + dt.timedelta(days=int(x))) for x in rng.integers(0, 3000, n)],
            "industry_code": [f"{s}{rng.integers(10, 99)}" for s in rng.choice(SECTIONS, n)],
            "district_code": d,
            "town_code": [f"{x}{rng.integers(1, 4):03d}000" for x in d],
            "days_since_inspection": np.where(rng.random(n) < 0.1, rng.integers(1, 700, n), np.nan),
            "under_investigation": rng.random(n) < 0.02,
            "probability": p,
            "risk_class": pd.Series(p).map(lambda v: None if v != v else "ABCD"[int(np.searchsorted([0.1, 0.2, 0.4], v, side="right"))]),
        }
    )


def make_plan(**kw) -> Plan:
    data = {
        "id": "t-plan",
        "name": "测试计划",
        "period": {"start": "2026-01-05", "end": "2026-03-31"},
        "items": [{"code": "01"}, {"code": "02"}, {"code": "03", "industry_sections": ["F", "H"]}],
        "size": {"total": 60},
        "workload_cap": 50,
    }
    data.update(kw)
    return Plan.model_validate(data).resolved(PlansSettings())


def inspectors_for(register: pd.DataFrame, per_1000=60.0, min_per=8, conflicts=2.0) -> pd.DataFrame:
    return simulate_inspectors(
        register, InspectorSimulation(per_1000_entities=per_1000, min_per_district=min_per, conflicts_per_inspector=conflicts)
    )


@pytest.fixture(scope="module")
def world():
    reg = make_register(800)
    return reg, inspectors_for(reg)


def test_same_inputs_same_plan(world):
    reg, insp = world
    plan = make_plan()
    a = draw(plan, reg, insp, "seed-1").tasks
    b = draw(plan, reg.sample(frac=1.0, random_state=3), insp.sample(frac=1.0, random_state=4), "seed-1").tasks  # row order is irrelevant
    pd.testing.assert_frame_equal(a, b)
    assert tasks_hash(a) == tasks_hash(b)
    assert a["task_id"].str.fullmatch(r"SJ\d{4}-\d{6}").all()


def test_another_seed_another_plan(world):
    reg, insp = world
    plan = make_plan()
    a = draw(plan, reg, insp, "seed-1").tasks
    b = draw(plan, reg, insp, "seed-2").tasks
    assert set(a[a.share == "random"].uscc) != set(b[b.share == "random"].uscc)
    assert tasks_hash(a) != tasks_hash(b)


def test_draw_keys_are_sha256_prefixes():
    import hashlib

    from lakehouse.gold.plans.draw import RULE_VERSION

    m = key_material("s", "p")
    assert m == hashlib.sha256(f"regulake-plan|{RULE_VERSION}|p|s".encode()).digest()
    k = draw_keys(m, "random", ["X"])[0]
    assert int(k) == int.from_bytes(hashlib.sha256(m + b"|random|X").digest()[:8], "big")


def test_share_mode_sizes_targets_the_highest_risk(world):
    reg, insp = world
    res = draw(make_plan(size={"total": 100}), reg, insp, "s")
    t = res.tasks
    assert len(t) == 100 and (t.share == "targeted").sum() == 35
    assert set(t.inspection_mode) == {"1", "2"} and (t.inspection_mode == "2").eq(t.share == "targeted").all()
    # the targeted are the 35 most probable of the eligible entities outside the random share
    d = res.register
    pool = d[d.exclusion.isna() & ~d.uscc.isin(t[t.share == "random"].uscc) & d.probability.notna()]
    assert set(t[t.share == "targeted"].uscc) == set(pool.nlargest(35, "probability").uscc)


def test_exclusions_are_never_drawn(world):
    reg, insp = world
    res = draw(make_plan(size={"total": 200}), reg, insp, "s")
    drawn = res.register.set_index("uscc").loc[res.tasks.uscc]
    assert (drawn.registration_status == "1").all()
    assert not drawn.under_investigation.astype(bool).any()
    assert not (drawn.days_since_inspection < 365.25).any()
    assert drawn.exclusion.isna().all()


def test_items_apply_to_the_industry(world):
    reg, insp = world
    t = draw(make_plan(size={"total": 200}), reg, insp, "s").tasks
    assert set(t[t.inspection_item == "03"].industry_section) <= {"F", "H"}
    assert set(t.inspection_item) == {"01", "02", "03"}


def test_class_ratios_mode(world):
    reg, insp = world
    ratios = {"A": 0.01, "B": 0.02, "C": 0.10, "D": 0.30}
    plan = make_plan(size=None, targeting={"mode": "class_ratios", "ratios": ratios}, workload_cap=200)
    res = draw(plan, reg, insp, "s")
    el = res.register[res.register.exclusion.isna()]
    t = res.tasks
    assert (t.share == "random").sum() == round(0.01 * len(el))
    for cls, r in ratios.items():
        want = round(r * (el.risk_class == cls).sum())
        got = (t.risk_class == cls).sum()
        assert got == max(want, (t[t.share == "random"].risk_class == cls).sum())


def test_too_large_plan_is_a_clear_error(world):
    reg, insp = world
    with pytest.raises(DrawError, match="only .* entities are eligible"):
        draw(make_plan(size={"total": 5000}), reg, insp, "s")


def test_unscored_register_cannot_be_targeted(world):
    reg, insp = world
    reg2 = reg.assign(probability=np.nan, risk_class=None)
    with pytest.raises(DrawError, match="have a risk score"):
        draw(make_plan(), reg2, insp, "s")


def test_a_district_lacking_inspectors_falls_back_to_its_neighbours(world):
    """Issue 29: one district without qualified inspectors for an item no longer stops the plan."""
    reg, insp = world
    weak = insp.copy()
    weak["qualifications"] = [
        [q for q in qs if q != "03"] if d == "440605" else qs for qs, d in zip(weak.qualifications, weak.district_code)
    ]
    res = draw(make_plan(size={"total": 300}), reg, weak, "s")
    t = res.tasks
    lacking = t[(t.district_code == "440605") & (t.inspection_item == "03")]
    assert len(lacking) and lacking.cross_district.all()
    by_id = weak.set_index("inspector_id")
    first_neighbour = make_plan().fallback.neighbours["440605"][0]  # 440604 (Chancheng), the recorded order
    for task in lacking.itertuples():
        homes = {by_id.loc[i, "district_code"] for i in task.inspectors}
        assert homes == {first_neighbour} and task.staffed_from == first_neighbour
        assert all("03" in by_id.loc[i, "qualifications"] for i in task.inspectors)
    others = t.drop(lacking.index)
    assert not others.cross_district.any() and (others.staffed_from == others.district_code).all()
    assert res.summary["cross_district"] == len(lacking)
    # without fallback, the old refusal naming the district and item
    with pytest.raises(InfeasiblePlanError) as exc:
        draw(make_plan(size={"total": 300}, fallback={"enabled": False}), reg, weak, "s")
    assert "district 440605, item 03: 0 qualified inspector(s), 2 needed per task" in str(exc.value)


def test_neighbours_are_tried_in_order_and_the_city_register_last(world):
    reg, insp = world
    # 440605 lacks item 03; its first neighbour 440604 too: the next in order (440606) staffs it
    weak = insp.copy()
    weak["qualifications"] = [
        [q for q in qs if q != "03"] if d in ("440605", "440604") else qs for qs, d in zip(weak.qualifications, weak.district_code)
    ]
    plan = make_plan(size={"total": 300}, fallback={"neighbours": {"440605": ["440604", "440606"], "440604": ["440605"]}})
    t = draw(plan, reg, weak, "s").tasks
    assert set(t[(t.district_code == "440605") & (t.inspection_item == "03")].staffed_from) == {"440606"}
    # 440604's only neighbour lacks it too: the city register (here 440606 and a city-level bureau) staffs it
    city = pd.DataFrame(
        {
            "inspector_id": ["ZF4406000001", "ZF4406000002"],
            "district_code": "440600",
            "department": "SCJG",
            "qualifications": [["01", "02", "03"]] * 2,
            "conflicts": [[], []],
            "home_town_code": None,
            "active": True,
            "source": "test",
        }
    )
    t2 = draw(plan, reg, pd.concat([weak, city], ignore_index=True), "s").tasks
    far = t2[(t2.district_code == "440604") & (t2.inspection_item == "03")]
    assert len(far) and far.cross_district.all() and set(far.staffed_from) <= {"440606", "440600", "440606,440600", "440600,440606"}


def test_only_a_city_that_cannot_staff_a_task_fails_the_plan(world):
    reg, insp = world
    none = insp.assign(qualifications=[[q for q in qs if q != "03"] for qs in insp.qualifications])
    with pytest.raises(InfeasiblePlanError) as exc:
        draw(make_plan(size={"total": 300}), reg, none, "s")
    assert "the whole city, item 03: 0 qualified inspector(s), 2 needed per task" in str(exc.value)
    few = insp.groupby("district_code").head(3)
    with pytest.raises(InfeasiblePlanError, match="the whole city, item .*workload cap 5"):
        draw(make_plan(size={"total": 300}, workload_cap=5), reg, few, "s")
    # the clear per-task message when recusals exhaust the whole city
    one = insp[insp.district_code == "440604"].head(3).copy()
    res = select_entities(make_plan(size={"total": 5}, items=[{"code": "01"}]), reg, "s")
    victim = res.tasks.uscc.iloc[0]
    one["conflicts"] = [[victim], [victim], []]
    with pytest.raises(
        InfeasiblePlanError, match=rf"task for {victim}: 3 qualified in .*the city register, 2 recused, 0 at the workload cap 50; 2 needed"
    ):
        draw(make_plan(size={"total": 5}, items=[{"code": "01"}]), reg, one, "s")


def test_plan_config_refuses_single_inspector_and_bad_items():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="greater than or equal to 2"):
        make_plan(inspectors_per_task=1)
    with pytest.raises(ValidationError, match="unknown inspection item"):
        make_plan(items=[{"code": "99"}])
    with pytest.raises(ValidationError, match="exactly one"):
        make_plan(size={"total": 5, "population_share": 0.1})


def test_register_hash_ignores_row_order(world):
    reg, _ = world
    assert register_hash(with_derived(reg)) == register_hash(with_derived(reg.iloc[::-1]))


# ---------------------------------------------------------------------------
# properties


@given(sizes=st.dictionaries(st.text("abcdef", min_size=1, max_size=3), st.integers(0, 50), min_size=1, max_size=12), frac=st.floats(0, 1))
def test_allocation_is_proportional_and_exact(sizes, frac):
    total = sum(sizes.values())
    n = int(frac * total)
    q = allocate(sizes, n, {s: i for i, s in enumerate(sorted(sizes))})
    assert sum(q.values()) == n
    for s, size in sizes.items():
        assert 0 <= q[s] <= size
        if total:
            assert abs(q[s] - n * size / total) < 1 + 1e-9


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(80, 400),
    total_frac=st.floats(0.05, 0.5),
    share=st.floats(0, 1),
    seed=st.text(min_size=1, max_size=8),
    reg_seed=st.integers(0, 10_000),
    strata=st.sampled_from([[], ["district_code"], ["district_code", "industry_section"]]),
)
def test_quotas_recusal_and_workload_hold_for_any_plan(n, total_frac, share, seed, reg_seed, strata):
    reg = make_register(n, reg_seed, scored=0.9)
    insp = inspectors_for(reg, conflicts=3.0)
    # make conflicts bite: every other inspector also conflicts with the first entities of their district
    first = reg.sort_values("uscc").groupby("district_code")["uscc"].apply(lambda s: list(s[:5])).to_dict()
    insp["conflicts"] = [
        sorted(set(c) | (set(first.get(d, [])) if j % 2 else set())) for j, (c, d) in enumerate(zip(insp.conflicts, insp.district_code))
    ]
    derived = with_derived(reg)
    eligible_n = int(len(derived) * 0.6)
    total = max(1, int(total_frac * eligible_n))
    plan = make_plan(size={"total": total}, targeting={"mode": "share", "share": share}, strata=strata, workload_cap=1000)
    try:
        res = draw(plan, reg, insp, seed)
    except InfeasiblePlanError as exc:
        # only when it is true: some task of that district and item has fewer than 2 qualified, non-recused inspectors
        # (with the fallback on, not in the whole city)
        p = exc.problems[0]
        uscc = p["reason"].split("task for ")[1].split(":")[0]
        town = reg.set_index("uscc").loc[uscc, "town_code"]
        ok = insp[
            insp.qualifications.map(lambda q: p["inspection_item"] in q)
            & ~insp.conflicts.map(lambda c: uscc in c)
            & (insp.home_town_code != town)
        ]
        assert len(ok) < 2
        return
    except DrawError:
        return  # asked for more than the register holds: refused, fine
    t = res.tasks
    # sizes
    assert len(t) == total and (t.share == "targeted").sum() == round(share * total)
    assert t.uscc.is_unique
    # strata quotas of the random share met exactly
    el = res.register[res.register.exclusion.isna()]
    got = (
        stratum_labels(
            with_derived(
                t[t.share == "random"].assign(
                    entity_name="",
                    enterprise_type="",
                    registration_status="1",
                    establishment_date=None,
                    days_since_inspection=np.nan,
                    under_investigation=False,
                )[res.register.columns.drop(["exclusion", "industry_section", "industry_division", "hotspot", "cluster_alert"])]
            ),
            strata,
        )
        .value_counts()
        .to_dict()
    )
    want = {k: v for k, v in res.random_quotas.items() if v}
    assert got == want
    assert sum(res.random_quotas.values()) == total - round(share * total)
    assert set(res.random_quotas) == set(stratum_labels(el, strata))
    # inspectors: k distinct, right district, qualified, never recused
    by_id = insp.set_index("inspector_id")
    for task in t.itertuples():
        assert len(task.inspectors) == 2 == len(set(task.inspectors))
        for i in task.inspectors:
            r = by_id.loc[i]
            assert r.district_code == task.district_code or task.cross_district
            assert r.district_code in task.staffed_from.split(",")
            assert task.inspection_item in r.qualifications
            assert task.uscc not in r.conflicts
            assert r.home_town_code != task.town_code
    # deterministic
    assert tasks_hash(draw(plan, reg, insp, seed).tasks) == tasks_hash(t)


@settings(max_examples=30, deadline=None)
@given(
    n_tasks=st.integers(1, 120),
    n_insp=st.integers(2, 12),
    cap=st.integers(1, 60),
    seed=st.binary(min_size=1, max_size=8),
    conflict_rate=st.floats(0, 0.5),
)
def test_assignment_balances_and_respects_cap_and_recusal(n_tasks, n_insp, cap, seed, conflict_rate):
    rng = np.random.default_rng(len(seed) * 7 + n_tasks)
    tasks = pd.DataFrame({"uscc": [f"U{i:05d}" for i in range(n_tasks)], "district_code": "D", "town_code": "T1", "inspection_item": "01"})
    insp = pd.DataFrame(
        {
            "inspector_id": [f"I{j:03d}" for j in range(n_insp)],
            "district_code": "D",
            "department": "SCJG",
            "qualifications": [["01"]] * n_insp,
            "conflicts": [[u for u in tasks.uscc if rng.random() < conflict_rate] for _ in range(n_insp)],
            "home_town_code": ["T1" if j == 0 else "T2" for j in range(n_insp)],
            "active": True,
        }
    )
    rules = RecusalRules()
    try:
        staffing = assign_inspectors(tasks, insp, 2, cap, rules, seed)
        assigned, loads = staffing.inspectors, staffing.loads
    except InfeasiblePlanError as exc:
        assert exc.problems and "D" in str(exc)
        return
    conflicts = dict(zip(insp.inspector_id, insp.conflicts))
    for u, picks in zip(tasks.uscc, assigned):
        assert len(set(picks)) == 2
        assert "I000" not in picks  # lives in the task's town
        assert all(u not in conflicts[p] for p in picks)  # declared conflicts
    assert max(loads.values()) <= cap
    if conflict_rate == 0:
        used = [v for k, v in loads.items() if k != "I000"]
        assert max(used) - min(used) <= 1  # balanced


# ---------------------------------------------------------------------------
# pieces around the draw


def test_industry_section_from_either_spelling():
    from lakehouse.gold.plans.draw import industry_parts

    assert industry_parts("C3381") == ("C", "33")
    assert industry_parts("3381") == ("C", "33")
    assert industry_parts("5111") == ("F", "51")
    assert industry_parts("6210") == ("H", "62")
    assert industry_parts(None) == ("", "")


def test_shipped_plan_files_are_valid():
    from pathlib import Path

    from lakehouse.config.plans import get_plan, load_plans
    from lakehouse.errors import ConfigError

    s = PlansSettings(plans_dir=str(Path(__file__).resolve().parents[2] / "conf" / "plans"))
    plans = load_plans(s)
    assert "demo-2026q1" in plans
    q1 = plans["demo-2026q1"].resolved(s)
    assert q1.targeting.share == 0.35 and q1.inspectors_per_task == 2 and 100000 <= q1.task_number <= 899999
    with pytest.raises(ConfigError, match="no plan 'nope'"):
        get_plan(s, "nope")


def test_bad_plan_file_is_one_clear_error(tmp_path):
    from lakehouse.config.plans import load_plans
    from lakehouse.errors import ConfigError

    (tmp_path / "x.yaml").write_text(
        "id: x\nname: x\nperiod: {start: 2026-01-01, end: 2026-02-01}\nitems: [{code: '01'}]\n"
        "size: {total: 5}\ninspectors_per_task: 1\ncolour: red\n"
    )
    with pytest.raises(ConfigError) as exc:
        load_plans(PlansSettings(plans_dir=str(tmp_path)))
    assert "x.yaml" in str(exc.value) and "inspectors_per_task" in str(exc.value) and "colour" in str(exc.value)


def test_effectiveness_oracle_ratio_is_one_when_the_model_knows_the_truth(world):
    from lakehouse.gold.plans.report import avoided, case_setting, effectiveness

    reg, insp = world
    truth = reg[["uscc", "probability"]].rename(columns={"probability": "propensity"}).fillna({"propensity": 0.1})
    res = select_entities(make_plan(size={"total": 150}), reg, "s")
    m = effectiveness(res.tasks, res.register, truth)
    e = m["expected"]
    assert e["oracle_ratio"] == pytest.approx(1.0)
    assert e["targeted_hit_rate"] > e["random_plan_hit_rate"]
    lo, hi = e["targeted_hit_rate_range"]
    assert lo < e["targeted_hit_rate"] < hi and "observable_oracle_ratio" in e and e["observable_oracle_ratio"] is None
    # with the answer key's observable logit: a noisy observable signal, the model (= truth) beats it
    rng = np.random.default_rng(0)
    noisy = truth.assign(observable_logit=np.log(truth.propensity / (1 - truth.propensity)) + rng.normal(0, 2, len(truth)))
    e2 = effectiveness(res.tasks, res.register, noisy)["expected"]
    assert e2["observable_oracle_hit_rate"] <= e2["oracle_hit_rate"] and e2["observable_oracle_ratio"] >= 1.0
    assert avoided(0.86, 0.176) == pytest.approx(0.83, abs=0.005)  # the case's −83%
    # a model that knows nothing: the targeted share is no better than random
    blind = reg.assign(probability=0.5)
    res2 = select_entities(make_plan(size={"total": 150}), blind, "s")
    assert effectiveness(res2.tasks, res2.register, truth)["expected"]["oracle_ratio"] < 0.8
    case = case_setting(res.register, make_plan(size={"total": 150}), "s")
    assert (case.share == "targeted").sum() == round(29000 / 900000 * len(reg))


def test_simulated_outcomes_are_seeded_and_follow_the_propensity():
    from simulator.inspections import outcomes

    n = 4000
    tasks = pd.DataFrame({"task_no": range(1, n + 1), "uscc": [f"U{i}" for i in range(n)]})
    truth = pd.DataFrame({"uscc": tasks.uscc, "propensity": np.linspace(0, 0.5, n), "shell": [i % 50 == 0 for i in range(n)]})
    a = outcomes(tasks, truth, "seed", dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    b = outcomes(tasks, truth, "seed", dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    pd.testing.assert_frame_equal(a, b)
    assert abs((a.inspection_result != "1").mean() - 0.25) < 0.03
    assert a.inspection_date.min() >= dt.date(2026, 1, 1) and a.inspection_date.max() <= dt.date(2026, 3, 31)
    assert set(a[a.shell & (a.inspection_result != "1")].inspection_result) <= {"4"}


def test_signals_raise_priority_in_the_targeted_share(world):
    """A hotspot or cluster-alert entity outranks a higher model probability by the noisy-or of the weights."""
    reg, insp = world
    reg = reg.copy()
    base = select_entities(make_plan(), reg, "s")
    eligible = base.register[base.register.exclusion.isna() & base.register.probability.notna()]
    random_share = set(base.tasks[base.tasks.share == "random"].uscc)  # drawn first, whatever the signals
    low = eligible[~eligible.uscc.isin(random_share)].sort_values("probability").uscc.iloc[:3].tolist()  # lowest probabilities
    reg["hotspot"] = reg.uscc.isin(low[:2])
    reg["cluster_alert"] = reg.uscc.isin(low[1:])
    plan = make_plan(signals={"complaint_hotspot": 0.9, "registration_cluster": 0.95})
    t = draw(plan, reg, insp, "s").tasks.set_index("uscc")
    targeted = t[t.share == "targeted"]
    for u in low:
        row = targeted.loc[u]  # each is in the targeted share despite the lowest probability
        p = row.probability
        want = 1 - (1 - p) * (0.1 if u in low[:2] else 1) * (0.05 if u in low[1:] else 1)
        assert row.priority == pytest.approx(want)
    assert targeted.loc[low[1], "signals"] == "complaint_hotspot,registration_cluster"
    assert targeted.loc[low[0], "signals"] == "complaint_hotspot" and targeted.loc[low[2], "signals"] == "registration_cluster"
    assert targeted.drop(index=low).signals.isna().all()
    # priority is the probability where there is no signal, and the targeted share is the top priorities
    assert (targeted.drop(index=low).priority == targeted.drop(index=low).probability).all()
    # weights of 0 turn the signals off: the targeted share goes back to the top probabilities
    off = draw(make_plan(signals={"complaint_hotspot": 0, "registration_cluster": 0}), reg, insp, "s")
    assert not set(low) & set(off.tasks[off.tasks.share == "targeted"].uscc)
    assert off.tasks.signals.isna().all()
    res = draw(plan, reg, insp, "s")
    assert res.summary["signals"]["complaint_hotspot"]["targeted"] == 2
    assert res.summary["signals"]["registration_cluster"] == {"eligible": 2, "targeted": 2, "weight": 0.95}


def test_a_flipped_signal_changes_the_register_hash(world):
    reg, _ = world
    from lakehouse.gold.plans.draw import normalise_register

    plain = register_hash(normalise_register(reg))
    assert register_hash(normalise_register(reg.assign(hotspot=reg.uscc == reg.uscc.iloc[0]))) != plain
    assert register_hash(normalise_register(reg.assign(hotspot=False, cluster_alert=None))) == plain  # absent = no signal


def test_a_plans_randomness_overrides_only_what_it_sets():
    s = PlansSettings(randomness={"source": "drand", "delay_seconds": 7200, "secrets_dir": "/vault", "parties": ["discipline"]})
    raw = Plan.model_validate(
        {
            "id": "r",
            "name": "r",
            "period": {"start": "2026-01-05", "end": "2026-03-31"},
            "items": [{"code": "01"}],
            "size": {"total": 5},
            "randomness": {"source": "local", "delay_seconds": 0},
        }
    )
    plan = raw.resolved(s)
    assert raw.randomness_settings(s) == plan.randomness_settings(s)
    rs = plan.randomness_settings(s)
    assert (rs.source, rs.delay_seconds, rs.parties, rs.secrets_dir) == ("local", 0, ["discipline"], "/vault")
    back = Plan.model_validate_json(plan.canonical_json())  # as the commitment records it: every key set
    assert back.randomness_settings(s).secrets_dir == "/vault"  # the secrets folder is never a plan's
    assert make_plan().randomness_settings(s) is s.randomness
    assert "/vault" not in plan.canonical_json()

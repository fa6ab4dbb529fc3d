"""``simulate-inspections --via-api``: a drawn plan's season filled, signed and sealed through the records API on
loopback, delivered as SCJG-005 — the same findings as the direct simulation, now with records, PDFs and signatures."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.spark.test_plans import warehouse, world  # noqa: F401  (the tiny warehouse and plan inputs of test_plans)


@pytest.mark.slow
def test_a_drawn_plan_played_through_the_api(spark, warehouse, world, tmp_path, test_config):  # noqa: F811
    import pandas as pd

    from lakehouse.config.plans import get_plan
    from lakehouse.gold.plans import audit
    from lakehouse.gold.plans.workflow import draw_plan
    from lakehouse.landing.writers import read_file
    from serving.simulated_inspections import simulate_via_api
    from simulator.inspections import outcomes

    tables = warehouse[0]
    settings, key, truth = world
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "v1.yaml").write_text(
        "id: v1\nname: 经由接口的检查\nperiod: {start: 2026-01-05, end: 2026-03-31}\n"
        "items: [{code: '01'}, {code: '03', industry_sections: [F, H]}]\nsize: {total: 12}\nworkload_cap: 30\n",
        encoding="utf-8",
    )
    settings = settings.model_copy(update={"plans_dir": str(tmp_path / "plans")})
    draw_plan(spark, tables, settings, get_plan(settings, "v1"), operator="tester", publish=False)
    cfg = test_config.model_copy(
        update={
            "warehouse": test_config.warehouse.model_copy(update={"root": tables.root}),
            "landing": test_config.landing.model_copy(update={"root": str(tmp_path / "landing"), "answer_key_root": str(key)}),
        }
    )
    out = simulate_via_api(cfg, tables, "v1")
    assert out["tasks"] == 12 and out["sealed"] == 12 and out["rows"] == 12 and out["batch_date"] == dt.date(2026, 4, 1)

    # the same findings as the direct simulation: problem or not per task (the form maps a result to its nearest category)
    _, rev = audit.revealed(audit.events(tables, "v1"))
    want = outcomes(audit.read_tasks(tables, "v1"), truth, rev["seed"], dt.date(2026, 1, 5), dt.date(2026, 3, 31)).set_index("uscc")
    got = pd.DataFrame(read_file(out["path"], "csv_utf8")).set_index("统一社会信用代码")
    assert set(got.index) == set(want.index)
    for tid, row in got.iterrows():
        w = want.loc[tid]
        assert (row["检查结果"] == "1") == (w.inspection_result == "1") and (row["检查结果"] == "4") == (w.inspection_result == "4")
        assert row["检查日期"] == w.inspection_date.isoformat() and row["检查方式"] == w.inspection_mode
    # every sealed record is archived, every reachable party got its SMS
    archives = tables.read_arrow("audit.inspection_archives").to_pylist()
    assert len(archives) == 12 and all(len(a["sha256"]) == 64 for a in archives)
    assert len(tables.read_arrow("ops.sms_outbox")) == sum(1 for t in want.inspection_result if t not in ("4", "5"))

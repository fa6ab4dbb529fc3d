"""Job: draw the configured inspection plans that are not drawn yet, and write their effectiveness reports.

``run(config, spark, plan_ids=None, seed=None, operator=None, report=True)`` draws each plan
of the plans folder (or ``plan_ids``) once — a plan already drawn is left as it is — and
returns the ids drawn or reported. ``seed`` is for demos and tests only: a real draw takes a
fresh random seed and reveals it afterwards.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakehouse.config import RegulakeConfig


def run(config: RegulakeConfig, spark: SparkSession, progress=None, plan_ids: list[str] | None = None,
        seed: str | None = None, operator: str | None = None, report: bool = True) -> list:
    from lakehouse.errors import RegulakeError
    from lakehouse.plans import audit
    from lakehouse.plans.report import write_report
    from lakehouse.plans.settings import load_plans, plans_dir, settings_of
    from lakehouse.plans.workflow import draw_plan
    from lakehouse.runs import record_run
    from lakehouse.tables import Tables

    settings = settings_of(config)
    tables = Tables.from_config(config, spark)
    plans = load_plans(settings)
    wanted = plan_ids or sorted(plans)
    unknown = [p for p in wanted if p not in plans]
    if unknown:
        raise RegulakeError(f"no plan(s) {unknown} in {plans_dir(settings)}")
    done = []
    with record_run(config, "plan") as run_record:
        for pid in wanted:
            if audit.revealed(audit.events(tables, pid)) is None:
                out = draw_plan(spark, tables, settings, plans[pid], seed=seed, operator=operator, progress=progress)
                for name, v in out.input_versions.items():
                    run_record.read(name, v)
                run_record.wrote("gold.inspection_tasks", out.tasks_version, rows=out.tasks)
                run_record.details[pid] = {"seed_hash": out.seed_hash, "tasks_hash": out.tasks_hash, **out.summary}
            elif progress:
                progress(f"{pid}: drawn already, kept")
            if report:
                res = write_report(tables, pid, settings.reports_root, config.landing.answer_key_root)
                run_record.details.setdefault("reports", {})[pid] = res["html"]
                if progress:
                    progress(f"{pid}: report {res['html']}")
            done.append(pid)
    return done

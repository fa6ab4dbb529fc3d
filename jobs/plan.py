"""Job: commit the configured inspection plans that are not committed yet, draw those whose T has passed,
and write the effectiveness reports of the drawn ones.

``run(config, spark, plan_ids=None, operator=None, report=True)`` takes each plan of the plans folder (or
``plan_ids``): a plan without an open commitment is committed (``regulake plan commit``); a committed plan
whose T has passed is drawn (``regulake plan draw``) — with a zero delay (the demo's local mode) both
happen in one run; a plan whose public value is not there yet is left waiting, and says why. A plan drawn
already is left as it is. Returns the ids drawn or reported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakehouse.config import RegulakeConfig


def run(
    config: RegulakeConfig,
    spark: SparkSession,
    progress=None,
    plan_ids: list[str] | None = None,
    operator: str | None = None,
    report: bool = True,
) -> list:
    from lakehouse.config.plans import load_plans, plans_dir, settings_of
    from lakehouse.errors import RegulakeError
    from lakehouse.gold.plans import audit
    from lakehouse.gold.plans import commitment as cm
    from lakehouse.gold.plans.randomness import ValueNotYet
    from lakehouse.gold.plans.report import write_report
    from lakehouse.gold.plans.workflow import DrawTooEarly, commit_plan, draw_committed
    from lakehouse.runs import record_run
    from lakehouse.tables import Tables

    say = progress or (lambda m: None)
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
                if cm.open_attempt(audit.ledger(tables, pid)) is None:
                    c = commit_plan(spark, tables, settings, plans[pid], operator=operator, progress=progress)
                    run_record.details.setdefault("committed", {})[pid] = {
                        "commitment_hash": c.commitment_hash,
                        "reveal_after": str(c.reveal_after),
                    }
                try:
                    out = draw_committed(spark, tables, settings, pid, operator=operator, progress=progress)
                except (DrawTooEarly, ValueNotYet) as exc:
                    say(f"{pid}: committed, not drawn yet — {exc}")
                    continue
                for name, v in out.input_versions.items():
                    run_record.read(name, v)
                run_record.wrote("gold.inspection_tasks", out.tasks_version, rows=out.tasks)
                run_record.details[pid] = {"seed": out.seed, "tasks_hash": out.tasks_hash, **out.summary}
            else:
                say(f"{pid}: drawn already, kept")
            if report:
                res = write_report(tables, pid, settings.reports_root, config.landing.answer_key_root)
                run_record.details.setdefault("reports", {})[pid] = res["html"]
                say(f"{pid}: report {res['html']}")
            done.append(pid)
    return done

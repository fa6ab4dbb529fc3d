"""``regulake plan …`` and ``regulake simulate-inspections``.

Wiring (lakehouse/cli.py)::

    from lakehouse.plans.cli import plan_app, simulate_inspections
    app.add_typer(plan_app, name="plan")
    app.command("simulate-inspections")(simulate_inspections)
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Optional

import typer

plan_app = typer.Typer(help="Double-random inspection plans: draw, verify, show, report, publish.", no_args_is_help=True)
EnvOpt = typer.Option(None, "--env", "-e", help="Configuration environment (conf/<env>.yaml); default REGULAKE_ENV or local.")


def _console():
    from rich.console import Console

    return Console()


def _context(env: Optional[str], spark: bool = True):
    from lakehouse.config import load_config
    from lakehouse.plans.settings import settings_of
    from lakehouse.tables import Tables

    cfg = load_config(env)
    session = None
    if spark:
        from lakehouse.spark import get_spark

        session = get_spark(cfg)
    return cfg, settings_of(cfg), Tables.from_config(cfg, session), session


@plan_app.command("list")
def plan_list(env: Optional[str] = EnvOpt) -> None:
    """Plans configured in the plans folder, and whether each was drawn."""
    from rich.table import Table

    from lakehouse.plans import audit
    from lakehouse.plans.settings import load_plans, plans_dir

    cfg, settings, tables, _ = _context(env, spark=False)
    out = Table("plan", "name", "period", "drawn")
    for pid, plan in load_plans(settings).items():
        pair = audit.revealed(audit.events(tables, pid))
        out.add_row(pid, plan.name, f"{plan.period.start} – {plan.period.end}", str(pair[1]["at"]) if pair else "no")
    _console().print(out)
    _console().print(f"plan files in {plans_dir(settings)}")


@plan_app.command("draw")
def plan_draw(
    plan_id: str = typer.Argument(..., help="Plan id (a file in the plans folder)."),
    seed: Optional[str] = typer.Option(None, "--seed", help="Seed (default: 128 random bits, revealed after the draw). Give one only to reproduce a demo."),
    operator: Optional[str] = typer.Option(None, "--operator", help="Who draws (recorded in the audit table); default plans.operator or the OS user."),
    env: Optional[str] = EnvOpt,
) -> None:
    """Draw a plan: commit the seed hash, draw entities and inspectors, reveal the seed, publish."""
    from lakehouse.plans.settings import get_plan
    from lakehouse.plans.workflow import draw_plan
    from lakehouse.runs import record_run

    cfg, settings, tables, spark = _context(env)
    plan = get_plan(settings, plan_id)
    console = _console()
    with record_run(cfg, "plan-draw") as run:
        with console.status(f"drawing {plan_id} …") as status:
            out = draw_plan(spark, tables, settings, plan, seed=seed, operator=operator, progress=status.update)
        for name, v in out.input_versions.items():
            run.read(name, v)
        run.wrote("gold.inspection_tasks", out.tasks_version, rows=out.tasks)
        run.details.update(plan_id=plan_id, seed_hash=out.seed_hash, tasks_hash=out.tasks_hash, summary=out.summary)
    s = out.summary
    console.print(f"[green]{plan_id} drawn[/green] (attempt {out.attempt}): {out.tasks:,} tasks — {s['targeted']:,} targeted, "
                  f"{s['random']:,} random — from {s['eligible']:,} eligible of {s['register']:,} entities; "
                  f"{s['inspectors_used']:,} inspectors, at most {s['workload_max']} tasks each")
    console.print(f"seed hash {out.seed_hash}\nseed      {out.seed}\ninputs    {json.dumps(out.input_versions, sort_keys=True)}")
    console.print(f"check it: regulake plan verify {plan_id}")


@plan_app.command("verify")
def plan_verify(plan_id: str = typer.Argument(...), env: Optional[str] = EnvOpt) -> None:
    """Recompute the draw from the recorded inputs and say whether it matches exactly (exit 1 if not)."""
    from lakehouse.plans.workflow import verify_plan

    _, _, tables, spark = _context(env)
    result = verify_plan(spark, tables, plan_id)
    console = _console()
    colour = {"ok": "green", "mismatch": "red", "unavailable": "yellow"}
    for c in result.checks:
        console.print(f"[{colour[c.status]}]{c.status:>11}[/{colour[c.status]}]  {c.name}: {c.detail}")
    if result.ok:
        console.print(f"[green]plan {plan_id} verified: the published draw is exactly the one the recorded inputs and seed give[/green]")
    else:
        console.print(f"[red]plan {plan_id} does NOT match its recorded draw[/red]")
        raise typer.Exit(1)


@plan_app.command("show")
def plan_show(plan_id: str = typer.Argument(...), as_json: bool = typer.Option(False, "--json", help="Print JSON."), env: Optional[str] = EnvOpt) -> None:
    """The plan's audit trail, sizes by share, district and item, and inspector workloads."""
    from lakehouse.plans.workflow import show

    _, _, tables, _ = _context(env, spark=False)
    info = show(tables, plan_id)
    console = _console()
    if as_json:
        console.print_json(json.dumps(info, ensure_ascii=False, default=str))
        return
    for e in info["events"]:
        console.print(f"attempt {e['attempt']} {e['event']:<9} {e['at']}  by {e['operator']}  seed hash {str(e['seed_hash'])[:16]}…"
                      + (f"  seed {e['seed']}" if e.get("seed") else "") + (f"  {e['message']}" if e.get("message") else ""))
    if "summary" in info:
        console.print(f"tasks by share: {info['by_share']}; by item: {info['by_item']}")
        console.print(f"excluded: {info['summary'].get('excluded')}")
        for d, v in info["by_district"].items():
            console.print(f"  district {d}: {v}")
        w = info["workload"]
        console.print(f"inspectors: {w['inspectors']} (tasks each: min {w['min']}, mean {w['mean']:.1f}, max {w['max']})")


@plan_app.command("report")
def plan_report(
    plan_id: str = typer.Argument(...),
    out: Optional[str] = typer.Option(None, "--out", help="Reports folder (default plans.reports_root)."),
    env: Optional[str] = EnvOpt,
) -> None:
    """Effectiveness report (HTML + PNG): hit rates, law-abiding inspections avoided, oracle ratio, the case's setting."""
    from lakehouse.plans.report import write_report

    cfg, settings, tables, _ = _context(env, spark=False)
    res = write_report(tables, plan_id, out or settings.reports_root, cfg.landing.answer_key_root)
    e = (res["plan"] or {}).get("expected") or {}
    console = _console()
    if e:
        console.print(f"expected hit rate: random plan {e['random_plan_hit_rate']:.1%}, random share {e['random_share_hit_rate'] or 0:.1%}, "
                      f"targeted {e['targeted_hit_rate'] or 0:.1%}; oracle ratio {e['oracle_ratio'] or 0:.3f}; "
                      f"law-abiding inspections avoided {e['law_abiding_avoided_targeted'] or 0:.0%} (targeted), "
                      f"{e['law_abiding_avoided_plan'] or 0:.0%} (plan)")
    console.print(f"report: {res['html']}")


@plan_app.command("publish")
def plan_publish(plan_id: str = typer.Argument(...), env: Optional[str] = EnvOpt) -> None:
    """Refresh the public tables (gold.public_inspection_plans / _results) with the results delivered so far."""
    from lakehouse.plans.disclosure import publish

    _, _, tables, spark = _context(env)
    res = publish(spark, tables, plan_id)
    _console().print(f"published {plan_id}: {res['tasks']:,} tasks, {res['results_reported']:,} results, {res['problems_found']:,} with problems")


def simulate_inspections(
    plan_id: str = typer.Argument(..., help="A drawn plan."),
    batch_date: Optional[str] = typer.Option(None, "--batch-date", help="Delivery date YYYY-MM-DD (default: the day after the plan period)."),
    env: Optional[str] = EnvOpt,
) -> None:
    """Play a plan's season: its inspection results, drawn from the answer key, as a SCJG-005 landing batch."""
    from lakehouse.errors import RegulakeError
    from lakehouse.plans.closed_loop import simulate_inspections as run

    try:
        day = dt.date.fromisoformat(batch_date) if batch_date else None
    except ValueError:
        raise RegulakeError(f"--batch-date must be YYYY-MM-DD, got {batch_date!r}") from None
    cfg, _, tables, _ = _context(env, spark=False)
    res = run(tables, plan_id, cfg.landing.root, cfg.landing.answer_key_root, day)
    _console().print(f"[green]{plan_id}[/green]: {res.rows:,} inspection results ({res.problems:,} with problems) delivered as "
                     f"{res.path} (batch {res.batch_date}); next: regulake run bronze && regulake run silver")

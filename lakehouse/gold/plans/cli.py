"""``regulake plan …`` and ``regulake simulate-inspections``.

Wiring (lakehouse/cli.py)::

    from lakehouse.gold.plans.cli import plan_app, simulate_inspections
    app.add_typer(plan_app, name="plan")
    app.command("simulate-inspections")(simulate_inspections)
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Optional

import typer

plan_app = typer.Typer(help="Double-random inspection plans: commit, draw (after T), verify, show, report, publish.", no_args_is_help=True)
EnvOpt = typer.Option(None, "--env", "-e", help="Configuration environment (conf/<env>.yaml); default REGULAKE_ENV or local.")


def _console():
    from rich.console import Console

    return Console()


def _context(env: Optional[str], spark: bool = True):
    from lakehouse.config import load_config
    from lakehouse.config.plans import settings_of
    from lakehouse.tables import Tables

    cfg = load_config(env)
    session = None
    if spark:
        from lakehouse.spark import get_spark

        session = get_spark(cfg)
    return cfg, settings_of(cfg), Tables.from_config(cfg, session), session


@plan_app.command("list")
def plan_list(env: Optional[str] = EnvOpt) -> None:
    """Plans configured in the plans folder and their public status (committed, awaiting draw, drawn, …)."""
    from rich.table import Table

    from lakehouse.config.plans import load_plans, plans_dir
    from lakehouse.gold.plans import audit
    from lakehouse.gold.plans import commitment as cm

    cfg, settings, tables, _ = _context(env, spark=False)
    out = Table("plan", "name", "period", "status", "drawn")
    now = audit.now()
    for pid, plan in load_plans(settings).items():
        pair = audit.revealed(audit.events(tables, pid))
        rows = audit.ledger(tables, pid)
        st = (
            cm.plan_status(rows, now, plan.randomness_settings(settings).abandon_after_hours)["status"]
            if rows
            else ("drawn without a published commitment" if pair else "not committed")
        )
        out.add_row(pid, plan.name, f"{plan.period.start} – {plan.period.end}", st, str(pair[1]["at"]) if pair else "no")
    _console().print(out)
    _console().print(f"plan files in {plans_dir(settings)}")


def _shares(values: list[str], files: list[str]) -> dict[str, str]:
    from pathlib import Path

    from lakehouse.errors import RegulakeError

    out = {}
    for v in values:
        party, sep, share = v.partition("=")
        if not sep or not party or not share:
            raise RegulakeError(f"--share takes PARTY=HEX, got {v!r}")
        out[party] = share.strip()
    for v in files:
        party, sep, path = v.partition("=")
        if not sep or not Path(path).is_file():
            raise RegulakeError(f"--share-file takes PARTY=PATH of a readable file, got {v!r}")
        out[party] = Path(path).read_text(encoding="utf-8").strip()
    return out


@plan_app.command("commit")
def plan_commit(
    plan_id: str = typer.Argument(..., help="Plan id (a file in the plans folder)."),
    operator: Optional[str] = typer.Option(
        None, "--operator", help="Who commits (recorded in the audit table); default plans.operator or the OS user."
    ),
    replace: bool = typer.Option(False, "--replace", help="Replace an open commitment (the old one is published as abandoned)."),
    reason: Optional[str] = typer.Option(None, "--reason", help="Why an open commitment is replaced (published)."),
    env: Optional[str] = EnvOpt,
) -> None:
    """Phase 1: freeze the register and publish the commitment (fingerprint, share hash, T, the public value the draw will use)."""
    from lakehouse.config.plans import get_plan
    from lakehouse.gold.plans.workflow import commit_plan
    from lakehouse.runs import record_run

    cfg, settings, tables, spark = _context(env)
    plan = get_plan(settings, plan_id)
    console = _console()
    with record_run(cfg, "plan-commit") as run:
        with console.status(f"committing {plan_id} …") as status:
            out = commit_plan(spark, tables, settings, plan, operator=operator, progress=status.update, replace=replace, reason=reason)
        for name, v in out.input_versions.items():
            run.read(name, v)
        run.details.update(plan_id=plan_id, commitment_hash=out.commitment_hash, reveal_after=str(out.reveal_after))
    console.print(
        f"[green]{plan_id} committed[/green] (attempt {out.attempt}): register of {out.register_entities:,} entities frozen; "
        f"commitment {out.commitment_hash} published in gold.public_plan_commitments"
    )
    console.print(f"T          {out.reveal_after.isoformat()}Z (the draw is refused before it)\nrandomness {out.target['text']}")
    console.print(f"your share {out.share_file} — keep it secret until the draw; it is revealed then")
    if plan.randomness_settings(settings).parties:
        console.print(
            f"parties who must commit a share before T: {', '.join(plan.randomness_settings(settings).parties)} "
            f"('regulake plan share', then 'regulake plan commit-share {plan_id} --party NAME --share-hash HASH')"
        )
    console.print(f"then: regulake plan draw {plan_id}")


@plan_app.command("share")
def plan_share(
    plan_id: str = typer.Argument(...),
    party: str = typer.Option(..., "--party", help="Your party name, as the commitment names it."),
    out: Optional[str] = typer.Option(None, "--out", help="File to keep the share in (default: print it)."),
) -> None:
    """Make a secret share for a party and print its hash (to commit before T); needs no warehouse."""
    from pathlib import Path

    from lakehouse.gold.plans import commitment as cm

    share = cm.new_share()
    if out:
        Path(out).write_text(share + "\n", encoding="utf-8")
        Path(out).chmod(0o600)
    _console().print(
        f"share      {'(in ' + out + ')' if out else share}\nshare hash {cm.share_hash(plan_id, party, share)}\n"
        f"commit the hash before T; reveal the share at the draw (--share {party}=…)"
    )


@plan_app.command("commit-share")
def plan_commit_share(
    plan_id: str = typer.Argument(...),
    party: str = typer.Option(..., "--party"),
    share_hash: str = typer.Option(..., "--share-hash", help="SHA-256 from 'regulake plan share'."),
    env: Optional[str] = EnvOpt,
) -> None:
    """A further party's share hash, committed (and published) before T."""
    from lakehouse.gold.plans.workflow import commit_share

    _, settings, tables, spark = _context(env)
    res = commit_share(spark, tables, settings, plan_id, party, share_hash)
    _console().print(f"[green]{party}[/green]: share hash committed for {plan_id} attempt {res['attempt']} (T {res['reveal_after']})")


@plan_app.command("enter-value")
def plan_enter_value(
    source: str = typer.Option(..., "--source", help="Whose published value, e.g. 'China Welfare Lottery 3D'."),
    ref: str = typer.Option(..., "--ref", help="The publication's reference, e.g. the draw number."),
    value: str = typer.Option(..., "--value"),
    published_at: str = typer.Option(..., "--published-at", help="When it was published (ISO time, UTC unless an offset is given)."),
    url: Optional[str] = typer.Option(None, "--url", help="Where anyone can check it."),
    operator: Optional[str] = typer.Option(None, "--operator"),
    env: Optional[str] = EnvOpt,
) -> None:
    """Enter a published value (with its source) into the published-values file (plans.randomness.published_file)."""
    from lakehouse.errors import RegulakeError
    from lakehouse.gold.plans import audit, randomness
    from lakehouse.gold.plans.workflow import operator_name

    _, settings, _, _ = _context(env, spark=False)
    path = settings.randomness.published_file
    if not path:
        raise RegulakeError("set plans.randomness.published_file first (where published values are kept)")
    try:
        when = randomness.utc(published_at)
    except ValueError:
        raise RegulakeError(f"--published-at must be an ISO time, got {published_at!r}") from None
    e = randomness.enter_value(path, source, ref, value, when, url, operator_name(settings, operator), audit.now())
    _console().print(f"entered {e['source']} {e['ref']} = {e['value']} (published {e['published_at']}) in {path}")


@plan_app.command("draw")
def plan_draw(
    plan_id: str = typer.Argument(..., help="Plan id (committed with 'regulake plan commit')."),
    share: list[str] = typer.Option(
        [], "--share", help="PARTY=HEX: a party's revealed share (the operator's is read from the secrets folder)."
    ),
    share_file: list[str] = typer.Option([], "--share-file", help="PARTY=PATH: a party's revealed share in a file."),
    beacon_round: Optional[str] = typer.Option(
        None, "--beacon-round", help="JSON of the drand round fetched elsewhere (no relay reachable here); verified the same."
    ),
    operator: Optional[str] = typer.Option(None, "--operator", help="Who draws (recorded in the audit table)."),
    env: Optional[str] = EnvOpt,
) -> None:
    """Phase 2, after T only: reveal the shares, fetch and verify the public value, draw, publish. Waits (exit 3) while the value is missing."""
    from pathlib import Path

    from lakehouse.errors import RegulakeError
    from lakehouse.gold.plans.randomness import ValueNotYet
    from lakehouse.gold.plans.workflow import DrawTooEarly, draw_committed
    from lakehouse.runs import record_run

    shares = _shares(share, share_file)
    beacon = None
    if beacon_round:
        try:
            beacon = json.loads(Path(beacon_round).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise RegulakeError(f"--beacon-round {beacon_round}: not a readable JSON file ({exc})") from None
    cfg, settings, tables, spark = _context(env)
    console = _console()
    try:
        with record_run(cfg, "plan-draw") as run:
            with console.status(f"drawing {plan_id} …") as status:
                out = draw_committed(
                    spark, tables, settings, plan_id, shares=shares, beacon_round=beacon, operator=operator, progress=status.update
                )
            for name, v in out.input_versions.items():
                run.read(name, v)
            run.wrote("gold.inspection_tasks", out.tasks_version, rows=out.tasks)
            run.details.update(plan_id=plan_id, seed=out.seed, tasks_hash=out.tasks_hash, summary=out.summary)
    except (ValueNotYet, DrawTooEarly) as exc:
        console.print(f"[yellow]{plan_id}: not drawn — waiting[/yellow]: {exc}")
        raise typer.Exit(3) from None
    s = out.summary
    console.print(
        f"[green]{plan_id} drawn[/green] (attempt {out.attempt}): {out.tasks:,} tasks — {s['targeted']:,} targeted, "
        f"{s['random']:,} random, {s.get('cross_district', 0):,} cross-district — from {s['eligible']:,} eligible of "
        f"{s['register']:,} entities; {s['inspectors_used']:,} inspectors, at most {s['workload_max']} tasks each"
    )
    console.print(
        f"commitment {out.commitment_hash}\nT          {out.reveal_after.isoformat()}Z\n"
        f"value      {out.public_value.get('value') or '(none: local mode)'}\nseed       {out.seed}"
    )
    console.print(
        f"check it: regulake plan verify {plan_id}  (or anyone: python -m lakehouse.gold.plans.verifier {plan_id} --tables {tables.root})"
    )


@plan_app.command("verify")
def plan_verify(
    plan_id: str = typer.Argument(...),
    values: Optional[str] = typer.Option(
        None, "--values", help="A copy of the published-values file to check a 'published' value against."
    ),
    env: Optional[str] = EnvOpt,
) -> None:
    """Check commitment-before-T, shares, the public value, the seed and recompute the draw (exit 1 on any mismatch)."""
    from lakehouse.gold.plans.workflow import verify_plan

    _, _, tables, spark = _context(env)
    result = verify_plan(spark, tables, plan_id, values)
    console = _console()
    colour = {"ok": "green", "mismatch": "red", "unavailable": "yellow"}
    for c in result.checks:
        console.print(f"[{colour[c.status]}]{c.status:>11}[/{colour[c.status]}]  {c.name}: {c.detail}")
    if result.ok:
        console.print(
            f"[green]plan {plan_id} verified: committed before T, drawn after it from the committed shares and the public value, "
            "exactly as the recorded inputs give it[/green]"
        )
    else:
        console.print(f"[red]plan {plan_id} does NOT verify[/red]")
        raise typer.Exit(1)


@plan_app.command("show")
def plan_show(
    plan_id: str = typer.Argument(...), as_json: bool = typer.Option(False, "--json", help="Print JSON."), env: Optional[str] = EnvOpt
) -> None:
    """The plan's audit trail, sizes by share, district and item, and inspector workloads."""
    from lakehouse.gold.plans.workflow import show

    _, _, tables, _ = _context(env, spark=False)
    info = show(tables, plan_id)
    console = _console()
    if as_json:
        console.print_json(json.dumps(info, ensure_ascii=False, default=str))
        return
    console.print(f"public status: {info.get('status')}")
    for e in info["events"]:
        console.print(
            f"attempt {e['attempt']} {e['event']:<15} {e['at']}  by {e['operator']}"
            + (f"  party {e['party']}" if e.get("party") else "")
            + (f"  T {e['reveal_after']}" if e.get("reveal_after") else "")
            + (f"  seed {e['seed']}" if e.get("seed") else "")
            + (f"  {e['message']}" if e.get("message") else "")
        )
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
    from lakehouse.gold.plans.report import write_report

    cfg, settings, tables, _ = _context(env, spark=False)
    res = write_report(tables, plan_id, out or settings.reports_root, cfg.landing.answer_key_root)
    e = (res["plan"] or {}).get("expected") or {}
    console = _console()
    if e:
        console.print(
            f"expected hit rate: random plan {e['random_plan_hit_rate']:.1%}, random share {e['random_share_hit_rate'] or 0:.1%}, "
            f"targeted {e['targeted_hit_rate'] or 0:.1%}; oracle ratio {e['oracle_ratio'] or 0:.3f}; "
            f"law-abiding inspections avoided {e['law_abiding_avoided_targeted'] or 0:.0%} (targeted), "
            f"{e['law_abiding_avoided_plan'] or 0:.0%} (plan)"
        )
    console.print(f"report: {res['html']}")


@plan_app.command("publish")
def plan_publish(plan_id: str = typer.Argument(...), env: Optional[str] = EnvOpt) -> None:
    """Refresh the public tables (gold.public_inspection_plans / _results) with the results delivered so far."""
    from lakehouse.gold.plans.disclosure import publish

    _, _, tables, spark = _context(env)
    res = publish(spark, tables, plan_id)
    _console().print(
        f"published {plan_id}: {res['tasks']:,} tasks, {res['results_reported']:,} results, {res['problems_found']:,} with problems"
    )


def simulate_inspections(
    plan_id: str = typer.Argument(..., help="A drawn plan."),
    batch_date: Optional[str] = typer.Option(
        None, "--batch-date", help="Delivery date YYYY-MM-DD (default: the day after the plan period)."
    ),
    via_api: bool = typer.Option(
        False,
        "--via-api",
        help="Fill, sign and seal every task's record through the records API on loopback "
        "(the real path: PDFs, delivery links), then deliver the sealed records (issue 28).",
    ),
    env: Optional[str] = EnvOpt,
) -> None:
    """Play a plan's season: its inspection results, drawn from the answer key, as a SCJG-005 landing batch."""
    from lakehouse.errors import RegulakeError
    from simulator.inspections import simulate_inspections as run

    try:
        day = dt.date.fromisoformat(batch_date) if batch_date else None
    except ValueError:
        raise RegulakeError(f"--batch-date must be YYYY-MM-DD, got {batch_date!r}") from None
    cfg, _, tables, _ = _context(env, spark=False)
    if via_api:
        from serving.simulated_inspections import simulate_via_api

        out = simulate_via_api(cfg, tables, plan_id, day)
        _console().print(
            f"[green]{plan_id}[/green]: {out['sealed']:,} records sealed through the API, {out['rows']:,} delivered as "
            f"{out['path']} (batch {out['batch_date']}); next: regulake run bronze && regulake run silver"
        )
        return
    res = run(tables, plan_id, cfg.landing.root, cfg.landing.answer_key_root, day)
    _console().print(
        f"[green]{plan_id}[/green]: {res.rows:,} inspection results ({res.problems:,} with problems) delivered as "
        f"{res.path} (batch {res.batch_date}); next: regulake run bronze && regulake run silver"
    )

"""The ``regulake`` command.

Expected errors (``RegulakeError``) print one clear message and exit with status 2;
anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from lakehouse.errors import RegulakeError

app = typer.Typer(help="regulake: a lakehouse for AI + double-random market supervision.", no_args_is_help=True, pretty_exceptions_enable=False)
config_app = typer.Typer(help="Show and check configuration.", no_args_is_help=True)
table_app = typer.Typer(help="Inspect and maintain Delta tables.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(table_app, name="table")

console = Console()
err_console = Console(stderr=True)

EnvOpt = typer.Option(None, "--env", "-e", help="Configuration environment (conf/<env>.yaml); default REGULAKE_ENV or local.")


def _config(env: Optional[str]):
    from lakehouse.config import load_config

    return load_config(env)


def _tables(env: Optional[str]):
    from lakehouse.tables import Tables

    return Tables.from_config(_config(env))


@config_app.command("show")
def config_show(env: Optional[str] = EnvOpt) -> None:
    """Print the effective configuration (after files and environment overrides)."""
    console.print_json(_config(env).model_dump_json())


@config_app.command("check")
def config_check(env: Optional[str] = EnvOpt) -> None:
    """Validate the configuration, the Java runtime and the Delta Lake jars (starts a Spark session)."""
    from lakehouse.spark import check_java, delta_jars, delta_version, get_spark

    cfg = _config(env)
    check_java()
    jars, version = delta_jars(cfg)
    console.print(f"[green]configuration '{cfg.env}' is valid[/green]; warehouse at {cfg.warehouse.root}")
    console.print(f"Delta Lake {version}: {len(jars)} jars from {jars[0].rsplit('/', 1)[0]}")
    console.print(f"Spark session started with Delta Lake {delta_version(get_spark(cfg))}")


@table_app.command("list")
def table_list(env: Optional[str] = EnvOpt) -> None:
    """List the tables in the warehouse with their current version."""
    tables = _tables(env)
    out = Table("table", "version", "files", "rows")
    for name in tables.list():
        info = tables.describe(name)
        out.add_row(name, str(info["version"]), str(info["num_files"]), str(info["num_records"]))
    console.print(out)


@table_app.command("history")
def table_history(name: str, limit: int = typer.Option(20, help="Newest commits to show."), env: Optional[str] = EnvOpt) -> None:
    """Commit history of a table (version, time, operation, metrics)."""
    out = Table("version", "timestamp", "operation", "parameters")
    for h in _tables(env).history(name, limit=limit):
        operation = h.get("regulake.operation") or h.get("operation")  # delta-rs records every commit as WRITE
        out.add_row(str(h.get("version")), str(h.get("timestamp")), str(operation), json.dumps(h.get("operationParameters", {}), ensure_ascii=False)[:80])
    console.print(out)


@table_app.command("vacuum")
def table_vacuum(
    name: str,
    retention_hours: Optional[float] = typer.Option(None, help="Default: the table's delta.deletedFileRetentionDuration."),
    dry_run: bool = typer.Option(False, help="List what would be removed."),
    env: Optional[str] = EnvOpt,
) -> None:
    """Remove files no longer referenced (and staging files of writers that never committed)."""
    removed = _tables(env).vacuum(name, retention_hours=retention_hours, dry_run=dry_run)
    console.print(f"{'would remove' if dry_run else 'removed'} {len(removed)} files from {name}")


@table_app.command("optimize")
def table_optimize(name: str = typer.Argument(..., help="A table (silver.tax), or a layer (silver) for each of its tables."),
                   env: Optional[str] = EnvOpt) -> None:
    """Compact small files (daily merges add a few files per partition; compact weekly)."""
    tables = _tables(env)
    if "." in name:
        console.print_json(json.dumps(tables.optimize(name), default=str))
        return
    names = [t for t in tables.list() if t.split(".", 1)[0] == name]
    if not names:
        raise RegulakeError(f"no tables in layer {name!r}; give a table as '<layer>.<name>' or a layer that has tables (see 'regulake table list')")
    for t in names:
        m = tables.optimize(t)
        console.print(f"{t}: {m.get('numFilesRemoved', 0)} files compacted into {m.get('numFilesAdded', 0)}")


@table_app.command("checkpoint")
def table_checkpoint(name: str, env: Optional[str] = EnvOpt) -> None:
    """Write a checkpoint of the table's log."""
    _tables(env).checkpoint(name)
    console.print(f"checkpoint written for {name}")


# --- commands of the catalog and the city simulator (issue 3) -------------------
# (catalog/cli.py and lakehouse/landing/cli.py register themselves here)
from catalog.cli import app as catalog_app  # noqa: E402  (kept inside the marked block)
from lakehouse.landing.cli import simulate  # noqa: E402

app.add_typer(catalog_app, name="catalog")
from lakehouse.serving.cli import serve_app, trino_app  # noqa: E402

app.add_typer(trino_app, name="trino")
from lakehouse.plans.cli import plan_app, simulate_inspections  # noqa: E402

app.add_typer(plan_app, name="plan")
app.command("simulate-inspections")(simulate_inspections)
app.add_typer(serve_app, name="serve")
app.command("simulate")(simulate)
# --- end of catalog and simulator commands ---------------------------------------


JOBS = {
    "bronze": "jobs.bronze", "silver": "jobs.silver", "gold": "jobs.gold",
    "complaints": "jobs.complaints", "clusters": "jobs.clusters",
    "factors": "jobs.factors", "train": "jobs.train", "score": "jobs.score", "rescore": "jobs.rescore",
}
PIPELINE = ["bronze", "silver", "gold", "complaints", "clusters", "factors"]
INCREMENT = ["bronze", "silver", "rescore"]


def _run_jobs(names: list[str], env: Optional[str]) -> None:
    import importlib

    from lakehouse.spark import get_spark

    cfg = _config(env)
    spark = get_spark(cfg)
    for job in names:
        with console.status(f"{job} …") as status:
            result = importlib.import_module(JOBS[job]).run(cfg, spark, progress=status.update)
        console.print(f"[green]{job} done[/green]: {len(result)} unit(s) of work; run record in {cfg.runs.root}")


@app.command("run")
def run_job(job: str = typer.Argument(..., help=f"One of: {', '.join(JOBS)}."), env: Optional[str] = EnvOpt) -> None:
    """Run one job of the pipeline."""
    if job not in JOBS:
        raise RegulakeError(f"unknown job '{job}'; choose one of: {', '.join(JOBS)}")
    _run_jobs([job], env)


@app.command("pipeline")
def pipeline(env: Optional[str] = EnvOpt) -> None:
    """Run every layer in order: bronze, silver, gold, complaints, clusters, factors (each idempotent and resumable)."""
    _run_jobs(PIPELINE, env)


@app.command("increment")
def increment(env: Optional[str] = EnvOpt) -> None:
    """The daily increment in one Spark session: bronze, silver, and rescore (the entities with new deliveries)."""
    _run_jobs(INCREMENT, env)


@app.command("demo")
def demo(env: Optional[str] = EnvOpt) -> None:
    """Simulate a small city and run the pipeline on it (what `make demo` runs)."""
    from jobs import demo as demo_job
    from lakehouse.spark import get_spark

    cfg = _config(env)
    demo_job.run(cfg, get_spark(cfg), say=lambda message: console.print(message, soft_wrap=True))


@app.command("bench")
def bench(
    scale: float = typer.Option(0.1, "--scale", "-s", help="Scale factor the benchmark sizes follow (SF 0.1 = the README's figures)."),
    only: Optional[list[str]] = typer.Option(None, "--only", help="Run only this benchmark (repeatable)."),
    pipeline: bool = typer.Option(False, "--pipeline", help="Also run every stage at this scale with time and peak memory (bench/scale.py)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Results file (default bench/RESULTS.md)."),
) -> None:
    """Run every benchmark and write a table of their ratios and figures to bench/RESULTS.md."""
    import runpy

    script = Path(__file__).resolve().parents[1] / "bench" / "run_all.py"
    if not script.exists():
        raise RegulakeError(f"the benchmarks are not here ({script.parent}); run 'regulake bench' from a clone of the repository")
    argv = ["--scale", f"{scale:g}"] + (["--only", *only] if only else []) + (["--pipeline"] if pipeline else [])
    argv += ["--out", str(out)] if out else []
    sys.path.insert(0, str(script.parent))
    runpy.run_path(str(script), run_name="regulake_bench")["main"](argv)


def main() -> None:
    try:
        app()
    except RegulakeError as exc:
        err_console.print(f"[bold red]error:[/bold red] {exc}", highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()

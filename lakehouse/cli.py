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

app = typer.Typer(
    help="regulake: a lakehouse for AI + double-random market supervision.", no_args_is_help=True, pretty_exceptions_enable=False
)
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


def _spark_tables(env: Optional[str]):
    """Tables with a Spark session (delta-spark runs optimize, vacuum, restore, history and SQL)."""
    from lakehouse.spark import get_spark
    from lakehouse.tables import Tables

    cfg = _config(env)
    return Tables.from_config(cfg, get_spark(cfg))


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
    """Commit history of a table (version, time, operation, parameters), from its Delta log."""
    out = Table("version", "timestamp", "operation", "parameters")
    for h in _tables(env).history(name, limit=limit):
        operation = h.get("regulake.operation") or h.get("operation")
        out.add_row(
            str(h.get("version")),
            str(h.get("timestamp")),
            str(operation),
            json.dumps(h.get("operationParameters", {}), ensure_ascii=False)[:80],
        )
    console.print(out)


@table_app.command("vacuum")
def table_vacuum(
    name: str,
    retention_hours: Optional[float] = typer.Option(None, help="Default: the table's delta.deletedFileRetentionDuration."),
    dry_run: bool = typer.Option(False, help="List what would be removed."),
    env: Optional[str] = EnvOpt,
) -> None:
    """VACUUM: remove files no version within the retention needs (also files of writers that died)."""
    removed = _spark_tables(env).vacuum(name, retention_hours=retention_hours, dry_run=dry_run)
    console.print(f"{'would remove' if dry_run else 'removed'} {len(removed)} files from {name}")


@table_app.command("optimize")
def table_optimize(
    name: str = typer.Argument(..., help="A table (silver.tax), or a layer (silver) for each of its tables."),
    zorder: Optional[str] = typer.Option(None, "--zorder", help="Comma-separated columns to Z-order by (one table)."),
    where: Optional[str] = typer.Option(None, help="Only the partitions this predicate selects (one table)."),
    env: Optional[str] = EnvOpt,
) -> None:
    """OPTIMIZE: compact small files, or Z-order (daily merges add a few files per partition; compact weekly)."""
    tables = _spark_tables(env)
    if "." in name:
        cols = [c.strip() for c in zorder.split(",")] if zorder else None
        console.print_json(json.dumps(tables.optimize(name, zorder_by=cols, where=where), default=str))
        return
    if zorder or where:
        raise RegulakeError("--zorder and --where apply to one table; give it as '<layer>.<name>'")
    names = [t for t in tables.list() if t.split(".", 1)[0] == name]
    if not names:
        raise RegulakeError(
            f"no tables in layer {name!r}; give a table as '<layer>.<name>' or a layer that has tables (see 'regulake table list')"
        )
    for t in names:
        m = tables.optimize(t)
        console.print(f"{t}: {m.get('numFilesRemoved', 0)} files compacted into {m.get('numFilesAdded', 0)}")


@table_app.command("restore")
def table_restore(
    name: str,
    version: Optional[int] = typer.Option(None, help="Version to restore."),
    timestamp: Optional[str] = typer.Option(None, help="Or the version as of this time (ISO)."),
    env: Optional[str] = EnvOpt,
) -> None:
    """RESTORE a table to an earlier version: a new version with those rows (history is kept)."""
    new = _spark_tables(env).restore(name, version=version, timestamp=timestamp)
    console.print(f"{name} restored to {'version ' + str(version) if version is not None else timestamp} as version {new}")


@app.command("sql")
def sql(
    statement: str = typer.Argument(..., help='One Spark SQL statement, e.g. "SELECT count(*) FROM gold.risk_scores".'),
    limit: int = typer.Option(50, help="Rows to print."),
    env: Optional[str] = EnvOpt,
) -> None:
    """Run one Spark SQL statement over the warehouse's tables (schemas bronze, silver, gold, audit …) and print the result."""
    tables = _spark_tables(env)
    tables.register_catalog()
    try:
        df = tables.spark.sql(statement)
    except Exception as exc:  # Spark's parse and analysis errors are the user's: one message, no traceback
        from pyspark.errors import AnalysisException, ParseException

        if isinstance(exc, (AnalysisException, ParseException)):
            raise RegulakeError(f"Spark SQL refused the statement: {str(exc).strip().splitlines()[0]}") from None
        raise
    out = Table(*df.columns)
    rows = df.limit(limit + 1).collect()
    for r in rows[:limit]:
        out.add_row(*[str(v) for v in r])
    console.print(out)
    if len(rows) > limit:
        console.print(f"(first {limit} rows; --limit N for more)")


@app.command("spark-settings")
def spark_settings(env: Optional[str] = EnvOpt) -> None:
    """Print the pyspark / spark-submit command line that gives a session regulake's Delta jars and settings."""
    from lakehouse.spark import spark_conf

    cfg = _config(env)
    conf = spark_conf(cfg)
    jars = conf.pop("spark.jars")
    args = [f"--jars {jars}"] + [f"--conf '{k}={v}'" for k, v in sorted(conf.items()) if k != "spark.app.name"]
    console.print("pyspark " + " \\\n  ".join(args), soft_wrap=True)
    console.print(
        "# then, in the shell: from lakehouse.tables import Tables; Tables('"
        f"{cfg.warehouse.root}', spark).register_catalog()  # or read delta.`<warehouse>/gold/<table>` directly"
    )


@table_app.command("checkpoint")
def table_checkpoint(name: str, env: Optional[str] = EnvOpt) -> None:
    """Write a checkpoint of the table's log."""
    _tables(env).checkpoint(name)
    console.print(f"checkpoint written for {name}")


# --- commands of the catalog and the city simulator (issue 3) -------------------
# (catalog/cli.py and simulator/cli.py register themselves here)
from catalog.cli import app as catalog_app  # noqa: E402  (kept inside the marked block)
from simulator.cli import simulate  # noqa: E402

app.add_typer(catalog_app, name="catalog")
from serving.cli import serve_app, trino_app  # noqa: E402

app.add_typer(trino_app, name="trino")
from lakehouse.gold.plans.cli import plan_app, simulate_inspections  # noqa: E402

app.add_typer(plan_app, name="plan")
app.command("simulate-inspections")(simulate_inspections)
app.add_typer(serve_app, name="serve")
app.command("simulate")(simulate)
from serving.inspections.cli import app as inspections_app  # noqa: E402  (issue 28)

app.add_typer(inspections_app, name="inspections")
# --- end of catalog and simulator commands ---------------------------------------


JOBS = {
    "bronze": "jobs.bronze",
    "silver": "jobs.silver",
    "gold": "jobs.gold",
    "complaints": "jobs.complaints",
    "clusters": "jobs.clusters",
    "factors": "jobs.factors",
    "train": "jobs.train",
    "score": "jobs.score",
    "rescore": "jobs.rescore",
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
    pipeline: bool = typer.Option(
        False, "--pipeline", help="Also run every stage at this scale with time and peak memory (bench/scale.py)."
    ),
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

"""``regulake simulate``: write a simulated city's department exports and its answer key."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def simulate(
    scale: float = typer.Option(0.01, "--scale", "-s", help="Scale factor: 1 = 900k entities and ~140M records."),
    days: int = typer.Option(1, "--days", "-d", help="Daily increments after the history batch."),
    seed: int = typer.Option(42, "--seed", help="Random seed; the same seed gives byte-identical output."),
    out_dir: Optional[Path] = typer.Option(None, "--out-dir", help="Landing folder (default: the config's landing.root)."),
    answer_key_dir: Optional[Path] = typer.Option(None, "--answer-key-dir", help="Answer-key folder (default: landing.answer_key_root)."),
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="Worker processes (catalogs are shared out; output is the same)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an earlier simulation in those folders."),
    catalog: Optional[list[str]] = typer.Option(None, "--catalog", help="Only these catalog codes (repeatable)."),
    env: Optional[str] = typer.Option(
        None, "--env", "-e", help="Configuration environment (conf/<env>.yaml); default REGULAKE_ENV or local."
    ),
) -> None:
    """Simulate Foshan's market entities and the 96 departments' exports to the landing zone."""
    import time

    from rich.console import Console

    from lakehouse.config import load_config
    from simulator.simulate import Settings
    from simulator.simulate import simulate as run_simulation

    cfg = load_config(env)
    out = out_dir or Path(cfg.landing.root)
    key = answer_key_dir or Path(cfg.landing.answer_key_root)
    settings = Settings.from_config(cfg.simulator, scale, days, seed, out, key)
    console = Console()
    t0 = time.perf_counter()
    run = run_simulation(
        scale, days, seed, out, key, settings=settings, workers=workers, overwrite=overwrite, catalogs=catalog or None, progress=None
    )
    secs = time.perf_counter() - t0
    console.print(
        f"[green]simulated[/green] {run['entities']:,} entities, {run['records']:,} records in {run['files']:,} files "
        f"over {len(run['batches'])} batches in {secs:.1f}s ({run['records'] / max(secs, 1e-9):,.0f} records/s)\n"
        f"landing: {out}\nanswer key: {key} ({run['dirty_records']:,} dirty records listed)"
    )

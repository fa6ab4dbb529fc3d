"""Run records: what each job read, wrote and rejected, kept as JSON under ``runs.root``.

Example::

    >>> with record_run(cfg, "bronze") as run:            # doctest: +SKIP
    ...     run.read("bronze.ingested_files", 3)
    ...     run.wrote("bronze.records", 4, rows=1200)
    ...     run.rejected("bronze.rejects", rows=2)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lakehouse.config import RegulakeConfig


@dataclass
class RunRecord:
    job: str
    run_id: str
    env: str
    started_at: str
    host: str
    status: str = "running"
    ended_at: str | None = None
    seconds: float | None = None
    rows_in: int = 0
    rows_out: int = 0
    rows_rejected: int = 0
    tables_read: dict[str, int] = field(default_factory=dict)
    tables_written: dict[str, int | None] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def read(self, table: str, version: int | None, rows: int = 0) -> None:
        if version is not None:
            self.tables_read[table] = version
        self.rows_in += rows

    def wrote(self, table: str, version: int | None, rows: int = 0) -> None:
        self.tables_written[table] = version
        self.rows_out += rows

    def rejected(self, table: str, version: int | None = None, rows: int = 0) -> None:
        if version is not None:
            self.tables_written[table] = version
        self.rows_rejected += rows


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def runs_dir(cfg: RegulakeConfig) -> Path:
    return Path(cfg.runs.root)


@contextlib.contextmanager
def record_run(cfg: RegulakeConfig, job: str) -> Iterator[RunRecord]:
    """Record a job's run; the record is written even when the job fails."""
    start = _now()
    run = RunRecord(
        job=job,
        run_id=f"{start:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}",
        env=cfg.env,
        started_at=start.isoformat(),
        host=socket.gethostname(),
    )
    try:
        yield run
        run.status = "succeeded"
    except BaseException as exc:
        run.status = "failed"
        run.error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        end = _now()
        run.ended_at = end.isoformat()
        run.seconds = round((end - start).total_seconds(), 3)
        folder = runs_dir(cfg)
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{run.run_id}-{job}.json.tmp"
        tmp.write_text(json.dumps(asdict(run), ensure_ascii=False, indent=2), encoding="utf-8")
        os.replace(tmp, folder / f"{run.run_id}-{job}.json")


def list_runs(cfg: RegulakeConfig, job: str | None = None) -> list[dict[str, Any]]:
    folder = runs_dir(cfg)
    if not folder.exists():
        return []
    out = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]
    return [r for r in out if job is None or r["job"] == job]

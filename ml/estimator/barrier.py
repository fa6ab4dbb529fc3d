"""LightGBM's data-parallel learner inside one Spark barrier stage.

Every task of the stage holds one partition of the training rows and becomes one LightGBM
"machine". The tasks find each other through the barrier context, not through hostnames:

1. each task takes its executor's IP address from ``BarrierTaskContext.getTaskInfos()`` and
   asks the OS for a free port on it;
2. ``allGather`` exchanges ``ip:port`` and row counts, so every task builds the same machine
   list (ordered by partition id, which is the rank);
3. LightGBM's own network connects the ranks (``tree_learner=data``) and trains;
4. a second ``allGather`` compares a digest of every rank's model: all ranks must have built
   the same trees, and rank 0 returns the model.

Nothing may hang. The guards, from the inside out:

* a start-up watchdog thread per task ends the worker process when LightGBM has not finished
  its first iteration within ``startup_timeout`` seconds (a peer that never connects);
* LightGBM's socket time-out (``time_out``, minutes) and Spark's ``spark.barrier.sync.timeout``
  (set to 120 s by :mod:`lakehouse.spark`) bound every wait;
* the driver runs the stage in its own job group and cancels it after ``timeout`` seconds;
* before starting, the driver checks that the cluster has a slot for every task, because a
  barrier stage with too few slots waits for slots that never come.

A bind failure (another process took the port between probe and bind) fails the stage with a
recognisable message; the driver then retries the whole stage with fresh ports.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import logging
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lakehouse.errors import RegulakeError

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame

log = logging.getLogger(__name__)

BIND_FAILED = "regulake-lightgbm-bind-failed"
WATCHDOG_EXIT = 70
RESULT_SCHEMA = "rank int, rows long, digest string, model string, best_iteration int"


class TrainingError(RegulakeError):
    """Distributed training failed; the message says where and what to change."""


@dataclass(frozen=True)
class BarrierSpec:
    """What every task needs; pickled into the barrier stage."""

    features: str  # array<double> column
    label: str
    weight: str | None
    params: dict[str, Any]
    num_rounds: int
    startup_timeout: float  # seconds until the first iteration must be done
    valid: Any = None  # broadcast (X, y, w) of the validation rows, identical on every rank
    early_stopping: int = 0
    fault: str | None = None  # tests only: "exit:<rank>" ends that rank's worker before the network starts


def matrix(batch_or_table, features: str) -> np.ndarray:
    """The ``features`` array column of an Arrow batch/table as a dense float64 matrix (nulls → NaN)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    col = batch_or_table.column(features)
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks else pa.array([], col.type)
    n = len(col)
    if n == 0:
        return np.empty((0, 0))
    sizes = pc.list_value_length(col).to_numpy(zero_copy_only=False)
    if sizes.min() != sizes.max():
        raise TrainingError(f"feature vectors in '{features}' have different lengths ({sizes.min()}..{sizes.max()})")
    values = col.flatten().cast(pa.float64()).to_numpy(zero_copy_only=False)
    return values.reshape(n, int(sizes[0]))


def list_array(X: np.ndarray):
    """A dense matrix as an Arrow list<double> column, one list per row (the inverse of :func:`matrix`)."""
    import pyarrow as pa

    k = X.shape[1]
    offsets = pa.array(np.arange(0, (len(X) + 1) * k, k, dtype=np.int32))
    return pa.ListArray.from_arrays(offsets, pa.array(np.ascontiguousarray(X, dtype=float).ravel(), pa.float64()))


def column(batch_or_table, name: str | None) -> np.ndarray | None:
    if name is None:
        return None
    import pyarrow as pa

    return batch_or_table.column(name).cast(pa.float64()).to_numpy(zero_copy_only=False)


class Watchdog:
    """Ends this process unless :meth:`started` is called within ``seconds``.

    A C call blocked on a socket cannot be interrupted from Python; ending the worker process
    makes Spark fail the task, and a barrier stage fails with any of its tasks.
    """

    def __init__(self, seconds: float, what: str):
        self._event = threading.Event()
        self._what = what
        self._thread = threading.Thread(target=self._watch, args=(seconds,), daemon=True, name="lightgbm-watchdog")
        self._thread.start()

    def _watch(self, seconds: float) -> None:
        if not self._event.wait(seconds):
            sys.stderr.write(f"regulake: {self._what}: LightGBM did not start within {seconds:.0f} s; ending the task\n")
            sys.stderr.flush()
            os._exit(WATCHDOG_EXIT)

    def started(self) -> None:
        self._event.set()


def _free_port(ip: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((ip, 0))
        return s.getsockname()[1]


def _task_ip(address: str) -> str:
    host = address.rsplit(":", 1)[0].strip("[]")
    try:
        return socket.gethostbyname(host)
    except OSError:
        return "127.0.0.1"


def train_partition(spec: BarrierSpec, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """The body of one barrier task (runs on an executor)."""
    import lightgbm as lgb
    import pyarrow as pa
    from pyspark import BarrierTaskContext

    ctx = BarrierTaskContext.get()
    rank = ctx.partitionId()
    xs, ys, ws = [], [], []
    for b in batches:
        if b.num_rows:
            xs.append(matrix(b, spec.features))
            ys.append(column(b, spec.label))
            if spec.weight:
                ws.append(column(b, spec.weight))
    X = np.vstack(xs) if xs else np.empty((0, 0))
    y = np.concatenate(ys) if ys else np.empty(0)
    w = np.concatenate(ws) if ws else None

    watchdog = Watchdog(spec.startup_timeout, f"rank {rank}")
    ip = _task_ip(ctx.getTaskInfos()[rank].address)
    port = _free_port(ip)
    peers = [json.loads(m) for m in ctx.allGather(json.dumps({"ip": ip, "port": port, "rows": int(len(y))}))]
    empty = [i for i, p in enumerate(peers) if p["rows"] == 0]
    if empty:
        raise TrainingError(f"barrier partitions {empty} hold no training rows; use fewer tasks (numTasks) than rows")
    if spec.fault == f"exit:{rank}":
        os._exit(13)
    machines = ",".join(f"{p['ip']}:{p['port']}" for p in peers)
    # The network is set up here, not by lgb.train, so the watchdog knows when every peer is connected.
    try:
        lgb.basic._safe_call(
            lgb.basic._LIB.LGBM_NetworkInit(lgb.basic._c_str(machines), ctypes.c_int(port), ctypes.c_int(1), ctypes.c_int(len(peers)))
        )
    except lgb.basic.LightGBMError as e:
        raise TrainingError(f"{BIND_FAILED}: rank {rank} could not open the LightGBM network on {ip}:{port}: {e}") from e
    watchdog.started()
    params = dict(spec.params)
    params.update(num_machines=len(peers), tree_learner=params.get("tree_learner", "data"), pre_partition=True)
    callbacks: list = []
    valid_sets = []
    try:
        train_set = lgb.Dataset(X, y, weight=w, free_raw_data=True)
        if spec.valid is not None:
            Xv, yv, wv = spec.valid.value
            valid_sets = [lgb.Dataset(Xv, yv, weight=wv, reference=train_set)]
            if spec.early_stopping:
                callbacks.append(lgb.early_stopping(spec.early_stopping, verbose=False))
        booster = lgb.train(params, train_set, num_boost_round=spec.num_rounds, valid_sets=valid_sets, callbacks=callbacks)
    finally:
        lgb.basic._LIB.LGBM_NetworkFree()
    model = booster.model_to_string()
    digest = trees_digest(model)
    digests = ctx.allGather(digest)
    if len(set(digests)) != 1:
        raise TrainingError(f"ranks built different models (digests {sorted(set(digests))}); the data-parallel learner lost sync")
    yield pa.RecordBatch.from_pydict(
        {
            "rank": [rank],
            "rows": [int(len(y))],
            "digest": [digest],
            "model": [model if rank == 0 else None],
            "best_iteration": [int(booster.best_iteration or 0)],
        },
        schema=pa.schema(
            [("rank", pa.int32()), ("rows", pa.int64()), ("digest", pa.string()), ("model", pa.string()), ("best_iteration", pa.int32())]
        ),
    )


def trees_digest(model: str) -> str:
    """Digest of a model's trees (the parameter section differs per rank: ports, machines)."""
    return hashlib.sha256(model.split("end of trees", 1)[0].encode()).hexdigest()


def available_slots(spark) -> int:
    """Tasks the cluster can run at once (what a barrier stage needs all at the same time)."""
    sc = spark.sparkContext
    try:
        jsc = sc._jsc.sc()
        return int(jsc.maxNumConcurrentTasks(jsc.resourceProfileManager().defaultResourceProfile()))
    except Exception:  # noqa: BLE001 - private API; fall back to the default parallelism
        return int(sc.defaultParallelism)


def wait_for_slots(spark, needed: int, seconds: float = 30.0) -> int:
    """:func:`available_slots`, waiting up to ``seconds`` for executors still registering.

    A cluster application's executors register one by one after the session starts; a
    training right after start-up would otherwise see fewer slots than the cluster has.
    Local mode has all its slots from the start.
    """
    slots = available_slots(spark)
    if slots >= needed or spark.sparkContext.master.startswith("local"):
        return slots
    deadline = time.monotonic() + seconds
    while slots < needed and time.monotonic() < deadline:
        time.sleep(0.5)
        slots = available_slots(spark)
    return slots


@dataclass
class BarrierResult:
    model: str
    digest: str
    rows_per_rank: list[int]
    best_iteration: int
    attempts: int
    seconds: float


def run(df: DataFrame, spec: BarrierSpec, num_tasks: int, timeout: float, retries: int = 2) -> BarrierResult:
    """Train on ``df`` (columns ``spec.features``, label, weight) in one barrier stage of ``num_tasks`` tasks."""
    spark = df.sparkSession
    sc = spark.sparkContext
    slots = wait_for_slots(spark, num_tasks)
    if num_tasks > slots:
        raise TrainingError(
            f"the barrier stage needs {num_tasks} task slots at once but the cluster offers {slots}; "
            f"set numTasks <= {slots} or add executor cores"
        )
    data = df.repartition(num_tasks)
    last: Exception | None = None
    started = time.monotonic()
    for attempt in range(1, retries + 2):
        group = f"regulake-lightgbm-{uuid.uuid4().hex[:12]}"
        box: dict[str, Any] = {}

        def _job() -> None:
            sc.setJobGroup(group, f"LightGBM data-parallel training, {num_tasks} tasks", interruptOnCancel=True)
            try:
                fn = _bind(spec)
                box["rows"] = data.mapInArrow(fn, RESULT_SCHEMA, barrier=True).collect()
            except BaseException as e:  # noqa: BLE001 - handed to the caller's thread
                box["error"] = e
            finally:
                sc.setLocalProperty("spark.jobGroup.id", None)

        from pyspark import InheritableThread

        t = InheritableThread(target=_job, daemon=True, name="lightgbm-barrier")
        t.start()
        t.join(timeout)
        if t.is_alive():
            sc.cancelJobGroup(group)
            t.join(30)
            raise TrainingError(
                f"distributed LightGBM did not finish within {timeout:.0f} s; the job was cancelled. "
                "Raise the timeout for large data, or look for a worker that cannot reach its peers (firewall, ports)"
            )
        if "error" not in box:
            rows = sorted(box["rows"], key=lambda r: r["rank"])
            digests = {r["digest"] for r in rows}
            if len(digests) != 1:
                raise TrainingError(f"ranks returned different models: {sorted(digests)}")
            return BarrierResult(
                model=rows[0]["model"],
                digest=rows[0]["digest"],
                rows_per_rank=[r["rows"] for r in rows],
                best_iteration=rows[0]["best_iteration"],
                attempts=attempt,
                seconds=time.monotonic() - started,
            )
        last = box["error"]
        if BIND_FAILED not in str(last):
            break
        log.warning("LightGBM could not bind its port (attempt %d); retrying with fresh ports", attempt)
    raise TrainingError(f"distributed LightGBM failed: {_summary(last)}") from last


def _bind(spec: BarrierSpec):
    def fn(batches):
        return train_partition(spec, batches)

    return fn


def _summary(e: BaseException | None) -> str:
    text = str(e) if e is not None else "unknown error"
    for marker in ("TrainingError: ", "LightGBMError: "):
        if marker in text:
            return text.split(marker, 1)[1].splitlines()[0]
    if "exited unexpectedly" in text or "crashed" in text or "Python worker exited" in text:
        return "a training task's worker process died (see the executor log); the barrier stage was aborted"
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return lines[0][:500] if lines else text[:500]

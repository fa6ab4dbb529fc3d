"""The city simulator: ``simulate(scale, days, seed, ...)`` writes the departments' exports
to the landing zone and the planted truth to the answer key.

Deterministic for a seed: every catalog, batch and chunk draws from its own random stream
(``[seed, catalog number, batch, chunk, purpose]``), so output does not depend on the order
or the number of worker processes. Records stream to files chunk by chunk; only the entity
master (about 1 KB per entity) stays in memory.

    >>> from simulator.simulate import simulate                      # doctest: +SKIP
    >>> simulate(0.001, days=2, seed=7, out_dir="landing", answer_key_dir="answer_key")
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
import pyarrow as pa

from lakehouse.errors import RegulakeError

MARKER = ".regulake-simulated"
FREQUENCY_DAYS = {"realtime": 1, "daily": 1, "weekly": 7, "monthly": 30, "quarterly": 91, "yearly": 365}
# catalogs carrying the planted file faults
ADDED_COLUMN_CATALOG, ADDED_COLUMN = "SCJG-004", "变更原因"
GBK_FAULT_CATALOG = "SCJG-006"
TRUNCATED_CATALOG = "SBJ-001"
ADDED_COLUMN_TEXTS = ["经营需要", "股东会决议", "迁址", "法定代表人变更", "增资扩股"]


@dataclass
class Settings:
    scale: float
    days: int
    seed: int
    out_dir: Path
    answer_key_dir: Path
    start: str = "2026-01-01"
    entities_sf1: int = 900_000
    daily_records_sf1: int = 180_000
    base_hit_rate: float = 0.176
    cluster_entities_sf1: int = 300
    chunk_rows: int = 200_000
    rates: dict = field(default_factory=dict)
    late_correction_rate: float = 0.05
    file_faults: bool = True

    @classmethod
    def from_config(cls, sim, scale: float, days: int, seed: int, out_dir, answer_key_dir) -> Settings:
        return cls(
            scale=scale,
            days=days,
            seed=seed,
            out_dir=Path(out_dir),
            answer_key_dir=Path(answer_key_dir),
            start=sim.start_date,
            entities_sf1=sim.entities_sf1,
            daily_records_sf1=sim.daily_records_sf1,
            base_hit_rate=sim.base_hit_rate,
            cluster_entities_sf1=sim.cluster_entities_sf1,
            chunk_rows=sim.chunk_rows,
            rates={
                "missing": sim.missing_rate,
                "bad_check_digit": sim.bad_check_digit_rate,
                "date_format": sim.date_format_rate,
                "full_width": sim.full_width_rate,
                "whitespace": sim.whitespace_rate,
                "duplicate": sim.duplicate_rate,
            },
            late_correction_rate=sim.late_correction_rate,
            file_faults=sim.file_faults,
        )


# state shared with forked workers (set once per run, read-only afterwards)
_STATE: dict = {}


def _prepare_dir(path: Path, overwrite: bool, what: str) -> None:
    if path.exists() and any(path.iterdir()):
        if not (path / MARKER).exists():
            raise RegulakeError(f"{what} {path} is not empty and was not written by the simulator; choose an empty folder")
        if not overwrite:
            raise RegulakeError(f"{what} {path} holds an earlier simulation; pass --overwrite to replace it")
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)


def simulate(
    scale: float,
    days: int,
    seed: int,
    out_dir,
    answer_key_dir,
    settings: Optional[Settings] = None,
    workers: int = 1,
    overwrite: bool = False,
    catalogs: Optional[list[str]] = None,
    progress: Optional[Callable[[str], None]] = None,
) -> dict:
    """Simulate the city and write landing files, manifests and the answer key.

    Returns the run summary (also written to ``<answer_key_dir>/run.json``).
    """
    from catalog.loader import load_catalog
    from simulator.answer_key import write_faults, write_run, write_truth
    from simulator.complaints import ComplaintTexts
    from simulator.entities import build_city

    if scale <= 0:
        raise RegulakeError(f"--scale must be positive, got {scale}")
    if days < 0:
        raise RegulakeError(f"--days must be 0 or more, got {days}")
    if settings is None:
        from lakehouse.config import SimulatorConfig

        settings = Settings.from_config(SimulatorConfig(), scale, days, seed, out_dir, answer_key_dir)
    s = settings
    s.scale, s.days, s.seed, s.out_dir, s.answer_key_dir = scale, days, seed, Path(out_dir), Path(answer_key_dir)
    if s.out_dir.resolve() == s.answer_key_dir.resolve() or s.answer_key_dir.resolve().is_relative_to(s.out_dir.resolve()):
        raise RegulakeError("the answer key must live outside the landing zone (the pipeline must never read it)")
    try:
        np.datetime64(s.start, "D")
    except ValueError:
        raise RegulakeError(f"simulator.start_date must be YYYY-MM-DD, got {s.start!r}") from None
    _prepare_dir(s.out_dir, overwrite, "landing folder")
    _prepare_dir(s.answer_key_dir, overwrite, "answer-key folder")
    # marked at once, so a run that fails half-way can be replaced with --overwrite
    for d in (s.out_dir, s.answer_key_dir):
        (d / MARKER).write_text(json.dumps({"scale": scale, "days": days, "seed": seed, "complete": False}) + "\n")
    registry = load_catalog()
    _SIZES.clear()  # sizes belong to one run's catalog and settings
    codes = sorted(registry.catalogs)
    if catalogs:
        unknown = [c for c in catalogs if c not in registry.catalogs]
        if unknown:
            raise RegulakeError(f"unknown catalog(s) {', '.join(unknown)}; see `regulake catalog summary`")
    chosen = [c for c in codes if not catalogs or c in catalogs]
    city = build_city(
        scale, seed, start=s.start, base_hit_rate=s.base_hit_rate, cluster_entities_sf1=s.cluster_entities_sf1, entities_sf1=s.entities_sf1
    )
    if progress:
        progress(f"city: {city.n_history:,} entities, {len(city.clusters)} registration clusters")
    write_truth(city, s.answer_key_dir, days)
    _STATE.update(city=city, registry=registry, settings=s, complaints=ComplaintTexts(city.hotspots, seed), codes=codes)

    jobs = [(codes.index(c), c) for c in chosen]
    results = []
    if workers > 1:
        import multiprocessing as mp

        # biggest catalogs first so the workers finish together; "spawn" because forking a
        # process whose arrow/polars thread pools are running can deadlock, so each worker
        # rebuilds the (deterministic) city itself
        jobs.sort(key=lambda j: -registry.catalogs[j[1]].est_records)
        with mp.get_context("spawn").Pool(workers, initializer=_init_worker, initargs=(s,)) as pool:
            for r in pool.imap_unordered(_simulate_catalog_job, jobs):
                results.append(r)
                if progress:
                    progress(f"{r['catalog']}: {sum(r['records'].values()):,} records")
    else:
        for job in jobs:
            r = _simulate_catalog_job(job)
            results.append(r)
            if progress:
                progress(f"{r['catalog']}: {sum(r['records'].values()):,} records")
    results.sort(key=lambda r: r["catalog"])
    faults = [f for r in results for f in r["faults"]]
    write_faults(s.answer_key_dir, faults)
    batches = _batches(s)
    run = {
        "scale": scale,
        "days": days,
        "seed": seed,
        "start_date": s.start,
        "batches": [str(b.date) for b in batches],
        "entities": city.existing(days),
        "entities_at_history": city.n_history,
        "clusters": len(city.clusters),
        "cluster_entities": int((city["cluster_id"] >= 0).sum()),
        "mean_propensity": float(city["propensity"].mean()),
        "violation_rate": float(city["violation"].mean()),
        "records": sum(sum(r["records"].values()) for r in results),
        "records_by_batch": {str(b.date): sum(r["records"].get(str(b.date), 0) for r in results) for b in batches},
        "records_by_catalog": {r["catalog"]: r["records"] for r in results},
        "dirty_records": sum(r["dirty"] for r in results),
        "files": sum(r["files"] for r in results),
        "settings": {
            "rates": s.rates,
            "late_correction_rate": s.late_correction_rate,
            "file_faults": s.file_faults,
            "entities_sf1": s.entities_sf1,
            "daily_records_sf1": s.daily_records_sf1,
            "chunk_rows": s.chunk_rows,
        },
    }
    write_run(s.answer_key_dir, run)
    marker = json.dumps({"scale": scale, "days": days, "seed": seed, "complete": True}) + "\n"
    (s.out_dir / MARKER).write_text(marker)
    (s.answer_key_dir / MARKER).write_text(marker)
    _STATE.clear()
    return run


def _init_worker(s: Settings) -> None:
    from catalog.loader import load_catalog
    from simulator.complaints import ComplaintTexts
    from simulator.entities import build_city

    city = build_city(
        s.scale,
        s.seed,
        start=s.start,
        base_hit_rate=s.base_hit_rate,
        cluster_entities_sf1=s.cluster_entities_sf1,
        entities_sf1=s.entities_sf1,
    )
    registry = load_catalog()
    _STATE.update(
        city=city, registry=registry, settings=s, complaints=ComplaintTexts(city.hotspots, s.seed), codes=sorted(registry.catalogs)
    )


def _batches(s: Settings):
    from simulator.records import Batch

    start = np.datetime64(s.start, "D")
    return [Batch(0, start, True)] + [Batch(i, start + np.timedelta64(i, "D"), False) for i in range(1, s.days + 1)]


def _delivers(frequency: str, date: np.datetime64) -> bool:
    d = str(date)
    if frequency in ("realtime", "daily"):
        return True
    if frequency == "weekly":
        return int((date.astype("datetime64[D]").astype(np.int64) + 3) % 7) == 0  # Mondays
    if frequency == "monthly":
        return d.endswith("-01")
    if frequency == "quarterly":
        return d[5:] in ("01-01", "04-01", "07-01", "10-01")
    return d[5:] == "01-01"


_SIZES: dict = {}


def _increment_sizes(s: Settings, registry, batch) -> dict[str, float]:
    """Expected records per catalog on one day: the day's total shared by stated volume among
    the catalogs that deliver that day."""
    key = (s.scale, s.daily_records_sf1, str(batch.date), registry.source, len(registry.catalogs))
    if key in _SIZES:
        return _SIZES[key]
    delivering = {c: cat.est_records for c, cat in registry.catalogs.items() if _delivers(cat.frequency, batch.date)}
    total = sum(delivering.values()) or 1
    _SIZES[key] = {c: s.daily_records_sf1 * s.scale * v / total for c, v in delivering.items()}
    return _SIZES[key]


def _simulate_catalog_job(job: tuple[int, str]) -> dict:
    ci, code = job
    return simulate_catalog(ci, code)


def simulate_catalog(ci: int, code: str) -> dict:
    """All batches of one catalog (runs in a worker process when --workers > 1)."""
    from lakehouse.landing.writers import ENCODINGS, EXTENSIONS, render, write_file, write_manifest
    from simulator.answer_key import write_dirty
    from simulator.dirty import DirtyRecord, make_dirty
    from simulator.records import ColumnMaker, history_plans, increment_plan

    city, registry, s = _STATE["city"], _STATE["registry"], _STATE["settings"]
    cat = registry.catalogs[code]
    maker = ColumnMaker(city, registry, cat, _STATE["complaints"], s.seed)
    header_base = [f.source_name for f in cat.fields]
    names = [f.name for f in cat.fields]
    ext = EXTENSIONS[cat.format]
    records: dict[str, int] = {}
    faults: list[dict] = []
    n_dirty = 0
    n_files = 0
    samples: list[dict] = []  # history rows that a later batch may correct
    key_fields = set(cat.key_fields) | {"uscc", "update_time", "record_id"}

    def rng(*path):
        return np.random.default_rng([s.seed, ci, *path])

    for batch in _batches(s):
        bdate = str(batch.date)
        folder = s.out_dir / cat.department / code / bdate
        rel_folder = f"{cat.department}/{code}/{bdate}"
        if batch.history:
            plans = history_plans(cat, city, s.scale, s.chunk_rows, lambda i: rng(0, i, 0))
        else:
            expected = _increment_sizes(s, registry, batch).get(code)
            if expected is None:
                continue
            n = int(rng(batch.index, 0, 9).poisson(expected))
            if s.file_faults and code == ADDED_COLUMN_CATALOG:
                n = max(n, 3)  # the planted schema change must show up
            if n == 0 and not (code in ("SCJG-001", "SCJG-002") and len(city.registered_on(batch.index))):
                continue
            plans = [increment_plan(cat, city, n, rng(batch.index, 0, 0), day=batch.index)]
            if len(plans[0]["ent"]) == 0:
                continue
        files_meta = []
        dirty_entries: list[tuple[str, DirtyRecord, str]] = []
        part = 0
        total_rows = 0
        for chunk, plan in enumerate(plans):
            cols = maker.columns(plan, batch, chunk, rng(batch.index, chunk, 1))
            cols, dirty = make_dirty(cols, cat, registry, s.rates, rng(batch.index, chunk, 2))
            nrows = len(cols[names[0]])
            if cat.format == "xlsx" and nrows > 1_000_000:
                raise RegulakeError(f"{code}: {nrows} rows do not fit one xlsx sheet; lower --scale or use another format")
            fname = f"part-{part:05d}.{ext}"
            rel = f"{rel_folder}/{fname}"
            if batch.history and chunk == 0 and nrows:
                dirty_rows = {d.row for d in dirty}
                pick = [r for r in range(min(nrows, 200)) if r not in dirty_rows][:20]
                for r in pick:
                    samples.append({"file": rel, "row": r, "values": {k: cols[k][r].as_py() for k in names}})
            if not batch.history and samples and s.late_correction_rate > 0:
                crng = rng(batch.index, chunk, 3)
                if crng.random() < s.late_correction_rate:
                    cols, extra = _late_corrections(cols, names, key_fields, samples, nrows, crng)
                    dirty.extend(extra)
                    nrows = len(cols[names[0]])
            header = list(header_base)
            arrays = [cols[k] for k in names]
            if s.file_faults and code == ADDED_COLUMN_CATALOG and batch.index >= 1:
                header.append(ADDED_COLUMN)
                arrays.append(pa.array(rng(batch.index, chunk, 4).choice(ADDED_COLUMN_TEXTS, nrows)))
                faults.append(
                    {
                        "batch_date": bdate,
                        "catalog": code,
                        "file": rel,
                        "kind": "added_column",
                        "row": "",
                        "detail": f"column {ADDED_COLUMN} (not in the catalog) added from this batch on",
                    }
                )
            data = render(cat.format, header, arrays)
            meta = {"name": fname, "rows": nrows}
            meta.update(write_file(folder / fname, data))
            if s.file_faults and batch.history and chunk == 0 and code == GBK_FAULT_CATALOG and cat.format == "csv_gbk":
                row = _spoil_gbk(folder / fname, data, nrows)
                if row is not None:
                    faults.append(
                        {
                            "batch_date": bdate,
                            "catalog": code,
                            "file": rel,
                            "kind": "gbk_invalid_byte",
                            "row": row,
                            "detail": "byte 0xFF (not valid GBK) in this data row",
                        }
                    )
            files_meta.append(meta)
            for d in dirty:
                orig = rel if d.kind == "duplicate" else d.original_file
                dirty_entries.append((rel, d, orig))
            n_dirty += len(dirty)
            total_rows += nrows
            part += 1
        if s.file_faults and batch.history and code == TRUNCATED_CATALOG and files_meta and cat.format in ("csv_utf8", "csv_gbk"):
            last = files_meta[-1]
            intact = _truncate(folder / last["name"])
            faults.append(
                {
                    "batch_date": bdate,
                    "catalog": code,
                    "file": f"{rel_folder}/{last['name']}",
                    "kind": "truncated_file",
                    "row": intact,
                    "detail": f"file cut mid-row; the first {intact} data rows are intact, the manifest declares {last['rows']}",
                }
            )
        write_dirty(s.answer_key_dir, bdate, code, dirty_entries)
        write_manifest(
            folder,
            {
                "catalog": code,
                "catalog_name": cat.name_zh,
                "department": cat.department,
                "batch_date": bdate,
                "kind": "history" if batch.history else "increment",
                "format": cat.format,
                "encoding": ENCODINGS[cat.format],
                "columns": header_base,
                "key_fields": list(cat.key_fields),
                "rows": total_rows,
                "files": files_meta,
            },
        )
        records[bdate] = total_rows
        n_files += len(files_meta)
    return {"catalog": code, "records": records, "faults": faults, "dirty": n_dirty, "files": n_files}


def _late_corrections(cols, names, key_fields, samples, nrows, rng):
    """Re-send 1-3 earlier records with one non-key value corrected (taken from a row of this
    delivery, so the new value is valid too)."""
    from simulator.dirty import DirtyRecord

    editable = [k for k in names if k not in key_fields]
    if not editable or nrows == 0:
        return cols, []
    rows, extra = [], []
    for _ in range(int(rng.integers(1, 4))):
        smp = samples[int(rng.integers(len(samples)))]
        fname = editable[int(rng.integers(len(editable)))]
        donor = cols[fname][int(rng.integers(nrows))].as_py()
        old = smp["values"][fname]
        if donor is None or donor == old:
            continue
        values = dict(smp["values"])
        values[fname] = donor
        values["update_time"] = cols["update_time"][0].as_py() if "update_time" in cols else values.get("update_time")
        rows.append(values)
        extra.append(
            DirtyRecord(nrows + len(rows) - 1, fname, "late_correction", old, donor, original_row=smp["row"], original_file=smp["file"])
        )
    if not rows:
        return cols, []
    out = {k: pa.concat_arrays([*_chunks(cols[k]), pa.array([r[k] for r in rows], type=pa.string())]) for k in names}
    return out, extra


def _chunks(a) -> list:
    """The arrays of a column (at SF 1 some delivery columns arrive as chunked arrays)."""
    return a.chunks if isinstance(a, pa.ChunkedArray) else [a]


def _spoil_gbk(path: Path, data: bytes, nrows: int) -> Optional[int]:
    lines = data.split(b"\n")
    for row in range(nrows // 2, nrows):
        line = bytearray(lines[row + 1])
        pos = next((i for i, b in enumerate(line) if b >= 0x81), None)
        if pos is None:
            continue
        line[pos] = 0xFF
        lines[row + 1] = bytes(line)
        path.write_bytes(b"\n".join(lines))
        return row
    return None


def _truncate(path: Path) -> int:
    data = path.read_bytes()
    cut = max(1, int(len(data) * 0.6))
    if data[cut - 1 : cut] == b"\n":
        cut -= 2  # make sure the cut falls inside a row
    kept = data[: max(1, cut)]
    path.write_bytes(kept)
    return max(0, kept.count(b"\n") - 1)

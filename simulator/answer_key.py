"""The answer key: what the simulator planted, for evaluation code only (never the pipeline).

Layout (see docs/landing.md)::

    <answer_key_root>/run.json              scale, seed, days, counts, planted rates
    <answer_key_root>/entities.parquet      one row per entity: USCC, planted factors, propensity, observable logit, violation, shell, cluster
    <answer_key_root>/propensity_by_year.parquet  uscc, year, propensity and observable logit as of 1 July of each inspection year
    <answer_key_root>/clusters.csv          registration-cluster membership
    <answer_key_root>/hotspots.csv          planted complaint hotspots
    <answer_key_root>/file_faults.csv       added column, GBK invalid byte, truncated file
    <answer_key_root>/dirty/<batch date>/<catalog>.csv   every deliberately dirty record
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pyarrow as pa

from simulator.dirty import DirtyRecord
from simulator.entities import FACTOR_WEIGHTS, City

DIRTY_COLUMNS = ["file", "row", "field", "kind", "original_value", "delivered_value", "original_file", "original_row"]
FAULT_COLUMNS = ["batch_date", "catalog", "file", "kind", "row", "detail"]


def write_truth(city: City, root: Path, days: int = 0) -> None:
    """Entities existing by the last batch (history plus those registered in the increments)."""
    import pyarrow.parquet as pq

    root.mkdir(parents=True, exist_ok=True)
    c = city.cols
    cols = {
        "entity_no": pa.array(np.arange(city.n)),
        "registered_day": pa.array(c["registered_day"]),
        "establishment_date": city.text["establishment"],
        "uscc": city.text["uscc"],
        "entity_name": city.text["name"],
        "enterprise_type": city.text["etype"],
        "industry_code": city.text["industry"],
        "industry_section": city.text["section"],
        "district_code": city.text["district_code"],
        "propensity": pa.array(c["propensity"]),
        "violation": pa.array(c["violation"]),
        "shell": pa.array(c["shell"]),
        "cluster_id": pa.array(c["cluster_id"]),
        "latent_risk": pa.array(c["z"]),
        "observable_logit": pa.array(c["observable_logit"]),
    }
    for k in FACTOR_WEIGHTS:
        cols["factor_" + k] = pa.array(c["factor." + k])
    pq.write_table(pa.table(cols).slice(0, city.existing(days)), root / "entities.parquet")
    # the propensity each inspection year met (an inspection of year y meets the entity as of 1 July y)
    from simulator.entities import observable_at, year_day

    y0 = int(str(city.start)[:4])
    h = np.arange(city.n_history)
    parts = []
    for y in range(y0 - 3, y0):
        obs = observable_at(city, h, year_day(y))
        exists = c["establishment"][h].astype("datetime64[Y]").astype(int) + 1970 <= y  # as the inspections draw them
        parts.append(
            pa.table(
                {
                    "uscc": city.text["uscc"].take(pa.array(h[exists])),
                    "year": pa.array(np.full(int(exists.sum()), y)),
                    "propensity": pa.array(1 / (1 + np.exp(-(obs + c["noise"][h])))[exists]),
                    "observable_logit": pa.array(obs[exists]),
                }
            )
        )
    pq.write_table(pa.concat_tables(parts), root / "propensity_by_year.parquet")
    with (root / "clusters.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["cluster_id", "uscc", "entity_name", "address", "establishment_date", "shell"])
        for cl in city.clusters:
            for m in cl["members"]:
                w.writerow(
                    [
                        cl["cluster_id"],
                        city.text["uscc"][int(m)].as_py(),
                        city.text["name"][int(m)].as_py(),
                        cl["address"],
                        city.text["establishment"][int(m)].as_py(),
                        bool(c["shell"][m]),
                    ]
                )
    with (root / "hotspots.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["district_code", "district", "industry_section", "keyword", "label", "boost", "entities"])
        for h in city.hotspots:
            w.writerow([h["district_code"], h["district"], h["section"], h["keyword"], h["label"], h["boost"], h["entities"]])


def write_dirty(root: Path, batch_date: str, catalog: str, entries: list[tuple[str, DirtyRecord, str]]) -> None:
    """``entries``: (file relative to the landing root, record, original file for duplicates/corrections)."""
    if not entries:
        return
    folder = root / "dirty" / batch_date
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{catalog}.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(DIRTY_COLUMNS)
        for file, d, original_file in entries:
            w.writerow(
                [
                    file,
                    d.row,
                    d.field,
                    d.kind,
                    "" if d.original_value is None else d.original_value,
                    "" if d.delivered_value is None else d.delivered_value,
                    original_file,
                    d.original_row,
                ]
            )


def write_faults(root: Path, faults: list[dict]) -> None:
    with (root / "file_faults.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, FAULT_COLUMNS, lineterminator="\n")
        w.writeheader()
        for f in sorted(faults, key=lambda f: (f["batch_date"], f["catalog"], f["file"], f["kind"])):
            w.writerow(f)


def write_run(root: Path, run: dict) -> None:
    (root / "run.json").write_text(json.dumps(run, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def read_dirty(root: Path) -> list[dict]:
    """Every dirty record listed in an answer key (for evaluation and tests)."""
    out = []
    for p in sorted((Path(root) / "dirty").glob("*/*.csv")):
        with p.open(encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                r["batch_date"] = p.parent.name
                r["catalog"] = p.stem
                r["row"] = int(r["row"])
                r["original_row"] = int(r["original_row"])
                out.append(r)
    return out


def read_faults(root: Path) -> list[dict]:
    with (Path(root) / "file_faults.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))

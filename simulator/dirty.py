"""Deliberately dirty values, at configurable rates, each one recorded for the answer key.

Row-level kinds change one value of a record (or repeat a record); each affected row gets at
most one kind so the answer key is unambiguous. File-level faults (a column added in a
later batch, a GBK file with an invalid byte, a truncated file) are made by the writer's
caller and recorded in ``file_faults.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from catalog.catalogs import Catalog, Registry
from simulator.identities import USCC_ALPHABET

ROW_KINDS = ("missing", "bad_check_digit", "date_format", "full_width", "whitespace", "duplicate")
# kinds the silver layer can repair by normalising; the others must be rejected
NORMALISABLE = {"date_format", "full_width", "whitespace"}
_FULL = str.maketrans("0123456789", "０１２３４５６７８９")
_DIGITY = {"uscc", "resident_id", "phone", "code_table", "pattern", "integer", "decimal", "date", "datetime"}


@dataclass
class DirtyRecord:
    row: int  # 0-based data row in the file
    field: str  # catalog field name ("" for whole-row kinds)
    kind: str
    original_value: str | None
    delivered_value: str | None
    original_row: int = -1  # duplicates and late corrections: the row repeated or corrected
    original_file: str = ""  # late corrections: the earlier file (relative to the landing root)


def _eligible(catalog: Catalog, registry: Registry) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {k: [] for k in ROW_KINDS}
    for f in catalog.fields:
        std = registry.standards[f.standard]
        if f.required:
            out["missing"].append(f.name)
        if std.validator in ("uscc", "resident_id"):
            out["bad_check_digit"].append(f.name)
        if std.validator == "date":
            out["date_format"].append(f.name)
        if std.validator in _DIGITY:
            out["full_width"].append(f.name)
        out["whitespace"].append(f.name)
    return out


def _break_check(value: str, validator: str, rng) -> str:
    pool = USCC_ALPHABET if validator == "uscc" else "0123456789X"
    choices = [c for c in pool if c != value[-1]]
    return value[:-1] + choices[int(rng.integers(len(choices)))]


def _reformat_date(value: str, rng) -> str:
    y, m, d = value.split("-")
    k = int(rng.integers(4))
    if k == 0:
        return f"{y}/{m}/{d}"
    if k == 1:
        return f"{y}{m}{d}"
    if k == 2:
        return f"{y}年{int(m)}月{int(d)}日"
    return f"{y}.{m}.{d}"


def make_dirty(
    columns: dict[str, pa.Array], catalog: Catalog, registry: Registry, rates: dict[str, float], rng: np.random.Generator
) -> tuple[dict[str, pa.Array], list[DirtyRecord]]:
    """Return the columns with dirty values (and duplicate rows appended) and what was done."""
    names = list(columns)
    n = len(columns[names[0]]) if names else 0
    if n == 0:
        return columns, []
    eligible = _eligible(catalog, registry)
    counts = {k: int(rng.binomial(n, rates.get(k, 0.0))) if eligible.get(k) or k == "duplicate" else 0 for k in ROW_KINDS}
    total = min(n, sum(counts.values()))
    if total == 0:
        return columns, []
    rows = rng.permutation(n)[:total]
    records: list[DirtyRecord] = []
    edits: dict[str, dict[int, str | None]] = {}
    pos = 0
    dup_rows: list[int] = []
    for kind in ROW_KINDS:
        take = rows[pos : pos + counts[kind]]
        pos += counts[kind]
        if kind == "duplicate":
            dup_rows.extend(int(r) for r in take)
            continue
        for r in take:
            r = int(r)
            fields = eligible[kind]
            fname = fields[int(rng.integers(len(fields)))]
            value = columns[fname][r].as_py()
            if value is None or value == "":
                continue  # nothing to spoil (an optional value already missing)
            validator = registry.standards[catalog.field(fname).standard].validator
            if kind == "missing":
                new = None
            elif kind == "bad_check_digit":
                new = _break_check(value, validator, rng)
            elif kind == "date_format":
                new = _reformat_date(value, rng)
            elif kind == "full_width":
                new = value.translate(_FULL)
                if new == value:
                    continue
            else:
                pad = [" ", "  ", "\u3000", "\t"][int(rng.integers(4))]
                new = [pad + value, value + pad, pad + value + pad][int(rng.integers(3))]
            edits.setdefault(fname, {})[r] = new
            records.append(DirtyRecord(r, fname, kind, value, new))
    out = dict(columns)
    for fname, changes in edits.items():
        idx = sorted(changes)
        mask = np.zeros(n, dtype=bool)
        mask[idx] = True
        out[fname] = pc.replace_with_mask(columns[fname], pa.array(mask), pa.array([changes[i] for i in idx], type=pa.string()))
    if dup_rows:
        dup_rows.sort()
        idx = pa.array(np.arange(n).tolist() + dup_rows)
        out = {k: v.take(idx) for k, v in out.items()}
        for j, r in enumerate(dup_rows):
            records.append(DirtyRecord(n + j, "", "duplicate", None, None, original_row=r))
    records.sort(key=lambda d: (d.row, d.field))
    return out, records

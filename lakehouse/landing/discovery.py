"""Find delivered files in the landing zone: ``<department>/<catalog>/<batch date>/<file>``.

Each batch folder may hold a ``_manifest.json`` (format, encoding, declared rows per file);
files whose names start with '_' or '.' are never data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

DATA_SUFFIXES = {".csv": None, ".jsonl": "jsonl", ".json": "jsonl", ".xlsx": "xlsx"}


@dataclass(frozen=True)
class LandingFile:
    rel_path: str  # under the landing root, '/'-separated
    department: str | None
    catalog: str | None
    batch_date: dt.date | None
    size: int
    mtime_ns: int
    manifest_rows: int | None  # rows the delivering department declared, when it did
    manifest_format: str | None
    problem: str | None  # why the file cannot be placed (bad folder layout)


def _manifest(folder: Path) -> dict:
    path = folder / "_manifest.json"
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"_unreadable": True}


def discover(root: str | Path) -> list[LandingFile]:
    """Every data file under the landing root, sorted by path."""
    root = Path(root)
    out: list[LandingFile] = []
    if not root.exists():
        return out
    manifests: dict[Path, dict] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")))
        for name in sorted(filenames):
            if name.startswith((".", "_")):
                continue
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            parts = rel.split("/")
            st = path.stat()
            problem = None
            department = catalog = None
            batch_date = None
            if len(parts) != 4:
                problem = f"file is not in a <department>/<catalog>/<batch date>/ folder (path {rel})"
            else:
                department, catalog, day, _ = parts
                try:
                    batch_date = dt.date.fromisoformat(day)
                except ValueError:
                    problem = f"batch folder '{day}' is not a date (YYYY-MM-DD)"
            if Path(name).suffix.lower() not in DATA_SUFFIXES and problem is None:
                problem = f"unknown file type '{Path(name).suffix}'; deliver .csv, .jsonl or .xlsx"
            folder = path.parent
            if folder not in manifests:
                manifests[folder] = _manifest(folder)
            m = manifests[folder]
            declared = {f.get("name"): f.get("rows") for f in m.get("files", []) if isinstance(f, dict)}
            out.append(
                LandingFile(rel, department, catalog, batch_date, st.st_size, st.st_mtime_ns, declared.get(name), m.get("format"), problem)
            )
    return out


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            block = f.read(chunk)
            if not block:
                return h.hexdigest()
            h.update(block)

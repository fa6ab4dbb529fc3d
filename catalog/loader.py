"""Load the catalog files under ``catalog/data`` and validate them as they are read.

Every problem is reported with the file, the row (as a spreadsheet shows it: the header is
row 1) and the field, and all problems are reported at once::

    >>> from catalog.loader import load_catalog
    >>> reg = load_catalog()                    # doctest: +SKIP
    >>> reg.summary()["catalogs"]               # doctest: +SKIP
    552
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from catalog.catalogs import SUBJECT_AREAS, Catalog, CatalogField, CodeEntry, Department, Registry
from catalog.errors import CatalogError
from catalog.standards import Standard

DATA_DIR = Path(__file__).resolve().parent / "data"

# file name -> columns that must be present in its header
FILES: dict[str, tuple[str, ...]] = {
    "departments.csv": ("code", "name_zh", "name_en", "level"),
    "code_tables.csv": ("domain", "code", "name_zh", "name_en", "parent"),
    "standards.csv": (
        "id",
        "name_zh",
        "name_en",
        "department",
        "data_type",
        "length",
        "scale",
        "pattern",
        "domain",
        "validator",
        "min_value",
        "max_value",
        "unit",
        "pii_class",
        "reference",
        "description_zh",
        "description_en",
    ),
    "catalogs.csv": (
        "code",
        "name_zh",
        "name_en",
        "department",
        "subject_area",
        "frequency",
        "format",
        "key_fields",
        "est_records",
        "description_zh",
        "description_en",
    ),
    "catalog_fields.csv": ("catalog", "position", "name", "source_name", "standard", "required"),
}
# reference tables copied from national standards; see data/SOURCES.md
REFERENCE_FILES: dict[str, tuple[str, ...]] = {
    "reference/foshan_divisions.csv": ("code", "name", "level", "parent_code"),
    "reference/gbt4754_2017.csv": ("code", "name", "level", "parent_code"),
}
# code tables derived from the reference files: domain -> (file, level)
DERIVED_DOMAINS: dict[str, tuple[str, str]] = {
    "foshan_district": ("reference/foshan_divisions.csv", "district"),
    "foshan_town": ("reference/foshan_divisions.csv", "street"),
    "foshan_village": ("reference/foshan_divisions.csv", "village"),
    "gbt4754_section": ("reference/gbt4754_2017.csv", "1"),
    "gbt4754_division": ("reference/gbt4754_2017.csv", "2"),
    "gbt4754_class": ("reference/gbt4754_2017.csv", "4"),
}
_OPTIONAL_NUMBERS = ("length", "scale", "min_value", "max_value")
# columns that must hold a value in every row
REQUIRED_VALUES: dict[str, tuple[str, ...]] = {
    "departments.csv": ("code", "name_zh", "name_en", "level"),
    "code_tables.csv": ("domain", "code", "name_zh"),
    "standards.csv": ("id", "name_zh", "name_en", "department", "data_type", "validator", "description_zh", "description_en"),
    "catalogs.csv": ("code", "name_zh", "name_en", "department", "subject_area", "frequency", "format", "key_fields", "est_records"),
    "catalog_fields.csv": ("catalog", "position", "name", "source_name", "standard", "required"),
}


def _rows(path: Path, required: tuple[str, ...], problems: list[str]) -> Iterator[tuple[int, dict]]:
    if not path.exists():
        problems.append(f"{path}: file is missing")
        return
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            problems.append(f"{path}: file is empty (expected header {','.join(required)})")
            return
        header = [h.strip() for h in header]
        missing = [c for c in required if c not in header]
        if missing:
            problems.append(f"{path}: row 1: missing column(s) {', '.join(missing)}")
            return
        for i, values in enumerate(reader, start=2):
            if not values or all(v == "" for v in values):
                continue
            if len(values) != len(header):
                problems.append(f"{path}: row {i}: {len(values)} values for {len(header)} columns")
                continue
            row = dict(zip(header, values))
            empty = [c for c in REQUIRED_VALUES.get(path.name, ()) if row[c].strip() == ""]
            if empty:
                problems.append(
                    f"{path}: row {i}: field '{empty[0]}': a value is required" + (f" (also {', '.join(empty[1:])})" if empty[1:] else "")
                )
                continue
            yield i, row


def _model(cls, data: dict, where: str, problems: list[str]):
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        for e in exc.errors():
            loc = ".".join(str(p) for p in e["loc"]) or "?"
            problems.append(f"{where}: field '{loc}': {e['msg']} (got {e.get('input')!r})"[:300])
        return None


def _fingerprint(data_dir: Path) -> tuple:
    out = []
    for name in list(FILES) + list(REFERENCE_FILES):
        p = data_dir / name
        try:
            st = os.stat(p)
            out.append((name, st.st_mtime_ns, st.st_size))
        except FileNotFoundError:
            out.append((name, 0, 0))
    return tuple(out)


_CACHE: dict[tuple, Registry] = {}


def _cache_file(key: tuple) -> Path:
    import hashlib

    root = Path(os.environ.get("REGULAKE_CACHE_DIR") or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "regulake")
    code = [
        (m, os.stat(m).st_mtime_ns) for m in (__file__, Path(__file__).with_name("standards.py"), Path(__file__).with_name("catalogs.py"))
    ]
    digest = hashlib.sha256(repr((key, code)).encode()).hexdigest()[:24]
    return root / f"catalog-{digest}.pickle"


def load_catalog(data_dir: str | Path | None = None) -> Registry:
    """Load (once per process and file state) and validate the catalog in ``data_dir``.

    Validating 20k rows with pydantic takes about a second, so a validated registry is also
    pickled under ``~/.cache/regulake`` (``REGULAKE_CACHE_DIR``), keyed by the files' and this
    code's modification times and sizes; any edit invalidates it.
    """
    import pickle

    d = Path(data_dir) if data_dir else DATA_DIR
    key = (str(d.resolve()), _fingerprint(d))
    reg = _CACHE.get(key)
    if reg is not None:
        return reg
    cache = _cache_file(key)
    try:
        with cache.open("rb") as fh:
            reg = pickle.load(fh)
    except Exception:  # missing, stale or unreadable cache: validate the files again
        reg = None
    if reg is None:
        reg = _load(d)
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(f".{os.getpid()}.tmp")
            with tmp.open("wb") as fh:
                pickle.dump(reg, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, cache)
        except OSError:
            pass  # a read-only home only costs speed
    _CACHE.clear()
    _CACHE[key] = reg
    return reg


def _load(d: Path) -> Registry:
    problems: list[str] = []

    departments: dict[str, Department] = {}
    p = d / "departments.csv"
    for i, row in _rows(p, FILES["departments.csv"], problems):
        dep = _model(Department, {k: row[k] for k in FILES["departments.csv"]}, f"{p}: row {i}", problems)
        if dep is None:
            continue
        if dep.code in departments:
            problems.append(f"{p}: row {i}: field 'code': duplicate department code {dep.code!r}")
        departments[dep.code] = dep

    code_tables: dict[str, list[CodeEntry]] = {}
    seen_codes: set[tuple[str, str]] = set()
    p = d / "code_tables.csv"
    for i, row in _rows(p, FILES["code_tables.csv"], problems):
        e = _model(CodeEntry, {k: row[k] for k in FILES["code_tables.csv"]}, f"{p}: row {i}", problems)
        if e is None:
            continue
        if (e.domain, e.code) in seen_codes:
            problems.append(f"{p}: row {i}: field 'code': duplicate code {e.code!r} in code table {e.domain!r}")
        seen_codes.add((e.domain, e.code))
        code_tables.setdefault(e.domain, []).append(e)
    reference: dict[str, list[dict]] = {}
    for name, cols in REFERENCE_FILES.items():
        reference[name] = [row for _, row in _rows(d / name, cols, problems)]
    for domain, (name, level) in DERIVED_DOMAINS.items():
        if domain in code_tables:
            problems.append(f"{d / 'code_tables.csv'}: code table {domain!r} is derived from {name} and must not be listed")
        code_tables[domain] = [
            CodeEntry(domain=domain, code=r["code"], name_zh=r["name"], parent=r["parent_code"])
            for r in reference[name]
            if r["level"] == level
        ]

    standards: dict[str, Standard] = {}
    code_sets: dict[str, frozenset] = {}
    p = d / "standards.csv"
    for i, row in _rows(p, FILES["standards.csv"], problems):
        data = {k: (row[k] if row[k] != "" else None) for k in FILES["standards.csv"]}
        for k in ("pii_class",):
            data[k] = data[k] or "none"
        where = f"{p}: row {i}"
        for k in _OPTIONAL_NUMBERS:
            if data[k] is not None:
                try:
                    data[k] = float(data[k]) if k.endswith("value") else int(data[k])
                except ValueError:
                    problems.append(f"{where}: field '{k}': not a number ({data[k]!r})")
                    data[k] = None
        std = _model(Standard, data, where, problems)
        if std is None:
            continue
        if std.id in standards:
            problems.append(f"{where}: field 'id': duplicate standard id {std.id!r}")
        if std.pattern:
            try:
                re.compile(std.pattern)
            except re.error as exc:
                problems.append(f"{where}: field 'pattern': not a valid regular expression ({exc}): {std.pattern!r}")
        if std.validator == "code_table":
            if not std.domain:
                problems.append(f"{where}: field 'domain': validator code_table needs a code table name")
            elif std.domain not in code_tables:
                problems.append(f"{where}: field 'domain': unknown code table {std.domain!r}")
            else:
                codes = code_sets.get(std.domain)
                if codes is None:
                    codes = code_sets[std.domain] = frozenset(e.code for e in code_tables[std.domain])
                std.bind_codes(codes)
        if std.validator == "pattern" and not std.pattern:
            problems.append(f"{where}: field 'pattern': validator pattern needs a pattern")
        if std.department != "core" and departments and std.department not in departments:
            problems.append(f"{where}: field 'department': unknown department {std.department!r}")
        standards[std.id] = std

    fields_by_catalog: dict[str, list[CatalogField]] = {}
    field_rows: dict[str, int] = {}
    field_names: set[tuple[str, str]] = set()
    p_fields = d / "catalog_fields.csv"
    for i, row in _rows(p_fields, FILES["catalog_fields.csv"], problems):
        where = f"{p_fields}: row {i}"
        data = dict(row)
        data["required"] = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}.get(
            row["required"].strip().lower(), row["required"]
        )
        f = _model(CatalogField, {k: data[k] for k in FILES["catalog_fields.csv"]}, where, problems)
        if f is None:
            continue
        if f.standard not in standards:
            problems.append(f"{where}: field 'standard': unknown standard id {f.standard!r}")
        lst = fields_by_catalog.setdefault(f.catalog, [])
        if (f.catalog, f.name) in field_names:
            problems.append(f"{where}: field 'name': duplicate field {f.name!r} in catalog {f.catalog!r}")
        field_names.add((f.catalog, f.name))
        lst.append(f)
        field_rows.setdefault(f.catalog, i)

    catalogs: dict[str, Catalog] = {}
    p = d / "catalogs.csv"
    for i, row in _rows(p, FILES["catalogs.csv"], problems):
        where = f"{p}: row {i}"
        data = {k: row[k] for k in FILES["catalogs.csv"]}
        data["key_fields"] = tuple(x.strip() for x in row["key_fields"].split(";") if x.strip())
        data["fields"] = tuple(sorted(fields_by_catalog.get(row["code"], []), key=lambda f: f.position))
        c = _model(Catalog, data, where, problems)
        if c is None:
            continue
        if c.code in catalogs:
            problems.append(f"{where}: field 'code': duplicate catalog code {c.code!r}")
        if c.department not in departments:
            problems.append(f"{where}: field 'department': unknown department {c.department!r}")
        if c.subject_area not in SUBJECT_AREAS:
            problems.append(f"{where}: field 'subject_area': unknown subject area {c.subject_area!r}; one of {', '.join(SUBJECT_AREAS)}")
        if not c.fields:
            problems.append(f"{where}: field 'code': catalog {c.code!r} has no fields in {p_fields.name}")
        names = {f.name for f in c.fields}
        for k in c.key_fields:
            if k not in names:
                problems.append(f"{where}: field 'key_fields': {k!r} is not a field of catalog {c.code!r}")
        if not c.key_fields:
            problems.append(f"{where}: field 'key_fields': a catalog needs at least one key field")
        catalogs[c.code] = c
    for code, row_no in field_rows.items():
        if code not in catalogs:
            problems.append(f"{p_fields}: row {row_no}: field 'catalog': unknown catalog {code!r}")

    if problems:
        raise CatalogError(problems)
    return Registry(departments=departments, standards=standards, code_tables=code_tables, catalogs=catalogs, source=str(d))

"""Write the catalog files under ``catalog/data`` (run once; the files are committed).

    python -m catalog.generate [DATA_DIR]

Deterministic: the same code writes byte-identical files. City-wide standards (``core.*``)
and the catalogs the simulator plants its truth in (registration, shareholders, annual
reports, inspections, penalties, abnormal list, complaints, licences, tax, social insurance,
utilities, courts) are written out by hand in ``catalog/seed/catalog_seed.yaml``, with the
departments, catalog kinds and field concepts; every other department's catalogs and
standards are composed from the department's topics, a catalog kind and field concepts, so
they read plausibly and stay consistent (one standard per catalog-specific data element).
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

import yaml

from catalog.loader import DATA_DIR, FILES

SEED = 20261126
TOTAL_RECORDS_SF1 = 140_000_000

SEED_FILE = Path(__file__).resolve().parent / "seed" / "catalog_seed.yaml"


def _tuples(value):
    """YAML lists as tuples (rows are unpacked and compared as tuples); mappings stay mappings."""
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    if isinstance(value, dict):
        return {k: (list(_tuples(v)) if isinstance(v, list) else v) for k, v in value.items()}
    return value


_SEED = yaml.safe_load(SEED_FILE.read_text(encoding="utf-8"))
# (code, name_zh, name_en, level, default subject area, "topic_zh:topic_en|...")
DEPARTMENTS = [_tuples(r) for r in _SEED["departments"]]
KINDS = [_tuples(r) for r in _SEED["kinds"]]
KIND_WEIGHTS = list(_SEED["kind_weights"])
CONCEPTS = [_tuples(r) for r in _SEED["concepts"]]
STATUS_NAMES = [_tuples(r) for r in _SEED["status_names"]]
CATEGORY_NAMES = [_tuples(r) for r in _SEED["category_names"]]
GRADE_NAMES = [_tuples(r) for r in _SEED["grade_names"]]
RESULT_NAMES = [_tuples(r) for r in _SEED["result_names"]]
CODE_TABLES = {k: [_tuples(r) for r in rows] for k, rows in _SEED["code_tables"].items()}
CORE_STANDARDS = [_tuples(r) for r in _SEED["core_standards"]]
CORE_CATALOGS = [_tuples(r) for r in _SEED["core_catalogs"]]


N_CATALOGS = 552


def _abbrev(code: str) -> str:
    letters = "".join(ch for ch in code if ch.isalpha())
    return (letters[:3] or "X").upper()


def build() -> dict[str, list[list]]:
    """Everything the files hold, as rows (deterministic)."""
    rnd = random.Random(SEED)
    departments = [[c, zh, en, lvl] for c, zh, en, lvl, _s, _t in DEPARTMENTS]
    assert len(departments) == 96, len(departments)

    code_rows: list[list] = []
    for domain, entries in CODE_TABLES.items():
        for code, zh, en in entries:
            code_rows.append([domain, code, zh, en, ""])

    std_rows: list[list] = []
    for sid, zh, en, dtype, validator, extra, dzh, den in CORE_STANDARDS:
        std_rows.append(_std_row(sid, zh, en, "core", dtype, validator, extra, dzh, den))

    cat_rows: list[list] = []
    field_rows: list[list] = []
    for code, dept, zh, en, subject, freq, fmt, est, keys, fields in CORE_CATALOGS:
        cat_rows.append(
            [
                code,
                zh,
                en,
                dept,
                subject,
                freq,
                fmt,
                ";".join(keys),
                est,
                f"{zh}（{DEPARTMENT_NAME[dept]}提供）",
                f"{en} delivered by the {DEPARTMENT_EN[dept]}",
            ]
        )
        for pos, (name, src, std, req) in enumerate(fields, start=1):
            field_rows.append([code, pos, name, src, std, "true" if req else "false"])

    # department-specific catalogs: share out the remaining catalogs by department weight
    remaining = N_CATALOGS - len(CORE_CATALOGS)
    weights = []
    for c, _zh, _en, lvl, _s, topics in DEPARTMENTS:
        w = len(topics.split("|")) * {"city": 1.4, "central": 1.3, "court": 0.8, "utility": 0.9, "district": 0.7}[lvl]
        weights.append(w * (2.2 if c in ("SCJG", "SWJ", "RSJ", "SSTHJJ") else 1.0))
    quota = _share(remaining, weights)
    core_counts = {d: sum(1 for x in CORE_CATALOGS if x[1] == d) for d, *_ in DEPARTMENTS}
    generic_est: list[float] = []
    for (dept, dzh, den, _lvl, subject, topics), n in zip(DEPARTMENTS, quota):
        topic_list = [t.split(":") for t in topics.split("|")]
        combos = [(t, k) for k in KINDS for t in topic_list]
        # weighted sampling without replacement (Efraimidis-Spirakis keys)
        keyed = sorted(combos, key=lambda tk: -(rnd.random() ** (1.0 / KIND_WEIGHTS[KINDS.index(tk[1])])))
        combos = sorted(keyed[:n], key=lambda tk: (topic_list.index(tk[0]), KINDS.index(tk[1])))
        seq = core_counts.get(dept, 0)
        std_seq = 0
        pfx = _abbrev(dept)
        for (tzh, ten), (kzh, ken, ksubject, kfreq) in combos:
            seq += 1
            code = f"{dept}-{seq:03d}"
            cname = f"{tzh}{kzh}信息"
            cen = f"{ten} {ken}"
            fmt = rnd.choices(["csv_utf8", "csv_gbk", "jsonl", "xlsx"], weights=[55, 20, 17, 8])[0]
            fields = [
                ("record_id", "记录编号", "core.record_id", True),
                ("uscc", "统一社会信用代码", "core.uscc", True),
                ("entity_name", "单位名称", "core.entity_name", True),
            ]
            concepts = rnd.sample(CONCEPTS, rnd.randint(14, 19))
            concepts.sort(key=CONCEPTS.index)
            for czh, cen_, kind in concepts:
                std_seq += 1
                sid = f"{dept}.{std_seq:04d}"
                sname = f"{tzh}{kzh}{czh}" if kind not in ("district", "town", "village", "industry") else f"{tzh}{czh}"
                sen = f"{ten} {ken} {cen_}"
                row, codes = _concept_standard(sid, sname, sen, dept, kind, pfx, std_seq, rnd)
                std_rows.append(row)
                code_rows.extend(codes)
                fname = _snake(cen_)
                fields.append((fname, czh, sid, kind not in ("text", "phone", "person", "resident_id") or rnd.random() < 0.5))
            fields.append(("update_time", "更新时间", "core.update_time", True))
            if kfreq == "yearly":
                est_weight = 0.15
            elif kfreq == "monthly":
                est_weight = 3.0
            else:
                est_weight = 1.0
            generic_est.append(est_weight * rnd.lognormvariate(0, 1.0))
            cat_rows.append(
                [code, cname, cen, dept, ksubject or subject, kfreq, fmt, "record_id", 0, f"{dzh}的{cname}", f"{cen} of the {den}"]
            )
            for pos, (name, src, std, req) in enumerate(fields, start=1):
                field_rows.append([code, pos, name, src, std, "true" if req else "false"])

    # volumes: the generic catalogs share what the hand-written ones leave of 140M
    core_total = sum(x[7] for x in CORE_CATALOGS)
    left = TOTAL_RECORDS_SF1 - core_total
    generic_rows = [row for row in cat_rows if row[8] == 0]
    # governance teams send spreadsheets only for small tables; the others make up the rest
    fixed = {i for i, row in enumerate(generic_rows) if row[6] == "xlsx"}
    fixed_est = {i: min(40_000, max(1000, int(round(generic_est[i] * left / sum(generic_est), -2)))) for i in fixed}
    free_left = left - sum(fixed_est.values())
    free_sum = sum(w for i, w in enumerate(generic_est) if i not in fixed)
    for i, row in enumerate(generic_rows):
        row[8] = fixed_est[i] if i in fixed else max(1000, int(round(generic_est[i] * free_left / free_sum, -2)))
    return {
        "departments.csv": departments,
        "code_tables.csv": code_rows,
        "standards.csv": std_rows,
        "catalogs.csv": cat_rows,
        "catalog_fields.csv": field_rows,
    }


DEPARTMENT_NAME = {c: zh for c, zh, *_ in DEPARTMENTS}
DEPARTMENT_EN = {c: en for c, _zh, en, *_ in DEPARTMENTS}


def _snake(en: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in en.lower()).strip("_").replace("__", "_")


def _share(total: int, weights: list[float]) -> list[int]:
    raw = [total * w / sum(weights) for w in weights]
    out = [max(1, int(x)) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - int(raw[i]), reverse=True)
    i = 0
    while sum(out) < total:
        out[order[i % len(order)]] += 1
        i += 1
    while sum(out) > total:
        j = max(range(len(out)), key=lambda k: out[k])
        out[j] -= 1
    return out


def _std_row(sid, zh, en, dept, dtype, validator, extra, dzh, den) -> list:
    return [
        sid,
        zh,
        en,
        dept,
        dtype,
        extra.get("length", ""),
        extra.get("scale", ""),
        extra.get("pattern", ""),
        extra.get("domain", ""),
        validator,
        extra.get("min_value", ""),
        extra.get("max_value", ""),
        extra.get("unit", ""),
        extra.get("pii_class", "none"),
        extra.get("reference", ""),
        dzh,
        den,
    ]


def _concept_standard(sid, zh, en, dept, kind, pfx, seq, rnd) -> tuple[list, list]:
    """A department-specific standard for one field concept, and its code table rows."""
    dzh = f"{DEPARTMENT_NAME[dept]}记录的{zh}"
    den = f"the {en} as recorded by the {DEPARTMENT_EN[dept]}"
    codes: list[list] = []
    if kind in ("id", "id2"):
        letters = pfx + "ABCDEFGHJKLMNPQRSTUVWXYZ"[seq % 24]
        if kind == "id":
            pattern = rf"^{letters}\d{{{rnd.choice([8, 10, 12])}}}$"
        else:
            pattern = rf"^{letters}\d{{4}}-\d{{{rnd.choice([5, 6])}}}$"
        return _std_row(sid, zh, en, dept, "string", "pattern", {"length": 24, "pattern": pattern}, dzh, den), codes
    if kind == "date":
        return _std_row(sid, zh, en, dept, "date", "date", {"length": 10}, dzh, den), codes
    if kind == "datetime":
        return _std_row(sid, zh, en, dept, "datetime", "datetime", {"length": 19}, dzh, den), codes
    if kind == "amount":
        return _std_row(
            sid,
            zh + "（元）",
            en + " (yuan)",
            dept,
            "decimal",
            "decimal",
            {"length": 18, "scale": 2, "min_value": 0, "max_value": 1e10, "unit": "元"},
            dzh,
            den,
        ), codes
    if kind in ("area", "measure"):
        unit = "平方米" if kind == "area" else rnd.choice(["千克", "吨", "毫克/升", "千瓦时", "立方米"])
        return _std_row(
            sid, zh, en, dept, "decimal", "decimal", {"length": 14, "scale": 2, "min_value": 0, "max_value": 1e8, "unit": unit}, dzh, den
        ), codes
    if kind == "count":
        return _std_row(sid, zh, en, dept, "integer", "integer", {"min_value": 0, "max_value": 100000}, dzh, den), codes
    if kind == "percent":
        return _std_row(
            sid, zh, en, dept, "decimal", "decimal", {"length": 7, "scale": 2, "min_value": 0, "max_value": 100, "unit": "%"}, dzh, den
        ), codes
    if kind == "year":
        return _std_row(sid, zh, en, dept, "integer", "integer", {"min_value": 1949, "max_value": 2100}, dzh, den), codes
    if kind == "month":
        return _std_row(sid, zh, en, dept, "string", "pattern", {"length": 6, "pattern": r"^(19|20)\d{2}(0[1-9]|1[0-2])$"}, dzh, den), codes
    if kind in ("status", "category", "grade", "result"):
        table = {"status": STATUS_NAMES, "category": CATEGORY_NAMES, "grade": GRADE_NAMES, "result": RESULT_NAMES}[kind]
        domain = f"{sid}.codes"
        k = rnd.randint(3, len(table))
        for code, czh, cen in table[:k]:
            codes.append([domain, code, czh, cen, ""])
        return _std_row(sid, zh, en, dept, "code", "code_table", {"length": 2, "domain": domain}, dzh, den), codes
    if kind == "flag":
        return _std_row(sid, zh, en, dept, "code", "code_table", {"length": 1, "domain": "yes_no"}, dzh, den), codes
    if kind == "text":
        return _std_row(sid, zh, en, dept, "string", "text", {"length": 500}, dzh, den), codes
    if kind == "text_short":
        return _std_row(sid, zh, en, dept, "string", "text", {"length": 100}, dzh, den), codes
    if kind == "person":
        return _std_row(
            sid,
            zh,
            en,
            dept,
            "string",
            "text",
            {"length": 30, "pattern": r"^[\u3400-\u9fff·]{2,30}$", "pii_class": "person_name"},
            dzh,
            den,
        ), codes
    if kind == "resident_id":
        return _std_row(
            sid, zh, en, dept, "string", "resident_id", {"length": 18, "pii_class": "id_number", "reference": "GB 11643-1999"}, dzh, den
        ), codes
    if kind == "phone":
        return _std_row(sid, zh, en, dept, "string", "phone", {"length": 13, "pii_class": "phone"}, dzh, den), codes
    if kind == "address":
        return _std_row(sid, zh, en, dept, "string", "text", {"length": 200, "pii_class": "address"}, dzh, den), codes
    if kind in ("district", "town", "village"):
        domain = {"district": "foshan_district", "town": "foshan_town", "village": "foshan_village"}[kind]
        return _std_row(
            sid,
            zh,
            en,
            dept,
            "code",
            "code_table",
            {"length": {"district": 6, "town": 9, "village": 12}[kind], "domain": domain, "reference": "GB/T 2260"},
            dzh,
            den,
        ), codes
    if kind == "industry":
        return _std_row(
            sid, zh, en, dept, "code", "code_table", {"length": 4, "domain": "gbt4754_class", "reference": "GB/T 4754-2017"}, dzh, den
        ), codes
    raise ValueError(kind)


def write(data_dir: Path = DATA_DIR) -> dict[str, int]:
    data_dir.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, rows in build().items():
        with (data_dir / name).open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(FILES[name])
            w.writerows(rows)
        counts[name] = len(rows)
    return counts


if __name__ == "__main__":
    print(write(Path(sys.argv[1]) if len(sys.argv) > 1 else DATA_DIR))

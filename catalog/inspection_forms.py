"""The check-item catalogue: 44 inspection forms split into 2,128 check items (检查事项).

Foshan entered every on-site check on a phone, item by item. The seed lives in two files of
``catalog/data/inspection/`` and the items are generated from them deterministically, the way
the data catalogs are:

- ``forms.csv``: one row per form — id, the random-inspection item (code table
  ``inspection_item``) it serves, whether it is that item's default form, the GB/T 4754
  sections it is bound to, its names, how many items it has and its sections (what is looked at).
- ``checks.csv``: per inspection item, the checks every section of its forms gets, each with
  its legal basis and the violation category a "does not conform" implies (an
  ``inspection_result`` code).

A form's items are its sections × its item's checks, section by section, cut at the form's
``items`` count; item ids are ``<form>-<section:02d>-<check:02d>``. Every item is answered with
one of :data:`ANSWERS`. A plan task is bound to a form by its inspection item and the entity's
industry section (:meth:`FormCatalogue.form_for`).

    >>> cat = load_forms()                         # doctest: +SKIP
    >>> len(cat.forms), cat.item_count             # doctest: +SKIP
    (44, 2128)
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from catalog.errors import CatalogError

DATA_DIR = Path(__file__).resolve().parent / "data" / "inspection"
FILES = {
    "forms.csv": ["form_id", "item_code", "default", "industry_sections", "name_zh", "name_en", "items", "sections"],
    "checks.csv": ["item_code", "check_no", "wording_zh", "legal_basis", "violation_result"],
}
ANSWERS = ("conforms", "does_not_conform", "not_applicable")
ANSWER_NAMES = {"conforms": "符合", "does_not_conform": "不符合", "not_applicable": "不适用"}
#: inspection_result codes a check may imply (4 unreachable and 5 refusal are record-level findings)
VIOLATION_RESULTS = ("2", "3", "6", "7")
#: the result a record reports when several checks fail: the most serious first
RESULT_PRIORITY = ("7", "6", "3", "2")
SECTIONS = "ABCDEFGHIJKLMNOPQRST"


@dataclass(frozen=True)
class CheckItem:
    item_id: str
    form_id: str
    section_no: int
    section_zh: str
    check_no: int
    wording_zh: str
    legal_basis: str
    violation_result: str
    answers: tuple[str, ...] = ANSWERS

    def as_dict(self) -> dict:
        return {
            "item_id": self.item_id,
            "form_id": self.form_id,
            "section_no": self.section_no,
            "section_zh": self.section_zh,
            "check_no": self.check_no,
            "wording_zh": self.wording_zh,
            "legal_basis": self.legal_basis,
            "violation_result": self.violation_result,
            "answers": list(self.answers),
        }


@dataclass(frozen=True)
class Form:
    form_id: str
    item_code: str
    default: bool
    industry_sections: tuple[str, ...]
    name_zh: str
    name_en: str
    items: tuple[CheckItem, ...] = field(repr=False)

    @property
    def version(self) -> str:
        """SHA-256 (first 16 hex) of the form's canonical content: a record names the exact form it answers."""
        body = json.dumps(
            [self.form_id, self.item_code, self.name_zh, [i.as_dict() for i in self.items]],
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]

    def as_dict(self, with_items: bool = True) -> dict:
        out = {
            "form_id": self.form_id,
            "item_code": self.item_code,
            "default": self.default,
            "industry_sections": list(self.industry_sections),
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "item_count": len(self.items),
            "version": self.version,
        }
        if with_items:
            out["items"] = [i.as_dict() for i in self.items]
        return out


@dataclass(frozen=True)
class FormCatalogue:
    forms: dict[str, Form]
    source: Path

    @property
    def item_count(self) -> int:
        return sum(len(f.items) for f in self.forms.values())

    def items(self):
        for f in self.forms.values():
            yield from f.items

    def form_for(self, item_code: str, industry_section: str | None = None) -> Form:
        """The form a task of inspection item ``item_code`` needs: the one bound to the entity's industry section, else the
        item's default form."""
        candidates = [f for f in self.forms.values() if f.item_code == item_code]
        if not candidates:
            raise CatalogError([f"no inspection form for inspection item {item_code!r}; forms.csv lists the items' forms"])
        if industry_section:
            for f in candidates:
                if industry_section in f.industry_sections:
                    return f
        return next(f for f in candidates if f.default)


def _read(path: Path, columns: list[str]) -> list[dict[str, str]]:
    if not path.exists():
        raise CatalogError([f"{path}: missing (the check-item catalogue needs {', '.join(FILES)})"])
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames != columns:
            raise CatalogError([f"{path.name}: columns must be {', '.join(columns)} (found {', '.join(reader.fieldnames or [])})"])
        return [dict(r) for r in reader]


def load_forms(data_dir: str | Path | None = None) -> FormCatalogue:
    """Read and validate the seed files and generate every form's items; problems name file, row and column."""
    from catalog.loader import load_catalog

    d = Path(data_dir) if data_dir else DATA_DIR
    forms_rows = _read(d / "forms.csv", FILES["forms.csv"])
    check_rows = _read(d / "checks.csv", FILES["checks.csv"])
    try:
        item_codes = {e.code for e in load_catalog().code_tables["inspection_item"]}
    except Exception:  # noqa: BLE001 - a broken data catalog is reported by its own loader
        item_codes = {f"{i:02d}" for i in range(1, 9)}
    problems: list[str] = []
    checks: dict[str, list[dict]] = {}
    for n, r in enumerate(check_rows, start=2):
        where = f"checks.csv row {n}"
        if r["item_code"] not in item_codes:
            problems.append(f"{where}: item_code {r['item_code']!r} is not an inspection item ({', '.join(sorted(item_codes))})")
        if r["violation_result"] not in VIOLATION_RESULTS:
            problems.append(f"{where}: violation_result {r['violation_result']!r} must be one of {', '.join(VIOLATION_RESULTS)}")
        if not r["wording_zh"].strip() or not r["legal_basis"].strip():
            problems.append(f"{where}: wording_zh and legal_basis must not be empty")
        if not r["check_no"].isdigit():
            problems.append(f"{where}: check_no {r['check_no']!r} must be a number")
            continue
        checks.setdefault(r["item_code"], []).append(r)
    for code, rows in checks.items():
        nos = [int(r["check_no"]) for r in rows]
        if nos != list(range(1, len(nos) + 1)):
            problems.append(f"checks.csv: item {code}: check_no must run 1..{len(nos)} in order")
    forms: dict[str, Form] = {}
    defaults: dict[str, list[str]] = {}
    for n, r in enumerate(forms_rows, start=2):
        where = f"forms.csv row {n} ({r['form_id']})"
        fid = r["form_id"]
        if fid in forms:
            problems.append(f"{where}: form_id is listed twice")
            continue
        code = r["item_code"]
        if code not in checks:
            problems.append(f"{where}: item_code {code!r} has no checks in checks.csv")
            continue
        if r["default"] not in ("true", "false"):
            problems.append(f"{where}: default must be true or false")
            continue
        sections_bound = tuple(s for s in r["industry_sections"].split(";") if s)
        bad = [s for s in sections_bound if s not in SECTIONS]
        if bad:
            problems.append(f"{where}: industry_sections {bad} are not GB/T 4754 sections A..T")
        sections = [s.strip() for s in r["sections"].split(";") if s.strip()]
        try:
            want = int(r["items"])
        except ValueError:
            problems.append(f"{where}: items {r['items']!r} must be a number")
            continue
        fchecks = checks[code]
        if want < 1 or want > len(sections) * len(fchecks):
            problems.append(
                f"{where}: items {want} must be 1..{len(sections) * len(fchecks)} "
                f"({len(sections)} sections × {len(fchecks)} checks of item {code})"
            )
            continue
        items: list[CheckItem] = []
        for s_no, section in enumerate(sections, start=1):
            for c in fchecks:
                if len(items) == want:
                    break
                c_no = int(c["check_no"])
                items.append(
                    CheckItem(
                        f"{fid}-{s_no:02d}-{c_no:02d}",
                        fid,
                        s_no,
                        section,
                        c_no,
                        f"{section}：{c['wording_zh']}",
                        c["legal_basis"],
                        c["violation_result"],
                    )
                )
        forms[fid] = Form(fid, code, r["default"] == "true", sections_bound, r["name_zh"], r["name_en"], tuple(items))
        if r["default"] == "true":
            defaults.setdefault(code, []).append(fid)
    for code in sorted({f.item_code for f in forms.values()}):
        if len(defaults.get(code, [])) != 1:
            problems.append(f"forms.csv: inspection item {code} needs exactly one default form (has {defaults.get(code, [])})")
    for code in sorted(item_codes - {f.item_code for f in forms.values()}):
        problems.append(f"forms.csv: inspection item {code} has no form")
    if problems:
        raise CatalogError(problems)
    return FormCatalogue(forms, d)


# -- xlsx round trip (the governance teams' workbook, as for the data catalogs) ------------------


def export_forms_xlsx(path: str | Path, data_dir: str | Path | None = None) -> Path:
    """The seed files as sheets ``forms`` and ``checks`` (cells hold the files' text) plus a read-only sheet ``items``
    with the 2,128 generated items."""
    from openpyxl import Workbook

    d = Path(data_dir) if data_dir else DATA_DIR
    cat = load_forms(d)
    wb = Workbook(write_only=True)
    for name in FILES:
        ws = wb.create_sheet(name.removesuffix(".csv"))
        with (d / name).open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.reader(fh):
                ws.append(row)
    ws = wb.create_sheet("items")
    cols = ["item_id", "form_id", "section_no", "section_zh", "check_no", "wording_zh", "legal_basis", "violation_result"]
    ws.append(cols + ["answers"])
    for it in cat.items():
        d_ = it.as_dict()
        ws.append([d_[c] for c in cols] + ["|".join(it.answers)])
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def import_forms_xlsx(path: str | Path, data_dir: str | Path | None = None) -> Path:
    """Validate an edited workbook's ``forms`` and ``checks`` sheets (the ``items`` sheet is generated, not read) and replace
    the seed files with them; nothing is replaced when the workbook does not validate."""
    import shutil
    import tempfile

    from openpyxl import load_workbook

    from catalog.xlsx import _cell_text

    d = Path(data_dir) if data_dir else DATA_DIR
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001
        raise CatalogError([f"{path}: not a readable xlsx workbook ({e})"]) from None
    with tempfile.TemporaryDirectory() as tmp:
        for name in FILES:
            sheet = name.removesuffix(".csv")
            if sheet not in wb.sheetnames:
                raise CatalogError([f"{path}: sheet {sheet!r} is missing"])
            rows = [[_cell_text(v) for v in row] for row in wb[sheet].iter_rows(values_only=True)]
            rows = [r for r in rows if any(r)]
            with (Path(tmp) / name).open("w", encoding="utf-8", newline="") as fh:
                csv.writer(fh, lineterminator="\n").writerows(rows)
        load_forms(tmp)
        d.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            shutil.copyfile(Path(tmp) / name, d / name)
    return d

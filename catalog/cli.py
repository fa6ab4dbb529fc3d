"""``regulake catalog ...``: summary, validation and the xlsx round trip of the catalog."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(help="Data catalogs (数据目录) and data standards (数据元).", no_args_is_help=True)

DataDirOpt = typer.Option(None, "--data-dir", help="Catalog folder (default: the package's catalog/data).")


@app.command("summary")
def summary(data_dir: Optional[Path] = DataDirOpt) -> None:
    """Number of departments, catalogs, standards and fields, and catalogs per subject area."""
    from rich.console import Console
    from rich.table import Table

    from catalog.catalogs import SUBJECT_AREAS
    from catalog.loader import load_catalog

    reg = load_catalog(data_dir)
    s = reg.summary()
    console = Console()
    totals = Table("what", "count", title="regulake catalog")
    for key in ("departments", "catalogs", "standards", "fields", "code_tables", "est_records_sf1"):
        totals.add_row(key, f"{s[key]:,}")
    console.print(totals)
    fields_by_subject: dict[str, int] = {}
    for c in reg.catalogs.values():
        fields_by_subject[c.subject_area] = fields_by_subject.get(c.subject_area, 0) + len(c.fields)
    per = Table("subject area", "中文", "catalogs", "fields", title="per subject area")
    for area, n in s["by_subject_area"].items():
        per.add_row(area, SUBJECT_AREAS.get(area, ""), str(n), f"{fields_by_subject[area]:,}")
    console.print(per)


@app.command("show")
def show(code: str = typer.Argument(..., help="Catalog code, e.g. SCJG-001."), data_dir: Optional[Path] = DataDirOpt) -> None:
    """One catalog and its fields, each with its standard's rule (the data dictionary entry)."""
    from rich.console import Console
    from rich.table import Table

    from catalog.errors import CatalogError
    from catalog.loader import load_catalog

    reg = load_catalog(data_dir)
    cat = reg.catalogs.get(code)
    if cat is None:
        raise CatalogError([f"no catalog {code!r}; `regulake catalog summary` lists the subject areas, catalogs.csv the codes"])
    dep = reg.departments[cat.department]
    console = Console()
    console.print(
        f"[bold]{cat.code}[/bold] {cat.name_zh} / {cat.name_en}\n{dep.name_zh} / {dep.name_en}; "
        f"subject {cat.subject_area}; {cat.frequency}; {cat.format}; key {', '.join(cat.key_fields)}; ~{cat.est_records:,} records at SF 1"
    )
    t = Table("field", "source name", "standard", "required", "PII", "rule")
    for f in cat.fields:
        std = reg.standards[f.standard]
        t.add_row(
            f.name,
            f.source_name,
            f.standard,
            "yes" if f.required else "",
            "" if std.pii_class == "none" else std.pii_class,
            f"{std.rule_zh()} / {std.rule_en()}",
        )
    console.print(t)


@app.command("validate")
def validate(data_dir: Optional[Path] = DataDirOpt) -> None:
    """Validate the catalog files; problems name the file, row and field."""
    from rich.console import Console

    from catalog.loader import load_catalog

    reg = load_catalog(data_dir)
    Console().print(
        f"[green]catalog is valid[/green]: {len(reg.catalogs)} catalogs, {len(reg.standards)} standards, {reg.field_count} fields in {reg.source}"
    )


@app.command("export-xlsx")
def export_xlsx_cmd(path: Path = typer.Argument(..., help="Workbook to write."), data_dir: Optional[Path] = DataDirOpt) -> None:
    """Write the catalog as one Excel workbook (one sheet per file)."""
    from rich.console import Console

    from catalog.xlsx import export_xlsx

    out = export_xlsx(path, data_dir)
    Console().print(f"wrote {out}")


@app.command("import-xlsx")
def import_xlsx_cmd(path: Path = typer.Argument(..., help="Workbook to read."), data_dir: Optional[Path] = DataDirOpt) -> None:
    """Validate an edited workbook and replace the catalog files with it."""
    from rich.console import Console

    from catalog.xlsx import import_xlsx

    out = import_xlsx(path, data_dir)
    Console().print(f"imported {path} into {out}")


@app.command("forms")
def forms_cmd(
    form_id: Optional[str] = typer.Argument(None, help="A form id (e.g. JCB-11): its check items."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help="Seed folder (default: catalog/data/inspection)."),
) -> None:
    """The check-item catalogue: the 44 inspection forms and their 2,128 check items (检查事项)."""
    from rich.console import Console
    from rich.table import Table

    from catalog.inspection_forms import load_forms

    cat = load_forms(data_dir)
    console = Console()
    if form_id is None:
        t = Table(
            "form",
            "item",
            "default",
            "sections",
            "名称",
            "name",
            "items",
            "version",
            title=f"{len(cat.forms)} inspection forms, {cat.item_count:,} check items",
        )
        for f in cat.forms.values():
            t.add_row(
                f.form_id,
                f.item_code,
                "yes" if f.default else "",
                ",".join(f.industry_sections),
                f.name_zh,
                f.name_en,
                str(len(f.items)),
                f.version,
            )
        console.print(t)
        return
    f = cat.forms.get(form_id)
    if f is None:
        from catalog.errors import CatalogError

        raise CatalogError([f"no inspection form {form_id!r}; `regulake catalog forms` lists them"])
    t = Table("item", "检查内容", "legal basis", "不符合 →", title=f"{f.form_id} {f.name_zh} ({len(f.items)} items, version {f.version})")
    for it in f.items:
        t.add_row(it.item_id, it.wording_zh, it.legal_basis, it.violation_result)
    console.print(t)


@app.command("export-forms-xlsx")
def export_forms_xlsx_cmd(path: Path = typer.Argument(..., help="Workbook to write.")) -> None:
    """Write the check-item catalogue's seed (forms, checks) and its generated items as one workbook."""
    from rich.console import Console

    from catalog.inspection_forms import export_forms_xlsx

    Console().print(f"wrote {export_forms_xlsx(path)}")


@app.command("import-forms-xlsx")
def import_forms_xlsx_cmd(
    path: Path = typer.Argument(..., help="Workbook to read."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help="Seed folder to replace."),
) -> None:
    """Validate an edited forms workbook and replace the seed files with its forms and checks sheets."""
    from rich.console import Console

    from catalog.inspection_forms import import_forms_xlsx

    Console().print(f"imported {path} into {import_forms_xlsx(path, data_dir)}")

"""Great Expectations suites generated from the data standards, and Data Docs per batch.

The gate that decides which rows continue is the one-pass check in ``rules.py`` (Great
Expectations on Spark runs one or more Spark jobs per expectation, far too many for the
gate). Great Expectations documents it: for the catalogs configured in
``silver.data_docs_catalogs`` a suite is generated from the standards — one expectation per
rule, each describing itself with the standard's bilingual sentence — validated against the
batch's standardised rows (values that failed a rule are NULL there) and rendered as Data
Docs HTML under ``silver.data_docs_root``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakehouse.check_digits import USCC_PATTERN

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import DataFrame

    from catalog.catalogs import Catalog
    from catalog.standards import Standard

MAX_VALUE_SET = 5000  # larger code tables are left to the gate


def expectation_specs(catalog: Catalog, standards: dict[str, Standard]) -> list[tuple[str, dict[str, Any], Standard]]:
    """(expectation class name, arguments, standard) for every rule of a catalog's fields."""
    specs = []
    for f in catalog.fields:
        std = standards[f.standard]
        col = f.name
        if f.required:
            specs.append(("ExpectColumnValuesToNotBeNull", {"column": col}, std))
        v = std.validator
        if v == "uscc":
            specs.append(("ExpectColumnValuesToMatchRegex", {"column": col, "regex": USCC_PATTERN}, std))
        elif v == "code_table" and 0 < len(std.codes) <= MAX_VALUE_SET:
            specs.append(("ExpectColumnValuesToBeInSet", {"column": col, "value_set": sorted(std.codes)}, std))
        elif v in ("pattern", "text"):
            if std.pattern:
                specs.append(("ExpectColumnValuesToMatchRegex", {"column": col, "regex": std.pattern}, std))
            if std.length:
                specs.append(("ExpectColumnValueLengthsToBeBetween", {"column": col, "max_value": std.length}, std))
        elif v in ("integer", "decimal") and (std.min_value is not None or std.max_value is not None):
            specs.append(("ExpectColumnValuesToBeBetween", {"column": col, "min_value": std.min_value, "max_value": std.max_value}, std))
    return specs


def build_suite(gx, name: str, catalog: Catalog, standards: dict[str, Standard]):
    suite = gx.ExpectationSuite(name=name, meta={"catalog": catalog.code, "catalog_name": catalog.name_zh})
    for cls_name, kwargs, std in expectation_specs(catalog, standards):
        cls = getattr(gx.expectations, cls_name)
        suite.add_expectation(cls(**kwargs, meta={"standard": std.id}, description=f"{std.id}: {std.explain()}"))
    return suite


def validate_with_data_docs(
    rows: DataFrame | pd.DataFrame, catalog: Catalog, standards: dict[str, Standard], batch: int, root: str | Path
) -> dict:
    """Validate one catalog's standardised rows of a batch (Spark or pandas); returns a summary and writes Data Docs."""
    import logging
    import os

    os.environ.setdefault("TQDM_DISABLE", "1")  # GE's metric progress bars would flood the job's output
    import great_expectations as gx
    import pandas as pd

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(root))
    if isinstance(rows, pd.DataFrame):  # a batch standardised in the driver (silver.local)
        source = context.data_sources.add_or_update_pandas(name="silver_driver")
    else:
        source = context.data_sources.add_or_update_spark(name="silver")
    asset_name = catalog.code
    try:
        asset = source.get_asset(asset_name)
    except LookupError:
        asset = source.add_dataframe_asset(name=asset_name)
    try:
        definition = asset.get_batch_definition("batch")
    except (KeyError, LookupError):
        definition = asset.add_batch_definition_whole_dataframe("batch")
    suite = context.suites.add_or_update(build_suite(gx, f"{catalog.code}-standards", catalog, standards))
    validation = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=f"{catalog.code}-batch", data=definition, suite=suite)
    )
    checkpoint = context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=f"{catalog.code}-silver",
            validation_definitions=[validation],
            actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs")],
        )
    )
    result = checkpoint.run(batch_parameters={"dataframe": rows}, run_id=gx.RunIdentifier(run_name=f"batch-{batch}"))
    failed = []
    for run in result.run_results.values():
        for r in run.results:
            if not r.success:
                failed.append(
                    {
                        "expectation": r.expectation_config.type,
                        "column": r.expectation_config.kwargs.get("column"),
                        "unexpected": r.result.get("unexpected_count"),
                    }
                )
    return {
        "success": bool(result.success),
        "expectations": len(suite.expectations),
        "failed": failed,
        "data_docs": str(root / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"),
    }

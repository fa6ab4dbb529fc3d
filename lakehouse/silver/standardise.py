"""Bronze records of one subject area → typed columns named after the data standards.

Each catalog's delivered field names (often Chinese) map to the catalog's English field
names; every field is normalised and checked by the standard its catalog binds it to (see
``rules.check``), column by column on Arrow batches inside one Spark stage. A row with any
failed rule carries the list of failures (``_errors``) and goes to the rejects. Personal
data gets a keyed hash and a masked display value beside the restricted raw column.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lakehouse.privacy import PII_MASKED, hmac_hex, mask_value
from lakehouse.silver.rules import arrow_type, check

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from catalog.catalogs import Catalog, Registry
    from catalog.standards import Standard

LINEAGE = ["catalog", "department", "batch_date", "source_file", "source_line", "ingest_batch", "record_key"]
ERRORS = "_errors"
UNMAPPED = "_unmapped"  # delivered column names the catalog does not know (a schema change upstream)
HASHED = {"id_number", "phone"}  # PII classes that also get a keyed hash for joins


@dataclass
class AreaPlan:
    """The silver table of one subject area: its catalogs and the union of their fields."""

    area: str
    catalogs: dict[str, Catalog]
    fields: dict[str, Standard] = field(default_factory=dict)  # field name → its first standard (type, PII class)
    # field name → catalog → the standard that catalog binds it to (names repeat across catalogs)
    bindings: dict[str, dict[str, Standard]] = field(default_factory=dict)

    @property
    def table(self) -> str:
        return f"silver.{self.area}"

    def pii_class(self, name: str) -> str | None:
        return next((s.pii_class for s in self.bindings[name].values() if s.pii_class in PII_MASKED), None)

    def pii_fields(self) -> list[tuple[str, str]]:
        return [(n, self.pii_class(n)) for n in self.fields if self.pii_class(n)]

    def columns(self) -> list[str]:
        cols = list(LINEAGE) + list(self.fields)
        for name, pii in self.pii_fields():
            if pii in HASHED:
                cols.append(f"{name}_hash")
            cols.append(f"{name}_masked")
        return cols

    def schema(self):
        """The Spark schema of standardised rows (silver columns plus the error list): ``arrow_schema`` in Spark."""
        from lakehouse.tables.arrow_files import spark_schema

        return spark_schema(self.arrow_schema())

    def arrow_schema(self):
        """The Arrow schema of standardised rows: what ``standardise_catalog`` returns."""
        import pyarrow as pa

        fields = [
            ("catalog", pa.string()),
            ("department", pa.string()),
            ("batch_date", pa.date32()),
            ("source_file", pa.string()),
            ("source_line", pa.int32()),
            ("ingest_batch", pa.int64()),
            ("record_key", pa.string()),
        ]
        fields += [(n, arrow_type(s)) for n, s in self.fields.items()]
        for name, pii in self.pii_fields():
            if pii in HASHED:
                fields.append((f"{name}_hash", pa.string()))
            fields.append((f"{name}_masked", pa.string()))
        error = pa.struct([(n, pa.string()) for n in ("field", "standard", "reason", "raw_value")])
        fields += [(ERRORS, pa.list_(error)), (UNMAPPED, pa.list_(pa.string()))]
        return pa.schema(fields)


def area_plans(registry: Registry) -> dict[str, AreaPlan]:
    plans: dict[str, AreaPlan] = {}
    for code in sorted(registry.catalogs):
        cat = registry.catalogs[code]
        plan = plans.setdefault(cat.subject_area, AreaPlan(cat.subject_area, {}))
        plan.catalogs[code] = cat
        for f in cat.fields:
            std = registry.standards[f.standard]
            plan.fields.setdefault(f.name, std)
            plan.bindings.setdefault(f.name, {})[code] = std
    return plans


def standardise_catalog(batch, code: str, plan: AreaPlan, key: bytes):
    """One catalog's rows of an Arrow batch → the area's standardised columns."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    cat = plan.catalogs[code]
    n = batch.num_rows
    record = batch.column("record")
    lookup = _FieldLookup(record, [f.source_name for f in cat.fields])
    cols: dict[str, pa.Array] = {}
    failures: list[tuple[int, str, str, str, str | None]] = []
    for j, f in enumerate(cat.fields):
        std = plan.bindings[f.name][code]
        raw = lookup.column(j)
        values, reasons = check(std, raw, f.required)
        cols[f.name] = values.cast(arrow_type(plan.fields[f.name]))
        bad = np.flatnonzero(reasons.is_valid().to_numpy(zero_copy_only=False))
        if bad.size:
            pii = std.pii_class if std.pii_class in PII_MASKED else None
            for row, raw_value, why in zip(bad.tolist(), raw.take(pa.array(bad)).to_pylist(), reasons.take(pa.array(bad)).to_pylist()):
                shown = mask_value(raw_value, pii) if pii else (raw_value[:200] if raw_value is not None else None)
                failures.append((row, f.name, std.id, why, shown))

    out = {
        "catalog": batch.column("catalog"),
        "department": batch.column("department"),
        "batch_date": batch.column("batch_date"),
        "source_file": batch.column("file"),
        "source_line": batch.column("line"),
        "ingest_batch": batch.column("ingest_batch"),
    }
    key_parts = [pa.array([code] * n, pa.string())] + [
        pc.fill_null(pc.cast(cols[k], pa.string()), "") if k in cols else pa.array([""] * n, pa.string()) for k in cat.key_fields
    ]
    out["record_key"] = pc.binary_join_element_wise(*key_parts, "|")
    for name, std in plan.fields.items():
        out[name] = cols.get(name, pa.nulls(n, arrow_type(std)))
    for name, pii in plan.pii_fields():
        if pii in HASHED:
            out[f"{name}_hash"] = _per_distinct(out[name], lambda v: hmac_hex(key, v))
        out[f"{name}_masked"] = _per_distinct(out[name], lambda v, pii=pii: mask_value(v, pii))
    out[ERRORS] = _error_lists(n, failures)
    out[UNMAPPED] = lookup.unmapped()
    return pa.RecordBatch.from_pydict(out)


def _per_distinct(values, fn):
    """``fn`` of each value as a string array, called once per distinct value (a person's ID recurs across records)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    coded = pc.dictionary_encode(values)
    mapped = pa.array([fn(v) for v in coded.dictionary.to_pylist()], pa.string())
    out = mapped.take(coded.indices)
    return out if values.null_count == 0 else pc.if_else(pc.is_null(values), pa.scalar(fn(None), pa.string()), out)


class _FieldLookup:
    """The first value of each wanted key per row of a map column, from one pass over its entries.

    ``pc.map_lookup`` scans every entry of every row once per field; a catalog has ~20 fields.
    """

    def __init__(self, record, names: list[str]):
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        self.n = len(record)
        pairs = record.cast(pa.list_(pa.struct([("key", pa.string()), ("value", pa.string())])))
        flat = pairs.flatten()
        self.keys, self.values = flat.field("key"), flat.field("value")
        self.rows = pc.list_parent_indices(pairs).to_numpy(zero_copy_only=False).astype(np.int64)
        slot = pc.index_in(self.keys, value_set=pa.array(names, pa.string()))
        self.known = pc.is_valid(slot)
        entry = np.flatnonzero(self.known.to_numpy(zero_copy_only=False))
        cell = self.rows[entry] * len(names) + pc.fill_null(slot, 0).to_numpy(zero_copy_only=False)[entry]
        cells, first = np.unique(cell, return_index=True)  # the first entry of each (row, key): map_lookup's "first"
        pos = np.full(self.n * len(names), -1, dtype=np.int64)
        pos[cells] = entry[first]
        self.pos = pos.reshape(self.n, len(names))

    def column(self, j: int):
        import pyarrow as pa

        at = self.pos[:, j]
        return self.values.take(pa.array(at, mask=at < 0))

    def unmapped(self):
        """Per row, the delivered field names not wanted (an empty list for almost every row)."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        unknown = pc.invert(self.known)
        rows = self.rows[unknown.to_numpy(zero_copy_only=False)]
        counts = np.bincount(rows, minlength=self.n) if rows.size else np.zeros(self.n, dtype=np.int64)
        offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]).astype(np.int32))
        return pa.ListArray.from_arrays(offsets, self.keys.filter(unknown))


def _error_lists(n: int, failures: list):
    import numpy as np
    import pyarrow as pa

    failures.sort(key=lambda x: x[0])
    counts = np.bincount(np.array([f[0] for f in failures], dtype=np.int64), minlength=n) if failures else np.zeros(n, dtype=np.int64)
    offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]).astype(np.int32))
    items = pa.StructArray.from_arrays(
        [pa.array([f[i] for f in failures], pa.string()) for i in range(1, 5)],
        names=["field", "standard", "reason", "raw_value"],
    )
    return pa.ListArray.from_arrays(offsets, items)


def standardise(records: DataFrame, plan: AreaPlan, hmac_key: bytes) -> DataFrame:
    """Typed, checked rows of ``plan``'s area, with an ``_errors`` array (empty when clean)."""

    def run(batches: Iterator) -> Iterator:
        import pyarrow.compute as pc

        for batch in batches:
            if batch.num_rows == 0:
                continue
            catalogs = batch.column("catalog")
            for code in pc.unique(catalogs).to_pylist():
                yield standardise_catalog(batch.filter(pc.equal(catalogs, code)), code, plan, hmac_key)

    cols = ["catalog", "department", "batch_date", "file", "line", "ingest_batch", "record"]
    return records.select(*cols).mapInArrow(run, plan.schema())


def by_catalog(catalogs: dict, pick, default):
    """CASE WHEN catalog IN (...) THEN pick(c) ... ELSE default: one branch per distinct pick (catalogs where
    pick is None are left out). A branch per catalog is evaluated in turn on every row; catalogs that pick the
    same expression share one set look-up."""
    from pyspark.sql import functions as F

    groups: dict[str, tuple[object, list[str]]] = {}
    for code, cat in catalogs.items():
        value = pick(cat)
        if value is not None:
            groups.setdefault(str(value), (value, []))[1].append(code)
    expr = None
    for value, codes in groups.values():
        cond = F.col("catalog") == codes[0] if len(codes) == 1 else F.col("catalog").isin(codes)
        expr = F.when(cond, value) if expr is None else expr.when(cond, value)
    return default if expr is None else expr.otherwise(default)


def unmapped_columns(checked: DataFrame) -> DataFrame:
    """(catalog, column, count): delivered columns the catalog does not know, from standardised rows."""
    from pyspark.sql import functions as F

    return checked.where(F.size(UNMAPPED) > 0).select("catalog", F.explode(UNMAPPED).alias("column")).groupBy("catalog", "column").count()

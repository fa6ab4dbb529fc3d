"""Schemas: Spark ``StructType`` ⇄ Delta schema, and the rules for changing a table's schema.

Delta's schema string is Spark's StructType JSON, so the two convert through JSON and
column comments (field metadata) travel with them to Trino and the data dictionary.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from lakehouse.tables.exceptions import SchemaMismatchError

if TYPE_CHECKING:
    from pyspark.sql.types import StructType

PARTITION_TYPES = {"string", "integer", "long", "short", "byte", "date", "boolean"}


def check_writable(schema: StructType, table: str) -> None:
    """Refuse Spark types that would lift the table's protocol or that readers cannot type."""
    for field in schema.fields:
        _check_type(field.name, json.loads(field.dataType.json()), table)


def _check_type(path: str, t: Any, table: str) -> None:
    if isinstance(t, str):
        if t == "timestamp_ntz":
            raise SchemaMismatchError(
                f"{table}: column '{path}' is TIMESTAMP_NTZ, which needs Delta's timestampNtz feature "
                "(reader 3 / writer 7) that regulake keeps off for Trino; cast it to TIMESTAMP (UTC)"
            )
        if t in ("void", "null"):
            raise SchemaMismatchError(f"{table}: column '{path}' has no type (an untyped NULL); cast it, e.g. F.lit(None).cast('string')")
        if t.startswith(("interval", "char", "varchar")) or t in ("variant", "calendarinterval"):
            raise SchemaMismatchError(f"{table}: column '{path}' has type {t}, which Delta tables cannot hold; cast it")
        return
    kind = t.get("type")
    if kind == "struct":
        for f in t["fields"]:
            _check_type(f"{path}.{f['name']}", f["type"], table)
    elif kind == "array":
        _check_type(f"{path}[]", t["elementType"], table)
    elif kind == "map":
        _check_type(f"{path}{{key}}", t["keyType"], table)
        _check_type(f"{path}{{value}}", t["valueType"], table)


def to_delta_json(schema: StructType) -> str:
    """Spark schema → Delta schema string (all fields nullable, as Spark writes them)."""
    data = json.loads(schema.json())
    for f in data["fields"]:
        f["nullable"] = True
    return json.dumps(data)


def to_delta(schema: StructType):
    from deltalake import Schema

    return Schema.from_json(to_delta_json(schema))


def from_delta(delta_schema) -> StructType:
    """Delta schema (``deltalake.Schema``) → Spark StructType."""
    from pyspark.sql.types import StructType

    return StructType.fromJson(json.loads(delta_schema.to_json()))


def check_partition_columns(schema: StructType, partition_by: list[str], table: str) -> None:
    names = {f.name: f for f in schema.fields}
    for col in partition_by:
        if col not in names:
            raise SchemaMismatchError(f"{table}: partition column '{col}' is not among the columns {sorted(names)}")
        tname = names[col].dataType.typeName()
        if tname not in PARTITION_TYPES:
            raise SchemaMismatchError(
                f"{table}: partition column '{col}' has type {tname}; partition by one of {', '.join(sorted(PARTITION_TYPES))} "
                "(derive a date or a string column to partition by)"
            )


def _shape(t: Any) -> Any:
    """A type's JSON without nullability (``containsNull``, ``valueContainsNull``, nested ``nullable``) or
    field metadata: Delta stores every column nullable, Arrow and Spark sources may say otherwise."""
    if isinstance(t, dict):
        return {k: _shape(v) for k, v in t.items() if k not in ("containsNull", "valueContainsNull", "nullable", "metadata")}
    if isinstance(t, list):
        return [_shape(v) for v in t]
    return t


def evolve(table_schema: StructType, incoming: StructType, table: str, add_columns: bool) -> list:
    """Compare incoming columns with the table's.

    Returns the new fields to add (empty when none). Missing columns are fine (read as
    NULL). A changed type is always refused; new columns only when ``add_columns``.
    """
    existing = {f.name: f for f in table_schema.fields}
    lower = {n.lower(): n for n in existing}
    new_fields = []
    problems = []
    for f in incoming.fields:
        cur = existing.get(f.name)
        if cur is None:
            if f.name.lower() in lower:
                problems.append(f"column '{f.name}' differs only in case from the table's '{lower[f.name.lower()]}'; rename it")
                continue
            new_fields.append(f)
            continue
        if _shape(json.loads(cur.dataType.json())) != _shape(json.loads(f.dataType.json())):
            problems.append(
                f"column '{f.name}' is {f.dataType.simpleString()} but the table has {cur.dataType.simpleString()}; "
                f"cast it to {cur.dataType.simpleString()} (changing a column's type needs a full rewrite)"
            )
    if problems:
        raise SchemaMismatchError(f"{table}: incompatible schema: " + "; ".join(problems))
    if new_fields and not add_columns:
        names = ", ".join(f"{f.name} {f.dataType.simpleString()}" for f in new_fields)
        raise SchemaMismatchError(
            f"{table}: the data has new columns not in the table ({names}); pass schema_mode='add_columns' to add them, "
            "or drop them before writing"
        )
    return new_fields


def field_json(field) -> str:
    """One Spark StructField as Delta's field JSON (for ``deltalake.Field.from_json``)."""
    return json.dumps(field.jsonValue())


def merged(table_schema: StructType, new_fields: list) -> StructType:
    from pyspark.sql.types import StructType

    return StructType(list(table_schema.fields) + list(new_fields))

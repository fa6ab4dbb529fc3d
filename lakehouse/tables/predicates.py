"""Predicates the table layer hands to Delta: partitions an overwrite replaces, read filters.

The same SQL text goes to delta-spark (``replaceWhere``) and to delta-rs (``predicate``), so the
two replace exactly the same partitions.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from lakehouse.tables.exceptions import PartitionFilterViolationError, SchemaMismatchError, TableError

if TYPE_CHECKING:
    from pyspark.sql import Column

# (column, op, value) conjunctions, as deltalake takes them.
Filter = tuple[str, str, Any]
OPS = {"=", "==", "!=", "<", "<=", ">", ">=", "in", "not in"}
# {partition column: value or list of values}: the partitions an overwrite replaces.
ReplaceWhere = Mapping[str, Any]


def partition_string(value: Any) -> str | None:
    """A Python value as Delta writes a partition value."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        raise SchemaMismatchError("timestamps cannot be partition values here; partition by a date")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _values(v: Any) -> list:
    return list(v) if isinstance(v, (list, tuple, set, frozenset)) else [v]


def replaced_partitions(replace_where: ReplaceWhere, partition_by: Sequence[str], table: str) -> list[dict[str, str | None]]:
    """``{"d": ["2024-01-01", "2024-01-02"]}`` → one dict per replaced partition combination."""
    unknown = [c for c in replace_where if c not in partition_by]
    if unknown:
        raise PartitionFilterViolationError(
            f"{table}: replace_where names {unknown}, which are not partition columns ({list(partition_by) or 'none'}); "
            "only whole partitions can be replaced"
        )
    keys = list(replace_where)
    value_lists = [[partition_string(x) for x in _values(replace_where[k])] for k in keys]
    return [dict(zip(keys, combo)) for combo in itertools.product(*value_lists)]


def sql_literal(value: str | None) -> str:
    if value is None:
        return "NULL"
    return "'" + value.replace("'", "''") + "'"


def replace_where_sql(replace_where: ReplaceWhere, partition_by: Sequence[str], table: str) -> str:
    """The SQL predicate selecting the replaced partitions (``plan_id = 'p1'``, ``as_of IN ('…', '…')``)."""
    replaced_partitions(replace_where, partition_by, table)  # checks the columns
    terms = []
    for col, value in replace_where.items():
        values = [partition_string(x) for x in _values(value)]
        present = [v for v in values if v is not None]
        parts = []
        if present:
            parts.append(
                f"{col} = {sql_literal(present[0])}" if len(present) == 1 else f"{col} IN ({', '.join(map(sql_literal, present))})"
            )
        if len(present) < len(values):
            parts.append(f"{col} IS NULL")
        if not parts:
            raise PartitionFilterViolationError(f"{table}: replace_where {dict(replace_where)} names no value for {col}")
        terms.append(parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")")
    return " AND ".join(terms)


def filter_column(filters: Sequence[Filter]) -> Column | None:
    """The Spark condition equal to a list of (column, op, value) filters."""
    from pyspark.sql import functions as F

    cond = None
    for col, op, value in filters:
        if op not in OPS:
            raise TableError(f"filter ({col!r}, {op!r}, ...): unknown operator; use one of {sorted(OPS)}")
        c = F.col(col)
        part = {
            "=": lambda: c == value,
            "==": lambda: c == value,
            "!=": lambda: c != value,
            "<": lambda: c < value,
            "<=": lambda: c <= value,
            ">": lambda: c > value,
            ">=": lambda: c >= value,
            "in": lambda: c.isin(list(value)),
            "not in": lambda: ~c.isin(list(value)),
        }[op]()
        cond = part if cond is None else cond & part
    return cond


def pruning_filters(filters: Sequence[Filter]) -> list[tuple[str, str, Any]]:
    """Filters in the string form delta-rs prunes files by."""
    out = []
    for col, op, value in filters:
        op = "=" if op == "==" else op
        value = [_filter_value(v) for v in value] if op in ("in", "not in") else _filter_value(value)
        out.append((col, op, value))
    return out


def _filter_value(v: Any) -> Any:
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v) if not isinstance(v, str) else v

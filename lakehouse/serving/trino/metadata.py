"""What the endpoint serves: Delta snapshots of the exposed layers, and the metadata tables clients query.

Data tables are ``<catalog>.<layer>.<table>`` read with delta-rs (no Spark): each query checks
the table's version (an incremental log read) and a new version replaces the pyarrow dataset
DuckDB scans. Tables the table layer refuses (column mapping, deletion vectors, unknown reader
features) are refused here too.

Metadata tables (``information_schema``, ``system.jdbc``, ``system.metadata``, ``system.runtime``)
are small Arrow tables built from the same snapshots.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

import pyarrow as pa

from lakehouse.serving.comments import column_comment, table_comment
from lakehouse.serving.trino.errors import TrinoError
from lakehouse.serving.trino.types import TrinoType, from_delta, varchar


@dataclass
class ServedTable:
    catalog: str
    schema: str
    name: str
    uri: str
    dt: object = None
    version: int = -1
    dataset: object = None
    columns: list[tuple[str, TrinoType, str | None]] = field(default_factory=list)
    comment: str | None = None
    partition_by: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


V = varchar()
BIGINT, INTEGER, BOOLEAN = TrinoType("bigint"), TrinoType("integer"), TrinoType("boolean")

INFO_SCHEMA = {
    "schemata": [("catalog_name", V), ("schema_name", V)],
    "tables": [("table_catalog", V), ("table_schema", V), ("table_name", V), ("table_type", V)],
    "views": [("table_catalog", V), ("table_schema", V), ("table_name", V), ("view_owner", V), ("view_definition", V)],
    "columns": [("table_catalog", V), ("table_schema", V), ("table_name", V), ("column_name", V), ("ordinal_position", BIGINT),
                ("column_default", V), ("is_nullable", V), ("data_type", V), ("comment", V), ("extra_info", V)],
    "table_privileges": [("grantor", V), ("grantor_type", V), ("grantee", V), ("grantee_type", V), ("table_catalog", V),
                         ("table_schema", V), ("table_name", V), ("privilege_type", V), ("is_grantable", V), ("with_hierarchy", V)],
}
SYSTEM = {
    "jdbc": {
        "catalogs": [("table_cat", V)],
        "schemas": [("table_schem", V), ("table_catalog", V)],
        "tables": [("table_cat", V), ("table_schem", V), ("table_name", V), ("table_type", V), ("remarks", V), ("type_cat", V),
                   ("type_schem", V), ("type_name", V), ("self_referencing_col_name", V), ("ref_generation", V)],
        "table_types": [("table_type", V)],
        "columns": [("table_cat", V), ("table_schem", V), ("table_name", V), ("column_name", V), ("data_type", BIGINT),
                    ("type_name", V), ("column_size", BIGINT), ("buffer_length", BIGINT), ("decimal_digits", BIGINT),
                    ("num_prec_radix", BIGINT), ("nullable", BIGINT), ("remarks", V), ("column_def", V), ("sql_data_type", BIGINT),
                    ("sql_datetime_sub", BIGINT), ("char_octet_length", BIGINT), ("ordinal_position", BIGINT), ("is_nullable", V),
                    ("scope_catalog", V), ("scope_schema", V), ("scope_table", V), ("source_data_type", BIGINT),
                    ("is_autoincrement", V), ("is_generatedcolumn", V)],
    },
    "metadata": {
        "catalogs": [("catalog_name", V), ("connector_id", V), ("connector_name", V)],
        "table_comments": [("catalog_name", V), ("schema_name", V), ("table_name", V), ("comment", V)],
    },
    "runtime": {
        "nodes": [("node_id", V), ("http_uri", V), ("node_version", V), ("coordinator", BOOLEAN), ("state", V)],
    },
}
_JDBC_TYPES = {"varchar": 12, "bigint": -5, "integer": 4, "smallint": 5, "tinyint": -6, "double": 8, "real": 7, "decimal": 3,
               "boolean": 16, "date": 91, "timestamp": 93, "timestamp with time zone": 2014, "varbinary": -3, "array": 2003,
               "time": 92}


class WarehouseCatalog:
    """The served tables and the metadata about them."""

    def __init__(self, warehouse_root: str, catalog: str, schemas: list[str], storage_options: dict | None = None,
                 server_version: str = "446", listing_ttl_s: float = 1.0):
        self.root = warehouse_root.rstrip("/")
        self.catalog = catalog
        self.schemas = list(schemas)
        self.storage_options = dict(storage_options or {})
        self.server_version = server_version
        self.listing_ttl_s = listing_ttl_s
        self._tables: dict[tuple[str, str], ServedTable] = {}
        self._listing: dict[str, tuple[float, list[str]]] = {}
        self._lock = threading.Lock()
        self.http_uri = ""

    # -- names ------------------------------------------------------------------

    def catalogs(self) -> list[str]:
        return sorted([self.catalog, "system"])

    def schema_names(self, catalog: str) -> list[str]:
        if catalog == self.catalog:
            return sorted(self.schemas + ["information_schema"])
        if catalog == "system":
            return sorted(list(SYSTEM) + ["information_schema"])
        return []

    def table_names(self, catalog: str, schema: str) -> list[str]:
        if schema == "information_schema" and catalog in (self.catalog, "system"):
            return sorted(INFO_SCHEMA)
        if catalog == "system":
            return sorted(SYSTEM.get(schema, {}))
        if catalog != self.catalog or schema not in self.schemas:
            return []
        now = time.monotonic()
        cached = self._listing.get(schema)
        if cached and now - cached[0] < self.listing_ttl_s:
            return cached[1]
        names = self._list_delta_tables(schema)
        self._listing[schema] = (now, names)
        return names

    def _list_delta_tables(self, schema: str) -> list[str]:
        from deltalake import DeltaTable

        from lakehouse.tables.storage import TableStorage

        try:
            dirs = TableStorage(f"{self.root}/{schema}", self.storage_options).list_dirs("")
        except Exception:
            return []
        out = []
        for rel, _ in dirs:
            name = rel.rsplit("/", 1)[-1]
            if DeltaTable.is_deltatable(f"{self.root}/{schema}/{name}", storage_options=self.storage_options or None):
                out.append(name)
        return sorted(out)

    # -- resolution -------------------------------------------------------------

    def check_names(self, catalog: str, schema: str, table: str | None = None) -> None:
        if catalog not in self.catalogs():
            raise TrinoError("CATALOG_NOT_FOUND", f"Catalog '{catalog}' not found")
        if schema not in self.schema_names(catalog):
            hint = " (silver is not served unless serving.trino.schemas lists it)" if schema == "silver" else ""
            raise TrinoError("SCHEMA_NOT_FOUND", f"Schema '{schema}' does not exist{hint}")
        if table is not None and table not in self.table_names(catalog, schema):
            raise TrinoError("TABLE_NOT_FOUND", f"Table '{catalog}.{schema}.{table}' does not exist")

    def columns(self, catalog: str, schema: str, table: str) -> list[tuple[str, TrinoType, str | None]]:
        self.check_names(catalog, schema, table)
        if schema == "information_schema":
            return [(n, t, None) for n, t in INFO_SCHEMA[table]]
        if catalog == "system":
            return [(n, t, None) for n, t in SYSTEM[schema][table]]
        return self.table(schema, table).columns

    def table(self, schema: str, name: str) -> ServedTable:
        """The served table at its newest version (checked now)."""
        key = (schema, name)
        with self._lock:
            entry = self._tables.get(key)
            if entry is None:
                entry = ServedTable(self.catalog, schema, name, f"{self.root}/{schema}/{name}")
                self._tables[key] = entry
        with entry.lock:
            self._refresh(entry)
        return entry

    def _refresh(self, entry: ServedTable) -> None:
        from deltalake import DeltaTable

        from lakehouse.tables.exceptions import TableError
        from lakehouse.tables.snapshot import check_readable

        label = f"{entry.schema}.{entry.name}"
        try:
            if entry.dt is None:
                entry.dt = DeltaTable(entry.uri, storage_options=self.storage_options or None)
            else:
                entry.dt.update_incremental()
        except Exception as e:
            entry.dt = None
            raise TrinoError("TABLE_NOT_FOUND", f"Table '{self.catalog}.{label}' cannot be read: {e}") from None
        version = entry.dt.version()
        if version == entry.version:
            return
        try:
            check_readable(entry.dt, label)
        except TableError as e:
            raise TrinoError("NOT_SUPPORTED", str(e)) from None
        meta = entry.dt.metadata()
        schema_json = json.loads(entry.dt.schema().to_json())
        cols = []
        for f in schema_json["fields"]:
            comment = (f.get("metadata") or {}).get("comment")
            cols.append((f["name"], from_delta(f["type"]), column_comment(f["name"], comment)))
        entry.dataset = entry.dt.to_pyarrow_dataset()
        entry.columns = cols
        entry.partition_by = list(meta.partition_columns)
        entry.comment = table_comment(label, meta.description)
        entry.version = version

    def served_tables(self) -> list[ServedTable]:
        out = []
        for schema in self.schemas:
            for name in self.table_names(self.catalog, schema):
                try:
                    out.append(self.table(schema, name))
                except TrinoError:
                    continue            # unreadable tables are left out of listings
        return out

    # -- metadata relations --------------------------------------------------------

    def relation(self, catalog: str, schema: str, table: str):
        """What DuckDB scans for a name: a dataset for data, an Arrow table for metadata."""
        if schema == "information_schema":
            return self._info_schema(catalog, table)
        if catalog == "system":
            return self._system(schema, table)
        return self.table(schema, table).dataset

    def _all_columns(self, catalog: str):
        """(schema, table, [(column, type, comment)]) of every table in a catalog, metadata included."""
        out = []
        if catalog == self.catalog:
            for t in self.served_tables():
                out.append((t.schema, t.name, t.columns, t.comment))
        else:
            for schema, tables in SYSTEM.items():
                for name, cols in tables.items():
                    out.append((schema, name, [(n, ty, None) for n, ty in cols], None))
        for name, cols in INFO_SCHEMA.items():
            out.append(("information_schema", name, [(n, ty, None) for n, ty in cols], None))
        return out

    def _info_schema(self, catalog: str, table: str) -> pa.Table:
        rows: list[tuple] = []
        if table == "schemata":
            rows = [(catalog, s) for s in self.schema_names(catalog)]
        elif table == "tables":
            rows = [(catalog, s, n, "BASE TABLE") for s, n, _, _ in self._all_columns(catalog)]
        elif table == "columns":
            for s, n, cols, _ in self._all_columns(catalog):
                for i, (c, ty, comment) in enumerate(cols, 1):
                    rows.append((catalog, s, n, c, i, None, "YES", ty.name, comment, ""))
        return _arrow(INFO_SCHEMA[table], rows)

    def _system(self, schema: str, table: str) -> pa.Table:
        spec = SYSTEM[schema][table]
        rows: list[tuple] = []
        cats = self.catalogs()
        if (schema, table) == ("jdbc", "catalogs"):
            rows = [(c,) for c in cats]
        elif (schema, table) == ("jdbc", "schemas"):
            rows = [(s, c) for c in cats for s in self.schema_names(c)]
        elif (schema, table) == ("jdbc", "table_types"):
            rows = [("TABLE",), ("VIEW",)]
        elif (schema, table) == ("jdbc", "tables"):
            rows = [(c, s, n, "TABLE", comment, None, None, None, None, None)
                    for c in cats for s, n, _, comment in self._all_columns(c)]
        elif (schema, table) == ("jdbc", "columns"):
            for c in cats:
                for s, n, cols, _ in self._all_columns(c):
                    for i, (col, ty, comment) in enumerate(cols, 1):
                        size = ty.params[0] if ty.raw in ("varchar", "decimal") else None
                        digits = ty.params[1] if ty.raw == "decimal" else None
                        rows.append((c, s, n, col, _JDBC_TYPES.get(ty.raw, 2000), ty.name, size, None, digits,
                                     10 if ty.raw in ("decimal", "bigint", "integer", "smallint", "tinyint") else None,
                                     1, comment, None, None, None, size if ty.raw == "varchar" else None, i, "YES",
                                     None, None, None, None, "NO", "NO"))
        elif (schema, table) == ("metadata", "catalogs"):
            rows = [(self.catalog, self.catalog, "delta_lake"), ("system", "system", "system")]
        elif (schema, table) == ("metadata", "table_comments"):
            rows = [(self.catalog, t.schema, t.name, t.comment) for t in self.served_tables()]
        elif (schema, table) == ("runtime", "nodes"):
            rows = [("regulake", self.http_uri, self.server_version, True, "active")]
        return _arrow(spec, rows)


_ARROW = {"varchar": pa.string(), "bigint": pa.int64(), "integer": pa.int32(), "boolean": pa.bool_()}


def _arrow(spec, rows) -> pa.Table:
    cols = list(zip(*rows)) if rows else [[] for _ in spec]
    return pa.table({n: pa.array(list(v), type=_ARROW[t.raw]) for (n, t), v in zip(spec, cols)})

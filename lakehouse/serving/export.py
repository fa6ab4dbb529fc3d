"""``regulake trino export``: what a real Trino cluster needs to read the gold tables.

Writes into a folder:

* ``catalog/<catalog>.properties`` — Trino's Delta Lake connector over the warehouse, with the
  metastore chosen in ``serving.trino.cluster`` (Hive metastore over thrift, AWS Glue, or a file
  metastore) and the register-table procedure enabled;
* ``register_tables.sql`` — ``CREATE SCHEMA`` per exposed layer, ``CALL <catalog>.system.register_table``
  per table, then ``COMMENT ON TABLE`` / ``COMMENT ON COLUMN`` with the comments from the data
  standards (the same the embedded endpoint shows).

Registering only records the table's location in the metastore; Trino reads the Delta log.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from lakehouse.serving.comments import column_comment, table_comment
from lakehouse.serving.settings import TrinoSettings


@dataclass
class ExportResult:
    properties_file: Path
    sql_file: Path
    tables: list[str]


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _location(uri: str) -> str:
    if "://" in uri:
        return uri.replace("s3a://", "s3://")
    return "file://" + uri


def catalog_properties(settings: TrinoSettings, warehouse_root: str, storage_options: dict | None = None) -> str:
    c = settings.cluster
    lines = [
        f"# Trino catalog '{settings.catalog}': regulake's warehouse through the Delta Lake connector.",
        "# Written by 'regulake trino export'; put it in etc/catalog/ on every Trino node.",
        "connector.name=delta_lake",
        f"hive.metastore={c.metastore}",
    ]
    if c.metastore == "thrift":
        lines.append(f"hive.metastore.uri={c.metastore_uri}")
    elif c.metastore == "glue":
        if c.glue_region:
            lines.append(f"hive.metastore.glue.region={c.glue_region}")
        lines.append("# credentials: the nodes' AWS default credential chain, or hive.metastore.glue.aws-access-key / -secret-key")
    else:
        lines += ["# file metastore: for a single node or tests; every node must see the same folder",
                  f"hive.metastore.catalog.dir={c.file_metastore_dir or _location(warehouse_root.rstrip('/') + '/_trino_metastore')}"]
    lines += ["# 'CALL <catalog>.system.register_table' (register_tables.sql) needs this",
              "delta.register-table-procedure.enabled=true",
              "# the tables keep regulake's plain protocol (no deletion vectors, no column mapping)",
              "delta.enable-non-concurrent-writes=false"]
    root = warehouse_root
    opts = {k.upper(): v for k, v in (storage_options or {}).items()}
    if root.startswith(("s3://", "s3a://")):
        lines.append("fs.native-s3.enabled=true")
        if "AWS_REGION" in opts:
            lines.append(f"s3.region={opts['AWS_REGION']}")
        endpoint = opts.get("AWS_ENDPOINT_URL") or opts.get("AWS_ENDPOINT")
        if endpoint:
            lines += [f"s3.endpoint={endpoint}", "s3.path-style-access=true"]
        lines.append("# credentials: s3.aws-access-key / s3.aws-secret-key, or the nodes' instance role (never commit keys)")
    elif root.startswith("gs://"):
        lines.append("fs.native-gcs.enabled=true")
    elif root.startswith("abfss://"):
        lines.append("fs.native-azure.enabled=true")
    else:
        lines += ["# local or HDFS paths go through Hadoop's file systems; a local path only works when every node sees it",
                  "fs.hadoop.enabled=true"]
    if c.read_only:
        lines += ["# apply after running register_tables.sql (registering needs write access to the metastore)",
                  "delta.security=READ_ONLY"]
    for k, v in c.extra_properties.items():
        lines.append(f"{k}={v}")
    return "\n".join(lines) + "\n"


def registration_sql(settings: TrinoSettings, warehouse_root: str, storage_options: dict | None = None) -> tuple[str, list[str]]:
    from lakehouse.serving.trino.metadata import WarehouseCatalog
    from lakehouse.serving.trino.types import from_delta

    cat = settings.catalog
    wc = WarehouseCatalog(warehouse_root, cat, settings.schemas, storage_options)
    out = [f"-- Register regulake's tables in the Trino catalog '{cat}' (written by 'regulake trino export').",
           "-- Run once with the Trino CLI:  trino --server https://coordinator:8443 -f register_tables.sql",
           "-- Registering is idempotent per table: unregister_table first to re-register a moved table.", ""]
    names = []
    for schema in settings.schemas:
        out.append(f"CREATE SCHEMA IF NOT EXISTS {_ident(cat)}.{_ident(schema)} "
                   f"WITH (location = {_q(_location(warehouse_root.rstrip('/') + '/' + schema))});")
        for name in wc.table_names(cat, schema):
            from deltalake import DeltaTable

            from lakehouse.tables.snapshot import check_readable

            uri = f"{warehouse_root.rstrip('/')}/{schema}/{name}"
            dt = DeltaTable(uri, storage_options=storage_options or None)
            check_readable(dt, f"{schema}.{name}")
            full = f"{_ident(cat)}.{_ident(schema)}.{_ident(name)}"
            out += ["", f"-- {schema}.{name} (Delta version {dt.version()})",
                    f"CALL {_ident(cat)}.system.register_table(schema_name => {_q(schema)}, table_name => {_q(name)}, "
                    f"table_location => {_q(_location(uri))});"]
            tc = table_comment(f"{schema}.{name}", dt.metadata().description)
            if tc:
                out.append(f"COMMENT ON TABLE {full} IS {_q(tc)};")
            for f in json.loads(dt.schema().to_json())["fields"]:
                from_delta(f["type"])           # refuses types Trino would not read
                comment = column_comment(f["name"], (f.get("metadata") or {}).get("comment"))
                if comment:
                    out.append(f"COMMENT ON COLUMN {full}.{_ident(f['name'])} IS {_q(comment)};")
            names.append(f"{schema}.{name}")
    return "\n".join(out) + "\n", names


def export(settings: TrinoSettings, warehouse_root: str, out_dir: str | Path, storage_options: dict | None = None) -> ExportResult:
    out = Path(out_dir)
    (out / "catalog").mkdir(parents=True, exist_ok=True)
    props = out / "catalog" / f"{settings.catalog}.properties"
    props.write_text(catalog_properties(settings, warehouse_root, storage_options), encoding="utf-8")
    sql, names = registration_sql(settings, warehouse_root, storage_options)
    sql_file = out / "register_tables.sql"
    sql_file.write_text(sql, encoding="utf-8")
    return ExportResult(props, sql_file, names)

"""``regulake trino export``: what a real Trino cluster needs to read the served tables.

Writes into a folder, from the same generator as the local server's files
(:mod:`serving.trino.files`):

* ``catalog/<catalog>.properties`` — Trino's Delta Lake connector over the warehouse, with the
  metastore chosen in ``serving.trino.cluster`` (Hive metastore over thrift, AWS Glue, or a file
  metastore) and the register-table procedure enabled;
* ``register_tables.sql`` — ``CREATE SCHEMA`` per served layer and ``CALL <catalog>.system.register_table``
  per table (the same statements ``regulake serve trino`` runs, with the cluster's locations);
* ``rules.json`` — the file-based access control the local server uses (read-only users, personal
  columns masked), to adapt to the cluster's users.

Registering only records the table's location in the metastore; Trino reads the Delta log, which
also carries the comments (``regulake trino sync`` writes them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from lakehouse.config.serving import TrinoSettings
from serving.trino.files import access_rules, cluster_catalog_properties, registration_sql


@dataclass
class ExportResult:
    properties_file: Path
    sql_file: Path
    rules_file: Path
    tables: list[str]


def export(settings: TrinoSettings, warehouse_root: str, out_dir: str | Path, storage_options: dict | None = None) -> ExportResult:
    from lakehouse.tables import Tables
    from serving.trino.sync import served_tables

    names = served_tables(settings, Tables(warehouse_root, storage_options=storage_options))
    out = Path(out_dir)
    (out / "catalog").mkdir(parents=True, exist_ok=True)
    props = out / "catalog" / f"{settings.catalog}.properties"
    props.write_text(cluster_catalog_properties(settings, warehouse_root, storage_options), encoding="utf-8")
    sql_file = out / "register_tables.sql"
    sql_file.write_text(registration_sql(settings, warehouse_root, names, local=False), encoding="utf-8")
    rules = out / "rules.json"
    rules.write_text(json.dumps(access_rules(settings), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return ExportResult(props, sql_file, rules, names)

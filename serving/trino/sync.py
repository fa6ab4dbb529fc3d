"""Which tables Trino serves, their comments, and registering them (``register_table``, idempotent).

* :func:`served_tables` — every table of ``serving.trino.schemas`` plus ``serving.trino.tables``
  that exists in the warehouse.
* :func:`write_comments` — Trino's Delta Lake connector shows a table's comment from the Delta
  metadata's ``description`` and a column's from the field metadata ``comment``; its own
  ``COMMENT ON`` would have Trino write to regulake's tables (and fails on the local file system).
  So the comments of :mod:`serving.trino.comments` (the data standards, Chinese and English)
  are written into the Delta metadata with delta-rs, only where missing: one metadata-only commit
  per changed column or description, none on later runs. Tables keep their protocol (reader 1 /
  writer 2); tables with a newer protocol are left alone.
* :func:`sync` — ``CREATE SCHEMA IF NOT EXISTS`` per layer, ``register_table`` for the tables not
  yet registered, ``unregister_table`` for registrations whose table is gone or no longer served.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from lakehouse.config.serving import TrinoSettings
from serving.trino.comments import column_comment, table_comment
from serving.trino.files import ident, q, registration_statements
from serving.trino.launcher import TrinoError


@dataclass
class SyncResult:
    registered: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    unregistered: list[str] = field(default_factory=list)
    comments: dict[str, int] = field(default_factory=dict)  # table → comments written

    @property
    def served(self) -> list[str]:
        return sorted(self.registered + self.already)

    def summary(self) -> str:
        parts = [f"{len(self.served)} tables served"]
        if self.registered:
            parts.append(f"registered {', '.join(self.registered)}")
        if self.unregistered:
            parts.append(f"unregistered {', '.join(self.unregistered)}")
        n = sum(self.comments.values())
        if n:
            parts.append(f"{n} comments written into {len(self.comments)} tables' Delta metadata")
        return "; ".join(parts)


def served_tables(settings: TrinoSettings, tables) -> list[str]:
    """``layer.name`` of every served table that exists (``tables``: a :class:`lakehouse.tables.Tables`)."""
    existing = tables.list()
    out = [t for t in existing if t.split(".", 1)[0] in settings.schemas]
    out += [t for t in settings.tables if t in existing and t not in out]
    return sorted(out)


def write_comments(uri: str, name: str, storage_options: dict | None = None) -> int:
    """Put the missing table and column comments into the Delta metadata; returns how many were written."""
    from deltalake import DeltaTable

    dt = DeltaTable(uri, storage_options=storage_options or None)
    proto = dt.protocol()
    if proto.min_reader_version > 1 or proto.min_writer_version > 2:
        return 0
    written = 0
    meta = dt.metadata()
    wanted = table_comment(name, meta.description)
    if wanted and wanted != meta.description:
        dt.alter.set_table_description(wanted)
        written += 1
    for f in json.loads(dt.schema().to_json())["fields"]:
        existing = (f.get("metadata") or {}).get("comment")
        if existing:
            continue
        comment = column_comment(f["name"])
        if comment:
            dt.alter.set_column_metadata(f["name"], {"comment": comment})
            written += 1
    return written


def _run(cur, sql: str) -> list:
    cur.execute(sql)
    return cur.fetchall()


def sync(
    conn, settings: TrinoSettings, warehouse_root: str, tables, storage_options: dict | None = None, comments: bool | None = None
) -> SyncResult:
    """Register every served table (``conn``: a trino DB-API connection as the admin user)."""
    from trino.exceptions import TrinoQueryError

    res = SyncResult()
    served = served_tables(settings, tables)
    if settings.write_comments if comments is None else comments:
        for t in served:
            n = write_comments(tables.uri(t), t, storage_options)
            if n:
                res.comments[t] = n
    cur = conn.cursor()
    cat = settings.catalog
    layers = sorted(set(settings.schemas) | {t.split(".", 1)[0] for t in settings.tables})
    registered = set()
    try:
        existing_schemas = {r[0] for r in _run(cur, f"SHOW SCHEMAS FROM {ident(cat)}")}
        for layer in layers:
            if layer in existing_schemas:
                rows = _run(cur, f"SELECT table_name FROM {ident(cat)}.information_schema.tables WHERE table_schema = {q(layer)}")
                registered |= {f"{layer}.{r[0]}" for r in rows}
    except TrinoQueryError as e:
        raise TrinoError(f"Trino could not list the registered tables: {e.message}") from None
    todo = [t for t in served if t not in registered]
    res.already = [t for t in served if t in registered]
    for target, sql in registration_statements(settings, warehouse_root, todo or [], local=True):
        try:
            _run(cur, sql)
        except TrinoQueryError as e:
            if e.error_name == "ALREADY_EXISTS":
                res.already.append(target)
                continue
            raise TrinoError(f"Trino could not register {target}: {e.error_name}: {e.message}") from None
        if target in todo:
            res.registered.append(target)
    for t in sorted(registered - set(served)):
        layer, name = t.split(".", 1)
        try:
            _run(cur, f"CALL {ident(cat)}.system.unregister_table(schema_name => {q(layer)}, table_name => {q(name)})")
        except TrinoQueryError as e:
            raise TrinoError(f"Trino could not unregister {t} (gone or no longer served): {e.message}") from None
        res.unregistered.append(t)
    res.already = sorted(set(res.already))
    return res

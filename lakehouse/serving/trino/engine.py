"""Statements of one session: metadata SQL, session statements, prepared statements, queries on DuckDB."""
from __future__ import annotations

import re
import threading
import urllib.parse
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

from lakehouse.serving.trino.errors import TrinoError
from lakehouse.serving.trino.metadata import WarehouseCatalog
from lakehouse.serving.trino.sql import Translator, bind_parameters, duck_name, parse, split_parameters
from lakehouse.serving.trino.types import encoder, from_duckdb


@dataclass
class Session:
    user: str
    catalog: str | None = None
    schema: str | None = None
    time_zone: str = "UTC"
    prepared: dict[str, str] = field(default_factory=dict)


@dataclass
class Plan:
    """What a statement does: a DuckDB query to run and/or response headers, an update type."""

    duck_sql: str | None = None
    tables: list = field(default_factory=list)
    headers: list[tuple[str, str]] = field(default_factory=list)
    update_type: str | None = None


_F = re.IGNORECASE | re.DOTALL
_LIKE = r"(?:\s+LIKE\s+(?P<like>'(?:[^']|'')*')(?:\s+ESCAPE\s+(?P<esc>'(?:[^']|'')*'))?)?"
_NAME = r"(?P<name>(?:\"(?:[^\"]|\"\")*\"|[\w$]+)(?:\s*\.\s*(?:\"(?:[^\"]|\"\")*\"|[\w$]+)){0,2})"
PATTERNS = [
    ("show_catalogs", re.compile(rf"^SHOW\s+CATALOGS{_LIKE}$", _F)),
    ("show_schemas", re.compile(rf"^SHOW\s+SCHEMAS(?:\s+(?:FROM|IN)\s+{_NAME})?{_LIKE}$", _F)),
    ("show_tables", re.compile(rf"^SHOW\s+TABLES(?:\s+(?:FROM|IN)\s+{_NAME})?{_LIKE}$", _F)),
    ("show_columns", re.compile(rf"^(?:SHOW\s+COLUMNS\s+(?:FROM|IN)|DESCRIBE|DESC)\s+(?!INPUT\s|OUTPUT\s){_NAME}$", _F)),
    ("use", re.compile(rf"^USE\s+{_NAME}$", _F)),
    ("set_session", re.compile(r"^SET\s+SESSION\s+(?P<key>[\w.]+)\s*=\s*(?P<value>.+)$", _F)),
    ("reset_session", re.compile(r"^RESET\s+SESSION\s+(?P<key>[\w.]+)$", _F)),
    ("prepare", re.compile(r"^PREPARE\s+(?P<pname>\w+)\s+FROM\s+(?P<stmt>.+)$", _F)),
    ("execute_immediate", re.compile(r"^EXECUTE\s+IMMEDIATE\s+(?P<text>'(?:[^']|'')*')(?:\s+USING\s+(?P<using>.+))?$", _F)),
    ("execute", re.compile(r"^EXECUTE\s+(?P<pname>\w+)(?:\s+USING\s+(?P<using>.+))?$", _F)),
    ("deallocate", re.compile(r"^DEALLOCATE\s+PREPARE\s+(?P<pname>\w+)$", _F)),
    ("transaction", re.compile(r"^(?:START\s+TRANSACTION|BEGIN|COMMIT|ROLLBACK)\b.*$", _F)),
]
_WRITES = (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Drop, exp.Alter, exp.TruncateTable)


def clean(sql: str) -> str:
    text = sql.strip()
    while text.endswith(";"):
        text = text[:-1].rstrip()
    # leading comments (clients prepend them)
    while True:
        if text.startswith("--"):
            text = text.split("\n", 1)[1].lstrip() if "\n" in text else ""
        elif text.startswith("/*") and "*/" in text:
            text = text[text.index("*/") + 2:].lstrip()
        else:
            return text


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


class Engine:
    def __init__(self, catalog: WarehouseCatalog, server_version: str = "446", threads: int | None = None,
                 memory_limit: str | None = None):
        import duckdb

        self.catalog = catalog
        self.server_version = server_version
        config = {}
        if threads:
            config["threads"] = threads
        if memory_limit:
            config["memory_limit"] = memory_limit
        self.con = duckdb.connect(":memory:", config=config)
        for setting in ("integer_division=true", "TimeZone='UTC'", "default_null_order='nulls_last'",
                        "enable_external_access=false" if False else "autoinstall_known_extensions=false",
                        "autoload_known_extensions=false"):
            self.con.execute(f"SET GLOBAL {setting}")
        self._lock = threading.Lock()

    # -- planning ------------------------------------------------------------------

    def plan(self, sql: str, session: Session, depth: int = 0) -> Plan:
        text = clean(sql)
        if not text:
            raise TrinoError("SYNTAX_ERROR", "line 1:1: empty statement")
        for kind, pattern in PATTERNS:
            m = pattern.match(text)
            if m:
                return getattr(self, f"_p_{kind}")(m, session, depth)
        if re.match(r"^(SHOW|EXPLAIN|DESCRIBE|CALL|GRANT|REVOKE|ANALYZE|REFRESH)\b", text, re.I):
            word = text.split(None, 2)[:2]
            raise TrinoError("NOT_SUPPORTED", f"{' '.join(word).upper()} is not supported by the regulake Trino endpoint")
        tree = parse(text)
        if isinstance(tree, _WRITES):
            raise TrinoError("PERMISSION_DENIED", f"Access Denied: the regulake Trino endpoint is read-only ({type(tree).__name__.upper()} is not allowed)")
        if isinstance(tree, exp.Command):
            raise TrinoError("NOT_SUPPORTED", f"{tree.name.upper()} is not supported by the regulake Trino endpoint")
        return self._query(tree, session)

    def _query(self, tree, session: Session) -> Plan:
        tr = Translator(self._resolve, session.catalog, session.schema, session.time_zone, session.user, self.server_version)
        out = tr.translate(tree)
        return Plan(duck_sql=out.sql, tables=out.tables)

    def _resolve(self, catalog: str, schema: str, table: str) -> dict[str, str]:
        cols = self.catalog.columns(catalog, schema, table)
        return {name: _sqlglot_type(ty.name) for name, ty, _ in cols}

    def _name(self, text: str | None, session: Session, parts: int) -> list[str]:
        if not text:
            return []
        t = exp.to_table(text, dialect="trino")
        names = [p.name for p in t.parts] if hasattr(t, "parts") else [text]
        return [n if '"' in text else n.lower() for n in names][-parts:]

    def _sql(self, sql: str, session: Session, depth: int) -> Plan:
        return self.plan(sql, session, depth + 1)

    def _p_show_catalogs(self, m, session, depth):
        like = f" WHERE catalog_name LIKE {m['like']}" + (f" ESCAPE {m['esc']}" if m["esc"] else "") if m["like"] else ""
        return self._sql(f'SELECT catalog_name AS "Catalog" FROM system.metadata.catalogs{like} ORDER BY 1', session, depth)

    def _p_show_schemas(self, m, session, depth):
        parts = self._name(m["name"], session, 1)
        catalog = parts[0] if parts else session.catalog
        if not catalog:
            raise TrinoError("MISSING_CATALOG_NAME", "Catalog must be specified when session catalog is not set")
        self.catalog.check_names(catalog, "information_schema")
        like = f" WHERE schema_name LIKE {m['like']}" + (f" ESCAPE {m['esc']}" if m["esc"] else "") if m["like"] else ""
        return self._sql(f'SELECT schema_name AS "Schema" FROM "{catalog}".information_schema.schemata{like} ORDER BY 1', session, depth)

    def _p_show_tables(self, m, session, depth):
        parts = self._name(m["name"], session, 2)
        catalog = parts[0] if len(parts) == 2 else session.catalog
        schema = parts[-1] if parts else session.schema
        if not catalog:
            raise TrinoError("MISSING_CATALOG_NAME", "Catalog must be specified when session catalog is not set")
        if not schema:
            raise TrinoError("MISSING_SCHEMA_NAME", "Schema must be specified when session schema is not set")
        self.catalog.check_names(catalog, schema)
        like = f" AND table_name LIKE {m['like']}" + (f" ESCAPE {m['esc']}" if m["esc"] else "") if m["like"] else ""
        return self._sql(f'SELECT table_name AS "Table" FROM "{catalog}".information_schema.tables '
                         f"WHERE table_schema = {_q(schema)}{like} ORDER BY 1", session, depth)

    def _p_show_columns(self, m, session, depth):
        parts = self._name(m["name"], session, 3)
        table = parts[-1]
        schema = parts[-2] if len(parts) >= 2 else session.schema
        catalog = parts[-3] if len(parts) == 3 else session.catalog
        if not schema:
            raise TrinoError("MISSING_SCHEMA_NAME", "Schema must be specified when session schema is not set")
        if not catalog:
            raise TrinoError("MISSING_CATALOG_NAME", "Catalog must be specified when session catalog is not set")
        self.catalog.check_names(catalog, schema, table)
        return self._sql(
            'SELECT column_name AS "Column", data_type AS "Type", extra_info AS "Extra", comment AS "Comment" '
            f'FROM "{catalog}".information_schema.columns WHERE table_schema = {_q(schema)} AND table_name = {_q(table)} '
            "ORDER BY ordinal_position", session, depth)

    def _p_use(self, m, session, depth):
        parts = self._name(m["name"], session, 2)
        catalog = parts[0] if len(parts) == 2 else session.catalog
        schema = parts[-1]
        if not catalog:
            raise TrinoError("MISSING_CATALOG_NAME", "Catalog must be specified when session catalog is not set")
        self.catalog.check_names(catalog, schema)
        return Plan(headers=[("X-Trino-Set-Catalog", catalog), ("X-Trino-Set-Schema", schema)], update_type="USE")

    def _p_set_session(self, m, session, depth):
        value = m["value"].strip()
        if value.startswith("'") and value.endswith("'"):
            value = value[1:-1].replace("''", "'")
        return Plan(headers=[("X-Trino-Set-Session", f"{m['key']}={urllib.parse.quote(value)}")], update_type="SET SESSION")

    def _p_reset_session(self, m, session, depth):
        return Plan(headers=[("X-Trino-Clear-Session", m["key"])], update_type="RESET SESSION")

    def _p_prepare(self, m, session, depth):
        stmt = m["stmt"].strip()
        parse(stmt) if not re.match(r"^(SHOW|DESCRIBE|DESC)\b", stmt, re.I) else None
        return Plan(headers=[("X-Trino-Added-Prepare", f"{m['pname']}={urllib.parse.quote_plus(stmt)}")], update_type="PREPARE")

    def _p_deallocate(self, m, session, depth):
        if m["pname"] not in session.prepared:
            raise TrinoError("NOT_FOUND", f"Prepared statement not found: {m['pname']}")
        return Plan(headers=[("X-Trino-Deallocated-Prepare", m["pname"])], update_type="DEALLOCATE")

    def _p_execute(self, m, session, depth):
        stmt = session.prepared.get(m["pname"])
        if stmt is None:
            raise TrinoError("NOT_FOUND", f"Prepared statement not found: {m['pname']}")
        return self._run_bound(stmt, m["using"], session, depth)

    def _p_execute_immediate(self, m, session, depth):
        stmt = m["text"][1:-1].replace("''", "'")
        return self._run_bound(stmt, m["using"], session, depth)

    def _run_bound(self, stmt, using, session, depth):
        if depth > 2:
            raise TrinoError("NOT_SUPPORTED", "nested EXECUTE is not supported")
        bound = bind_parameters(stmt, split_parameters(using or ""))
        return self._sql(bound, session, depth)

    def _p_transaction(self, m, session, depth):
        raise TrinoError("NOT_SUPPORTED", "transactions are not supported: the regulake Trino endpoint is read-only and autocommit")

    # -- execution -----------------------------------------------------------------

    def open(self, plan: Plan):
        """A DuckDB cursor with the plan's relations registered, and the relation of its query."""
        cur = self.con.cursor()
        for catalog, schema, table in plan.tables:
            cur.register(duck_name(catalog, schema, table), self.catalog.relation(catalog, schema, table))
        rel = cur.sql(plan.duck_sql)
        return cur, rel


def result_columns(rel):
    names = rel.columns
    types = [from_duckdb(t) for t in rel.types]
    return [t.column(n) for n, t in zip(names, types)], [encoder(t) for t in types]


def encode_batch(batch, encoders) -> list:
    cols = []
    for i, enc in enumerate(encoders):
        values = batch.column(i).to_pylist()
        cols.append(values if enc is None else [enc(v) for v in values])
    return [list(r) for r in zip(*cols)] if cols else []


def _sqlglot_type(name: str) -> str:
    if name.startswith(("row(", "map(", "array(")) or name in ("unknown", "uuid", "json"):
        return "unknown"
    return name


def map_duckdb_error(e: Exception) -> TrinoError:
    import duckdb

    msg = str(e)
    short = re.sub(r"^[A-Za-z ]+Error: ", "", msg).strip()
    if isinstance(e, duckdb.InterruptException):
        return TrinoError("USER_CANCELED", "Query was canceled")
    if "Division by zero" in msg:
        return TrinoError("DIVISION_BY_ZERO", "Division by zero")
    if isinstance(e, duckdb.ConversionException):
        return TrinoError("INVALID_CAST_ARGUMENT", short)
    if isinstance(e, duckdb.OutOfRangeException):
        return TrinoError("NUMERIC_VALUE_OUT_OF_RANGE", short)
    if isinstance(e, duckdb.BinderException):
        m = re.search(r'Referenced column "([^"]+)" not found', msg)
        if m:
            return TrinoError("COLUMN_NOT_FOUND", f"Column '{m.group(1)}' cannot be resolved")
        return TrinoError("TYPE_MISMATCH" if "No function matches" in msg else "GENERIC_USER_ERROR", short)
    if isinstance(e, duckdb.CatalogException):
        return TrinoError("FUNCTION_NOT_FOUND" if "Function" in msg else "GENERIC_USER_ERROR", short)
    if isinstance(e, duckdb.ParserException):
        return TrinoError("SYNTAX_ERROR", short)
    if isinstance(e, duckdb.OutOfMemoryException):
        return TrinoError("EXCEEDED_LOCAL_MEMORY_LIMIT", short)
    if isinstance(e, (duckdb.InvalidInputException, duckdb.NotImplementedException)):
        return TrinoError("GENERIC_USER_ERROR", short)
    return TrinoError("GENERIC_INTERNAL_ERROR", short)

"""The files a Trino server needs, generated from ``serving.trino``: one generator for the local
single-node server (``regulake serve trino``) and for a real cluster (``regulake trino export``).

* ``catalog_properties`` — the Delta Lake connector over the warehouse. The lines both targets
  share (connector, register-table procedure, read-only use) come from one place; the local server
  adds the file metastore and the local file system (``fs.native-local.enabled``, Trino ≥ 471), a
  cluster its metastore (Hive thrift, Glue, file) and object store.
* ``server_files`` — node, JVM and server configuration, file-based access control (``rules.json``:
  read-only for the configured users, personal columns masked), and with passwords the
  password-file authenticator over HTTPS.
* ``table_location`` / ``registration_sql`` — where Trino finds each table, and the SQL that
  registers it (``CALL <catalog>.system.register_table``).
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from lakehouse.config.serving import HASH_PREFIX, TrinoSettings

ADMIN_USER = "regulake"  # the launcher's own user: registers tables, nothing else uses it
METASTORE_DIR = "_trino_metastore"


def q(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# -- catalog ---------------------------------------------------------------------


def _common_lines(settings: TrinoSettings) -> list[str]:
    return [
        f"# Trino catalog '{settings.catalog}': regulake's warehouse through the Delta Lake connector.",
        "connector.name=delta_lake",
        "# tables are registered where regulake wrote them (CALL <catalog>.system.register_table)",
        "delta.register-table-procedure.enabled=true",
        "# regulake writes the tables (Spark + Delta); Trino only reads them: no Trino-side writes",
        "delta.enable-non-concurrent-writes=false",
    ]


def local_catalog_properties(settings: TrinoSettings, warehouse_root: str) -> str:
    """The catalog of the single-node server: file metastore inside the warehouse, local file system."""
    root = str(Path(warehouse_root).resolve())
    lines = _common_lines(settings) + [
        "# single node: a file metastore in the warehouse, the warehouse folder as Trino's local file system",
        "hive.metastore=file",
        f"hive.metastore.catalog.dir=local:///{METASTORE_DIR}",
        "fs.native-local.enabled=true",
        f"local.location={root}",
    ]
    return "\n".join(lines) + "\n"


def cluster_catalog_properties(settings: TrinoSettings, warehouse_root: str, storage_options: dict | None = None) -> str:
    """The catalog for a real cluster (``regulake trino export``): its metastore and object store."""
    c = settings.cluster
    lines = _common_lines(settings) + [
        "# Written by 'regulake trino export'; put it in etc/catalog/ on every Trino node.",
        f"hive.metastore={c.metastore}",
    ]
    if c.metastore == "thrift":
        lines.append(f"hive.metastore.uri={c.metastore_uri}")
    elif c.metastore == "glue":
        if c.glue_region:
            lines.append(f"hive.metastore.glue.region={c.glue_region}")
        lines.append("# credentials: the nodes' AWS default credential chain, or hive.metastore.glue.aws-access-key / -secret-key")
    else:
        lines += [
            "# file metastore: every node must see the same folder",
            f"hive.metastore.catalog.dir={c.file_metastore_dir or _cluster_location(warehouse_root.rstrip('/') + '/' + METASTORE_DIR)}",
        ]
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
    elif root.startswith("hdfs://"):
        lines.append("fs.hadoop.enabled=true")
    else:
        lines += [
            "# a local path: every node must see it mounted at the same place",
            "fs.native-local.enabled=true",
            f"local.location={Path(root).resolve()}",
        ]
    if c.read_only:
        lines += ["# apply after running register_tables.sql (registering needs write access to the metastore)", "delta.security=READ_ONLY"]
    for k, v in c.extra_properties.items():
        lines.append(f"{k}={v}")
    return "\n".join(lines) + "\n"


def _cluster_location(uri: str) -> str:
    if "://" in uri:
        return uri.replace("s3a://", "s3://")
    return f"local:///{METASTORE_DIR}"  # a local path: relative to local.location


def table_location(warehouse_root: str, layer: str, name: str, local: bool) -> str:
    """Where Trino finds a table: ``local:///<layer>/<name>`` on the local server (relative to
    ``local.location``), the warehouse URI on a cluster."""
    if local:
        return f"local:///{layer}/{name}"
    root = warehouse_root.rstrip("/")
    if "://" in root:
        return f"{root.replace('s3a://', 's3://')}/{layer}/{name}"
    return f"local:///{layer}/{name}"  # a local path on a cluster: relative to local.location


def schema_location(warehouse_root: str, layer: str, local: bool) -> str:
    return table_location(warehouse_root, layer, "", local).rstrip("/")


def registration_statements(settings: TrinoSettings, warehouse_root: str, tables: list[str], local: bool) -> list[tuple[str, str]]:
    """(table or schema, SQL) in order: CREATE SCHEMA per layer, then register_table per table."""
    cat = settings.catalog
    out: list[tuple[str, str]] = []
    layers = list(dict.fromkeys(t.split(".", 1)[0] for t in tables))
    for layer in layers:
        out.append(
            (
                layer,
                f"CREATE SCHEMA IF NOT EXISTS {ident(cat)}.{ident(layer)} "
                f"WITH (location = {q(schema_location(warehouse_root, layer, local))})",
            )
        )
    for t in tables:
        layer, name = t.split(".", 1)
        out.append(
            (
                t,
                f"CALL {ident(cat)}.system.register_table(schema_name => {q(layer)}, table_name => {q(name)}, "
                f"table_location => {q(table_location(warehouse_root, layer, name, local))})",
            )
        )
    return out


def registration_sql(settings: TrinoSettings, warehouse_root: str, tables: list[str], local: bool = False) -> str:
    lines = [
        f"-- Register regulake's tables in the Trino catalog '{settings.catalog}' (written by 'regulake trino export').",
        "-- Run once with the Trino CLI:  trino --server https://coordinator:8443 -f register_tables.sql",
        "-- Already registered tables fail with ALREADY_EXISTS (harmless); unregister_table first to move one.",
        "-- Comments (Chinese and English) travel in the tables' Delta metadata: 'regulake trino sync' writes them.",
        "",
    ]
    for _, sql in registration_statements(settings, warehouse_root, tables, local):
        lines.append(sql + ";")
    return "\n".join(lines) + "\n"


# -- server ----------------------------------------------------------------------


def trino_password_line(user: str, stored: str) -> str:
    """``user:iterations:salt_hex:hash_hex`` (Trino's PBKDF2 format; 476 checks it with PBKDF2WithHmacSHA1) from our stored hash."""
    prefix, iterations, salt, digest = stored.split("$")
    assert prefix == HASH_PREFIX
    if int(iterations) < 1000:
        raise ValueError(f"the password hash of '{user}' has {iterations} iterations; Trino needs at least 1000")
    return f"{user}:{iterations}:{base64.b64decode(salt).hex()}:{base64.b64decode(digest).hex()}"


@dataclass
class ServerLayout:
    """Where the generated files of one server go."""

    state_dir: Path
    host: str
    port: int
    warehouse_root: str
    internal_port: int = 0  # with TLS: the plain-HTTP port of internal calls
    admin_password: str | None = None  # with TLS + passwords: the launcher's own password
    shared_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    @property
    def etc(self) -> Path:
        return self.state_dir / "etc"

    @property
    def data_dir(self) -> Path:
        return self.state_dir / "data"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "server.log"


def jvm_options(settings: TrinoSettings) -> list[str]:
    """Trino's recommended JVM options, with a modest heap (the machine is shared)."""
    return [
        "-server",
        f"-Xmx{settings.heap}",
        "-XX:InitialRAMPercentage=5",
        "-XX:+ExplicitGCInvokesConcurrent",
        "-XX:+ExitOnOutOfMemoryError",
        "-XX:+HeapDumpOnOutOfMemoryError",
        "-XX:-OmitStackTraceInFastThrow",
        "-XX:ReservedCodeCacheSize=256M",
        "-XX:PerMethodRecompilationCutoff=10000",
        "-XX:PerBytecodeRecompilationCutoff=10000",
        "-Djdk.attach.allowAttachSelf=true",
        "-Djdk.nio.maxCachedBufferSize=2000000",
        "-Dfile.encoding=UTF-8",
        "-Duser.timezone=UTC",  # the session zone clients get unless they send theirs
        "-XX:+EnableDynamicAgentLoading",
        "--enable-native-access=ALL-UNNAMED",
        "-XX:+UseG1GC",
        "-XX:G1HeapRegionSize=32M",
    ]


def restricted_columns() -> dict[str, str]:
    """Column name → pii class of every catalog field holding raw personal data (ID numbers, phones,
    names, contacts): never shown by Trino (masked for every user but regulake itself)."""
    from catalog import load_catalog
    from lakehouse.privacy import PII_MASKED

    reg = load_catalog()
    out: dict[str, str] = {}
    for cat in reg.catalogs.values():
        for f in cat.fields:
            pii = reg.standards[f.standard].pii_class
            if pii in PII_MASKED:
                out.setdefault(f.name, pii)
    return dict(sorted(out.items()))


def mask_expression(column: str, pii_class: str) -> str:
    """SQL giving the display form of ``lakehouse.privacy.mask_value`` (ID 440604********123X, phone 138****8000, 张**)."""
    c = ident(column)
    if pii_class == "id_number":
        return (
            f"CASE WHEN {c} IS NULL OR {c} = '' THEN {c} WHEN length({c}) > 10 THEN "
            f"concat(substr({c}, 1, 6), rpad('', length({c}) - 10, '*'), substr({c}, -4)) ELSE '****' END"
        )
    if pii_class in ("phone", "contact"):
        return (
            f"CASE WHEN {c} IS NULL OR {c} = '' THEN {c} WHEN length({c}) >= 7 THEN "
            f"concat(substr({c}, 1, 3), '****', substr({c}, -4)) ELSE '****' END"
        )
    return f"CASE WHEN {c} IS NULL OR {c} = '' THEN {c} ELSE concat(substr({c}, 1, 1), rpad('', greatest(length({c}) - 1, 1), '*')) END"


def access_rules(settings: TrinoSettings) -> dict:
    """File-based system access control: regulake itself may register tables; the configured users
    read the catalog (nothing else), with every restricted column masked; anyone else: nothing."""
    users = [u.name for u in settings.users if u.name != ADMIN_USER]
    readers = "(" + "|".join(_re_escape(u) for u in users) + ")" if users else None
    cat = settings.catalog
    masks = [{"name": col, "mask": mask_expression(col, pii)} for col, pii in restricted_columns().items()]
    rules: dict = {
        "catalogs": [{"user": ADMIN_USER, "catalog": ".*", "allow": "all"}],
        "schemas": [{"user": ADMIN_USER, "owner": True}],
        "tables": [{"user": ADMIN_USER, "privileges": ["SELECT", "INSERT", "DELETE", "UPDATE", "OWNERSHIP"]}],
        "procedures": [{"user": ADMIN_USER, "catalog": cat, "schema": "system", "procedure": ".*", "privileges": ["EXECUTE"]}],
        "system_information": [{"user": ADMIN_USER, "allow": ["read", "write"]}],
        "impersonation": [],
    }
    if readers:
        rules["catalogs"] += [{"user": readers, "catalog": f"({cat}|system)", "allow": "read-only"}]
        rules["schemas"] += [{"user": readers, "owner": False}]
        rules["tables"] += [
            {"user": readers, "catalog": cat, "privileges": ["SELECT"], "columns": masks},
            {"user": readers, "catalog": "system", "privileges": ["SELECT"]},
        ]
        rules["system_information"] += [{"user": readers, "allow": ["read"]}]
    rules["catalogs"].append({"catalog": ".*", "allow": "none"})
    return rules


def _re_escape(text: str) -> str:
    import re

    return re.escape(text)


def server_files(settings: TrinoSettings, layout: ServerLayout) -> dict[str, str]:
    """Relative path under ``etc/`` → content, for the local single-node coordinator."""
    tls = settings.tls
    password_users = [u for u in settings.users if u.password_hash]
    node = {
        "node.environment": settings.environment,
        "node.id": "regulake-single-node",
        "node.data-dir": str(layout.data_dir.resolve()),
        "node.bind-ip": layout.host,
        "node.internal-address": "127.0.0.1",
    }
    if layout.host in ("0.0.0.0", "::"):
        node.pop("node.bind-ip")  # every interface (airlift's default)
    cfg = [
        "coordinator=true",
        "node-scheduler.include-coordinator=true",
        f"query.max-memory={settings.query_memory}",
        f"query.max-memory-per-node={settings.query_memory}",
        "# a small single node on a shared machine",
        "task.concurrency=2",
        "query.max-history=200",
        "catalog.management=static",
    ]
    if tls:
        cfg += [
            "# HTTPS with the password-file authenticator (any non-loopback host needs it); plain HTTP stays",
            "# for the node's own internal calls only (signed with the shared secret; clients are refused there)",
            "http-server.https.enabled=true",
            f"http-server.https.port={layout.port}",
            f"http-server.https.keystore.path={(layout.etc / 'tls.pem').resolve()}",
            f"http-server.http.port={layout.internal_port}",
            f"discovery.uri=http://127.0.0.1:{layout.internal_port}",
            f"internal-communication.shared-secret={layout.shared_secret}",
            "http-server.authentication.type=PASSWORD",
            "http-server.authentication.allow-insecure-over-http=false",
        ]
    else:
        cfg += [f"http-server.http.port={layout.port}", f"discovery.uri=http://127.0.0.1:{layout.port}"]
    files = {
        "node.properties": "\n".join(f"{k}={v}" for k, v in node.items()) + "\n",
        "jvm.config": "\n".join(jvm_options(settings)) + "\n",
        "config.properties": "\n".join(line for line in cfg if line) + "\n",
        "log.properties": "io.trino=INFO\n",
        f"catalog/{settings.catalog}.properties": local_catalog_properties(settings, layout.warehouse_root),
        "access-control.properties": "access-control.name=file\n"
        f"security.config-file={(layout.etc / 'rules.json').resolve()}\n"
        "security.refresh-period=5s\n",
        "rules.json": json.dumps(access_rules(settings), indent=2, ensure_ascii=False) + "\n",
    }
    if tls:
        from lakehouse.config.serving import hash_password

        lines = [trino_password_line(u.name, u.password_hash) for u in password_users]
        if layout.admin_password:
            lines.append(trino_password_line(ADMIN_USER, hash_password(layout.admin_password, 1000)))
        files["password.db"] = "\n".join(lines) + "\n"
        files["password-authenticator.properties"] = (
            f"password-authenticator.name=file\nfile.password-file={(layout.etc / 'password.db').resolve()}\n"
        )
    return files


def write_server_files(settings: TrinoSettings, layout: ServerLayout) -> dict[str, Path]:
    out = {}
    for rel, text in server_files(settings, layout).items():
        p = layout.etc / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        out[rel] = p
    if settings.tls:
        pem = Path(settings.tls_key_file).read_text() + "\n" + Path(settings.tls_cert_file).read_text()
        (layout.etc / "tls.pem").write_text(pem)
        (layout.etc / "tls.pem").chmod(0o600)
        (layout.etc / "password.db").chmod(0o600)
    (layout.etc / "config.properties").chmod(0o600)  # holds the shared secret
    return out

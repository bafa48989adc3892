"""Prometheus metrics: requests and latency by route template, and the ingest queue depth
(read from the jobs table at scrape time, so it is right whichever replica is scraped)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select

from ..db.schema import jobs

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class _QueueCollector(Collector):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            "tokenbase_ingest_jobs",
            "Ingest jobs waiting or running (queued includes indexed documents awaiting "
            "embedding).",
            labels=["status"],
        )
        counts = {"queued": 0, "running": 0}
        with self.engine.connect() as conn:
            for status, n in conn.execute(
                select(jobs.c.status, func.count())
                .where(jobs.c.status.in_(tuple(counts)))
                .group_by(jobs.c.status)
            ):
                counts[status] = int(n)
        for status, n in counts.items():
            gauge.add_metric([status], n)
        yield gauge


class ApiMetrics:
    """One registry per app, so several apps (tests, replicas in one process) never clash."""

    def __init__(self, engine: Engine) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "tokenbase_http_requests",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "tokenbase_http_request_duration_seconds",
            "HTTP request latency by method and route template (until the last byte).",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_QueueCollector(engine))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

"""Prometheus metrics. One registry per app so tests (and several apps in one process) stay independent."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    """The counters and gauges Countersign exports at /metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Histogram(
            "countersign_http_request_seconds",
            "HTTP request latency",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.proposals = Counter(
            "countersign_proposals_total", "Proposals accepted", ["workflow", "route"], registry=self.registry
        )
        self.due_backlog = Gauge(
            "countersign_due_work", "Due work items by kind and state", ["kind", "state"], registry=self.registry
        )
        self.sweep_items = Counter(
            "countersign_sweep_items_total", "Due work items run", ["kind", "outcome"], registry=self.registry
        )

"""The API's Prometheus metrics, registered on the runtime's registry."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class ApiMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "rtc_egress_api_requests_total",
            "HTTP requests answered by the task API, by route template, method and status.",
            ["route", "method", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "rtc_egress_api_request_duration_seconds",
            "Time from request to response in the task API, by route template and method.",
            ["route", "method"],
            buckets=_BUCKETS,
            registry=registry,
        )
        self.tasks_created = Counter(
            "rtc_egress_api_tasks_created_total",
            "Tasks created through the API (duplicates of a request_id not counted), by cmd and kind.",
            ["cmd", "kind"],
            registry=registry,
        )
        # labels() takes a lock and builds a key each call; the label sets are few, so keep the children.
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._histograms: dict[tuple[str, str], Any] = {}
        self._created: dict[tuple[str, str], Any] = {}

    def created(self, cmd: str, kind: str) -> None:
        child = self._created.get((cmd, kind))
        if child is None:
            child = self._created[(cmd, kind)] = self.tasks_created.labels(cmd, kind)
        child.inc()

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = self.requests.labels(route, method, str(status))
        counter.inc()
        hkey = (route, method)
        hist = self._histograms.get(hkey)
        if hist is None:
            hist = self._histograms[hkey] = self.latency.labels(route, method)
        hist.observe(seconds)

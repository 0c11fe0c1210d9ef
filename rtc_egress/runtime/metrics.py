"""The runtime's own Prometheus metrics, in the process's CollectorRegistry (components add theirs to it)."""

from __future__ import annotations

import platform

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, disable_created_metrics
from prometheus_client.process_collector import ProcessCollector

from rtc_egress import __version__
from rtc_egress.tasks.store import SweepResult


class RuntimeMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        disable_created_metrics()  # type: ignore[no-untyped-call]  # the *_created series only double the output; process-wide by design
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        ProcessCollector(registry=r)  # process_cpu_seconds_total, process_resident_memory_bytes, ...
        self.build_info = Info("rtc_egress_build", "Version of this rtc-egress build.", registry=r)
        self.build_info.info({"version": __version__, "python": platform.python_version()})
        self.component_up = Gauge(
            "rtc_egress_component_up",
            "1 while the component is started and reports itself healthy.",
            ["component"],
            registry=r,
        )
        self.redis_up = Gauge(
            "rtc_egress_redis_up", "1 if the last Redis call of the runtime's loops succeeded.", registry=r
        )
        self.queue_depth = Gauge(
            "rtc_egress_queue_depth",
            "Tasks waiting in each queue (refreshed every few seconds).",
            ["queue"],
            registry=r,
        )
        self.sweeper_actions = Counter(
            "rtc_egress_sweeper_actions_total",
            "Tasks changed by this process's sweeper: requeued, failed, timed_out, stopped.",
            ["action"],
            registry=r,
        )
        for action in SweepResult().counts():
            self.sweeper_actions.labels(action)
        self.sweeper_runs = Counter("rtc_egress_sweeper_runs_total", "Completed sweeps.", registry=r)
        self.sweeper_errors = Counter(
            "rtc_egress_sweeper_errors_total", "Sweeps that failed (Redis unreachable or another error).", registry=r
        )
        self.sweep_seconds = Histogram(
            "rtc_egress_sweep_duration_seconds",
            "Time one sweep took.",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
            registry=r,
        )

    def set_queue_depths(self, depths: dict[str, int]) -> None:
        """Replace every queue's depth; a queue no longer reported disappears from the gauge."""
        self.queue_depth.clear()
        for queue, depth in depths.items():
            self.queue_depth.labels(queue).set(depth)

"""The egress component's Prometheus metrics, registered on the runtime's registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

#: How a part of a task ended on this instance.
OUTCOMES = ("stopped", "failed", "crashed", "hung", "requeued", "lost", "refused")


class EgressMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.running = Gauge(
            "rtc_egress_egress_tasks_running", "Recorder processes this instance runs now.", registry=registry
        )
        self.capacity_used = Gauge(
            "rtc_egress_egress_capacity_used", "Capacity units in use (see egress.capacity).", registry=registry
        )
        self.capacity = Gauge("rtc_egress_egress_capacity", "Capacity units of this instance.", registry=registry)
        self.spool_free = Gauge(
            "rtc_egress_egress_spool_free_bytes",
            "Free space of the spool's filesystem (see egress.min_free_disk_mb and critical_free_disk_mb).",
            registry=registry,
        )
        self.claims = Counter(
            "rtc_egress_egress_claims_total", "Tasks (parts) this instance claimed.", registry=registry
        )
        self.endings = Counter(
            "rtc_egress_egress_part_endings_total",
            "How parts ended here: stopped, failed, crashed (exit without finishing), hung (killed by the "
            "watchdog), requeued (handed over to resume elsewhere: shutdown with requeue, or the spool disk "
            "nearly full), lost (lease taken away), refused (admission).",
            ["outcome"],
            registry=registry,
        )
        self.start_latency = Histogram(
            "rtc_egress_egress_start_seconds",
            "From claiming a task to its recorder's started event.",
            buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=registry,
        )
        for outcome in OUTCOMES:
            self.endings.labels(outcome)

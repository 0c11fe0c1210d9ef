"""Background loops every process runs: the task sweeper and the queue depth gauge.

Sweeping is safe to run in every process at once (each transition is one atomic script), so there is no
leader election. A Redis outage is logged (rate limited), counted, and retried on the next tick; it never
ends the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from redis.exceptions import RedisError

from rtc_egress.runtime.logging import get_logger
from rtc_egress.runtime.metrics import RuntimeMetrics
from rtc_egress.tasks.store import SweepResult

log = get_logger(__name__)


class SweepingStore(Protocol):
    async def sweep(self) -> SweepResult: ...
    async def queue_depths(self) -> dict[str, int]: ...


class OutageLog:
    """Logs the first failure at once, then at most one summary every ``every_s``, then the recovery."""

    def __init__(self, what: str, every_s: float = 30.0) -> None:
        self.what = what
        self.every_s = every_s
        self.failures = 0
        self._last_logged = 0.0

    def failed(self, error: BaseException) -> None:
        self.failures += 1
        now = time.monotonic()
        if self.failures == 1 or now - self._last_logged >= self.every_s:
            self._last_logged = now
            log.warning(
                f"{self.what} failed; retrying",
                error=f"{type(error).__name__}: {error}",
                failures=self.failures,
                exc_info=not _expected(error),
            )

    def succeeded(self) -> None:
        if self.failures:
            log.info(f"{self.what} works again", failures=self.failures)
            self.failures = 0


def _expected(error: BaseException) -> bool:
    return isinstance(error, RedisError | OSError)


async def _every(interval_s: float, stop: asyncio.Event, step: Callable[[], Awaitable[None]]) -> None:
    while not stop.is_set():
        await step()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_s)


class Sweeper:
    def __init__(
        self,
        store: SweepingStore,
        metrics: RuntimeMetrics,
        *,
        interval_s: float,
        queue_depth_interval_s: float,
    ) -> None:
        self.store = store
        self.metrics = metrics
        self.interval_s = interval_s
        self.queue_depth_interval_s = queue_depth_interval_s
        self._sweep_outage = OutageLog("task sweep")
        self._depth_outage = OutageLog("queue depth refresh")

    async def sweep_once(self) -> None:
        started = time.perf_counter()
        try:
            result = await self.store.sweep()
        except Exception as e:
            self.metrics.sweeper_errors.inc()
            self.metrics.redis_up.set(0)
            self._sweep_outage.failed(e)
            return
        self._sweep_outage.succeeded()
        self.metrics.redis_up.set(1)
        self.metrics.sweeper_runs.inc()
        self.metrics.sweep_seconds.observe(time.perf_counter() - started)
        counts = result.counts()
        for action, n in counts.items():
            if n:
                self.metrics.sweeper_actions.labels(action).inc(n)
        if result.total:
            log.info("swept tasks", **counts)

    async def refresh_queue_depths(self) -> None:
        try:
            depths = await self.store.queue_depths()
        except Exception as e:
            self.metrics.redis_up.set(0)
            self._depth_outage.failed(e)
            return
        self._depth_outage.succeeded()
        self.metrics.set_queue_depths(depths)

    async def run(self, stop: asyncio.Event) -> None:
        """Both loops, until ``stop`` is set."""
        async with asyncio.TaskGroup() as tg:
            tg.create_task(_every(self.interval_s, stop, self.sweep_once), name="sweeper")
            tg.create_task(_every(self.queue_depth_interval_s, stop, self.refresh_queue_depths), name="queue-depth")

"""The ``egress`` component: claims native tasks while it has capacity and runs one recorder per task."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import structlog

from rtc_egress.egress.admission import admission_problem
from rtc_egress.egress.capacity import Capacity, task_cost
from rtc_egress.egress.disk import DiskState, disk_state, free_bytes
from rtc_egress.egress.metrics import EgressMetrics
from rtc_egress.egress.settings import EgressSettings
from rtc_egress.egress.spool import reconcile_task_dir, spool_task_ids
from rtc_egress.egress.task_run import TaskRun
from rtc_egress.runtime.component import ComponentHealth
from rtc_egress.tasks import keys
from rtc_egress.tasks.errors import TransitionRefused
from rtc_egress.tasks.model import Lease, Task, TaskKind
from rtc_egress.tasks.store import TaskStore, worker_queues

log = structlog.get_logger("rtc_egress.egress")

CMDS = ["record", "snapshot"]


class EgressWorker:
    """Claim loop, stop routing and shutdown for native tasks (usable without the runtime, e.g. in tests)."""

    def __init__(
        self,
        store: TaskStore,
        owner: str,
        settings: EgressSettings,
        pubsub_redis: Any = None,
        metrics: EgressMetrics | None = None,
    ) -> None:
        self.store = store
        self.owner = owner
        self.settings = settings
        self.metrics = metrics or EgressMetrics(None)
        self.capacity = Capacity(settings.capacity, settings.max_tasks, settings.costs)
        self.metrics.capacity.set(settings.capacity)
        self.runs: dict[str, TaskRun] = {}
        self._pubsub_redis = pubsub_redis or store.redis
        self._wake = asyncio.Event()
        self._closing = False
        self._loops: list[asyncio.Task[None]] = []
        self._run_tasks: set[asyncio.Task[None]] = set()
        self.disk = DiskState.OK

    async def start(self) -> None:
        self.settings.spool_dir.mkdir(parents=True, exist_ok=True)
        await self._check_disk()
        self._loops = [
            asyncio.create_task(self._disk_loop(), name="egress-disk"),
            asyncio.create_task(self._claim_loop(), name="egress-claim"),
            asyncio.create_task(self._control_loop(), name="egress-control"),
            asyncio.create_task(self._notify_loop(), name="egress-notify"),
            asyncio.create_task(self._reconcile_loop(), name="egress-reconcile"),
        ]
        log.info(
            "egress started",
            owner=self.owner,
            capacity=self.settings.capacity,
            max_tasks=self.settings.max_tasks,
            recorder=str(self.settings.recorder_binary),
        )

    async def stop(self, grace: float) -> None:
        """Stop claiming; stop every recorder (files finalized); requeue or end their tasks per on_shutdown."""
        self._closing = True
        requeue = self.settings.on_shutdown == "requeue"
        for run in list(self.runs.values()):
            await run.request_stop("shutdown", requeue=requeue)
        if self._run_tasks:
            _, pending = await asyncio.wait(self._run_tasks, timeout=grace)
            for run in self.runs.values():
                if not run.done.is_set():
                    run.kill()
            if pending:
                await asyncio.wait(pending, timeout=5)
        for loop in self._loops:
            loop.cancel()
        for loop in self._loops:
            with contextlib.suppress(asyncio.CancelledError):
                await loop
        log.info("egress stopped", owner=self.owner)

    def health(self) -> ComponentHealth:
        crashed = [t.get_name() for t in self._loops if t.done() and not t.cancelled()]
        return ComponentHealth(
            ok=not crashed,
            detail={
                "running_tasks": len(self.runs),
                "capacity_used": round(self.capacity.used, 2),
                "capacity": self.capacity.units,
                "spool_disk": self.disk.value,
                "crashed_loops": crashed,
            },
        )

    # --- claiming ---------------------------------------------------------------------------------
    async def _claim_loop(self) -> None:
        while not self._closing:
            claimed = False
            cmds = self.capacity.affordable(CMDS) if self.disk is DiskState.OK else []
            if cmds:
                try:
                    task = await self.store.claim(
                        self.owner,
                        worker_queues(self.settings.region, [TaskKind.NATIVE], cmds),
                        self.settings.lease_s,
                    )
                except Exception as exc:
                    log.warning("claim failed", error=str(exc))
                    task = None
                if task is not None:
                    claimed = True
                    await self._start_run(task)
            if not claimed:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(1.0):
                        await self._wake.wait()

    # --- spool disk -------------------------------------------------------------------------------
    async def _disk_loop(self) -> None:
        while not self._closing:
            await asyncio.sleep(self.settings.disk_check_interval_s)
            try:
                await self._check_disk()
            except OSError as exc:
                log.warning("cannot read the spool's free space", error=str(exc))

    async def _check_disk(self) -> None:
        free = await asyncio.to_thread(free_bytes, self.settings.spool_dir)
        self.metrics.spool_free.set(free)
        state = disk_state(free, self.settings.min_free_disk_bytes, self.settings.critical_free_disk_bytes)
        if state is not self.disk:
            level = log.info if state is DiskState.OK else log.warning if state is DiskState.LOW else log.error
            level("spool disk " + state.value, free_mb=free >> 20, spool=str(self.settings.spool_dir))
            self.disk = state
            if state is DiskState.OK:
                self._wake.set()  # room again: claim at once
        if state is DiskState.CRITICAL:
            for run in list(self.runs.values()):
                await run.request_stop("spool disk nearly full", requeue=True)

    async def _notify_loop(self) -> None:
        """Wakes the claim loop as soon as a queue gets work (the 1 s poll is the fallback)."""
        while not self._closing:
            try:
                pubsub = self._pubsub_redis.pubsub(ignore_subscribe_messages=True)
                async with pubsub:
                    await pubsub.subscribe(keys.NOTIFY)
                    async for _ in pubsub.listen():
                        self._wake.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.debug("notify subscription lost", error=str(exc))
                await asyncio.sleep(1)

    async def _start_run(self, task: Task) -> None:
        problem = admission_problem(task.payload, self.settings)
        if problem is not None:
            log.warning("task refused", task_id=task.task_id, app_id=task.app_id, channel=task.channel, reason=problem)
            with contextlib.suppress(TransitionRefused):
                await self.store.fail(task.task_id, Lease.of(task), problem)
            self.metrics.endings.labels("refused").inc()
            return
        cost = task_cost(task.cmd, task.payload, self.settings.costs)
        run = TaskRun(task, self.store, self.owner, self.settings, self.metrics)
        self.runs[task.task_id] = run
        self.capacity.take(cost)
        self.metrics.claims.inc()
        self._gauges()
        run.log.info("task claimed", cost=round(cost, 2), attempts=task.attempts)
        handle = asyncio.create_task(self._supervise(run, cost), name=f"task-{task.task_id}")
        self._run_tasks.add(handle)
        handle.add_done_callback(self._run_tasks.discard)

    async def _supervise(self, run: TaskRun, cost: float) -> None:
        try:
            await run.run()
        finally:
            self.runs.pop(run.task.task_id, None)
            self.capacity.give_back(cost)
            self._gauges()
            self._wake.set()

    def _gauges(self) -> None:
        self.metrics.running.set(len(self.runs))
        self.metrics.capacity_used.set(self.capacity.used)

    # --- spool reconciliation ---------------------------------------------------------------------
    async def _reconcile_loop(self) -> None:
        """At start and then periodically: list files that ended tasks left in the spool unannounced.

        An ended task's directory gets no new files once its last recorder has exited, so it is reconciled once.
        """
        settled: set[str] = set()
        while not self._closing:
            for task_id in spool_task_ids(self.settings.spool_dir):
                if task_id in settled or task_id in self.runs:
                    continue
                try:
                    task = await self.store.get(task_id)
                    if task is None:  # expired (task_ttl_s): nothing to list its files in any more
                        settled.add(task_id)
                    elif task.terminal:
                        for name in await reconcile_task_dir(
                            self.store, Lease(self.owner, task.part), task_id, self.settings.spool_dir / task_id
                        ):
                            log.warning("listed a file left in the spool", task_id=task_id, file=name)
                        settled.add(task_id)
                except Exception as exc:
                    log.warning("spool reconciliation failed", task_id=task_id, error=str(exc))
            await asyncio.sleep(self.settings.reconcile_interval_s)

    # --- stop routing -----------------------------------------------------------------------------
    async def _control_loop(self) -> None:
        while not self._closing:
            try:
                async for message in self.store.control_messages(self.owner):
                    run = self.runs.get(message.task_id)
                    if run is not None and message.action == "stop":
                        await run.request_stop("stopped")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("control stream read failed", error=str(exc))
                await asyncio.sleep(1)

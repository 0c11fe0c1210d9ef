"""Supervision of one claimed task: its recorder process, its lease, its events and its ending."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import AsyncIterator
from typing import Any

import structlog

from rtc_egress.egress.metrics import EgressMetrics
from rtc_egress.egress.recorder_config import recorder_config
from rtc_egress.egress.recorder_process import RecorderProcess
from rtc_egress.egress.settings import EgressSettings
from rtc_egress.egress.spool import reconcile_task_dir
from rtc_egress.tasks.errors import TransitionRefused
from rtc_egress.tasks.model import Lease, Task, TaskFile, TaskState
from rtc_egress.tasks.store import TaskStore

log = structlog.get_logger("rtc_egress.egress")

#: Recorder events recorded as task events as they are.
_FORWARDED = ("user_joined", "user_left", "snapshot", "error")


class TaskRun:
    """Runs the recorder for one part of a task and maps what happens onto the task's state.

    - ``finished`` ok -> STOPPED (reason stopped / max_duration / idle, or "shutdown" when we stopped it for a
      shutdown); ``finished`` failed -> FAILED with the recorder's reason.
    - Exit without ``finished`` (crash, SIGKILL, OOM) or no stats for ``stats_timeout_s`` (hung, killed) -> the
      task goes back to its queue as a new part (attempts+1), or FAILED once attempts are used up.
    - A lost lease (the sweeper gave the task away) -> the recorder is stopped; its files are still attached.
    """

    def __init__(
        self, task: Task, store: TaskStore, owner: str, settings: EgressSettings, metrics: EgressMetrics
    ) -> None:
        self.task = task
        self.metrics = metrics
        self._claimed = time.monotonic()
        self.store = store
        self.lease = Lease(owner, task.part)
        self.settings = settings
        self.output_dir = settings.spool_dir / task.task_id
        self.log = log.bind(task_id=task.task_id, app_id=task.app_id, channel=task.channel, part=task.part)
        self.proc = RecorderProcess(
            settings.recorder_binary,
            recorder_config(task, settings, self.output_dir),
            log_fields={"task_id": task.task_id, "app_id": task.app_id, "channel": task.channel},
        )
        self._stop_reason: str | None = None
        self._requeue_on_finish = False
        self._lost = False
        self._hung = False
        self._open_files: dict[str, dict[str, Any]] = {}  # name -> file_opened event, until its file_closed
        self._background: set[asyncio.Task[None]] = set()
        self.done = asyncio.Event()

    # --- control from the component ---------------------------------------------------------------
    async def request_stop(self, reason: str = "stopped", *, requeue: bool = False) -> None:
        """Ask the recorder to finalize and finish; escalates to SIGTERM, then SIGKILL, if it does not."""
        if self._stop_reason is not None:
            return
        self._stop_reason = reason
        self._requeue_on_finish = requeue
        self.log.info("stopping recorder", reason=reason)
        if not await self.proc.send({"cmd": "stop"}):
            self.proc.signal(signal.SIGTERM)
        asyncio.get_running_loop().call_later(self.settings.stop_timeout_s, self.proc.signal, signal.SIGTERM)
        asyncio.get_running_loop().call_later(self.settings.stop_timeout_s * 1.5, self.proc.signal, signal.SIGKILL)

    def kill(self) -> None:
        self.proc.signal(signal.SIGKILL)

    # --- the run ----------------------------------------------------------------------------------
    async def run(self) -> None:
        try:
            await self._run()
        except Exception:
            self.log.exception("task run failed unexpectedly")
            self.kill()
            with contextlib.suppress(Exception):
                await self.store.release(self.task.task_id, self.lease, "supervisor error", crashed=True)
        finally:
            self.done.set()

    async def _run(self) -> None:
        try:
            self.output_dir.mkdir(parents=True, exist_ok=True)
            await self.proc.start()
        except OSError as exc:
            await self._end_failed(f"recorder could not start: {exc}")
            return
        self.log.info("recorder started", pid=self.proc.pid, binary=str(self.settings.recorder_binary))
        renewer = asyncio.create_task(self._renew_lease())
        finished: dict[str, Any] | None = None
        try:
            async for event in self._events_with_watchdog():
                if event["event"] == "finished":
                    finished = event
                else:
                    await self._on_event(event)
            code = await self.proc.wait()
            await self._reconcile_spool()
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
        if self._lost:
            self.log.warning("task was given to another instance; this part ended", exit_code=code)
            self.metrics.endings.labels("lost").inc()
            return
        if finished is None:
            why = "recorder hung (no stats) and was killed" if self._hung else f"recorder exited with code {code}"
            self.log.error("recorder ended without finishing", exit_code=code, hung=self._hung)
            self.metrics.endings.labels("hung" if self._hung else "crashed").inc()
            await self._release(f"{why} without finishing", crashed=True)
        elif finished.get("status") == "ok":
            if self._requeue_on_finish:
                self.metrics.endings.labels("requeued").inc()
                await self._release(f"{self._stop_reason}; resuming elsewhere", crashed=False)
            else:
                self.metrics.endings.labels("stopped").inc()
                reason = self._stop_reason if self._stop_reason not in (None, "stopped") else None
                await self._end_stopped(reason or str(finished.get("reason") or "stopped"))
        else:
            self.metrics.endings.labels("failed").inc()
            await self._end_failed(str(finished.get("reason") or f"recorder failed with code {code}"))

    async def _events_with_watchdog(self) -> AsyncIterator[dict[str, Any]]:
        """The recorder's events; kills it when it says nothing (not even stats) for stats_timeout_s."""
        events = self.proc.events().__aiter__()
        while True:
            try:
                async with asyncio.timeout(self.settings.stats_timeout_s):
                    event = await anext(events)
            except StopAsyncIteration:
                return
            except TimeoutError:
                self._hung = True
                self.log.error("recorder silent for too long; killing it", timeout_s=self.settings.stats_timeout_s)
                self.kill()
                continue
            yield event

    async def _on_event(self, event: dict[str, Any]) -> None:
        kind = event["event"]
        data = {k: v for k, v in event.items() if k != "event"}
        try:
            if kind == "started":
                self.metrics.start_latency.observe(time.monotonic() - self._claimed)
                await self.store.mark_started(self.task.task_id, self.lease, {**data, "pid": self.proc.pid})
                self.log.info("recording started")
            elif kind == "file_opened":
                self._open_files[str(data.get("name") or data.get("path"))] = data
            elif kind == "file_closed":
                file = self._task_file(data)
                self._open_files.pop(file.name, None)
                await self.store.attach_file(self.task.task_id, self.lease, file)
                self.log.info("file closed", file=data.get("name"), bytes=data.get("bytes"))
            elif kind in _FORWARDED:
                await self.store.add_event(self.task.task_id, self.lease, kind, data)
        except TransitionRefused:
            self._on_lost()

    def _task_file(self, data: dict[str, Any]) -> TaskFile:
        known = {"name", "path", "bytes", "duration_s", "sha256", "kind", "part", "task_id", "ts", "event"}
        return TaskFile(
            name=str(data.get("name") or data["path"]),
            path=str(data["path"]),
            bytes=int(data.get("bytes") or 0),
            part=int(data.get("part") or self.task.part),
            duration_s=float(data["duration_s"]) if data.get("duration_s") is not None else None,
            sha256=data.get("sha256"),
            kind=str(data.get("kind") or "media"),
            extra={k: v for k, v in data.items() if k not in known},
        )

    async def _reconcile_spool(self) -> None:
        """List what the task's directory holds unannounced: the file a crashed recorder was writing, and files
        of earlier parts whose supervisor died (attaching works even after the lease is lost)."""
        opened = dict(self._open_files)
        self._open_files.clear()
        for name in await reconcile_task_dir(self.store, self.lease, self.task.task_id, self.output_dir, opened):
            self.log.warning("listed a file its recorder did not announce", file=name)

    async def _renew_lease(self) -> None:
        interval = self.settings.lease_s / 3
        while True:
            await asyncio.sleep(interval)
            try:
                state = await self.store.renew(self.task.task_id, self.lease, self.settings.lease_s)
            except Exception as exc:  # Redis briefly away: keep recording, try again
                self.log.warning("lease renewal failed", error=str(exc))
                continue
            if state is None:
                self._on_lost()
                return
            if state == TaskState.STOPPING:
                await self.request_stop("stopped")

    def _on_lost(self) -> None:
        if not self._lost:
            self._lost = True
            self.log.warning("lease lost; stopping this part")
            stopping = asyncio.get_running_loop().create_task(self.request_stop("lease lost"))
            self._background.add(stopping)
            stopping.add_done_callback(self._background.discard)

    # --- endings (each one Lua transition; refused = someone else already decided) -----------------
    async def _end_stopped(self, reason: str) -> None:
        with contextlib.suppress(TransitionRefused):
            await self.store.finish(self.task.task_id, self.lease, reason)
            self.log.info("task stopped", reason=reason)

    async def _end_failed(self, reason: str) -> None:
        with contextlib.suppress(TransitionRefused):
            await self.store.fail(self.task.task_id, self.lease, reason)
            self.log.error("task failed", reason=reason)

    async def _release(self, reason: str, *, crashed: bool) -> None:
        with contextlib.suppress(TransitionRefused):
            task = await self.store.release(self.task.task_id, self.lease, reason, crashed=crashed)
            self.log.warning("task released", reason=reason, state=task.state.value, attempts=task.attempts)

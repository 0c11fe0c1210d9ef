"""The Redis task store: API-side and worker-side operations, each one atomic Lua script.

(Interface first; the implementation lands in the same module.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import redis.asyncio as aioredis

from rtc_egress.tasks.model import Task, TaskEvent, TaskFile, TaskKind, TaskState


class StopOutcome(StrEnum):
    STOPPED = "stopped"  # was ENQUEUED: now STOPPED, it never starts
    STOPPING = "stopping"  # was PROCESSING: now STOPPING, the owner has been told
    ALREADY_STOPPING = "already_stopping"  # a stop was already on its way; the owner is told again
    ALREADY_TERMINAL = "already_terminal"  # STOPPED/FAILED/TIMEOUT: nothing changed


@dataclass(frozen=True, slots=True)
class CreateResult:
    task: Task
    created: bool  # False: an existing task with the same (app_id, request_id)


@dataclass(frozen=True, slots=True)
class StopResult:
    task: Task
    outcome: StopOutcome


@dataclass(frozen=True, slots=True)
class TaskPage:
    tasks: list[Task]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class ControlMessage:
    message_id: str
    task_id: str
    action: str  # "stop"
    request_id: str


@dataclass(frozen=True, slots=True)
class SweepResult:
    requeued: int = 0
    failed: int = 0
    timed_out: int = 0
    stopped: int = 0


class TaskStore:
    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        task_ttl_s: int = 86400,
        task_timeout_s: float = 30.0,
        max_attempts: int = 3,
        events_max_len: int = 1_000_000,
    ) -> None:
        raise NotImplementedError

    # --- API side ---------------------------------------------------------------------------------
    async def create(
        self,
        *,
        app_id: str,
        request_id: str,
        cmd: str,
        kind: TaskKind,
        region: str,
        channel: str,
        payload: dict[str, Any],
    ) -> CreateResult:
        """ENQUEUE a new task, or return the task already created for (app_id, request_id).

        Raises ChannelBusy when (app_id, channel, cmd) already has an active task.
        """
        raise NotImplementedError

    async def get(self, task_id: str) -> Task | None:
        raise NotImplementedError

    async def stop(self, app_id: str, task_id: str, request_id: str) -> StopResult:
        """Stop a task of ``app_id``; raises TaskNotFound (also for a task of another app)."""
        raise NotImplementedError

    async def list(
        self,
        app_id: str,
        *,
        state: TaskState | None = None,
        channel: str | None = None,
        cmd: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> TaskPage:
        """An app's tasks, newest first, filtered; ``next_cursor`` is opaque."""
        raise NotImplementedError

    async def events(self, task_id: str, *, after_seq: int = 0, limit: int = 100) -> list[TaskEvent]:
        raise NotImplementedError

    async def files(self, task_id: str) -> list[TaskFile]:
        raise NotImplementedError

    async def queue_depths(self) -> dict[str, int]:
        raise NotImplementedError

    # --- worker side ------------------------------------------------------------------------------
    async def claim(self, owner: str, queues: Sequence[str], lease_s: float) -> Task | None:
        """Atomically take the first ENQUEUED task from ``queues`` (in order) and lease it to ``owner``."""
        raise NotImplementedError

    async def renew(self, task_id: str, owner: str, lease_s: float) -> TaskState | None:
        """Extend the lease; returns the task's state (STOPPING = stop it), or None if ``owner`` lost it."""
        raise NotImplementedError

    async def mark_started(self, task_id: str, owner: str, data: dict[str, Any] | None = None) -> Task:
        raise NotImplementedError

    async def finish(self, task_id: str, owner: str, reason: str, message: str = "") -> Task:
        """PROCESSING/STOPPING -> STOPPED."""
        raise NotImplementedError

    async def fail(self, task_id: str, owner: str, reason: str) -> Task:
        """PROCESSING/STOPPING -> FAILED."""
        raise NotImplementedError

    async def release(self, task_id: str, owner: str, reason: str) -> Task:
        """Give a running task back to its queue (shutdown with on_shutdown=requeue)."""
        raise NotImplementedError

    async def attach_file(self, task_id: str, owner: str, file: TaskFile) -> None:
        raise NotImplementedError

    async def add_event(self, task_id: str, owner: str, type: str, data: dict[str, Any]) -> None:
        raise NotImplementedError

    def control_messages(self, owner: str, *, block_ms: int = 1000) -> AsyncIterator[ControlMessage]:
        """Stop requests for the tasks ``owner`` runs (a per-owner stream, so none is lost while it is away)."""
        raise NotImplementedError

    # --- sweeper ----------------------------------------------------------------------------------
    async def sweep(self) -> SweepResult:
        """Expired leases -> ENQUEUED (attempts+1) or FAILED; overdue ENQUEUED -> TIMEOUT; lost STOPPING -> STOPPED."""
        raise NotImplementedError


def worker_queues(region: str, kinds: Sequence[TaskKind], cmds: Sequence[str]) -> list[str]:
    """The queues a worker in ``region`` polls: its region's first, then ``global``."""
    raise NotImplementedError

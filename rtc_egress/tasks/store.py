"""The Redis task store: every state change is one Lua script (check, write, append the event, atomically).

API side: create, get, stop, list, events, files. Worker side: claim, renew, mark_started, finish, fail,
release, attach_file, add_event, control_messages. Sweeper: sweep. The scripts live in ``lua/``; each is
loaded with ``_prelude.lua`` (key names, the state table, event emission) in front of it.
"""

from __future__ import annotations

import base64
import binascii
import builtins
import json
import secrets
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from typing import Any

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

from rtc_egress.tasks import keys
from rtc_egress.tasks.errors import ChannelBusy, TaskNotFound, TransitionRefused
from rtc_egress.tasks.model import Lease, Task, TaskEvent, TaskFile, TaskKind, TaskState


class StopOutcome(StrEnum):
    STOPPED = "stopped"  # was ENQUEUED: now STOPPED, it never starts
    STOPPING = "stopping"  # was PROCESSING: now STOPPING, the owner has been told
    ALREADY_STOPPING = "already_stopping"  # a stop was already on its way; the owner is told again
    ALREADY_TERMINAL = "already_terminal"  # STOPPED/FAILED/TIMEOUT: nothing changed


@dataclass(frozen=True, slots=True)
class CreateResult:
    task_id: str
    created: bool
    existing: Task | None = None  # when not created: the task made earlier for the same (app_id, request_id)


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

    @property
    def total(self) -> int:
        return sum(self.counts().values())

    def counts(self) -> dict[str, int]:
        """Action -> number of tasks, for metrics and logs."""
        return {"requeued": self.requeued, "failed": self.failed, "timed_out": self.timed_out, "stopped": self.stopped}


def new_task_id() -> str:
    """16 lowercase hex characters, as the upstream suite's ids."""
    return secrets.token_hex(8)


def worker_queues(region: str, kinds: Sequence[TaskKind], cmds: Sequence[str]) -> list[str]:
    """The queues a worker in ``region`` polls: its region's first, then ``global``."""
    regions = [region] if region == "global" else [region, "global"]
    return [keys.queue(r, k, c) for r in regions for k in kinds for c in cmds]


def _pairs(flat: Sequence[str]) -> dict[str, str]:
    return dict(zip(flat[::2], flat[1::2], strict=True))


def _encode_cursor(score: int, task_id: str) -> str:
    return base64.urlsafe_b64encode(f"{score}:{task_id}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[int, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        score, task_id = raw.split(":", 1)
        return int(score), task_id
    except (ValueError, binascii.Error) as exc:
        raise ValueError("cursor: not a cursor returned by this API") from exc


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
        self.redis = redis
        self._r: Any = redis  # redis-py's command stubs are loose; results are typed where they are used
        self.task_ttl_s = task_ttl_s
        self.task_timeout_ms = int(task_timeout_s * 1000)
        self.max_attempts = max_attempts
        self.events_max_len = events_max_len
        prelude = resources.files("rtc_egress.tasks.lua").joinpath("_prelude.lua").read_text()
        self._scripts: dict[str, AsyncScript] = {}
        for name in ("create", "claim", "renew", "stop", "complete", "release", "event", "sweep"):
            body = resources.files("rtc_egress.tasks.lua").joinpath(f"{name}.lua").read_text()
            self._scripts[name] = redis.register_script(prelude + "\n" + body)

    async def _run(self, script: str, *args: str | int | float) -> Any:
        return await self._scripts[script](keys=[], args=[keys.PREFIX, *args])

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
        res = await self._run(
            "create",
            app_id,
            request_id,
            new_task_id(),
            cmd,
            kind.value,
            region,
            channel,
            json.dumps(payload, separators=(",", ":")),
            self.max_attempts,
            self.task_timeout_ms,
            self.events_max_len,
        )
        if res[0] == "busy":
            raise ChannelBusy(channel, cmd, res[1])
        if res[0] == "created":  # the hot path: a short reply, no task hash to decode
            return CreateResult(res[1], created=True)
        existing = Task.from_hash(_pairs(res[1:]))
        return CreateResult(existing.task_id, created=False, existing=existing)

    async def get(self, task_id: str) -> Task | None:
        h: dict[str, str] = await self._r.hgetall(keys.task(task_id))
        return Task.from_hash(h) if h else None

    async def get_for_app(self, app_id: str, task_id: str) -> Task:
        """The task, if it belongs to ``app_id``; otherwise TaskNotFound (no peeking across apps)."""
        task = await self.get(task_id)
        if task is None or task.app_id != app_id:
            raise TaskNotFound(task_id)
        return task

    async def stop(self, app_id: str, task_id: str, request_id: str) -> StopResult:
        """Stop a task of ``app_id``; raises TaskNotFound (also for a task of another app)."""
        res = await self._run("stop", app_id, task_id, request_id, self.events_max_len, self.task_ttl_s)
        if res[0] == "not_found":
            raise TaskNotFound(task_id)
        return StopResult(Task.from_hash(_pairs(res[1:])), StopOutcome(res[0]))

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
        """An app's tasks, newest first, filtered; ``next_cursor`` is opaque (raises ValueError if malformed)."""
        index = keys.app_tasks(app_id)
        max_score: int | str = "+inf"
        after: tuple[int, str] | None = None
        if cursor:
            after = _decode_cursor(cursor)
            max_score = after[0]
        found: builtins.list[Task] = []
        scanned = 0
        batch = max(limit * 2, 100)
        offset = 0
        while len(found) < limit and scanned < 20 * batch:
            rows: builtins.list[tuple[str, float]] = await self._r.zrevrangebyscore(
                index, max_score, "-inf", start=offset, num=batch, withscores=True
            )
            if not rows:
                return TaskPage(found, None)
            offset += len(rows)
            scanned += len(rows)
            if after is not None:
                # Equal scores come in reverse lexicographic order: skip up to and including the cursor.
                rows = [(m, s) for m, s in rows if int(s) < after[0] or m < after[1]]
            async with self._r.pipeline(transaction=False) as pipe:
                for member, _ in rows:
                    pipe.hgetall(keys.task(member))
                hashes = await pipe.execute()
            expired = [m for (m, _), h in zip(rows, hashes, strict=True) if not h]
            if expired:
                await self._r.zrem(index, *expired)
            for (member, score), h in zip(rows, hashes, strict=True):
                if not h:
                    continue
                task = Task.from_hash(h)
                if (
                    (state and task.state != state)
                    or (channel and task.channel != channel)
                    or (cmd and task.cmd != cmd)
                ):
                    continue
                found.append(task)
                if len(found) == limit:
                    return TaskPage(found, _encode_cursor(int(score), member))
        last = found[-1] if found else None
        # Scan budget spent: hand back a cursor at the last task seen so the caller can continue.
        return TaskPage(found, _encode_cursor(last.created_at, last.task_id) if last else None)

    async def events(self, task_id: str, *, after_seq: int = 0, limit: int = 100) -> builtins.list[TaskEvent]:
        """The task's event history in order: events with seq > ``after_seq`` (seq starts at 1)."""
        rows: builtins.list[str] = await self._r.lrange(keys.task_events(task_id), after_seq, after_seq + limit - 1)
        return [TaskEvent.from_fields(json.loads(r)) for r in rows]

    async def files(self, task_id: str) -> builtins.list[TaskFile]:
        raw: dict[str, str] = await self._r.hgetall(keys.task_files(task_id))
        files = [TaskFile.from_dict(json.loads(v)) for v in raw.values()]
        return sorted(files, key=lambda f: (f.part, f.name))

    async def queue_depths(self) -> dict[str, int]:
        names: builtins.list[str] = sorted(await self._r.smembers(keys.QUEUES))
        async with self._r.pipeline(transaction=False) as pipe:
            for q in names:
                pipe.llen(q)
            depths = await pipe.execute()
        return dict(zip(names, (int(d) for d in depths), strict=True))

    # --- worker side ------------------------------------------------------------------------------
    async def claim(
        self, owner: str, queues: Sequence[str], lease_s: float, *, claim_id: str | None = None
    ) -> Task | None:
        """Atomically take the first ENQUEUED task from ``queues`` (in order) and lease it to ``owner``.

        Each call has a fresh ``claim_id`` (tests pass their own): when the client retries the script because
        the reply was lost, the retry returns the task the first run leased rather than leasing another one
        that would sit unused until its lease expired.
        """
        claim_id = claim_id or secrets.token_hex(8)
        res = await self._run("claim", owner, int(lease_s * 1000), self.events_max_len, claim_id, *queues)
        if res[0] != "claimed":
            return None
        return Task.from_hash(_pairs(res[1:]))

    async def renew(self, task_id: str, lease: Lease, lease_s: float) -> TaskState | None:
        """Extend the lease; returns the task's state (STOPPING = stop it), or None if the lease was lost."""
        res = await self._run("renew", task_id, lease.owner, int(lease_s * 1000), lease.part)
        return TaskState(res[1]) if res[0] == "ok" else None

    async def mark_started(self, task_id: str, lease: Lease, data: dict[str, Any] | None = None) -> None:
        """The recorder of this part runs: sets started_at (first part) and part_started_at, emits ``started``."""
        await self._event(task_id, lease, "started", data or {}, mark_started=True)

    async def finish(self, task_id: str, lease: Lease, reason: str, message: str = "") -> Task:
        """PROCESSING/STOPPING -> STOPPED."""
        return await self._complete(task_id, lease, TaskState.STOPPED, reason, message)

    async def fail(self, task_id: str, lease: Lease, reason: str) -> Task:
        """PROCESSING/STOPPING -> FAILED."""
        return await self._complete(task_id, lease, TaskState.FAILED, reason, reason)

    async def _complete(self, task_id: str, lease: Lease, to: TaskState, reason: str, message: str) -> Task:
        res = await self._run(
            "complete", task_id, lease.owner, to.value, reason, message, self.events_max_len, self.task_ttl_s,
            lease.part,
        )  # fmt: skip
        if res[0] != "ok":
            raise TransitionRefused(task_id, res[1], to.value, res[2])
        return Task.from_hash(_pairs(res[1:]))

    async def release(self, task_id: str, lease: Lease, reason: str, *, crashed: bool = False) -> Task:
        """Give a running task back to the front of its queue.

        ``crashed=False`` (shutdown with on_shutdown=requeue): attempts unchanged. ``crashed=True`` (the recorder
        died without finishing): attempts+1, or FAILED once they are used up, exactly as an expired lease.
        A STOPPING task ends STOPPED either way.
        """
        res = await self._run(
            "release", task_id, lease.owner, reason, self.task_timeout_ms, self.events_max_len, self.task_ttl_s,
            "1" if crashed else "0", lease.part,
        )  # fmt: skip
        if res[0] != "ok":
            raise TransitionRefused(task_id, res[1], TaskState.ENQUEUED.value, res[2])
        return Task.from_hash(_pairs(res[1:]))

    async def attach_file(self, task_id: str, lease: Lease, file: TaskFile) -> None:
        """Record a closed file (in any state, for any part: a file is never dropped) and emit ``file_closed``."""
        data = file.to_dict()
        await self._event(task_id, lease, "file_closed", data, file=(file.name, json.dumps(data)))

    async def add_event(self, task_id: str, lease: Lease, type: str, data: dict[str, Any]) -> None:
        """A worker event (user_joined, user_left, snapshot, ...); refused when ``lease`` is no longer held."""
        await self._event(task_id, lease, type, data)

    async def _event(
        self,
        task_id: str,
        lease: Lease,
        type: str,
        data: dict[str, Any],
        *,
        file: tuple[str, str] | None = None,
        mark_started: bool = False,
    ) -> None:
        name, body = file or ("", "")
        # A fresh key per call: if the client retries because the reply was lost, nothing is recorded twice.
        res = await self._run(
            "event", task_id, lease.owner, type, json.dumps(data), self.events_max_len, name, body,
            "1" if mark_started else "0", self.task_ttl_s, lease.part, secrets.token_hex(8),
        )  # fmt: skip
        if res[0] != "ok":
            raise TransitionRefused(task_id, res[1], type, res[2])

    async def control_messages(self, owner: str, *, block_ms: int = 1000) -> AsyncIterator[ControlMessage]:
        """Stop requests for the tasks ``owner`` runs, in order, from the start of its control stream.

        The stream is per owner, so a stop sent while the owner is briefly disconnected waits for it.
        Delivered messages are trimmed away.
        """
        stream = keys.control(owner)
        last_id = "0-0"
        while True:
            reply: Any = await self._r.xread({stream: last_id}, count=100, block=block_ms)
            for _, entries in reply or []:
                for message_id, fields in entries:
                    last_id = message_id
                    yield ControlMessage(
                        message_id, fields["task_id"], fields.get("action", "stop"), fields.get("request_id", "")
                    )
                await self._r.xtrim(stream, minid=last_id, approximate=False)

    # --- sweeper ----------------------------------------------------------------------------------
    async def sweep(self, batch: int = 500) -> SweepResult:
        """Expired leases -> ENQUEUED (attempts+1) or FAILED; overdue ENQUEUED -> TIMEOUT; lost STOPPING -> STOPPED."""
        r = await self._run("sweep", self.events_max_len, self.task_ttl_s, self.task_timeout_ms, batch)
        return SweepResult(requeued=int(r[0]), failed=int(r[1]), stopped=int(r[2]), timed_out=int(r[3]))
